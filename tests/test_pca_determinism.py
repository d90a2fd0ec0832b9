"""`gwaskit pca` writes the same bytes whatever the BLAS thread count.

A Dask worker runs with one OpenBLAS thread; a local run has every core. PCA's dense steps (the
starting QR, the Ritz eigensolver, the final basis product) run on one BLAS thread, so
``OPENBLAS_NUM_THREADS=1`` and ``=2`` (with ``--threads 1``, where BLAS keeps its own threads)
and ``--threads 2`` (gwaskit's threads, BLAS limited inside them) all give identical files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _gwaskit(*args: str, blas_threads: int) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "OPENBLAS_NUM_THREADS": str(blas_threads),
        "SOURCE_DATE_EPOCH": "1767225600",  # the provenance times, pinned
    }
    result = subprocess.run(
        [sys.executable, "-m", "gwaskit", *args, "--no-progress", "-q"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sim")
    _gwaskit("simulate", "--out", str(folder), "--cohorts", "1", "--samples", "800",
             "--variants", "3000", "--seed", "2", blas_threads=1)  # fmt: skip
    return folder / "cohort1"


@pytest.mark.parametrize(("blas", "threads"), [(2, 1), (2, 2)])
def test_pca__same_bytes_whatever_the_blas_thread_count(cohort, tmp_path, blas, threads):
    runs = {}
    for name, b, t in (("one", 1, 1), ("other", blas, threads)):
        prefix = tmp_path / name
        _gwaskit("pca", str(cohort), "--pcs", "4", "--seed", "1", "--threads", str(t),
                 "--out", str(prefix), blas_threads=b)  # fmt: skip
        runs[name] = {
            p.name.removeprefix(f"{name}."): p.read_bytes()
            for p in sorted(tmp_path.glob(f"{name}.*"))
            if p.suffix != ".log"  # the log records the command as typed
        }
    assert sorted(runs["one"]) == ["eigenval", "eigenvec", "eigenvec.parquet", "prune.in"]
    assert runs["one"] == runs["other"]
    table = pl.read_parquet(tmp_path / "one.eigenvec.parquet")
    assert table.height == 800 and table.width >= 6  # every sample, 4 PCs, all bytes equal
