"""`gwaskit run` under misuse: hostile names, an output folder over the inputs, a folder that is
not gwaskit's, two runs of one plan at once.

A workspace holds a plan, its input under ``sumstats/A/``, a bystander folder beside the
project and the results of an earlier good run. Every hostile plan must be refused at parse time
(exit 2, one line naming the plan key) and leave every file of the workspace byte-identical,
checked by SHA-256 of each file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gwaskit.cli import main
from gwaskit.errors import ParameterError
from gwaskit.pipeline.runner import Runner, Task
from test_bad_inputs import write_ssf

REPO = Path(__file__).resolve().parents[1]

PLAN = """\
[consortium]
name = "test"
build = "GRCh37"
out = {out}

[[cohort]]
name = {name}
sumstats = "sumstats/A/a.tsv"
"""


def _plan(project: Path, *, name: str = '"A"', out: str = '"results"') -> Path:
    path = project / "plan.toml"
    path.write_text(PLAN.format(name=name, out=out))
    return path


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def good_workspace(tmp_path_factory) -> Path:
    """``ws/project`` (plan, input, results of a good run) and ``ws/x`` (a bystander)."""
    ws = tmp_path_factory.mktemp("ws")
    project = ws / "project"
    (project / "sumstats" / "A").mkdir(parents=True)
    write_ssf(project / "sumstats" / "A", name="a.tsv")
    (ws / "x").mkdir()
    (ws / "x" / "keep.txt").write_text("a bystander's file\n")
    assert main(["run", str(_plan(project)), "--no-progress", "-q"]) == 0
    assert (project / "results" / "sumstats" / "A" / "manifest.json").is_file()
    return ws


@pytest.fixture
def workspace(good_workspace, tmp_path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(good_workspace, ws)
    return ws


def _run_refused(plan: Path, capsys) -> str:
    code = main(["run", str(plan), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "plan.toml" in lines[0]
    return lines[0]


HOSTILE_NAMES = ["../../x", "..", ".", "a/b", "=", "", "A=B", "/etc", "x/../../..", "..a", "A\\b"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_run__hostile_cohort_name_refused_nothing_touched(workspace, name, capsys):
    project = workspace / "project"
    before = _hashes(workspace)
    assert len(before) >= 20  # plan, input + sidecar, bystander, the earlier run's results
    plan = _plan(project, name=f"'{name}'")
    before["project/plan.toml"] = hashlib.sha256(plan.read_bytes()).hexdigest()
    message = _run_refused(plan, capsys)
    assert "cohort[0].name" in message and repr(name) in message
    assert _hashes(workspace) == before  # every file, inside and outside results/


def test_run__cohort_names_differing_in_case_only_refused(workspace, capsys):
    project = workspace / "project"
    plan = _plan(project)
    plan.write_text(plan.read_text() + '\n[[cohort]]\nname = "a"\nsumstats = "sumstats/A/a.tsv"\n')
    assert "used more than once" in _run_refused(plan, capsys)


@pytest.mark.parametrize(
    ("out", "fragment"),
    [
        ('"."', "would hold the input 'plan.toml'"),
        ('"sumstats"', "would hold the input 'a.tsv'"),
        ('"sumstats/A"', "would hold the input 'a.tsv'"),
        ('".."', "would hold the input"),
        ('"/"', "would hold the input"),
        ('""', "must name a folder"),
        ('"sumstats/A/a.tsv"', "is an existing file"),
    ],
)
def test_run__output_folder_over_inputs_refused_nothing_touched(workspace, out, fragment, capsys):
    project = workspace / "project"
    plan = _plan(project, out=out)
    before = _hashes(workspace)
    message = _run_refused(plan, capsys)
    assert "consortium.out" in message and fragment in message
    assert _hashes(workspace) == before


def test_runner__folder_not_written_by_gwaskit_is_refused_not_deleted(workspace):
    results = workspace / "project" / "results"
    mine = results / "s" / "all"
    mine.mkdir(parents=True)
    (mine / "thesis.txt").write_text("not gwaskit's\n")
    before = _hashes(workspace)
    ran = []
    task = Task("s", "all", lambda folder: ran.append(folder))
    with pytest.raises(ParameterError, match="not written by gwaskit"):
        Runner(results).run([task])
    assert ran == [] and _hashes(workspace) == before


@pytest.mark.parametrize("key", ["../x", "..", "a/b", "", "/abs"])
def test_runner__task_key_that_is_not_a_plain_name_is_refused(tmp_path, key):
    with pytest.raises(ParameterError, match="task key must be letters"):
        Runner(tmp_path / "out").run([Task("s", key, lambda folder: None)])
    assert not (tmp_path / "out").exists()


def test_run__second_concurrent_run_exits_2_naming_the_lock_first_completes_identically(
    workspace, capsys, monkeypatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    project = workspace / "project"
    results = project / "results"
    shutil.rmtree(results)
    plan = _plan(project)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    first = subprocess.Popen(
        [sys.executable, "-m", "gwaskit", "run", str(plan), "--no-progress", "-q"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = results / ".gwaskit.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if lock.is_file() and f"pid {first.pid}" in lock.read_text():
            break
        time.sleep(0.005)
    else:
        pytest.fail("the first run never took the lock")
    code = main(["run", str(plan), "--no-progress"])
    err = capsys.readouterr().err
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert code == 2, err
    line = next(line for line in err.splitlines() if line.startswith("error:"))
    assert "in use by another gwaskit run" in line and f"pid {first.pid}" in line
    assert ".gwaskit.lock" in line
    concurrent = {k: v for k, v in _hashes(results).items()}
    assert lock.read_text() == ""  # released and emptied by the first run
    shutil.rmtree(results)
    assert main(["run", str(plan), "--no-progress", "-q"]) == 0  # alone
    alone = _hashes(results)
    assert len(alone) >= 20
    assert concurrent == alone
