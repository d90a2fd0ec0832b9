"""Meta-analysis against GWAMA and METAL: their own published outputs, and GWAMA run here.

Tolerances: the published tables are printed with a fixed number of decimals, so a value agrees
when it lies within half a unit of the last printed digit (plus 1e-12 for binary rounding).
GWAMA run in the test prints 6 decimals; simulated effects are O(0.01-0.1), so 1e-6 relative
agreement is checked on the printed digits with that same half-unit allowance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import run_tool
from gwaskit.io.sumstats import read_sumstats
from gwaskit.meta.combine import meta_analyse
from gwaskit.meta.harmonise import harmonise
from gwaskit.stats import neg_log10_p_from_chi2, neg_log10_p_from_z

SWAP = str.maketrans("+-", "-+")


def _within(ours: np.ndarray, printed: np.ndarray, decimals: int) -> None:
    half = 0.5 * 10.0**-decimals + 1e-12
    diff = np.abs(np.asarray(ours, dtype=float) - np.asarray(printed, dtype=float))
    assert np.all(diff <= half), f"max |diff| {diff.max():.3g} > {half:.3g}"


def _align(ours: pl.DataFrame, expected: pl.DataFrame, id_col: str, a1: str, a2: str):
    """Join on marker and allele pair; sign = +1 where our effect allele is their allele 1."""
    exp = expected.rename({c: f"ref:{c}" for c in expected.columns}).with_columns(
        pl.col(f"ref:{a1}").str.to_uppercase().alias("_a1"),
        pl.col(f"ref:{a2}").str.to_uppercase().alias("_a2"),
    )
    ours = ours.with_columns(
        pl.min_horizontal("effect_allele", "other_allele").alias("_k1"),
        pl.max_horizontal("effect_allele", "other_allele").alias("_k2"),
    )
    exp = exp.with_columns(
        pl.min_horizontal("_a1", "_a2").alias("_k1"), pl.max_horizontal("_a1", "_a2").alias("_k2")
    )
    joined = ours.join(
        exp, left_on=["variant_id", "_k1", "_k2"], right_on=[f"ref:{id_col}", "_k1", "_k2"]
    )
    sign = np.where(joined["effect_allele"] == joined["_a1"], 1.0, -1.0)
    return joined, sign


def _directions(joined: pl.DataFrame, sign: np.ndarray) -> list[str]:
    return [
        d if s > 0 else d.translate(SWAP) for d, s in zip(joined["direction"], sign, strict=True)
    ]


# ---------------------------------------------------------------- GWAMA's sample outputs


@pytest.mark.parametrize("method", ["fixed", "random"])
def test_meta_analyse__gwama_example(test_data: Path, method: str) -> None:
    folder = test_data / "gwama_example"
    studies = {f"pop{i}": read_sumstats(folder / f"pop{i}.txt")[0] for i in (1, 2, 3)}
    result = meta_analyse(harmonise(studies, palindromic="forward"), method=method).table
    expected = pl.read_csv(folder / f"{method}.out", separator="\t")
    joined, sign = _align(result, expected, "rs_number", "reference_allele", "other_allele")
    assert joined.height == expected.height == 12
    _within(sign * joined["beta"].to_numpy(), joined["ref:beta"], 6)
    _within(joined["standard_error"], joined["ref:se"], 6)
    _within(sign * joined["z"].to_numpy(), joined["ref:z"], 6)
    _within(joined["het_q"], joined["ref:q_statistic"], 6)
    _within(joined["i2"], joined["ref:i2"], 6)
    _check_gwama_p(joined)
    assert (joined["n_studies"] == joined["ref:n_studies"]).all()
    assert _directions(joined, sign) == joined["ref:effects"].to_list()


def _check_gwama_p(joined: pl.DataFrame) -> None:
    """GWAMA computes p-values with an approximation of the normal and chi-square tails that
    is off by ~1% relative at p ~ 1e-4 (z = -3.954188 printed with p = 7.75e-05; the exact
    two-sided p is 7.677e-05) and by up to ~8% at p ~ 1e-15. So: our -log10 p must be the
    exact tail of GWAMA's own printed z (atol 1e-5 on -log10 p; z is printed to 6 decimals
    and d(-log10 p)/dz ~ |z| / 2.3), and within 10% of GWAMA's printed p."""
    exact = neg_log10_p_from_z(joined["ref:z"].to_numpy())
    atol = 1e-5 * np.maximum(1.0, np.abs(joined["ref:z"].to_numpy()))
    assert np.all(np.abs(joined["neg_log_10_p_value"].to_numpy() - exact) <= atol)
    np.testing.assert_allclose(
        10 ** -joined["neg_log_10_p_value"].to_numpy(), joined["ref:p-value"], rtol=0.1
    )
    df = joined["het_df"].to_numpy()
    q_ref = joined["ref:q_p-value"].to_numpy()
    # Q is printed to 6 decimals: ours must lie between the tails of Q -/+ one unit
    # (or 1e-6 relative, as for the other columns)
    q_printed = joined["ref:q_statistic"].to_numpy()
    bounds = [
        np.array(
            [
                neg_log10_p_from_chi2(max(q, 0.0), d) if d > 0 else 0.0
                for q, d in zip(q_printed + h * np.maximum(1.0, q_printed), df, strict=True)
            ]
        )
        for h in (1e-6, -1e-6)
    ]
    ours = joined["het_neg_log_10_p"].to_numpy()
    bad = ~((ours >= bounds[1] - 1e-9) & (ours <= bounds[0] + 1e-9))
    assert not bad.any(), (ours[bad], bounds[1][bad], bounds[0][bad], q_printed[bad], df[bad])
    np.testing.assert_allclose(
        10 ** -joined["het_neg_log_10_p"].to_numpy(), q_ref, rtol=0.1, atol=1e-6
    )


