"""`gwaskit run` on the small demo consortium: what may leave a site, and a Dask run whose workers
use one BLAS thread.

- No output file names the site's absolute paths (sidecars, Parquet footers, manifests, tables).
- ``share/<cohort>/`` holds summary-level files only, their SHA256SUMS and a byte-stable upload
  bundle (``<cohort>.tar``) whose members are those files.
- The pipeline on a local Dask cluster whose workers run with ``OPENBLAS_NUM_THREADS=1`` writes
  byte-identical files to the local engine (where BLAS has every core).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.pipeline.demo import write_demo
from test_engine_dask import _free_port

pytestmark = pytest.mark.slow

EPOCH = "1767225600"
COHORTS = ("finland", "germany", "denmark", "netherlands", "iceland", "norway", "spain")


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("site_private_layout")
    write_demo(folder, seed=3, n_variants=2_000, scale=0.2)
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    yield folder
    if previous is None:
        del os.environ["SOURCE_DATE_EPOCH"]
    else:
        os.environ["SOURCE_DATE_EPOCH"] = previous


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def reference(study) -> dict[str, bytes]:
    assert main(["run", str(study / "plan.toml"), "--no-progress", "-q"]) == 0
    return _files(study / "results")


def _text(name: str, data: bytes) -> bytes:
    return gzip.decompress(data) if name.endswith(".gz") else data


def test_run__no_output_names_the_sites_paths(study, reference):
    site = str(study.resolve()).encode()
    leaks = [name for name, data in reference.items() if site in _text(name, data)]
    assert len(reference) >= 200  # every file of every stage
    assert leaks == []


def test_run__share_folder_per_cohort_with_checksums_and_bundle(study, reference):
    share = study / "results" / "share"
    assert sorted(p.name for p in share.iterdir()) == sorted(COHORTS)
    samples = pl.read_parquet(study / "results" / "qc" / "finland" / "qc.samples.parquet")
    iids = [iid.encode() for iid in samples["iid"].to_list()]
    for cohort in COHORTS:
        folder = share / cohort
        genotyped = cohort != "iceland"
        shared = ["sumstats.tsv.gz", "sumstats.tsv.gz-meta.yaml", "README.txt"]
        shared += ["qc_summary.json"] if genotyped else []
        sums = dict(
            reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines()
        )
        assert sorted(sums) == sorted(shared)
        for name, digest in sums.items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
        bundle = folder / f"{cohort}.tar"
        digest, _, bundle_name = (folder / f"{cohort}.tar.sha256").read_text().partition("  ")
        assert bundle_name.strip() == bundle.name
        assert hashlib.sha256(bundle.read_bytes()).hexdigest() == digest
        with tarfile.open(bundle) as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
        assert sorted(members) == sorted(f"{cohort}/{n}" for n in [*shared, "SHA256SUMS"])
        for name, data in members.items():
            assert data == (folder / name.split("/", 1)[1]).read_bytes(), name
            assert not any(iid in _text(name, data) for iid in iids[:50]), name  # no sample IDs
        copied = folder / "sumstats.tsv.gz"
        assert (
            copied.read_bytes() == (study / "results/sumstats" / cohort / copied.name).read_bytes()
        )
    summary = json.loads((share / "finland" / "qc_summary.json").read_text())
    assert summary["samples"]["read"] == samples.height == 600
    assert summary["samples"]["kept"] == samples["keep"].sum()
    assert sum(summary["samples"]["removed"].values()) == 600 - summary["samples"]["kept"]


def test_bundle__byte_identical_on_a_rerun_from_scratch(study, reference, tmp_path):
    from gwaskit.pipeline.share import write_bundle

    members = {"a/x.txt": study / "plan.toml"}
    write_bundle(tmp_path / "one.tar", members)
    time.sleep(1.1)  # a different wall-clock second
    write_bundle(tmp_path / "two.tar", members)
    assert (tmp_path / "one.tar").read_bytes() == (tmp_path / "two.tar").read_bytes()
    with tarfile.open(tmp_path / "one.tar") as tar:
        (info,) = tar.getmembers()
    assert (info.mtime, info.uid, info.uname) == (int(EPOCH), 0, "")


@pytest.fixture
def one_blas_thread_cluster() -> Iterator[str]:
    """A scheduler and two single-threaded workers whose OpenBLAS has one thread."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "SOURCE_DATE_EPOCH": EPOCH}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"), *sys.path])
    base = [sys.executable, "-m"]
    processes = [
        subprocess.Popen(
            [*base, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--dashboard-address", ":0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
    ]  # fmt: skip
    time.sleep(1.0)
    for _ in range(2):
        processes.append(
            subprocess.Popen(
                [*base, "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--no-nanny", "--dashboard-address", ":0"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            )
        )  # fmt: skip
    try:
        yield address
    finally:
        for process in processes[::-1]:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_run__dask_workers_with_one_blas_thread_byte_identical_to_local(
    study, reference, one_blas_thread_cluster
):
    import shutil

    results = study / "results"
    shutil.rmtree(results)
    try:
        code = main(
            ["run", str(study / "plan.toml"), "--no-progress", "-q",
             "--scheduler", one_blas_thread_cluster]
        )  # fmt: skip
        assert code == 0
        remote = _files(results)
    finally:
        shutil.rmtree(results, ignore_errors=True)
    assert len(remote) == len(reference) >= 200
    differ = [name for name in reference if remote.get(name) != reference[name]]
    assert differ == [], differ
