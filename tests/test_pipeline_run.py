"""`gwaskit run` on a small simulated consortium: the whole plan, resume, SIGKILL, Dask.

One small demo study (7 cohorts of 160-600 samples, 2,000 variants) is simulated once; the plan is
then run locally, rerun, interrupted with SIGKILL and resumed, and run on a real Dask cluster
(a scheduler and two workers on loopback). Every output file of the interrupted-then-resumed run
and of the Dask run must be byte-identical to the uninterrupted local run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.pipeline.demo import write_demo
from test_engine_dask import scheduler  # noqa: F401 - the cluster fixture

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Iterator[Path]:
    """The demo study, with the report's clock pinned (``SOURCE_DATE_EPOCH``, inherited by the
    Dask workers started later) so that runs at different minutes are byte-identical."""
    folder = tmp_path_factory.mktemp("study")
    write_demo(folder, seed=3, n_variants=2_000, scale=0.2)
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    yield folder
    if previous is None:
        del os.environ["SOURCE_DATE_EPOCH"]
    else:
        os.environ["SOURCE_DATE_EPOCH"] = previous


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _run(plan: Path, *extra: str) -> int:
    return main(["run", str(plan), "--no-progress", "-q", *extra])


@pytest.fixture(scope="module")
def reference(study) -> dict[str, bytes]:
    """The uninterrupted local run's files (outputs record their paths, so every run writes to
    the same folder, ``results``, and is compared byte for byte)."""
    assert _run(study / "plan.toml") == 0
    return _files(study / "results")


def test_run__whole_plan_produces_report_and_loci(study, reference):
    results = study / "results"
    html = reference["report/all/report.html"].decode()
    assert "<img" in html
    loci = pl.read_parquet(results / "report" / "all" / "loci.parquet")
    assert loci["neg_log_10_p_value"].min() > 7.3
    # against the simulation's truth table: every locus holds a planted causal variant (no false
    # positive at this size), and at this scale (0.2) the two-signal locus L2 (OR 1.4 and 1.3)
    # is found
    truth = pl.read_csv(
        study / "data" / "truth.tsv", separator="\t", schema_overrides={"chromosome": pl.String}
    )
    assert truth.height == 7
    hits = loci.join(truth, on="chromosome", suffix="_truth").filter(
        pl.col("base_pair_location_truth").is_between(pl.col("start"), pl.col("end"))
    )
    assert hits["locus_id"].n_unique() == loci.height >= 1
    assert "L2" in hits["locus_id_truth"].to_list()
    assert {"name", "nearest_gene", "replicated", "i2"} <= set(loci.columns)
    for stage in ("qc", "pca", "assoc", "sumstats", "meta", "ldsc", "loci", "replicate",
                  "annotate"):  # fmt: skip
        assert (results / stage).is_dir(), stage
    assert not list(results.rglob(".*partial"))
    # a section per cohort, each with its QQ plot, and its PCA when it was genotyped here
    studies = pl.read_parquet(results / "report" / "all" / "studies.parquet")["study"].to_list()
    genotyped = [s for s in studies if (results / "pca" / s).is_dir()]
    assert len(studies) == 5 and len(genotyped) >= 1, (studies, genotyped)
    for name in studies:
        assert f'id="cohort-{name}"' in html and f'id="fig-cohort-{name}-qq"' in html, name
    for name in genotyped:
        assert f'id="fig-cohort-{name}-pca"' in html, name
    # LD score regression: one row per discovery study and the meta-analysis; the simulation
    # has no confounding, so the meta-analysis intercept is within 2 SE of 1
    h2 = pl.read_parquet(results / "ldsc" / "discovery" / "h2.parquet")
    assert h2.height == 6 and h2["study"][-1] == "meta-analysis"
    meta = h2.row(-1, named=True)
    assert abs(meta["intercept"] - 1) < 2 * meta["intercept_se"]
    rg = pl.read_parquet(results / "ldsc" / "discovery" / "rg.parquet")
    assert rg.height == 10  # 5 discovery studies, every pair


def test_run__rerun_skips_everything_and_parameter_change_redoes_downstream(study, reference):
    results = study / "results"
    assert _run(study / "plan.toml") == 0
    assert _files(results) == reference  # nothing rewritten
    plan = study / "plan_random.toml"
    plan.write_text((study / "plan.toml").read_text().replace('"fixed"', '"random"'))
    try:
        assert _run(plan) == 0
        after = _files(results)
    finally:
        shutil.rmtree(results)
    for key, value in reference.items():
        if key.startswith(("qc/", "pca/", "assoc/", "sumstats/")):
            assert after[key] == value, key  # per-cohort stages were up to date
    assert after["meta/discovery/meta.parquet"] != reference["meta/discovery/meta.parquet"]
    assert after["report/all/report.html"] != reference["report/all/report.html"]


def test_run__sigkill_then_resume_is_identical(study, reference):
    results = study / "results"
    shutil.rmtree(results, ignore_errors=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "gwaskit", "run", str(study / "plan.toml"), "--no-progress", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not list(results.glob("assoc/.*partial")) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (results / "report" / "all").exists()
    for folder in results.glob("*/*"):  # every complete-looking task folder is complete
        if not folder.name.startswith("."):
            assert (folder / "manifest.json").is_file(), folder
    assert _run(study / "plan.toml") == 0
    assert not list(results.rglob(".*partial"))
    assert _files(results) == reference


def test_run__dask_cluster_gives_identical_outputs(study, reference, scheduler):  # noqa: F811
    results = study / "results"
    shutil.rmtree(results, ignore_errors=True)
    assert _run(study / "plan.toml", "--scheduler", scheduler) == 0
    assert _files(results) == reference


def test_run__plan_mistake_is_one_line_exit_2(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text('[consortium]\nname = "x"\n[[cohort]]\nname = "a"\nsumstats = "absent.tsv"\n')
    result = subprocess.run(
        [sys.executable, "-m", "gwaskit", "run", str(plan)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "absent.tsv" in result.stderr and "Traceback" not in result.stderr
