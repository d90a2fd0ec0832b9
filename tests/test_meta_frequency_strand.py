"""Frequency checks that speak and the palindromic default (issue 18, items 2 and 3), on real
1000 Genomes genotypes: the 300 EUR people of ``shapeit4_1kg_eur_chr20`` split into two halves
of one cohort typed on one strand, their summary statistics computed in the test (marginal OLS
on a random trait).

- A half whose allele labels are swapped (beta and frequency left as they were) correlates
  negatively with the HapMap3 frequencies shipped with gwaskit: a warning on the terminal, a
  sentence in ``qc_warnings``, and exit 2 under ``--strict`` with nothing written.
- Both halves keep their palindromic SNPs by default (as METAL and GWAMA do); a half with
  simulated strand flips gets them aligned by frequency (or dropped), with counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.io import open_genotypes
from gwaskit.io.sumstats import write_sumstats
from gwaskit.meta.harmonise import harmonise
from gwaskit.qc.frequency import bundled_reference
from loci_fixtures import sumstats_from_genotypes

PALINDROMIC = ["AT", "TA", "CG", "GC"]
COMP = {"A": "T", "T": "A", "C": "G", "G": "C"}


@pytest.fixture(scope="module")
def halves(kg_bed: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two halves (150 people each) of one cohort: every variant that is a bundled HapMap3 SNP
    and every 8th other one, polymorphic in both halves."""
    ref = bundled_reference("GRCh37").select("chromosome", "base_pair_location")
    with open_genotypes(kg_bed, build="GRCh37") as src:
        v = src.variants
        in_ref = v.with_row_index("_i").join(ref, on=["chromosome", "base_pair_location"])["_i"]
        idx = np.union1d(in_ref.to_numpy(), np.arange(0, v.height, 8))
        x = src.read(idx).astype(np.float64)
    y = np.random.default_rng(18).normal(size=x.shape[0])
    poly = (x[:150].std(axis=0) > 0) & (x[150:].std(axis=0) > 0)
    x, variants = x[:, poly], v[idx[poly]]
    a = sumstats_from_genotypes(x[:150], y[:150], variants)
    b = sumstats_from_genotypes(x[150:], y[150:], variants)
    return a, b


def _write(table: pl.DataFrame, path: Path) -> Path:
    write_sumstats(table, path, metadata={"genome_assembly": "GRCh37"}, tsv=False)
    return path.with_name(path.name + ".parquet")


def _n_in_reference(table: pl.DataFrame) -> int:
    """Rows at a HapMap3 position with the same allele pair (either order, either strand)."""
    ref = bundled_reference("GRCh37")
    j = table.join(ref, on=["chromosome", "base_pair_location"])
    pair = pl.concat_str(pl.min_horizontal("effect_allele", "other_allele"),
                         pl.max_horizontal("effect_allele", "other_allele"))  # fmt: skip
    rpair = pl.concat_str(pl.min_horizontal("ref_ea", "ref_oa"),
                          pl.max_horizontal("ref_ea", "ref_oa"))  # fmt: skip
    crpair = pl.concat_str(
        pl.min_horizontal(pl.col("ref_ea").replace(COMP), pl.col("ref_oa").replace(COMP)),
        pl.max_horizontal(pl.col("ref_ea").replace(COMP), pl.col("ref_oa").replace(COMP)),
    )
    return j.filter((pair == rpair) | (pair == crpair)).height


def _meta(tmp_path: Path, a: Path, b: Path, *extra: str) -> tuple[int, Path]:
    out = tmp_path / "m"
    code = main(["meta", "--study", f"A={a}", "--study", f"B={b}", "--out", str(out),
                 "--no-progress", "--no-tsv", *extra])  # fmt: skip
    return code, out