# ---------------------------------------------------------------- METAL's expected tables

METAL_CONFIGS = {
    # test: (method, genomic control, heterogeneity columns)
    "01": ("samplesize", False),
    "03": ("samplesize", True),
    "04": ("fixed", False),
    "05": ("fixed", True),
    "06": ("samplesize", False),
    "07": ("fixed", False),
    "08": ("samplesize", False),  # OVERLAP ON: upstream output identical to test_06
    "09": ("samplesize", False),  # TRACKPOSITIONS: adds Chromosome, Position
    "10": ("fixed", False),  # 12-digit Effect and StdErr
}


@pytest.fixture(scope="module")
def metal_harmonised(test_data: Path):
    inputs = test_data / "metal_glucose_example" / "inputs"
    studies = {
        "DGI": read_sumstats(inputs / "DGI_three_regions.txt")[0],
        "FUSION": read_sumstats(inputs / "MAGIC_FUSION_Results.txt.gz")[0],
        # METAL script: DEFAULT 4106 (no N column in the SardiNIA file)
        "SARDINIA": read_sumstats(inputs / "magic_SARDINIA.tbl", n=4106)[0],
    }
    # METAL reads A/T and C/G SNPs as given (no frequency check)
    return harmonise(studies, palindromic="forward")


def _printed_decimals(column: pl.Series) -> int:
    return max(len(v.split(".")[1]) if "." in v else 0 for v in column.to_list())


