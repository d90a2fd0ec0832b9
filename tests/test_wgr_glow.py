"""WGR against Glow WGR 0.5's expected files (sgkit's test_regenie__glow_comparison and
test_regenie_loco_regression, tests/data/sgkit_regenie_test/PROVENANCE.md): level-0 and
level-1 predictions, the GWAS on the whole-genome residual and the LOCO GWAS.

Tolerances are sgkit's own, atol 1e-14, on every value but the p-values (t and beta match to
1e-14). Our p comes from our -log10 p (the regularised incomplete beta ``I_x(dof/2, 1/2)``,
``x = dof / (dof + t^2)``, then ``10^-x``): below p = 0.5 it matches Glow to 3.6e-14 relative
(compared with rtol 1e-12); near p = 1 (|t| < 0.01) ``x`` is 1 - O(t^2) and both Glow's and our
formulas lose digits there (measured up to 2.6e-12; the complement form, or scipy 1.17's
``t.sf``, differ from Glow's file by 4e-11), so p > 0.5 is compared with atol 1e-11.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.stats import p_from_neg_log10
from gwaskit.wgr.arrays import wgr_arrays
from gwaskit.wgr.linear import offset_linear_regression
from gwaskit.wgr.ridge import fixed_size_folds

RUNS = [("sim_sm_01", "sim_sm_01-wgr_01", (1000.0,)), ("sim_sm_02", "sim_sm_02-wgr_02", None)]
ATOL = 1e-14  # sgkit's tolerance for every Glow comparison
P_RTOL = 1e-12  # p < 0.5: the -log10 p round trip
P_ATOL = 1e-11  # p > 0.5: p near 1 is ill-conditioned in t (module docstring): rounding of x = dof / (dof + t^2), see the module docstring


def _standardised(path: Path) -> np.ndarray:
    a = pl.read_csv(path).drop("sample_id").to_numpy()
    return (a - a.mean(axis=0)) / a.std(axis=0)  # ddof 0, as sgkit's test


def _load(root: Path, dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    folder = root / "dataset" / dataset
    z = np.load(folder / "genotypes.npz")
    g = z["dosage"].T.astype(np.float64)
    return (
        g,
        z["variant_contig"],
        _standardised(folder / "covariates.csv"),
        _standardised(folder / "traits.csv"),
    )


def _check_p(t: np.ndarray, neg_log10_p: np.ndarray, dof: int, expected: np.ndarray) -> None:
    assert t.size == expected.size
    tail = expected < 0.5
    p = p_from_neg_log10(neg_log10_p)
    np.testing.assert_allclose(p[tail], expected[tail], rtol=P_RTOL, atol=0)
    np.testing.assert_allclose(p[~tail], expected[~tail], rtol=0, atol=P_ATOL)


@pytest.fixture(scope="module")
def root(test_data: Path) -> Path:
    return test_data / "sgkit_regenie_test"


@functools.cache
def _glow_fit(root: Path, dataset: str, alphas: tuple[float, ...] | None):
    g, contigs, x, y = _load(root, dataset)
    a = None if alphas is None else np.array(alphas)
    return wgr_arrays(
        g,
        y,
        contigs.astype(np.int64),
        covariates=x,
        block_size=10,
        folds=fixed_size_folds(y.shape[0], 10),
        alphas0=a,
        alphas1=a,
        flavour="glow",
    )


@pytest.mark.parametrize(("dataset", "run", "alphas"), RUNS)
def test_wgr_arrays__glow_level0_level1(root: Path, dataset: str, run: str, alphas) -> None:
    pred0, fit = _glow_fit(root, dataset, alphas)
    glow = pl.read_csv(root / "result" / run / "reduced_blocks_flat.csv.gz").with_columns(
        contig=pl.col("header").str.extract(r"^chr_(\d+)_").cast(pl.Int64),
        block=pl.col("header").str.extract(r"block_(\d+)_").cast(pl.Int64),
        alpha_index=pl.col("alpha").str.extract(r"alpha_(\d+)").cast(pl.Int64),
        outcome=pl.col("label").str.extract(r"Y(\d+)").cast(pl.Int64),
        sample=(pl.col("sample_block").cast(pl.Int64) - 1) * pl.col("size")
        + pl.col("sample_value_index"),
    )
    blocks = glow.select("contig", "block").unique().sort("contig", "block").with_row_index("vb")
    glow = glow.join(blocks, on=["contig", "block"])
    assert glow.height == pred0.size  # every level-0 value compared, none missing
    assert blocks.height == pred0.shape[0]
    mine = pred0[
        glow["vb"].to_numpy(),
        glow["alpha_index"].to_numpy(),
        glow["sample"].to_numpy(),
        glow["outcome"].to_numpy(),
    ]
    np.testing.assert_allclose(mine, glow["sample_value"].to_numpy(), rtol=0, atol=ATOL)
    expected = pl.read_csv(root / "result" / run / "predictions.csv").drop("sample_id").to_numpy()
    assert expected.shape == fit.prediction.shape
    np.testing.assert_allclose(fit.prediction, expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize(("dataset", "run", "alphas"), RUNS)
def test_offset_linear_regression__glow_gwas(root: Path, dataset: str, run: str, alphas) -> None:
    """Stage 3: Y minus the whole-genome prediction, covariates projected, dof n - 3 - 1."""
    g, _, x, y = _load(root, dataset)
    _, fit = _glow_fit(root, dataset, alphas)
    q = np.linalg.qr(x)[0]
    expected = pl.read_csv(root / "result" / run / "gwas.csv")
    assert expected.height == g.shape[1] * y.shape[1]
    for j in range(y.shape[1]):
        r = y[:, j] - fit.prediction[:, j]
        res = offset_linear_regression(g, q, r - q @ (q.T @ r), dof=y.shape[0] - x.shape[1] - 1)
        rows = expected.filter(pl.col("label") == f"Y{j:04d}").sort("start")
        assert rows.height == g.shape[1]
        np.testing.assert_allclose(res.beta, rows["beta"].to_numpy(), rtol=0, atol=ATOL)
        _check_p(res.t, res.neg_log10_p, y.shape[0] - x.shape[1] - 1, rows["pValue"].to_numpy())


@pytest.mark.parametrize("suffix", ["", "_nocovariate"])
def test_offset_linear_regression__glow_loco_gwas(root: Path, suffix: str) -> None:
    """LOCO GWAS with Glow's offsets: Y centred, projected and scaled (dof n - k), minus the
    offset of the variant's contig without projecting it again; t with n - k - 1 dof."""
    g, contigs, x, y = _load(root, "sim_sm_02")
    offsets = np.load(root / "dataset" / "sim_sm_02" / f"glow_offsets{suffix}.npz")
    loco = offsets["regenie_loco_prediction"]  # (contigs, samples, outcomes)
    design = np.ones((y.shape[0], 1)) if suffix else np.hstack([np.ones((y.shape[0], 1)), x])
    n, k = design.shape
    q = np.linalg.qr(design)[0]
    yr = y - q @ (q.T @ y)
    yr = yr / np.sqrt((yr**2).sum(axis=0) / (n - k))
    expected = pl.read_csv(root / "result" / "sim_sm_02-wgr_02" / f"gwas_loco{suffix}.csv")
    assert expected.height == g.shape[1] * y.shape[1] == 1250
    compared = 0
    for j in range(y.shape[1]):
        t = np.empty(g.shape[1])
        lp = np.empty(g.shape[1])
        for c in np.unique(contigs):
            on = contigs == c
            res = offset_linear_regression(g[:, on], q, yr[:, j] - loco[c, :, j], dof=n - k - 1)
            t[on], lp[on] = res.t, res.neg_log10_p
        rows = expected.filter(pl.col("phenotype") == f"Y{j:04d}").sort("start")
        np.testing.assert_allclose(t, rows["tvalue"].to_numpy(), rtol=0, atol=ATOL)
        _check_p(t, lp, n - k - 1, rows["pvalue"].to_numpy())
        compared += rows.height
    assert compared == 1250
