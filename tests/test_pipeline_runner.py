"""The stage runner: skip when up to date, redo what changed, never leave half-written results."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gwaskit.errors import ParameterError
from gwaskit.pipeline.runner import Runner, Task


def _tasks(source: Path, calls: list[str], *, scale: int = 2) -> tuple[Runner, list[Task]]:
    def double(folder: Path) -> None:
        calls.append("double")
        value = int(source.read_text())
        (folder / "value.txt").write_text(str(value * scale))

    def runner_ref() -> Runner:
        return runner

    def add_one(folder: Path) -> None:
        calls.append("add")
        value = int((runner_ref().folder("double/all") / "value.txt").read_text())
        (folder / "value.txt").write_text(str(value + 1))

    runner = Runner(source.parent / "out")
    return runner, [
        Task("double", "all", double, params={"scale": scale}, inputs=(source,)),
        Task("add", "all", add_one, depends=("double/all",)),
    ]


def test_runner__skips_up_to_date_and_redoes_changed(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("5")
    calls: list[str] = []
    runner, tasks = _tasks(source, calls)
    first = runner.run(tasks)
    assert [o.status for o in first] == ["ran", "ran"]
    assert (runner.folder("add/all") / "value.txt").read_text() == "11"
    second = runner.run(tasks)
    assert [o.status for o in second] == ["skipped", "skipped"]
    source.write_text("6")
    third = runner.run(tasks)
    assert [o.status for o in third] == ["ran", "ran"]
    assert (runner.folder("add/all") / "value.txt").read_text() == "13"
    runner, tasks = _tasks(source, calls, scale=3)
    assert [o.status for o in runner.run(tasks)] == ["ran", "ran"]


def test_runner__unchanged_upstream_output_keeps_downstream(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("5")
    runner, tasks = _tasks(source, [])
    runner.run(tasks)
    runner.run(tasks, only="double", start_from="double")  # same output again
    assert [o.status for o in runner.run(tasks)] == ["skipped", "skipped"]


def test_runner__from_only_and_dry_run(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("5")
    calls: list[str] = []
    runner, tasks = _tasks(source, calls)
    assert [o.status for o in runner.run(tasks, dry_run=True)] == ["planned", "planned"]
    assert calls == []
    runner.run(tasks)
    assert [o.task for o in runner.run(tasks, start_from="add") if o.status == "ran"] == ["add/all"]
    assert [o.task for o in runner.run(tasks, only="double")] == ["double/all"]
    with pytest.raises(ParameterError, match="start_from must be one of double, add"):
        runner.run(tasks, start_from="nope")


def test_runner__manifest_records_inputs_and_outputs(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("5")
    runner, tasks = _tasks(source, [])
    runner.run(tasks)
    manifest = json.loads((runner.folder("double/all") / "manifest.json").read_text())
    assert manifest["params"] == {"scale": 2}
    assert list(manifest["inputs"]) == ["in.txt"]  # a name, never a path
    assert list(manifest["outputs"]) == ["value.txt"]


def test_runner__failed_task_leaves_no_folder(tmp_path):
    def broken(folder: Path) -> None:
        (folder / "half.txt").write_text("half")
        raise RuntimeError("disk full")

    runner = Runner(tmp_path / "out")
    with pytest.raises(RuntimeError):
        runner.run([Task("s", "all", broken)])
    assert list((tmp_path / "out" / "s").iterdir()) == []


SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gwaskit.pipeline.runner import Runner, Task

    def slow(folder):
        for i in range(20):
            (folder / f"part{i}.txt").write_text(str(i))
            time.sleep(0.05)

    Runner(Path(sys.argv[1])).run([Task("slow", "all", slow)])
    """
)


def test_runner__sigkill_then_rerun_completes(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, str(script), str(out)])
    deadline = time.monotonic() + 30
    while not list(out.glob("slow/.*partial/part5.txt")) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "slow" / "all").exists()  # nothing complete-looking
    subprocess.run([sys.executable, str(script), str(out)], check=True)
    assert len(list((out / "slow" / "all").glob("part*.txt"))) == 20
    assert (out / "slow" / "all" / "manifest.json").is_file()
    assert not list(out.glob("slow/.*partial"))