@pytest.mark.parametrize("test", sorted(METAL_CONFIGS))
def test_meta_analyse__metal_glucose(test_data: Path, metal_harmonised, test: str) -> None:
    method, gc = METAL_CONFIGS[test]
    folder = test_data / "metal_glucose_example" / "expected" / f"test_{test}"
    expected = pl.read_csv(folder / "METAANALYSIS1.TBL", separator="\t", infer_schema=False)
    result = meta_analyse(metal_harmonised, method=method, gc=gc, metal_gc_median=True).table
    joined, sign = _align(result, expected, "MarkerName", "Allele1", "Allele2")
    assert joined.height == expected.height == result.height
    for column in expected.columns:
        if column in ("MarkerName", "Allele1", "Allele2"):
            continue  # the join keys
        printed = joined[f"ref:{column}"]
        if column == "Zscore":
            _within(sign * joined["z"].to_numpy(), printed.cast(float), 3)
        elif column == "Weight":
            _within(joined["n_effective"], printed.cast(float), 2)
        elif column == "Effect":
            dec = _printed_decimals(printed)
            _within(sign * joined["beta"].to_numpy(), printed.cast(float), dec)
        elif column == "StdErr":
            _within(joined["standard_error"], printed.cast(float), _printed_decimals(printed))
        elif column == "P-value":  # %.4g
            ours = np.array([float(f"{p:.4g}") for p in joined["p_value"]])
            np.testing.assert_array_equal(ours, printed.cast(float).to_numpy())
        elif column == "Direction":
            assert _directions(joined, sign) == printed.to_list()
        elif column == "HetISq":
            _within(100 * joined["i2"].to_numpy(), printed.cast(float), 1)
        elif column == "HetChiSq":
            _within(joined["het_q"], printed.cast(float), 3)
        elif column == "HetDf":
            np.testing.assert_array_equal(joined["het_df"], printed.cast(int))
        elif column == "HetPVal":
            ours = np.array([float(f"{10**-x:.4g}") for x in joined["het_neg_log_10_p"]])
            np.testing.assert_allclose(ours, printed.cast(float).to_numpy(), rtol=1e-12)
        elif column == "Chromosome":
            assert joined["chromosome"].to_list() == printed.to_list()
        elif column == "Position":
            np.testing.assert_array_equal(joined["base_pair_location"], printed.cast(int))
        else:
            raise AssertionError(f"column {column} not compared")


# ---------------------------------------------------------------- GWAMA run on simulated data


def simulate_cohorts(
    folder: Path, *, n_studies: int, n_variants: int, seed: int, inflate: float = 1.0
) -> list[Path]:
    """Write GWAMA-format inputs: differing variant sets, allele swaps, strand flips, no
    palindromic SNPs (GWAMA cannot resolve them), true effects at 5% of variants."""
    rng = np.random.default_rng(seed)
    pairs = np.array([("A", "G"), ("A", "C"), ("C", "T"), ("G", "T")])
    which = rng.integers(0, len(pairs), n_variants)
    a1, a2 = pairs[which, 0], pairs[which, 1]
    freq = rng.uniform(0.02, 0.98, n_variants)
    effect = np.where(rng.random(n_variants) < 0.05, rng.normal(0, 0.05, n_variants), 0.0)
    comp = str.maketrans("ACGT", "TGCA")
    paths = []
    for s in range(n_studies):
        n = rng.integers(800, 6000, n_variants)
        keep = rng.random(n_variants) < 0.9
        f = np.clip(freq + rng.normal(0, 0.02, n_variants), 0.01, 0.99)
        se = 1.0 / np.sqrt(2 * n * f * (1 - f))
        beta = (
            effect
            + rng.normal(0, 1, n_variants) * se * np.sqrt(inflate)
            + rng.normal(0, 0.01, n_variants)
        )
        ea, nea = a1.copy(), a2.copy()
        swap = rng.random(n_variants) < 0.5
        ea[swap], nea[swap] = a2[swap], a1[swap]
        eaf = np.where(swap, 1 - f, f)
        beta = np.where(swap, -beta, beta)
        flip = rng.random(n_variants) < 0.2
        ea = np.array([x.translate(comp) if fl else x for x, fl in zip(ea, flip, strict=True)])
        nea = np.array([x.translate(comp) if fl else x for x, fl in zip(nea, flip, strict=True)])
        table = pl.DataFrame(
            {
                "MARKERNAME": [f"rs{i + 1}" for i in range(n_variants)],
                "CHROMOSOME": (np.arange(n_variants) % 3 + 1).astype(str),
                "POSITION": 1000 + np.arange(n_variants) * 10,
                "EA": ea,
                "NEA": nea,
                "EAF": np.round(eaf, 6),
                "N": n,
                "BETA": np.round(beta, 8),
                "SE": np.round(se, 8),
            }
        ).filter(pl.Series(keep))
        path = folder / f"study{s}.txt"
        table.write_csv(path, separator="\t")
        paths.append(path)
    return paths


