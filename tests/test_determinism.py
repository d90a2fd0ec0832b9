"""Same inputs, same parameters: byte-identical outputs whatever the number of threads; outputs
record versions and input checksums; a killed run leaves nothing half-written and a rerun
completes with the same bytes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from _report_data import make_results, write_results
from conftest import run_tool
from gwaskit import __version__
from gwaskit.cli import main
from gwaskit.io.sumstats import write_sumstats
from loci_fixtures import simulate_ld_genotypes, sumstats_from_genotypes, write_bed

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An LD reference (300 people, 8 LD blocks of 40 variants on chr1, GRCh37 positions) and
    two studies' summary statistics on it with two planted signals (one GWAS-SSF .tsv.gz, one
    Parquet)."""
    folder = tmp_path_factory.mktemp("determinism")
    rng = np.random.default_rng(2024)
    x = simulate_ld_genotypes(300, 8, 40, 0.9, rng)
    x = x[:, x.std(axis=0) > 0]
    positions = 1_000_000 + 2_500 * np.arange(x.shape[1])
    bed = write_bed(folder / "ref.bed", x, "1", positions)
    variants = pl.DataFrame(
        {
            "chromosome": ["1"] * x.shape[1],
            "base_pair_location": positions.astype(np.int64),
            "variant_id": [f"v{j}" for j in range(x.shape[1])],
            "effect_allele": ["A"] * x.shape[1],
            "other_allele": ["G"] * x.shape[1],
        }
    )
    signal_ = sum(0.5 * (x[:, j] - x[:, j].mean()) / x[:, j].std() for j in (30, 200))
    meta = {"genome_assembly": "GRCh37"}
    for name in ("a", "b"):
        y = signal_ + rng.standard_normal(x.shape[0])
        write_sumstats(sumstats_from_genotypes(x, y, variants), folder / name, metadata=meta)
    results = write_results(folder / "results", make_results(seed=3, n_background=2_000))
    case = signal_ + rng.standard_normal(x.shape[0]) > 0.8
    with open(bed.with_suffix(".fam")) as fam:
        ids = [line.split()[:2] for line in fam]
    (folder / "pheno.txt").write_text(
        "FID\tIID\tCC\tQ\n"
        + "".join(f"{f}\t{i}\t{1 + c:d}\t{q:.6f}\n" for (f, i), c, q in
                  zip(ids, case, signal_ + rng.standard_normal(x.shape[0]), strict=True))
    )  # fmt: skip
    return {"bed": bed, "a": folder / "a.tsv.gz", "b": folder / "b.parquet", "results": results,
            "pheno": folder / "pheno.txt"}  # fmt: skip


def _run_verbs(study: dict[str, Path], out: Path, threads: int) -> None:
    out.mkdir()
    common = ["--threads", str(threads), "--no-progress"]
    steps = [
        ["qc", str(study["bed"]), "--pheno", str(study["pheno"]), "--pheno-name", "CC",
         "--out", str(out / "qc")],
        ["pca", str(study["bed"]), "--pcs", "3", "--out", str(out / "pca")],
        ["assoc", str(study["bed"]), "--pheno", str(study["pheno"]), "--pheno-name", "CC",
         "--out", str(out / "cc")],
        ["assoc", str(study["bed"]), "--pheno", str(study["pheno"]), "--pheno-name", "Q",
         "--out", str(out / "q")],
        ["meta", "--study", f"A={study['a']}", "--study", f"B={study['b']}",
         "--population", "none", "--out", str(out / "meta")],
        ["loci", str(out / "meta.parquet"), "--p", "1e-6", "--ld-ref", str(study["bed"]),
         "--cojo", "--out", str(out / "loci")],
        ["annotate", str(out / "loci.parquet"), "--sumstats", str(out / "meta.parquet"),
         "--ld-ref", str(study["bed"]), "--out", str(out / "ann")],
        ["report", str(study["results"]), "--out", str(out / "report.html")],
    ]  # fmt: skip
    for argv in steps:
        assert main([*argv, *common]) == 0, argv


