"""Indels and multi-allelic sites across studies (issue 18, item 5): normalised alleles, I/D
codings resolved against the other studies, never a match by position alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import assume, given
from hypothesis import strategies as st

from gwaskit.cli import main
from gwaskit.io.alleles import normalise_alleles
from gwaskit.io.sumstats import write_sumstats
from gwaskit.meta.alleles import normalise_study, resolve_study_codings
from gwaskit.meta.harmonise import harmonise
from gwaskit.qc.sumstats import qc_sumstats

bases = st.sampled_from("ACGT")
seqs = st.text(alphabet="ACGT", min_size=1, max_size=6)


def _norm(pos: int, a: str, b: str) -> tuple[int, str, str]:
    p, x, y = normalise_alleles(pl.Series([pos]), pl.Series([a]), pl.Series([b]))
    return int(p[0]), x[0], y[0]


@given(anchor=bases, ins=seqs, left=st.text(alphabet="ACGT", max_size=4),
       right=st.text(alphabet="ACGT", max_size=4), pos=st.integers(10, 10**8),
       deletion=st.booleans())  # fmt: skip
def test_normalise_alleles__padding_removed(anchor, ins, left, right, pos, deletion) -> None:
    """An indel written with extra shared bases on either side normalises to its minimal form
    (anchor base + inserted bases vs anchor base), at the anchor's position."""
    assume(ins[-1] != anchor)  # else the insertion sits in a run: left- vs right-aligned forms
    long, short = anchor + ins, anchor
    a, b = left + long + right, left + short + right
    if deletion:
        a, b = b, a
    expected = (pos, short, long) if deletion else (pos, long, short)
    assert _norm(pos - len(left), a, b) == expected
    assert _norm(*expected) == expected  # idempotent


@given(a=seqs, b=seqs, pos=st.integers(1, 10**8))
def test_normalise_alleles__symmetric_and_idempotent(a, b, pos) -> None:
    p, x, y = _norm(pos, a, b)
    assert _norm(pos, b, a) == (p, y, x)
    assert _norm(p, x, y) == (p, x, y)
    if a != b:
        assert x != y and len(x) >= 1 and len(y) >= 1
        assert p >= pos
    if len(a) == len(b) == 1:
        assert (p, x, y) == (pos, a, b)


def _table(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=[
            "chromosome",
            "base_pair_location",
            "effect_allele",
            "other_allele",
            "beta",
            "standard_error",
            "effect_allele_frequency",
            "n",
        ],
        orient="row",
    ).with_columns(
        variant_id=pl.concat_str(
            "chromosome", pl.col("base_pair_location").cast(pl.String), separator=":"
        ),
        neg_log_10_p_value=pl.lit(1.0),
    )


def test_harmonise__one_indel_two_writings_is_one_variant() -> None:
    a = _table(
        [("1", 100, "AT", "A", 0.2, 0.1, 0.3, 1000), ("1", 100, "A", "G", 0.1, 0.1, 0.4, 1000)]
    )
    b = _table([("1", 99, "GA", "GAT", -0.2, 0.1, 0.7, 900), ("1", 100, "G", "A", -0.1, 0.1, 0.6, 900)])  # fmt: skip
    h = harmonise({"A": normalise_study(a), "B": normalise_study(b)}, palindromic="forward")
    assert h.variants.height == 2  # the indel and the SNP at one position stay apart
    both = ~np.isnan(h.values["beta"]).any(axis=1)
    assert both.all()
    np.testing.assert_allclose(h.values["beta"][:, 0], h.values["beta"][:, 1])
    unnormalised = harmonise({"A": a, "B": b}, palindromic="forward")
    assert unnormalised.variants.height == 3  # matched by what is written, it is two


def test_resolve_study_codings__i_d_against_the_other_studies() -> None:
    a = _table([
        ("1", 100, "AT", "A", 0.2, 0.1, 0.3, 1000),  # one indel here
        ("1", 200, "C", "CAA", 0.1, 0.1, 0.2, 1000),  # two indels here
        ("1", 200, "C", "CA", 0.1, 0.1, 0.2, 1000),
    ])  # fmt: skip
    b = _table([
        ("1", 100, "D", "I", -0.2, 0.1, 0.7, 900),
        ("1", 200, "I", "D", 0.1, 0.1, 0.2, 900),
        ("1", 300, "I", "D", 0.1, 0.1, 0.2, 900),  # no indel elsewhere
    ])  # fmt: skip
    out = resolve_study_codings({"A": a, "B": b})
    rb = out["B"]
    assert rb["indel_coding"].to_list() == ["resolved", "ambiguous", "unresolved"]
    assert rb.row(0, named=True)["effect_allele"] == "A"  # D: the shorter allele
    assert rb.row(0, named=True)["other_allele"] == "AT"
    assert rb["effect_allele"].to_list()[1:] == ["I", "I"]
    assert out["A"]["indel_coding"].null_count() == 3
    qc = qc_sumstats(rb, population=None)
    assert qc.counts["indel_ambiguous"] == 1 and qc.counts["indel_unresolved"] == 1
    assert qc.table.height == 1
    h = harmonise({"A": out["A"], "B": qc.table}, palindromic="forward")
    one = h.variants.with_row_index().filter(pl.col("base_pair_location") == 100)["index"][0]
    np.testing.assert_allclose(h.values["beta"][one], [0.2, 0.2] if
                               h.variants["effect_allele"][one] == "AT" else [-0.2, -0.2])  # fmt: skip


def test_cli_meta__i_d_study_resolved_against_the_other(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 60
    pos = np.arange(n) * 1000 + 10_000
    ref = rng.choice(list("ACGT"), n)
    alt = np.where(np.arange(n) % 3 == 0, [r + "TT" for r in ref], rng.choice(list("ACGT"), n))
    alt = np.where(alt == ref, np.where(ref == "A", "C", "A"), alt)
    beta = rng.normal(0, 0.1, n)
    f = rng.uniform(0.1, 0.4, n)
    a = _table(list(zip(["1"] * n, pos, alt, ref, beta, [0.05] * n, f, [1000.0] * n, strict=True)))
    indel = np.array([len(x) > 1 for x in alt])
    ea_b = np.where(indel, "I", alt)
    oa_b = np.where(indel, "D", ref)
    b = _table(
        list(zip(["1"] * n, pos, ea_b, oa_b, beta, [0.05] * n, f, [1000.0] * n, strict=True))
    )
    write_sumstats(a, tmp_path / "a", metadata={"genome_assembly": "GRCh37"}, tsv=False)
    write_sumstats(b, tmp_path / "b", metadata={"genome_assembly": "GRCh37"}, tsv=False)
    assert main(["meta", "--study", f"A={tmp_path / 'a.parquet'}", "--study",
                 f"B={tmp_path / 'b.parquet'}", "--population", "none", "--palindromic", "forward",
                 "--allow-duplicate-studies", "--out", str(tmp_path / "m"), "--no-progress",
                 "--no-tsv"]) == 0  # fmt: skip
    meta = pl.read_parquet(tmp_path / "m.parquet")
    assert meta.height == n
    assert (meta["n_studies"] == 2).all()
    assert meta["het_q"].max() < 1e-12
    studies = pl.read_parquet(tmp_path / "m.studies.parquet")
    assert studies["qc_indel_id_coded"].to_list() == [0, int(indel.sum())]
    assert studies["qc_indel_coding_resolved"].to_list()[1] == int(indel.sum())