def test_cli_meta__swapped_alleles_flagged_and_strict_refuses(halves, tmp_path, capsys):
    a, b = halves
    swapped = b.with_columns(
        effect_allele=pl.col("other_allele"), other_allele=pl.col("effect_allele")
    )
    pa, pb = _write(a, tmp_path / "a"), _write(swapped, tmp_path / "b")
    code, out = _meta(tmp_path, pa, pb)
    assert code == 0
    err = capsys.readouterr().err
    flagged = [line for line in err.splitlines() if line.startswith("warning: study B:")]
    assert len(flagged) == 1 and "correlate negatively with the reference" in flagged[0]
    assert not any(line.startswith("warning: study A:") for line in err.splitlines())
    studies = pl.read_parquet(out.with_name("m.studies.parquet"))
    row = dict(zip(studies["study"], studies.iter_rows(named=True), strict=True))
    n_ref = _n_in_reference(swapped)
    assert n_ref == 81  # the HapMap3 SNPs of the bundled sample in this 3 Mb of chr20
    assert row["B"]["qc_eaf_reference_n"] == n_ref
    assert row["B"]["qc_eaf_reference_r"] < -0.9
    assert row["A"]["qc_eaf_reference_r"] > 0.9
    assert "correlate negatively" in row["B"]["qc_warnings"]
    assert row["A"]["qc_warnings"] == ""

    strict = tmp_path / "strict"
    strict.mkdir()
    code, out = _meta(strict, pa, pb, "--strict")
    assert code == 2
    err = capsys.readouterr().err
    assert "study B: allele frequencies correlate negatively" in err
    assert sorted(p.name for p in strict.iterdir()) == []


def _palindromic(t: pl.DataFrame) -> pl.Expr:
    return pl.concat_str("effect_allele", "other_allele").is_in(PALINDROMIC)


def test_cli_meta__halves_on_one_strand_keep_palindromic_snps(halves, tmp_path, capsys):
    a, b = halves
    pa, pb = _write(a, tmp_path / "a"), _write(b, tmp_path / "b")
    code, out = _meta(tmp_path, pa, pb)
    assert code == 0
    n_pal = a.filter(_palindromic(a)).height
    assert n_pal > 150  # 12.6 % of the variants are A/T or C/G
    meta = pl.read_parquet(out.with_name("m.parquet"))
    assert meta.height == a.height
    assert meta.filter(_palindromic(meta) & (pl.col("n_studies") == 2)).height == n_pal
    studies = pl.read_parquet(out.with_name("m.studies.parquet"))
    assert studies["palindromic_mode"].to_list() == ["forward", "forward"]
    assert studies["strand_check"].to_list() == ["reference", "reference"]
    assert studies["strand_checked"].to_list() == [81, 81]
    assert studies["strand_flips"].to_list() == [0, 0]
    assert studies["palindromic_ambiguous"].to_list() == [0, 0]
    err = capsys.readouterr().err
    assert "A: strand checked against the reference (81 SNPs, 0 flipped): palindromic SNPs " \
        "kept as given" in err  # fmt: skip
    # the old default drops those with MAF >= 0.4 in either half
    old = tmp_path / "old"
    old.mkdir()
    code, out = _meta(old, pa, pb, "--palindromic", "frequency")
    assert code == 0
    eaf = pl.col("effect_allele_frequency")
    low = [t.filter(_palindromic(t) & (pl.min_horizontal(eaf, 1 - eaf) < 0.4)) for t in (a, b)]
    in_both = low[0].join(low[1], on=["base_pair_location", "effect_allele"]).height
    old_meta = pl.read_parquet(out.with_name("m.parquet"))
    two = old_meta.filter(_palindromic(old_meta) & (pl.col("n_studies") == 2)).height
    assert two == in_both < n_pal