def _files(folder: Path) -> dict[str, bytes]:
    """The outputs (not the PREFIX.log files: a log records the command as typed, --threads
    included, and the messages of the run)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix != ".log"
    }


def test_verbs__same_bytes_whatever_the_threads_and_provenance(study, tmp_path, monkeypatch):
    # the report's "generated at" minute, fixed as reproducible builds fix it
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    # the same output path for both runs: the outputs' metadata names their inputs
    _run_verbs(study, tmp_path / "out", threads=1)
    (tmp_path / "out").rename(tmp_path / "t1")
    _run_verbs(study, tmp_path / "out", threads=2)
    (tmp_path / "out").rename(tmp_path / "t2")
    one, two = _files(tmp_path / "t1"), _files(tmp_path / "t2")
    assert sorted(one) == sorted(two)
    expected = {"cc.parquet", "q.tsv.gz", "meta.parquet", "meta.tsv.gz", "loci.parquet", "loci.signals.parquet",
                "ann.parquet", "ann.tissues.parquet", "report.html"}  # fmt: skip
    assert expected <= set(one)
    assert not [n for n in one if n.startswith(".")]  # no temporaries left
    loci = pl.read_parquet(tmp_path / "t1" / "loci.parquet")
    assert loci.height == 2  # the two planted signals, in different LD blocks
    different = [name for name in one if one[name] != two[name]]
    assert different == [], f"outputs differ between --threads 1 and 2: {different}"

    # the report records the software version and the checksum of every input it read
    html = one["report.html"].decode()
    assert f"gwaskit {__version__}" in html
    assert "Report generated 2026-01-01 00:00 UTC" in html
    for name in ("meta.parquet", "loci.parquet", "manifest.json"):
        digest = hashlib.sha256((study["results"] / name).read_bytes()).hexdigest()
        assert digest in html, name


# -- a kill in the middle of a pipeline stage, then a rerun ----------------------------------


def _write_plan(study: dict[str, Path], folder: Path) -> Path:
    plan = folder / "plan.toml"
    plan.write_text(
        f"""
[consortium]
name = "kill test"
build = "GRCh37"

[loci]
p = 1e-6
ld_reference = "{study["bed"].with_suffix("")}"
cojo = true

