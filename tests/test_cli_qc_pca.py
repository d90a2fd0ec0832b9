"""The ``gwaskit qc`` and ``gwaskit pca`` verbs end to end, and their small file helpers."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import run_tool
from gwaskit.cli import main
from structured_data import make_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("cli")
    c = make_cohort(
        folder, n_variants=2000, missing_rate=0.01, related=True, n_x=100, fst=0.03, seed=21
    )
    pheno = folder / "pheno.txt"
    pheno.write_text(
        "FID\tIID\tT2D\n" + "".join(f"F{i}\tI{i}\t{p + 1}\n" for i, p in enumerate(c.phenotype))
    )
    return c, pheno


@pytest.mark.plink2
def test_qc_cli__writes_lists_tables_and_a_bed_plink2_reads(
    cohort, tmp_path: Path, plink2: str
) -> None:
    c, pheno = cohort
    out = tmp_path / "qc"
    code = main(
        [
            *("qc", str(c.path.with_suffix("")), "--pheno", str(pheno), "--out", str(out)),
            *("--make-bed", "--hwe-midp", "--no-progress"),
        ]
    )
    assert code == 0
    keep = (tmp_path / "qc.keep").read_text().splitlines()
    extract = (tmp_path / "qc.extract").read_text().splitlines()
    removed = pl.read_parquet(tmp_path / "qc.removed_samples.parquet")
    assert len(keep) + removed.height == 300
    # the family loses its three children, the duplicate pair one; at 3 SD about one of 300
    # samples falls out on heterozygosity by chance
    assert removed.filter(pl.col("reason") == "relatedness").height == 4
    assert set(removed["reason"]) <= {"relatedness", "heterozygosity"}
    with gzip.open(tmp_path / "qc.variants.tsv.gz", "rt") as handle:
        assert "hwe_neg_log10_p" in handle.readline().split("\t")
    # the filtered fileset is valid for plink2 and holds exactly the kept samples and variants
    run_tool([plink2, "--bfile", str(out), "--freq", "--out", str(tmp_path / "check")])
    assert (tmp_path / "qc.fam").read_text().count("\n") == len(keep)
    assert (tmp_path / "qc.bim").read_text().count("\n") == len(extract)
    afreq = pl.read_csv(tmp_path / "check.afreq", separator="\t", infer_schema=False)
    assert afreq["ID"].to_list() == extract


def test_qc_cli__bad_phenotype_is_one_line_and_no_output(
    cohort, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c, _ = cohort
    bad = tmp_path / "bad.txt"
    bad.write_text("FID\tIID\tBMI\nF0\tI0\t23.5\nF1\tI1\tobese\n")
    out = tmp_path / "qc"
    code = main(["qc", str(c.path), "--pheno", str(bad), "--out", str(out), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "expected a number" in err and "line 3" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [bad]


def _variants(prefix: Path) -> pl.DataFrame:
    return pl.read_parquet(prefix.with_name(prefix.name + ".variants.parquet"))


def test_qc_cli__phenotype_files_read_as_by_assoc(cohort, tmp_path: Path) -> None:
    c, pheno = cohort  # FID IID T2D coded 1/2
    base = ["--no-progress", "--king-cutoff", "none", "--het-sd", "none", "--no-sex-check"]
    main(["qc", str(c.path), "--pheno", str(pheno), "--out", str(tmp_path / "a"), *base])
    # the same trait coded 0/1, IID only, second column picked by name, one case absent
    absent = int(np.flatnonzero(c.phenotype == 1)[0])
    other = tmp_path / "zero_one.txt"
    other.write_text(
        "IID\tage\tcase\n"
        + "".join(f"I{i}\t{40 + i % 7}\t{p}\n" for i, p in enumerate(c.phenotype) if i != absent)
    )
    args = ["--pheno", str(other), "--pheno-name", "case", "--out", str(tmp_path / "b")]
    assert main(["qc", str(c.path), *args, *base]) == 0
    a, b = _variants(tmp_path / "a"), _variants(tmp_path / "b")
    assert set(a["hwe_samples"]) == {"controls", "females"}  # X is tested in females
    # the controls are the same samples in both: identical HWE and control missingness
    autosomal = pl.col("chromosome") != "X"
    for column in ("hwe_neg_log10_p", "missing_rate_controls"):
        np.testing.assert_array_equal(
            a.filter(autosomal)[column].to_numpy(), b.filter(autosomal)[column].to_numpy()
        )
    assert not np.array_equal(a["missing_rate_cases"].to_numpy(), b["missing_rate_cases"])
    # a quantitative trait (age) does not crash: HWE in all samples, no case/control columns
    args = ["--pheno", str(other), "--pheno-name", "age", "--out", str(tmp_path / "q")]
    assert main(["qc", str(c.path), *args, *base]) == 0
    q = _variants(tmp_path / "q")
    assert set(q["hwe_samples"]) == {"all", "females"}
    assert "missing_rate_cases" not in q.columns
    # declared quantitative, the 0/1 trait is treated so too
    args = ["--pheno", str(other), "--pheno-name", "case", "--pheno-type", "quantitative"]
    assert main(["qc", str(c.path), *args, "--out", str(tmp_path / "d"), *base]) == 0
    assert set(_variants(tmp_path / "d")["hwe_samples"]) == {"all", "females"}


@pytest.mark.plink2
def test_pca_cli__plink2_layout_and_values(cohort, tmp_path: Path, plink2: str) -> None:
    """The verb's files in plink2's layout, and its values equal ``plink2 --pca 4`` run on the
    variants it kept (``pcs.prune.in``): eigenvalues to plink2's 6 printed digits, each PC
    correlated > 0.999 with plink2's (sign is arbitrary) over all 300 samples."""
    c, _ = cohort
    out = tmp_path / "pcs"
    code = main(
        [
            *("pca", str(c.path), "--out", str(out), "--pcs", "4", "--seed", "1"),
            *("--no-progress", "--indep-pairwise", "50", "5", "0.5"),
        ]
    )
    assert code == 0
    lines = (tmp_path / "pcs.eigenvec").read_text().splitlines()
    assert lines[0].split("\t") == ["#FID", "IID", "PC1", "PC2", "PC3", "PC4"]
    assert len(lines) == 301
    values = np.loadtxt(tmp_path / "pcs.eigenval")
    assert values.shape == (4,) and np.all(np.diff(values) <= 0)
    table = pl.read_parquet(tmp_path / "pcs.eigenvec.parquet")
    assert table.columns == ["fid", "iid", "PC1", "PC2", "PC3", "PC4"]
    text = np.array([line.split("\t")[2:] for line in lines[1:]], dtype=float)
    np.testing.assert_allclose(text, table.select("PC1", "PC2", "PC3", "PC4").to_numpy(), rtol=1e-7)
    kept = (tmp_path / "pcs.prune.in").read_text().splitlines()
    assert 1800 < len(kept) <= 2000  # autosomal variants past the MAF filter and pruning
    ref = tmp_path / "plink2"
    run_tool(
        [
            plink2, "--bfile", str(c.path.with_suffix("")), "--extract",
            str(tmp_path / "pcs.prune.in"), "--pca", "4", "--threads", "1", "--out", str(ref),
        ]
    )  # fmt: skip
    np.testing.assert_allclose(values, np.loadtxt(f"{ref}.eigenval"), rtol=5e-5)
    theirs = pl.read_csv(f"{ref}.eigenvec", separator="\t")
    assert theirs["IID"].to_list() == table["iid"].to_list()  # 300 samples, same order
    for k in range(1, 5):
        r = np.corrcoef(table[f"PC{k}"].to_numpy(), theirs[f"PC{k}"].to_numpy())[0, 1]
        assert abs(r) > 0.999, (k, r)


def test_pca_cli__bad_indep_pairwise_exit_2(cohort, tmp_path: Path) -> None:
    c, _ = cohort
    code = main(
        ["pca", str(c.path), "--out", str(tmp_path / "x"), "--indep-pairwise", "a", "5", "0.2"]
    )
    assert code == 2


def test_qc_cli__no_related_pairs_writes_an_empty_typed_table(tmp_path: Path) -> None:
    c = make_cohort(tmp_path, n_variants=500, seed=3)
    out = tmp_path / "qc"
    # unrelated samples; with 500 variants the KING noise (SD ~0.03) stays far below 0.3
    args = ["--no-progress", "--het-sd", "none", "--king-cutoff", "0.3"]
    assert main(["qc", str(c.path), "--out", str(out), *args]) == 0
    related = pl.read_parquet(tmp_path / "qc.related.parquet")
    assert related.height == 0
    assert related.schema["iid1"] == pl.String and related.schema["degree"] == pl.String
    assert (tmp_path / "qc.keep").read_text().count("\n") == 300