def _read_gwama(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", null_values=["-9"], infer_schema_length=10000)


def _relative(ours: np.ndarray, printed: np.ndarray, decimals: int = 6) -> None:
    """1e-6 relative, or one unit of the last printed digit (GWAMA rounds its own float
    arithmetic to 6 decimals), whichever is larger."""
    ours, printed = np.asarray(ours, dtype=float), np.asarray(printed, dtype=float)
    tol = np.maximum(1e-6 * np.abs(printed), 10.0**-decimals)
    bad = np.abs(ours - printed) > tol
    assert not bad.any(), f"{bad.sum()} differ; e.g. {ours[bad][:3]} vs {printed[bad][:3]}"


@pytest.mark.gwama
@pytest.mark.parametrize(
    ("options", "method", "gc"),
    [([], "fixed", False), (["--random"], "random", False), (["-gc"], "fixed", True)],
)
def test_meta_analyse__agrees_with_gwama(tmp_path: Path, gwama: str, options, method, gc) -> None:
    paths = simulate_cohorts(
        tmp_path, n_studies=4, n_variants=3000, seed=7, inflate=1.3 if gc else 1.0
    )
    (tmp_path / "gwama.in").write_text("".join(f"{p.name}\n" for p in paths))
    run_tool(
        [gwama, "--filelist", "gwama.in", "--quantitative", "--output", "ref", *options],
        cwd=tmp_path,
    )
    expected = _read_gwama(tmp_path / "ref.out")
    studies = {p.stem: read_sumstats(p)[0] for p in paths}
    result = meta_analyse(harmonise(studies, palindromic="forward"), method=method, gc=gc).table
    joined, sign = _align(result, expected, "rs_number", "reference_allele", "other_allele")
    assert joined.height == expected.height == result.height
    _relative(sign * joined["beta"].to_numpy(), joined["ref:beta"])
    _relative(joined["standard_error"], joined["ref:se"])
    _relative(sign * joined["z"].to_numpy(), joined["ref:z"])
    _relative(joined["het_q"], joined["ref:q_statistic"])
    _relative(joined["i2"], joined["ref:i2"])
    _check_gwama_p(joined)
    eaf_ours = np.where(
        sign > 0, joined["effect_allele_frequency"], 1 - joined["effect_allele_frequency"]
    )
    _relative(eaf_ours, joined["ref:eaf"])
    np.testing.assert_array_equal(joined["n"], joined["ref:n_samples"])
    np.testing.assert_array_equal(joined["n_studies"], joined["ref:n_studies"])
    assert _directions(joined, sign) == joined["ref:effects"].to_list()


def test_cli_meta__reproduces_metal_samplesize(test_data: Path, tmp_path: Path) -> None:
    """The command line (QC, per-chromosome driver, Parquet output) gives METAL's test_01."""
    from gwaskit.cli import main

    inputs = test_data / "metal_glucose_example" / "inputs"
    code = main(
        [
            "meta",
            "--study", f"DGI={inputs / 'DGI_three_regions.txt'}",
            "--study", f"FUSION={inputs / 'MAGIC_FUSION_Results.txt.gz'}",
            "--study", f"SARDINIA={inputs / 'magic_SARDINIA.tbl'}",
            "--study-n", "SARDINIA=4106",
            "--method", "samplesize",
            "--palindromic", "forward",
            "--out", str(tmp_path / "m"),
            "-q",
            "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    result = pl.read_parquet(tmp_path / "m.parquet")
    folder = test_data / "metal_glucose_example" / "expected" / "test_01"
    expected = pl.read_csv(folder / "METAANALYSIS1.TBL", separator="\t", infer_schema=False)
    joined, sign = _align(result, expected, "MarkerName", "Allele1", "Allele2")
    assert joined.height == expected.height == result.height
    _within(sign * joined["z"].to_numpy(), joined["ref:Zscore"].cast(float), 3)
    _within(joined["n_effective"], joined["ref:Weight"].cast(float), 2)
    assert _directions(joined, sign) == joined["ref:Direction"].to_list()
