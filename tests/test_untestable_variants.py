"""Untestable variants (no p-value: PLINK 2's ``NA`` with an ERRCODE, gwaskit's NaN with a
reason) are never loci: ``loci``, ``replicate`` and ``annotate`` skip them and count them.

In polars NaN compares greater than every number, so a bare ``neg_log_10_p_value >= t`` took
every failed fit for the most significant variant of all (issue 13, item 2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from bed_reader import to_bed

from conftest import run_tool
from gwaskit.cli import main
from gwaskit.io.sumstats import write_sumstats
from gwaskit.io.tables import read_parquet_metadata, write_table
from gwaskit.loci.define import define_loci, drop_untestable, significant_variants

SSF_HEADER = (
    "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
    "effect_allele_frequency\tp_value\tvariant_id\n"
)
UNTESTABLE = (3, 10, 17)  # rows written with NA statistics
SIGNIFICANT = 5  # the one real hit


def _ssf(folder: Path, name: str = "study.tsv", token: str = "NA") -> Path:
    """30 variants 1 Mb apart on chromosome 1: one at p = 1e-12, three untestable."""
    lines = [SSF_HEADER]
    for i in range(30):
        if i in UNTESTABLE:
            beta = se = p = token
        else:
            beta, se = "0.1", "0.04"
            p = "1e-12" if i == SIGNIFICANT else f"{0.01 + i / 100:.2f}"
        pos = 1_000_000 * (i + 1)
        lines.append(f"1\t{pos}\tA\tG\t{beta}\t{se}\t0.3\t{p}\trs{i + 1}\n")
    path = folder / name
    path.write_text("".join(lines))
    return path


def test_significant_variants__nan_and_null_never_significant() -> None:
    table = pl.DataFrame(
        {
            "chromosome": ["1"] * 4,
            "base_pair_location": [100, 200, 300, 400],
            "neg_log_10_p_value": [float("nan"), None, 9.0, 2.0],
        }
    )
    sig = significant_variants(table, p=5e-8)
    assert sig.height == 1 and sig["base_pair_location"].to_list() == [300]
    kept, dropped = drop_untestable(table)
    assert (kept.height, dropped) == (2, 2)


def test_define_loci__nan_p_gives_no_locus() -> None:
    table = pl.DataFrame(
        {
            "chromosome": ["1", "1", "2"],
            "base_pair_location": [1_000_000, 5_000_000, 1_000_000],
            "neg_log_10_p_value": [float("nan"), 12.0, float("nan")],
        }
    )
    loci = define_loci(table, p=5e-8, window_kb=500)
    assert loci.height == 1
    assert loci["base_pair_location"].to_list() == [5_000_000]


@pytest.mark.parametrize("token", ["NA", "NaN"])
def test_loci__ssf_untestable_never_loci(tmp_path: Path, token: str) -> None:
    path = _ssf(tmp_path, token=token)
    out = tmp_path / "loci"
    assert main(["loci", str(path), "--build", "GRCh37", "--out", str(out), "--no-progress"]) == 0
    loci = pl.read_parquet(f"{out}.parquet")
    # one real hit; before the fix the 3 untestable variants made 3 more "loci"
    assert loci.height == 1
    assert loci["variant_id"].to_list() == [f"rs{SIGNIFICANT + 1}"]
    assert read_parquet_metadata(f"{out}.parquet")["n_untestable_skipped"] == len(UNTESTABLE)


def _cohort_with_monomorphic_variants(folder: Path) -> tuple[Path, Path]:
    """400 samples x 8 variants (1 Mb apart), variants 2 and 6 monomorphic (untestable),
    variant 4 strongly associated with the trait; returns the .bed and the phenotype file."""
    rng = np.random.default_rng(1)
    n, m = 400, 8
    x = rng.binomial(2, 0.3, size=(n, m)).astype(np.float32)
    x[:, 2], x[:, 6] = 0, 2
    y = 0.8 * x[:, 4] + rng.standard_normal(n)
    ids = [f"i{i}" for i in range(n)]
    to_bed(
        folder / "g.bed",
        x,
        properties={
            "fid": ids,
            "iid": ids,
            "chromosome": ["1"] * m,
            "bp_position": np.arange(1, m + 1) * 1_000_000,
            "sid": [f"rs{j}" for j in range(m)],
            "allele_1": ["A"] * m,
            "allele_2": ["G"] * m,
        },
    )
    (folder / "pheno.txt").write_text(
        "FID\tIID\ty\n" + "".join(f"{i}\t{i}\t{v:.8g}\n" for i, v in zip(ids, y, strict=True))
    )
    return folder / "g.bed", folder / "pheno.txt"


def _loci_of(sumstats: Path, out: Path) -> pl.DataFrame:
    argv = ["loci", str(sumstats), "--build", "GRCh37", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    return pl.read_parquet(f"{out}.parquet")


def test_loci__plink2_glm_untestable_never_loci(tmp_path: Path, plink2: str) -> None:
    """PLINK 2 run here on data with two monomorphic variants: it writes them as NA rows
    (ERRCODE CONST_OMITTED_ALLELE); gwaskit reads the .glm and makes one locus, not three."""
    bed, pheno = _cohort_with_monomorphic_variants(tmp_path)
    run_tool(
        [plink2, "--bfile", str(bed.with_suffix("")), "--pheno", str(pheno),
         "--glm", "allow-no-covars", "--threads", "1", "--out", str(tmp_path / "o")]
    )  # fmt: skip
    glm = tmp_path / "o.y.glm.linear"
    assert glm.read_text().count("CONST_OMITTED_ALLELE") == 2
    loci = _loci_of(glm, tmp_path / "loci")
    assert loci.height == 1 and loci["variant_id"].to_list() == ["rs4"]
    assert read_parquet_metadata(tmp_path / "loci.parquet")["n_untestable_skipped"] == 2


def test_loci__gwaskit_assoc_tsv_and_parquet_agree(tmp_path: Path) -> None:
    """gwaskit's own assoc output: its .tsv.gz (NA for the two CONST_GENO variants) and its
    .parquet (NaN) give the same single locus."""
    bed, pheno = _cohort_with_monomorphic_variants(tmp_path)
    prefix = tmp_path / "assoc"
    argv = ["assoc", str(bed), "--pheno", str(pheno), "--model", "linear", "--build", "GRCh37",
            "--out", str(prefix), "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assoc = pl.read_parquet(f"{prefix}.parquet")
    assert assoc.filter(pl.col("reason") == "CONST_GENO").height == 2
    from_tsv = _loci_of(Path(f"{prefix}.tsv.gz"), tmp_path / "loci_tsv")
    from_parquet = _loci_of(Path(f"{prefix}.parquet"), tmp_path / "loci_parquet")
    assert from_tsv.height == from_parquet.height == 1
    # the GWAS-SSF export spells variant_id CHR_POS_OTHER_EFFECT; the rsID and position agree
    assert from_tsv["rsid"].to_list() == from_parquet["rsid"].to_list() == ["rs4"]
    assert from_tsv["base_pair_location"].to_list() == from_parquet["base_pair_location"].to_list()


def _loci_with_untestable_lead(folder: Path) -> Path:
    """A Loci table as an older gwaskit wrote it: a real locus and one whose lead is NaN."""
    table = pl.DataFrame(
        {
            "locus_id": ["chr1:5500000-6500000", "chr1:10500000-11500000"],
            "chromosome": ["1", "1"],
            "start": [5_500_000, 10_500_000],
            "end": [6_500_000, 11_500_000],
            "base_pair_location": [6_000_000, 11_000_000],
            "variant_id": ["rs6", "rs11"],
            "effect_allele": ["A", "A"],
            "other_allele": ["G", "G"],
            "beta": [0.1, float("nan")],
            "standard_error": [0.04, float("nan")],
            "neg_log_10_p_value": [12.0, float("nan")],
        }
    )
    write_table(table, folder / "loci", metadata={"genome_assembly": "GRCh37"})
    return folder / "loci.parquet"


def test_replicate__untestable_skipped_with_count(tmp_path: Path) -> None:
    loci = _loci_with_untestable_lead(tmp_path)
    rep = _ssf(tmp_path, "rep.tsv")
    write_sumstats(
        # a second study (other estimates: the same rows twice would be refused)
        pl.read_csv(rep, separator="\t", null_values=["NA"]).with_columns(
            pl.col("chromosome").cast(pl.String), pl.col("beta") * 1.5
        ),
        tmp_path / "rep2",
        metadata={"genome_assembly": "GRCh37"},
    )
    out = tmp_path / "rep_out"
    code = main(
        ["replicate", str(loci), "--study", f"a={rep}", "--study", f"b={tmp_path / 'rep2.parquet'}",
         "--out", str(out), "--no-progress"]
    )  # fmt: skip
    assert code == 0
    table = pl.read_parquet(f"{out}.parquet")
    summary = pl.read_parquet(f"{out}.summary.parquet").row(0, named=True)
    assert table.height == 1 and table["variant_id"].to_list() == ["rs6"]
    assert summary["n_loci"] == 1 and summary["n_found"] == 1
    skipped = read_parquet_metadata(f"{out}.parquet")["n_untestable_skipped"]
    assert skipped == {"loci": 1, "a": len(UNTESTABLE), "b": len(UNTESTABLE)}


def test_annotate__untestable_loci_skipped_with_count(tmp_path: Path) -> None:
    loci = _loci_with_untestable_lead(tmp_path)
    out = tmp_path / "ann"
    assert main(["annotate", str(loci), "--out", str(out), "--no-progress"]) == 0
    table = pl.read_parquet(f"{out}.parquet")
    assert table.height == 1 and table["variant_id"].to_list() == ["rs6"]
    assert read_parquet_metadata(f"{out}.parquet")["n_untestable_skipped"] == {"loci": 1}