def test_cli_meta__strand_flips_resolved_by_frequency_with_counts(halves, tmp_path):
    a, b = halves
    rng = np.random.default_rng(5)
    flip = pl.Series(rng.random(b.height) < 0.1) & b.select(_snp() & ~_palindromic(b)).to_series()
    flipped = b.with_columns(
        effect_allele=pl.when(flip).then(pl.col("effect_allele").replace(COMP)).otherwise("effect_allele"),
        other_allele=pl.when(flip).then(pl.col("other_allele").replace(COMP)).otherwise("other_allele"),
    )  # fmt: skip
    pa, pb = _write(a, tmp_path / "a"), _write(flipped, tmp_path / "b")
    code, out = _meta(tmp_path, pa, pb)
    assert code == 0
    studies = pl.read_parquet(out.with_name("m.studies.parquet"))
    row = dict(zip(studies["study"], studies.iter_rows(named=True), strict=True))
    ref = bundled_reference("GRCh37").select("chromosome", "base_pair_location")
    expected_flips = flipped.filter(flip).join(ref, on=["chromosome", "base_pair_location"]).height
    assert expected_flips > 0
    assert row["B"]["strand_flips"] == expected_flips
    assert row["B"]["palindromic_mode"] == "frequency"
    assert row["A"]["palindromic_mode"] == "forward"
    assert row["B"]["strand_flipped"] == int(flip.sum())  # every flip found on alignment
    eaf = pl.col("effect_allele_frequency")
    ambiguous = b.filter(_palindromic(b) & (pl.min_horizontal(eaf, 1 - eaf) >= 0.4)).height
    assert ambiguous > 0
    assert row["B"]["palindromic_ambiguous"] == ambiguous
    assert row["A"]["palindromic_ambiguous"] == 0
    assert row["B"]["palindromic_no_frequency"] == 0
    # kept palindromic rows of B whose frequency sits on the other side of 0.5 from A's
    both = a.select("base_pair_location", "effect_allele", eaf.alias("fa")).join(
        b.filter(_palindromic(b) & (pl.min_horizontal(eaf, 1 - eaf) < 0.4)).select(
            "base_pair_location", "effect_allele", eaf.alias("fb")
        ),
        on=["base_pair_location", "effect_allele"],
    )
    assert (
        row["B"]["palindromic_flipped"]
        == both.filter((pl.col("fa") - 0.5) * (pl.col("fb") - 0.5) < 0).height
    )
    meta = pl.read_parquet(out.with_name("m.parquet"))
    pal = meta.filter(_palindromic(meta))
    assert pal.height == a.filter(_palindromic(a)).height  # A keeps them all
    assert pal.filter(pl.col("n_studies") == 1).height == ambiguous
    dropped = pl.read_parquet(out.with_name("m.dropped.parquet"))
    assert dropped.filter(pl.col("reason") == "palindromic_ambiguous").height == ambiguous


def test_harmonise__auto_checks_strand_against_the_other_studies(halves):
    """Without a reference, the studies are checked against each other."""
    a, b = halves
    flip = (
        pl.Series(np.arange(b.height) % 10 == 0) & b.select(_snp() & ~_palindromic(b)).to_series()
    )
    flipped = b.with_columns(
        effect_allele=pl.when(flip).then(pl.col("effect_allele").replace(COMP)).otherwise("effect_allele"),
        other_allele=pl.when(flip).then(pl.col("other_allele").replace(COMP)).otherwise("other_allele"),
    )  # fmt: skip
    n_pal = a.filter(_palindromic(a)).height
    same = harmonise({"A": a, "B": b}, palindromic="auto")
    pal = same.variants.filter(_palindromic(same.variants))
    assert pal.height == n_pal
    assert same.counts["palindromic_ambiguous"].to_list() == [0, 0]
    mixed = harmonise({"A": a, "B": flipped}, palindromic="auto")
    eaf = pl.col("effect_allele_frequency")
    amb = [
        t.filter(_palindromic(t) & (pl.min_horizontal(eaf, 1 - eaf) >= 0.4)).height for t in (a, b)
    ]
    # flips seen from both sides: both studies aligned by frequency
    assert mixed.counts["palindromic_ambiguous"].to_list() == amb
    assert mixed.counts["strand_flipped"].to_list() == [0, int(flip.sum())]


def _snp() -> pl.Expr:
    return (pl.col("effect_allele").str.len_bytes() == 1) & (
        pl.col("other_allele").str.len_bytes() == 1
    )


def test_build_report__qc_warnings_are_red_lines() -> None:
    """The studies table's qc_warnings column becomes red lines (class qc-warning) in the
    report's per-cohort section, the flagged study first; a study without warnings gets none."""
    from _report_data import make_results
    from gwaskit.report.inputs import ReportInputs
    from gwaskit.report.sections.cohorts import cohorts_section

    results = make_results(n_background=100)
    inputs = ReportInputs(**results)
    assert inputs.studies is not None
    names = inputs.studies["study"].to_list()
    text = ["", "allele frequencies correlate negatively | P-Z check failed"] + [""] * (
        len(names) - 2
    )
    warned = ReportInputs(**{**results, "studies": inputs.studies.with_columns(
        pl.Series("qc_warnings", text))})  # fmt: skip
    html = str(cohorts_section(warned, 40, float("inf")))
    assert html.count('class="qc-warning"') == 2
    assert "allele frequencies correlate negatively" in html and "P-Z check failed" in html
    assert "1 flagged" in html
    assert html.index(names[1]) < min(html.index(n) for n in names if n != names[1])
    assert 'class="qc-warning"' not in str(cohorts_section(inputs, 40, float("inf")))
