"""The bad-input corpus, continued: impossible option values and plan settings, and output
locations that cannot take the outputs. Each case: exit 2, one line naming the option or plan
key, nothing written; an unwritable or full output folder is found before any computing.

Cases follow ``tests/test_bad_inputs.py`` (a name, a maker of the bad input returning argv, the
fragments the one line must hold).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gwaskit.cli import main
from test_bad_inputs import PLAN, Case, write_bed, write_plan, write_ssf

REPO = Path(__file__).resolve().parents[1]

CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str | None = None):
    def register(make):
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


def loci(d: Path, out: Path, *options: str) -> list[str]:
    return ["loci", str(write_ssf(d)), *options, "--out", str(out / "loci")]


# ---- options: refused while parsing, naming the option --------------------------------------


@case("opt_window_kb_nan", "--window-kb", "finite", "'nan'")
def _(d, out):
    return loci(d, out, "--window-kb", "nan")


@case("opt_window_kb_negative", "--window-kb", "must be in [0", "'-5'")
def _(d, out):
    return loci(d, out, "--window-kb", "-5")


@case("opt_annotate_window_kb_inf", "--window-kb", "finite", "'inf'")
def _(d, out):
    return ["annotate", str(d / "loci.parquet"), "--window-kb", "inf", "--out", str(out / "a")]


@case("opt_p_zero", "--p", "must be in (0, 1]", "'0'")
def _(d, out):
    return loci(d, out, "--p", "0")


@case("opt_p_negative", "--p", "must be in (0, 1]", "'-1e-8'")
def _(d, out):
    return loci(d, out, "--p=-1e-8")


@case("opt_threads_zero", "--threads", "must be in [1", "'0'")
def _(d, out):
    return loci(d, out, "--threads", "0")


@case("opt_threads_not_integer", "--threads", "expected an integer", "'two'")
def _(d, out):
    return loci(d, out, "--threads", "two")


@case("opt_memory_negative", "--memory-gb", "must be in [0", "'-1'")
def _(d, out):
    a, b = write_ssf(d, name="a.tsv"), write_ssf(d, name="b.tsv")
    return ["meta", "--study", f"A={a}", "--study", f"B={b}", "--memory-gb", "-1",
            "--out", str(out / "meta")]  # fmt: skip


@case("opt_prevalence_two", "--prevalence", "must be in (0, 1)", "'2'")
def _(d, out):
    return ["simulate", "--out", str(out / "sim"), "--prevalence", "2"]


@case("opt_scheduler_nonsense", "--scheduler", "Dask scheduler address", "'nonsense'")
def _(d, out):
    bed = write_bed(d)
    pheno = d / "p.txt"
    pheno.write_text("FID IID y\n" + "".join(f"{i} {i} 1\n" for i in range(21)))
    return ["assoc", str(bed), "--pheno", str(pheno), "--scheduler", "nonsense",
            "--out", str(out / "assoc")]  # fmt: skip


@case("opt_run_scheduler_nonsense", "--scheduler", "Dask scheduler address", "'nonsense'")
def _(d, out):
    return ["run", str(write_plan(d)), "--scheduler", "nonsense"]


# ---- plan settings: refused while the plan is read, naming the key -----------------------------


def plan_with(d: Path, old: str, new: str) -> list[str]:
    assert old in PLAN
    return ["run", str(write_plan(d, PLAN.replace(old, new)))]


@case("plan_prevalence_two", "consortium.prevalence", "(0, 1)", "2.0", culprit="plan.toml")
def _(d, out):
    return plan_with(d, 'build = "GRCh37"', 'build = "GRCh37"\nprevalence = 2')


@case("plan_threads_zero", "engine.threads", "[1, inf)", "got 0", culprit="plan.toml")
def _(d, out):
    return plan_with(d, "[loci]", "[engine]\nthreads = 0\n\n[loci]")


@case("plan_scheduler_nonsense", "engine.scheduler", "'nonsense'", culprit="plan.toml")
def _(d, out):
    return plan_with(d, "[loci]", '[engine]\nscheduler = "nonsense"\n\n[loci]')


@case("plan_p_zero", "loci.p", "(0, 1]", "got 0.0", culprit="plan.toml")
def _(d, out):
    return plan_with(d, "p = 5e-8", "p = 0")


@case("plan_window_kb_nan", "loci.window_kb", "got nan", culprit="plan.toml")
def _(d, out):
    return plan_with(d, "p = 5e-8", "p = 5e-8\nwindow_kb = nan")


@case("plan_window_kb_negative", "loci.window_kb", "got -1.0", culprit="plan.toml")
def _(d, out):
    return plan_with(d, "p = 5e-8", "p = 5e-8\nwindow_kb = -1")


@case("plan_maf_above_half", "qc.maf", "[0, 0.5]", culprit="plan.toml")
def _(d, out):
    return plan_with(d, "[loci]", "[qc]\nmaf = 0.7\n\n[loci]")


@case("plan_out_is_a_file", "consortium.out", "existing file", culprit="plan.toml")
def _(d, out):
    (d / "results").write_text("not a folder\n")
    return plan_with(d, 'build = "GRCh37"', 'build = "GRCh37"\nout = "results"')


# ---- output locations -----------------------------------------------------------------------


@case("out_is_a_folder", "--out must be a file prefix", "is a folder")
def _(d, out):
    (out / "loci").mkdir()
    return loci(d, out, "--window-kb", "500")


@case("out_folder_missing", "output folder does not exist", "(--out ", culprit="absent")
def _(d, out):
    return ["loci", str(write_ssf(d)), "--out", str(out / "absent" / "loci")]


@case("out_simulate_onto_a_file", "--out must be a folder", "existing file")
def _(d, out):
    (d / "sim").write_text("x\n")
    return ["simulate", "--out", str(d / "sim")]


@case("out_disk_full", "MiB free", "at least", "GWASKIT_MIN_FREE_MB")
def _(d, out):
    os.environ["GWASKIT_MIN_FREE_MB"] = str(1 << 40)  # more than any disk: as if full
    return loci(d, out)


# -- running the cases ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GWASKIT_MIN_FREE_MB", raising=False)
    yield
    os.environ.pop("GWASKIT_MIN_FREE_MB", None)


def _invoke(argv: list[str]) -> int:
    return main([*argv, "--no-progress"])  # returns argparse's refusals too (exit 2)


def _check(err: str, case: Case, out: Path) -> None:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    assert "Traceback" not in err and "internal error" not in lines[0], lines[0]
    for fragment in case.fragments:
        assert fragment in lines[0], f"{fragment!r} not in: {lines[0]}"
    if case.culprit is not None:
        assert case.culprit in lines[0], lines[0]
    left = [p for p in out.rglob("*") if p.name not in ("loci",)]  # the case's own folder
    assert not left, f"output left behind: {left}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli__impossible_option_or_output_one_line_exit_2_nothing_written(case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    argv = case.make(inputs, out)
    code = _invoke(argv)
    captured = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {captured.err}"
    _check(captured.err, case, out)
    assert not (inputs / "results").is_dir()  # a plan's output folder
    assert not list(inputs.glob(".gwaskit-write-check*"))


def test_corpus__has_the_misuse_classes():
    groups = {c.name.split("_")[0] for c in CASES}
    assert groups == {"opt", "plan", "out"}
    assert len(CASES) == 23


def test_check_output__full_disk_found_before_computing(tmp_path, monkeypatch, capsys):
    """A full disk stops `gwaskit loci` before it reads its input: define_loci is never called."""
    import gwaskit.cli.loci
    import gwaskit.io.outputs

    def full(path):
        return type("Usage", (), {"free": 10 << 20, "total": 1 << 30, "used": 1 << 30})()

    def never(*args, **kwargs):
        raise AssertionError("computed despite a full disk")

    monkeypatch.setattr(gwaskit.io.outputs.shutil, "disk_usage", full)
    monkeypatch.setattr(gwaskit.cli.loci, "define_loci", never)
    code = main(["loci", str(write_ssf(tmp_path)), "--out", str(tmp_path / "loci")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "only 10.0 MiB free" in err and "at least 64 MiB" in err
    assert not list(tmp_path.glob("loci*"))


def test_check_output__read_only_folder_found_before_computing(tmp_path, monkeypatch, capsys):
    """A folder where no file can be created (EROFS from the probe) stops the command first."""
    import errno

    import gwaskit.cli.loci
    import gwaskit.io.outputs

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    def never(*args, **kwargs):
        raise AssertionError("computed despite a read-only folder")

    monkeypatch.setattr(gwaskit.io.outputs.tempfile, "mkstemp", read_only)
    monkeypatch.setattr(gwaskit.cli.loci, "define_loci", never)
    code = main(["loci", str(write_ssf(tmp_path)), "--out", str(tmp_path / "loci")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "cannot write here (read-only); choose another folder for --out" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a mode-0555 folder anyway")
def test_check_output__mode_0555_folder_refused(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code = main(["loci", str(write_ssf(tmp_path)), "--out", str(folder / "loci")])
    finally:
        folder.chmod(0o755)
    assert code == 2
    assert "read-only" in capsys.readouterr().err


def test_run__read_only_results_found_before_any_task(tmp_path, monkeypatch, capsys):
    """`gwaskit run`: the output folder is checked before the first task runs."""
    import errno

    import gwaskit.io.outputs
    import gwaskit.pipeline.runner

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    def never(job):
        raise AssertionError("a task ran despite a read-only output folder")

    monkeypatch.setattr(gwaskit.io.outputs.tempfile, "mkstemp", read_only)
    monkeypatch.setattr(gwaskit.pipeline.runner, "_execute_job", never)
    code = main(["run", str(write_plan(tmp_path)), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "results" in err and "(read-only)" in err and "consortium.out" in err


def test_cli_subprocess__threads_zero_exit_2_one_line(tmp_path):
    """The real process: exit 2, one line naming the option, no traceback."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "gwaskit", "loci", str(write_ssf(tmp_path)), "--threads", "0",
         "--out", str(tmp_path / "loci")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--threads" in result.stderr
    assert not list(tmp_path.glob("loci*"))
