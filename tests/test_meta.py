"""Meta-analysis kernels, harmonisation and the `gwaskit meta` command.

Tolerances: kernels are compared with closed forms computed independently in float64; 1e-10
relative leaves room for summation order only. Property tests compare two routes through the
same float64 arithmetic on permuted inputs, so they agree to 1e-9 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwaskit.cli import main
from gwaskit.meta.analyse import meta_analyse_studies
from gwaskit.meta.combine import (
    direction_string,
    fixed_effects,
    meta_analyse,
    random_effects,
    sample_size_z,
)
from gwaskit.meta.harmonise import harmonise
from gwaskit.stats import neg_log10_p_from_z

COMP = str.maketrans("ACGT", "TGCA")

# ---------------------------------------------------------------- kernels


def test_fixed_effects__closed_form() -> None:
    beta = np.array([[0.1, 0.3, np.nan], [0.2, -0.1, 0.05]])
    se = np.array([[0.1, 0.2, 0.3], [0.05, 0.1, 0.2]])
    r = fixed_effects(beta, se)
    for i in range(2):
        ok = np.isfinite(beta[i])
        w = 1 / se[i, ok] ** 2
        b = (w * beta[i, ok]).sum() / w.sum()
        q = (w * (beta[i, ok] - b) ** 2).sum()
        np.testing.assert_allclose(r.beta[i], b, rtol=1e-10)
        np.testing.assert_allclose(r.se[i], w.sum() ** -0.5, rtol=1e-10)
        np.testing.assert_allclose(r.heterogeneity.q[i], q, rtol=1e-10)
        df = ok.sum() - 1
        np.testing.assert_allclose(r.heterogeneity.i2[i], max(0.0, (q - df) / q), rtol=1e-10)
    assert list(r.n_studies) == [2, 3]


def test_fixed_effects__no_study_gives_nan() -> None:
    r = fixed_effects(np.array([[np.nan, np.nan]]), np.array([[0.1, np.nan]]))
    assert np.isnan(r.beta[0]) and r.n_studies[0] == 0


def test_fixed_effects__extreme_z_keeps_log_p() -> None:
    r = fixed_effects(np.array([[1.0, 1.0]]), np.array([[0.02, 0.02]]))  # z = 70.7
    assert np.isfinite(r.neg_log10_p[0]) and r.neg_log10_p[0] > 1000
    np.testing.assert_allclose(r.neg_log10_p[0], neg_log10_p_from_z(r.z[0]), rtol=1e-12)


def test_random_effects__reml_equal_variances_closed_form() -> None:
    """With equal within-study variances v, REML gives tau2 = max(0, s^2 - v) (s^2 the sample
    variance of the estimates with k - 1 in the denominator)."""
    beta = np.array([[0.1, 0.5, -0.2, 0.3], [0.1, 0.11, 0.09, 0.1]])
    se = np.full_like(beta, 0.1)
    r = random_effects(beta, se, method="reml")
    expected = np.maximum(0.0, beta.var(axis=1, ddof=1) - 0.01)
    np.testing.assert_allclose(r.tau2, expected, rtol=1e-8, atol=1e-12)


def test_random_effects__dl_zero_tau2_equals_fixed() -> None:
    beta = np.array([[0.1, 0.1, 0.1]])
    se = np.array([[0.1, 0.2, 0.3]])
    r, f = random_effects(beta, se), fixed_effects(beta, se)
    assert r.tau2[0] == 0.0
    np.testing.assert_allclose(r.beta, f.beta, rtol=1e-12)
    np.testing.assert_allclose(r.se, f.se, rtol=1e-12)


def test_random_effects__hksj_closed_form() -> None:
    beta = np.array([[0.1, 0.5, -0.2]])
    se = np.array([[0.1, 0.2, 0.15]])
    r = random_effects(beta, se, hksj=True)
    w = 1 / (se[0] ** 2 + r.tau2[0])
    mu = (w * beta[0]).sum() / w.sum()
    var = (w * (beta[0] - mu) ** 2).sum() / (2 * w.sum())
    assert var > 1 / w.sum()  # the scale factor exceeds 1 here: plain HKSJ
    np.testing.assert_allclose(r.se[0], np.sqrt(var), rtol=1e-10)
    from scipy import stats

    np.testing.assert_allclose(
        r.neg_log10_p[0], -np.log10(2 * stats.t.sf(abs(mu / np.sqrt(var)), 2)), rtol=1e-8
    )


def test_random_effects__modified_hksj_never_below_dl() -> None:
    beta = np.array([[0.1, 0.1001]])
    se = np.array([[0.1, 0.1]])
    dl, hk = random_effects(beta, se), random_effects(beta, se, hksj=True)
    np.testing.assert_allclose(hk.se, dl.se, rtol=1e-12)  # agreement: factor clipped at 1


def test_sample_size_z__closed_form() -> None:
    z = np.array([[1.0, 2.0, np.nan]])
    n = np.array([[100.0, 400.0, 50.0]])
    r = sample_size_z(z, n)
    np.testing.assert_allclose(r.z[0], (10 * 1 + 20 * 2) / np.sqrt(500), rtol=1e-12)
    assert r.weight[0] == 500 and r.n_studies[0] == 2


def test_direction_string__symbols() -> None:
    d = direction_string(np.array([[0.1, -0.2, np.nan, 0.0]]))
    assert list(d) == ["+-?0"]


# ---------------------------------------------------------------- harmonisation


def _table(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=[
            ("chromosome", pl.String),
            ("base_pair_location", pl.Int64),
            ("effect_allele", pl.String),
            ("other_allele", pl.String),
            ("beta", pl.Float64),
            ("standard_error", pl.Float64),
            ("effect_allele_frequency", pl.Float64),
            ("n", pl.Float64),
        ],
        orient="row",
    ).with_columns(
        pl.concat_str("chromosome", pl.lit(":"), "base_pair_location").alias("variant_id"),
        neg_log_10_p_value=pl.Series(
            neg_log10_p_from_z(np.array([r[4] / r[5] for r in rows], dtype=float))
        ),
    )


def test_harmonise__swap_and_strand_flip() -> None:
    a = _table([("1", 100, "A", "G", 0.2, 0.1, 0.3, 1000)])
    b = _table([("1", 100, "C", "T", -0.2, 0.1, 0.7, 1000)])  # strand flip + swap of A/G
    h = harmonise({"a": a, "b": b})
    assert h.variants.height == 1
    assert h.variants["effect_allele"][0] == "A"
    np.testing.assert_allclose(h.values["beta"][0], [0.2, 0.2])
    np.testing.assert_allclose(h.values["effect_allele_frequency"][0], [0.3, 0.3])
    assert h.counts["strand_flipped"].to_list() == [0, 1]


def test_harmonise__palindromic_by_frequency() -> None:
    a = _table([("1", 100, "A", "T", 0.2, 0.1, 0.1, 1000), ("1", 200, "C", "G", 0.2, 0.1, 0.45, 1)])
    # study b is on the other strand: its "A" is study a's "T"
    b = _table([("1", 100, "A", "T", -0.2, 0.1, 0.9, 1000), ("1", 200, "C", "G", 0.2, 0.1, 0.4, 1)])
    h = harmonise({"a": a, "b": b})
    assert h.variants.height == 1  # the C/G SNP has MAF >= 0.4: dropped from both
    np.testing.assert_allclose(h.values["beta"][0], [0.2, 0.2])
    assert h.counts["palindromic_ambiguous"].to_list() == [1, 1]  # MAF 0.45 and 0.40
    assert h.counts["palindromic_flipped"].to_list() == [0, 1]
    dropped = harmonise({"a": a, "b": b}, palindromic="drop")
    assert dropped.variants.height == 0


def test_harmonise__indels_and_multiallelic_never_by_position_alone() -> None:
    a = _table([("1", 100, "A", "AT", 0.1, 0.1, 0.2, 1), ("1", 100, "A", "G", 0.3, 0.1, 0.2, 1)])
    b = _table([("1", 100, "AT", "A", -0.1, 0.1, 0.8, 1), ("1", 100, "A", "C", 0.5, 0.1, 0.2, 1)])
    h = harmonise({"a": a, "b": b})
    pairs = {
        (e, o): i
        for i, (e, o) in enumerate(
            zip(h.variants["effect_allele"], h.variants["other_allele"], strict=True)
        )
    }
    assert set(pairs) == {("A", "AT"), ("A", "C"), ("A", "G")}
    np.testing.assert_allclose(h.values["beta"][pairs[("A", "AT")]], [0.1, 0.1])
    assert np.isnan(h.values["beta"][pairs[("A", "G")], 1])
    assert np.isnan(h.values["beta"][pairs[("A", "C")], 0])


def test_harmonise__duplicates_dropped_with_reason() -> None:
    a = _table([("1", 100, "A", "G", 0.1, 0.1, 0.2, 1), ("1", 100, "G", "A", 0.1, 0.1, 0.2, 1)])
    b = _table([("1", 100, "A", "G", 0.1, 0.1, 0.2, 1)])
    h = harmonise({"a": a, "b": b})
    assert h.counts["duplicate"].to_list() == [2, 0]
    assert set(h.dropped["reason"]) == {"duplicate"}


# ---------------------------------------------------------------- properties


def _random_studies(seed: int, n_studies: int, n_variants: int) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    pairs = np.array([("A", "G"), ("A", "C"), ("C", "T"), ("G", "T"), ("A", "T"), ("A", "AC")])
    which = rng.integers(0, len(pairs), n_variants)
    f = rng.uniform(0.05, 0.3, n_variants)  # palindromic SNPs resolvable by frequency
    out = {}
    for s in range(n_studies):
        keep = rng.random(n_variants) < 0.85
        keep[0] = True
        se = rng.uniform(0.02, 0.2, n_variants)
        rows = [
            (
                "1",
                1000 + 10 * i,
                pairs[which[i], 0],
                pairs[which[i], 1],
                float(rng.normal(0, 0.1)),
                float(se[i]),
                float(np.clip(f[i] + rng.normal(0, 0.01), 0.01, 0.35)),
                float(rng.integers(100, 900)),
            )
            for i in range(n_variants)
            if keep[i]
        ]
        out[f"s{s}"] = _table(rows)
    return out


def _swap_rows(table: pl.DataFrame, mask: np.ndarray) -> pl.DataFrame:
    m = pl.Series(mask)
    return table.with_columns(
        effect_allele=pl.when(m).then(pl.col("other_allele")).otherwise(pl.col("effect_allele")),
        other_allele=pl.when(m).then(pl.col("effect_allele")).otherwise(pl.col("other_allele")),
        beta=pl.when(m).then(-pl.col("beta")).otherwise(pl.col("beta")),
        effect_allele_frequency=pl.when(m)
        .then(1 - pl.col("effect_allele_frequency"))
        .otherwise(pl.col("effect_allele_frequency")),
    )


NUMERIC = [
    "beta",
    "standard_error",
    "z",
    "neg_log_10_p_value",
    "het_q",
    "i2",
    "tau2",
    "effect_allele_frequency",
    "n",
]


def _assert_same(a: pl.DataFrame, b: pl.DataFrame, *, up_to_strand: bool = False) -> None:
    assert a.height == b.height
    ea, eb = a["effect_allele"].to_list(), b["effect_allele"].to_list()
    if up_to_strand:  # the reporting strand is that of the first study carrying the variant
        eb = [y if x == y or len(y) > 1 else y.translate(COMP) for x, y in zip(ea, eb, strict=True)]
    assert ea == eb
    assert a["direction"].to_list() == b["direction"].to_list()
    for c in NUMERIC:
        np.testing.assert_allclose(a[c].to_numpy(), b[c].to_numpy(), rtol=1e-9, atol=1e-15)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["fixed", "random", "samplesize"]))
def test_meta_analyse__allele_order_invariance(seed: int, method: str) -> None:
    studies = _random_studies(seed, 3, 30)
    rng = np.random.default_rng(seed + 1)
    swapped = {k: _swap_rows(t, rng.random(t.height) < 0.5) for k, t in studies.items()}
    a = meta_analyse(harmonise(studies), method=method).table
    b = meta_analyse(harmonise(swapped), method=method).table
    _assert_same(a, b)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_meta_analyse__strand_flip_invariance(seed: int) -> None:
    """Complementing the alleles of non-palindromic SNPs in any study after the first changes
    nothing (the first study fixes the reporting strand)."""
    studies = _random_studies(seed, 3, 30)
    rng = np.random.default_rng(seed + 2)
    flipped = dict(studies)
    for name in ("s1", "s2"):
        t = studies[name]
        snp = (t["effect_allele"].str.len_bytes() == 1) & (t["other_allele"].str.len_bytes() == 1)
        ea, oa = t["effect_allele"].to_list(), t["other_allele"].to_list()
        palin = np.array([e.translate(COMP) == o for e, o in zip(ea, oa, strict=True)])
        mask = snp.to_numpy() & ~palin & (rng.random(t.height) < 0.5)
        flipped[name] = t.with_columns(
            effect_allele=pl.Series(
                [e.translate(COMP) if m else e for e, m in zip(ea, mask, strict=True)]
            ),
            other_allele=pl.Series(
                [o.translate(COMP) if m else o for o, m in zip(oa, mask, strict=True)]
            ),
        )
    _assert_same(
        meta_analyse(harmonise(studies)).table,
        meta_analyse(harmonise(flipped)).table,
        up_to_strand=True,
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_fixed_effects__duplicated_study_with_half_weights(seed: int) -> None:
    """A study entered twice with its variance doubled (half the weight each time) gives the
    same fixed-effect estimate and standard error."""
    rng = np.random.default_rng(seed)
    beta = rng.normal(0, 0.1, (50, 3))
    se = rng.uniform(0.01, 0.3, (50, 3))
    one = fixed_effects(beta, se)
    twice = fixed_effects(
        np.column_stack([beta, beta[:, 2]]),
        np.column_stack([se[:, :2], se[:, 2:] * np.sqrt(2), se[:, 2:] * np.sqrt(2)]),
    )
    np.testing.assert_allclose(twice.beta, one.beta, rtol=1e-10)
    np.testing.assert_allclose(twice.se, one.se, rtol=1e-10)


def test_meta_analyse_studies__chromosome_partition_matches_whole() -> None:
    """Two routes, one answer: per-chromosome driver vs one harmonise + combine."""
    studies = _random_studies(3, 3, 60)
    studies = {
        k: t.with_columns(
            chromosome=pl.when(pl.col("base_pair_location") % 20 == 0)
            .then(pl.lit("2"))
            .otherwise(pl.lit("1"))
        ).with_columns(
            pl.concat_str("chromosome", pl.lit(":"), "base_pair_location").alias("variant_id")
        )
        for k, t in studies.items()
    }
    whole = meta_analyse(harmonise(studies), method="fixed", gc=True).table
    parts = meta_analyse_studies({k: t.lazy() for k, t in studies.items()}, gc=True).table
    _assert_same(whole, parts)


# ---------------------------------------------------------------- command line


def test_cli_meta__writes_tables(tmp_path: Path) -> None:
    studies = _random_studies(5, 3, 40)
    args = []
    for name, t in studies.items():
        path = tmp_path / f"{name}.tsv"
        t.drop("variant_id").write_csv(path, separator="\t")
        args += ["--study", f"{name}={path}"]
    code = main(["meta", *args, "--method", "random", "--out", str(tmp_path / "out"), "-q"])
    assert code == 0
    out = pl.read_parquet(tmp_path / "out.parquet")
    expected = meta_analyse(harmonise(studies), method="random").table
    np.testing.assert_allclose(out["beta"].to_numpy(), expected["beta"].to_numpy(), rtol=1e-9)
    studies_table = pl.read_parquet(tmp_path / "out.studies.parquet")
    assert studies_table["study"].to_list() == ["s0", "s1", "s2"]
    assert (tmp_path / "out.tsv.gz-meta.yaml").is_file()


@pytest.mark.parametrize("method", ["fixed", "samplesize"])
def test_cli_meta__in_memory_and_parquet_routes_agree(tmp_path: Path, method: str) -> None:
    """Studies held encoded in memory (default) and spilled to temporary Parquet files
    (``--memory-gb 0``) give identical tables, with study GC, palindromic SNPs resolved by
    frequency, and rows dropped by QC and by harmonisation."""
    studies = _random_studies(11, 3, 80)
    args = []
    for name, t in studies.items():
        path = tmp_path / f"{name}.tsv"
        t = t.with_columns(
            chromosome=pl.when(pl.col("base_pair_location") % 30 == 0)
            .then(pl.lit("2"))
            .otherwise(pl.col("chromosome"))
        )
        # a strand-flipped duplicate of the first row: dropped by harmonisation
        flip = t.head(1).with_columns(
            pl.col("effect_allele").str.replace_all("A", "t").str.to_uppercase(),
            pl.col("other_allele").str.replace_all("G", "c").str.to_uppercase(),
        )
        pl.concat([t, flip]).drop("variant_id").write_csv(path, separator="\t")
        args += ["--study", f"{name}={path}"]
    common = ["meta", *args, "--method", method, "--gc", "--population", "none", "-q"]
    assert main([*common, "--out", str(tmp_path / "mem"), "--no-tsv"]) == 0
    assert main([*common, "--out", str(tmp_path / "pq"), "--memory-gb", "0"]) == 0
    assert not (tmp_path / "mem.tsv.gz").exists() and (tmp_path / "pq.tsv.gz").is_file()
    for suffix in ("", ".studies"):
        a = pl.read_parquet(tmp_path / f"mem{suffix}.parquet")
        b = pl.read_parquet(tmp_path / f"pq{suffix}.parquet")
        assert a.equals(b), suffix
    a = pl.read_parquet(tmp_path / "mem.dropped.parquet")
    b = pl.read_parquet(tmp_path / "pq.dropped.parquet")
    assert a.height > 0 and a.sort(a.columns).equals(b.sort(b.columns))


def test_cli_meta__bad_input_is_one_line_and_no_output(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text(
        "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\n"
        "1\t100\tA\tG\tzero\t0.1\n"
    )
    good = tmp_path / "good.tsv"
    good.write_text(
        "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\n"
        "1\t100\tA\tG\t0.1\t0.1\n"
    )
    code = main(
        ["meta", "--study", f"a={bad}", "--study", f"b={good}", "--out", str(tmp_path / "out")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "'beta'" in err
    assert not any(p.name.startswith("out") for p in tmp_path.iterdir())


def test_harmonise__hash_collision_fallback_is_exact(monkeypatch) -> None:
    """Variants are grouped by a 64-bit key hash, checked against the keys; the exact
    group-by used on a collision gives the same result (forced here)."""
    studies = _random_studies(4, 3, 50)
    fast = meta_analyse(harmonise(studies)).table
    monkeypatch.setattr(pl.DataFrame, "equals", lambda self, other, **kw: False)
    exact = meta_analyse(harmonise(studies)).table
    monkeypatch.undo()
    assert fast.equals(exact)


def test_meta_analyse__gc_result_brings_lambda_to_one() -> None:
    studies = _random_studies(11, 3, 200)
    inflated = {k: t.with_columns(pl.col("standard_error") * 0.7) for k, t in studies.items()}
    res = meta_analyse_studies({k: t.lazy() for k, t in inflated.items()}, gc_result=True)
    from gwaskit.meta.combine import gc_lambda

    assert res.studies["lambda_gc_result"][0] > 1.0
    np.testing.assert_allclose(gc_lambda(res.table["z"].to_numpy() ** 2), 1.0, rtol=1e-9)


def test_meta_analyse__effective_n_for_case_control() -> None:
    a = _table([("1", 100, "A", "G", 0.2, 0.1, 0.3, 1000)]).with_columns(
        n_cases=pl.lit(100.0), n_controls=pl.lit(900.0)
    )
    b = _table([("1", 100, "A", "G", 0.1, 0.1, 0.3, 500)])
    res = meta_analyse(harmonise({"a": a, "b": b}), method="samplesize").table
    np.testing.assert_allclose(res["n_effective"][0], 4 / (1 / 100 + 1 / 900) + 500, rtol=1e-12)
    assert res["n"][0] == 1500 and res["n_cases"][0] == 100 and res["n_controls"][0] == 900


# ---------------------------------------------------------------- two harmonisation routes

_MESSY_ALLELES = ["A", "C", "G", "T", "A", "T", "AT", "ACG", "N", "a"]


def _messy_study(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """Rows on few positions and chromosomes, so that multi-allelic sites, strand flips,
    duplicates, palindromic SNPs, invalid alleles and missing keys all occur."""
    ea = rng.choice(_MESSY_ALLELES, n)
    oa = rng.choice(_MESSY_ALLELES, n)
    pos = rng.integers(1, 7, n).astype(float)
    pos[rng.random(n) < 0.05] = np.nan
    chrom = rng.choice(["1", "2", "X", "10", None], n, p=[0.6, 0.2, 0.05, 0.1, 0.05])
    eaf = rng.choice([0.1, 0.3, 0.45, 0.6, 0.9, np.nan], n)
    ids = rng.choice(["rs1", "rs2", "x3", None], n)
    return pl.DataFrame(
        {
            "chromosome": pl.Series(chrom.tolist(), dtype=pl.String),
            "base_pair_location": pl.Series(pos).cast(pl.Int64, strict=False),
            "effect_allele": ea,
            "other_allele": oa,
            "beta": rng.normal(0, 0.1, n),
            "standard_error": rng.uniform(0.01, 0.2, n),
            "effect_allele_frequency": eaf,
            "n": rng.choice([100.0, 200.0, np.nan], n),
            "n_cases": rng.choice([50.0, np.nan], n),
            "variant_id": pl.Series(ids.tolist(), dtype=pl.String),
            "rsid": pl.Series(rng.choice(["rs9", None], n).tolist(), dtype=pl.String),
        }
    ).with_columns(pl.col("base_pair_location").fill_nan(None))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), palindromic=st.sampled_from(["frequency", "forward", "drop"]))
def test_harmonise__integer_keys_match_string_keys(seed: int, palindromic: str) -> None:
    """The integer-key route (what `gwaskit meta` runs) and the string-key polars route give
    the same variants, values, counts and dropped rows, exactly (same float64 operations)."""
    from gwaskit.meta.harmonise import _harmonise_tables

    rng = np.random.default_rng(seed)
    items = [(f"s{i}", _messy_study(rng, int(rng.integers(0, 60)))) for i in range(3)]
    fast = harmonise(dict(items), match_on="position", palindromic=palindromic)
    ref = _harmonise_tables(items, "position", palindromic, 0.4)
    assert fast.variants.equals(ref.variants)
    for name in ref.values:
        np.testing.assert_array_equal(fast.values[name], ref.values[name])
    assert fast.counts.equals(ref.counts.select(fast.counts.columns))
    assert fast.dropped.equals(ref.dropped)


def test_harmonise__palindromic_flip_at_multiallelic_site_matches_string_keys() -> None:
    """A palindromic SNP sharing its position with another variant whose id sorts first:
    the variants are reordered by id, and the frequency reference must follow."""
    from gwaskit.meta.harmonise import _harmonise_tables

    rows_a = [("1", 100, "A", "T", 0.2, 0.1, 0.1, 1000), ("1", 100, "A", "C", 0.1, 0.1, 0.7, 9)]
    rows_b = [("1", 100, "A", "T", -0.2, 0.1, 0.9, 1000), ("1", 100, "C", "A", 0.1, 0.1, 0.3, 9)]
    ids = ["a_palindromic", "z_other"]  # alleles order A/C before A/T, ids the other way
    a = _table(rows_a).with_columns(variant_id=pl.Series(ids))
    b = _table(rows_b).with_columns(variant_id=pl.Series(ids))
    fast = harmonise({"a": a, "b": b})
    ref = _harmonise_tables([("a", a), ("b", b)], "position", "frequency", 0.4)
    assert fast.variants["variant_id"].to_list() == ids
    assert fast.variants.equals(ref.variants)
    np.testing.assert_array_equal(fast.values["beta"], ref.values["beta"])
    assert fast.counts["palindromic_flipped"].to_list() == [0, 1]
