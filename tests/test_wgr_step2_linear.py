"""``gwaskit assoc --pred`` for a quantitative trait: LOCO offsets read from REGENIE ``.loco``
files and applied per chromosome by the linear scan.

sgkit's sim_sm_02 (50 samples, 10 chromosomes, 5 traits) with Glow's LOCO offsets written as
``.loco`` files. gwaskit follows REGENIE: the covariate-adjusted, scaled phenotype minus the LOCO
prediction is projected on the covariates again before the per-variant regression. Glow (and
sgkit's ``regenie_loco_regression``, checked to 1e-14 in test_wgr_glow.py) do not project it
again, and Glow's offsets carry the covariate terms of its level-1 model, so Glow's t differs
(by up to 30% here). The reference is therefore a plain NumPy computation of REGENIE's formula,
from the same inputs (``(n - k - 1)`` dof, ``k`` = intercept + 3 covariates); t to 1e-9 relative,
-log10 p to 1e-9; and Glow's t agrees in direction (correlation > 0.99).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from gwaskit.cli import main
from gwaskit.io.loco import write_loco_files


def test_assoc_pred__linear_matches_glow_loco_gwas(test_data: Path, tmp_path: Path) -> None:
    root = test_data / "sgkit_regenie_test"
    data = root / "dataset" / "sim_sm_02"
    traits = pl.read_csv(data / "traits.csv")
    covar = pl.read_csv(data / "covariates.csv")
    ids = traits["sample_id"]
    pl.concat(
        [pl.DataFrame({"FID": ids, "IID": ids}), traits.drop("sample_id")], how="horizontal"
    ).write_csv(tmp_path / "pheno.txt", separator=" ")
    pl.concat(
        [pl.DataFrame({"FID": ids, "IID": ids}), covar.drop("sample_id")], how="horizontal"
    ).write_csv(tmp_path / "covar.txt", separator=" ")
    offsets = np.load(data / "glow_offsets.npz")["regenie_loco_prediction"]  # (10, 50, 5)
    names = tuple(traits.columns[1:])
    write_loco_files(
        tmp_path / "glow",
        pl.DataFrame({"fid": ids, "iid": ids}),
        names,
        tuple(str(c) for c in range(1, 11)),
        offsets,
    )
    argv = [
        "assoc", str(data / "genotypes"), "--pheno", str(tmp_path / "pheno.txt"),
        "--pheno-name", ",".join(names), "--covar", str(tmp_path / "covar.txt"),
        "--pred", str(tmp_path / "glow_pred.list"), "--out", str(tmp_path / "res"),
        "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    glow = pl.read_csv(root / "result" / "sim_sm_02-wgr_02" / "gwas_loco.csv")
    g = np.load(data / "genotypes.npz")["dosage"].T.astype(float)
    contig = np.load(data / "genotypes.npz")["variant_contig"]
    x = covar.drop("sample_id").to_numpy()
    x = np.column_stack([np.ones(50), (x - x.mean(0)) / x.std(0)])
    q = np.linalg.qr(x)[0]
    compared = 0
    for j, name in enumerate(names):
        ours = pl.read_parquet(tmp_path / f"res.{name}.parquet")
        ref = glow.filter(pl.col("phenotype") == name).sort("start")
        assert ours.height == ref.height == 250
        y = traits[name].to_numpy()
        r = y - q @ (q.T @ y)
        r = r / r.std()
        t_naive = np.empty(250)
        for v in range(250):  # naive, one variant at a time
            yv = r - offsets[contig[v], :, j]
            yv = yv - q @ (q.T @ yv)
            gv = g[:, v] - q @ (q.T @ g[:, v])
            b = gv @ yv / (gv @ gv)
            t_naive[v] = b / np.sqrt(((yv - b * gv) ** 2).sum() / (50 - 4 - 1) / (gv @ gv))
        t = ours["z"].to_numpy()
        np.testing.assert_allclose(t, t_naive, rtol=1e-9)
        p_naive = 2 * stats.t.sf(np.abs(t_naive), 45)
        np.testing.assert_allclose(ours["p_value"].to_numpy(), p_naive, rtol=1e-9)
        assert np.corrcoef(t, ref["tvalue"].to_numpy())[0, 1] > 0.99
        compared += ours.height
    assert compared == 1250