[[cohort]]
name = "A"
sumstats = "{study["a"]}"
"""
    )
    return plan


def _gwaskit(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(
        [sys.executable, "-m", "gwaskit", *args, "--no-progress", "--threads", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _manifest_outputs(out: Path) -> dict[str, dict[str, str]]:
    return {
        str(m.parent.relative_to(out)): json.loads(m.read_text())["outputs"]
        for m in sorted(out.glob("*/*/manifest.json"))
    }


def test_run__sigkill_during_a_stage_then_rerun_completes_identically(study, tmp_path):
    plan = _write_plan(study, tmp_path)
    out = tmp_path / "results"
    # its own session: the kill takes the stage's child process (a gwaskit verb) with it
    process = _gwaskit("run", str(plan), start_new_session=True)
    deadline = time.monotonic() + 60
    staging = out / "loci" / ".discovery.partial"
    while not staging.is_dir() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)  # at once: the stage runs in-process and is quick
    assert staging.is_dir(), "the loci stage never started"
    process.wait()
    assert not (out / "loci" / "discovery").exists()  # nothing complete-looking
    assert not (out / "report").exists()
    assert (out / "meta" / "discovery" / "manifest.json").is_file()  # finished stages kept

    rerun = _gwaskit("run", str(plan))
    assert rerun.wait() == 0, rerun.stderr.read()
    leftovers = [p for p in out.rglob("*") if p.name.endswith((".partial", ".tmp"))]
    assert leftovers == []
    first = _manifest_outputs(out)
    assert {"meta/discovery", "loci/discovery", "annotate/discovery", "report/all"} <= set(first)
    manifest = json.loads((out / "loci" / "discovery" / "manifest.json").read_text())
    assert manifest["gwaskit"] == __version__
    bim = study["bed"].with_suffix(".bim")
    assert hashlib.sha256(bim.read_bytes()).hexdigest() in manifest["inputs"].values()

    # the killed stage, run again from scratch, gives the same bytes; the rest stays up to date
    again = _gwaskit("run", str(plan), "--from", "loci", "--only", "loci")
    assert again.wait() == 0, again.stderr.read()
    assert _manifest_outputs(out) == first


def test_atomic_path__removes_temporaries_of_killed_writers(tmp_path):
    """A writer killed mid-write leaves ``.NAME.HOST-PID.*.tmp``; the next write of NAME
    removes it when that process is gone, and leaves a live writer's temporary alone."""
    from gwaskit.io.tables import _host, write_table

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f".t.parquet.{_host()}-{gone.pid}.x1.tmp"
    live = tmp_path / f".t.parquet.{_host()}-{os.getpid()}.x2.tmp"
    other = tmp_path / f".t.parquet.otherhost-{gone.pid}.x3.tmp"
    for path in (stale, live, other):
        path.write_bytes(b"half")
    write_table(pl.DataFrame({"a": [1]}), tmp_path / "t", tsv=False)
    assert not stale.exists()
    assert live.exists() and other.exists()  # alive, or another host's: not ours to judge
    assert pl.read_parquet(tmp_path / "t.parquet")["a"].to_list() == [1]


def test_scratch_folder__removes_folders_of_killed_processes(tmp_path):
    """`gwaskit meta` works in a scratch folder beside its output; a killed run's is removed
    by the next run, a live process's is left alone."""
    from gwaskit.io.tables import _host, scratch_folder

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f".meta.{_host()}-{gone.pid}.abc.scratch"
    live = tmp_path / f".meta.{_host()}-{os.getpid()}.def.scratch"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "study0.parquet").write_bytes(b"half")
    with scratch_folder(tmp_path / "meta") as scratch:
        assert scratch.is_dir() and scratch.parent == tmp_path
    assert not scratch.exists() and not stale.exists() and live.exists()


@pytest.mark.plink2
def test_randomized_pca__few_variants_is_exact_and_matches_plink2(study, plink2, tmp_path):
    """With fewer variants than twice the subspace width (here 30 < 2 x 23), the Krylov space
    cannot grow: PCA is then solved exactly, the same whatever the seed, and as plink2 --pca.
    Tolerance: plink2 prints 6 significant digits (eigenvalues rtol 2e-5)."""
    from gwaskit.io import open_genotypes
    from gwaskit.structure.pca import randomized_pca

    with open_genotypes(study["bed"]) as source:
        chosen = np.arange(0, 300, 10)
        ids = source.variants["variant_id"].to_numpy()[chosen]
        a = randomized_pca(source, n_pcs=3, variant_index=chosen, seed=1)
        b = randomized_pca(source, n_pcs=3, variant_index=chosen, seed=2)
    np.testing.assert_array_equal(a.eigenvectors, b.eigenvectors)
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
    run_tool([plink2, "--bfile", str(study["bed"].with_suffix("")), "--extract",
              str(tmp_path / "ids.txt"), "--pca", "3", "--threads", "1",
              "--out", str(tmp_path / "ref")])  # fmt: skip
    np.testing.assert_allclose(a.eigenvalues, np.loadtxt(tmp_path / "ref.eigenval"), rtol=2e-5)
    ref = pl.read_csv(tmp_path / "ref.eigenvec", separator="\t")
    for k in range(3):
        r = np.corrcoef(ref[f"PC{k + 1}"].to_numpy(), a.eigenvectors[:, k])[0, 1]
        assert abs(r) > 0.9999, (k, r)
