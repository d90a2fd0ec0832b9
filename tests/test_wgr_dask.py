"""Two routes, one answer: step 1 with its level-0 blocks on a Dask cluster (a scheduler and two
worker processes) equals the local run, on sgkit's 10-chromosome test data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.io import open_genotypes
from gwaskit.wgr.model import WgrOptions, whole_genome_regression
from test_engine_dask import scheduler  # noqa: F401 - the cluster fixture


def test_whole_genome_regression__dask_equals_local(
    test_data: Path,
    tmp_path: Path,
    scheduler: str,  # noqa: F811
) -> None:
    data = test_data / "sgkit_regenie_test" / "dataset" / "sim_sm_02"
    traits = pl.read_csv(data / "traits.csv")
    ids = traits["sample_id"]
    pl.concat(
        [pl.DataFrame({"FID": ids, "IID": ids}), traits.drop("sample_id")], how="horizontal"
    ).write_csv(tmp_path / "pheno.txt", separator=" ")
    source = open_genotypes(data / "genotypes")
    common = dict(
        pheno_names=["Y0000", "Y0001"], options=WgrOptions(block_size=10, folds=5), progress=False
    )
    local = whole_genome_regression(source, tmp_path / "pheno.txt", threads=1, **common)
    dask = whole_genome_regression(source, tmp_path / "pheno.txt", engine=scheduler, **common)
    assert local.loco.shape == dask.loco.shape == (10, 50, 2)
    assert local.chromosomes == dask.chromosomes == tuple(str(c) for c in range(1, 11))
    np.testing.assert_allclose(dask.loco, local.loco, rtol=1e-12, atol=1e-14)
    assert np.abs(local.loco).max() > 0.1  # predictions, not zeros
