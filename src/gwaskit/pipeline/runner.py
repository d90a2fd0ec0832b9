"""The stage runner: tasks with manifests, skipped when up to date, written atomically.

Each task writes its outputs into a fresh hidden folder beside its final one, then writes
``manifest.json`` there (parameters, input checksums, output checksums, versions) and renames the
folder into place. A task is up to date when its folder holds a manifest whose fingerprint —
stage, parameters, gwaskit version, checksums of the input files and of the outputs of the tasks
it depends on — equals the one it would have now. A kill at any moment therefore leaves either
the old complete result or none, and a rerun redoes exactly what is missing or changed.

The runner only ever replaces folders it made: a task's folder is ``out/STAGE/KEY`` with ``STAGE``
and ``KEY`` plain names (no ``/``, no ``..``), and an existing folder there without a manifest is
refused, never deleted. One run at a time holds ``out/.gwaskit.lock`` (an advisory ``flock``,
released by the operating system if the holder dies); a second run stops at once naming the
holder. Manifests record inputs by file name and checksum, never by path.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gwaskit import __version__
from gwaskit.engine import Engine, LocalEngine
from gwaskit.errors import ParameterError
from gwaskit.io.outputs import check_output

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LOCK = ".gwaskit.lock"
#: A stage or key: it becomes a folder name under ``out``.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Task:
    """One unit of work: a stage applied to one key (a cohort, or ``all``).

    ``run(folder)`` writes the task's outputs into ``folder`` (which exists and is empty); it
    reads the outputs of ``depends`` through :meth:`Runner.folder`.
    """

    stage: str
    key: str
    run: Callable[[Path], None]
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[Path, ...] = ()
    depends: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.stage}/{self.key}"


@dataclass(frozen=True)
class TaskOutcome:
    """What happened to a task in one run: ``ran``, ``skipped`` (up to date) or ``planned``."""

    task: str
    status: str
    seconds: float = 0.0


class Runner:
    """Runs tasks stage by stage under ``out``, skipping those whose manifest is up to date.

    The tasks of one stage do not depend on each other; they run together through ``engine``
    (threads here, or workers of a Dask cluster, which must see ``out`` at the same path).
    """

    def __init__(
        self, out: Path, *, engine: Engine | None = None, out_key: str = "the output folder"
    ) -> None:
        self.out = Path(out).resolve()
        self.out_key = out_key  # what names ``out`` in messages (a plan key, an option)
        self.engine = engine or LocalEngine(1, progress=False)
        self._checksums: dict[tuple[str, int, int], str] = {}

    def folder(self, task_id: str) -> Path:
        """The final output folder of a task (``out/STAGE/KEY``)."""
        return self.out / task_id

    def run(
        self,
        tasks: Sequence[Task],
        *,
        start_from: str | None = None,
        only: str | None = None,
        dry_run: bool = False,
    ) -> list[TaskOutcome]:
        """Run ``tasks`` in order.

        Parameters
        ----------
        start_from
            Redo this stage and every later one even if up to date.
        only
            Run only this stage's tasks; the tasks it depends on must be complete.
        dry_run
            Report what would run, run nothing.
        """
        stages = list(dict.fromkeys(t.stage for t in tasks))
        for name, value in (("start_from", start_from), ("only", only)):
            if value is not None and value not in stages:
                raise ParameterError(f"{name} must be one of {', '.join(stages)}, got {value!r}.")
        forced_from = stages.index(start_from) if start_from else len(stages)
        for task in tasks:
            _task_folder(self.out, task)
        check_output(self.out, option=self.out_key, folder=True)
        self.out.mkdir(parents=True, exist_ok=True)
        with results_lock(self.out):
            for task in tasks:
                _check_owned(_task_folder(self.out, task))
            return self._run(tasks, stages, forced_from, only, dry_run)

    def _run(
        self,
        tasks: Sequence[Task],
        stages: list[str],
        forced_from: int,
        only: str | None,
        dry_run: bool,
    ) -> list[TaskOutcome]:
        outcomes: list[TaskOutcome] = []
        for stage in stages:
            if only is not None and stage != only:
                continue
            due = []
            for task in (t for t in tasks if t.stage == stage):
                fingerprint = self._fingerprint(task)
                forced = stages.index(stage) >= forced_from
                if not forced and self._up_to_date(task, fingerprint):
                    outcomes.append(TaskOutcome(task.id, "skipped"))
                    log.info("%-28s up to date", task.id)
                elif dry_run:
                    outcomes.append(TaskOutcome(task.id, "planned"))
                    log.info("%-28s would run", task.id)
                else:
                    due.append((task, fingerprint))
            if due:
                log.info("%s: running %s", stage, ", ".join(t.key for t, _ in due))
                jobs = [(self.out, task, fp, self._manifest_record(task)) for task, fp in due]
                seconds = self.engine.map(_execute_job, jobs, description=stage)
                for (task, _), took in zip(due, seconds, strict=True):
                    outcomes.append(TaskOutcome(task.id, "ran", took))
                    log.info("%-28s done in %.1f s", task.id, took)
        return outcomes

    def _manifest_record(self, task: Task) -> dict[str, Any]:
        """What the manifest says of a task's inputs (computed here, where the files are read)."""
        return {
            "task": task.id,
            "gwaskit": __version__,
            "params": _jsonable(task.params),
            "inputs": _by_name((p.name, self._checksum(p)) for p in _expand(task.inputs)),
            "depends": {d: self._outputs_digest(d) for d in task.depends},
        }

    def _up_to_date(self, task: Task, fingerprint: str) -> bool:
        manifest = self._read_manifest(task.id)
        if manifest is None or manifest.get("fingerprint") != fingerprint:
            return False
        folder = self.folder(task.id)
        return all((folder / name).is_file() for name in manifest.get("outputs", {}))

    def _fingerprint(self, task: Task) -> str:
        record = self._manifest_record(task)
        return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()

    def _outputs_digest(self, task_id: str) -> str:
        """Digest of a finished task's outputs ('missing' when it has not run)."""
        manifest = self._read_manifest(task_id)
        if manifest is None:
            return "missing"
        return hashlib.sha256(json.dumps(manifest["outputs"], sort_keys=True).encode()).hexdigest()

    def _read_manifest(self, task_id: str) -> dict[str, Any] | None:
        path = self.folder(task_id) / MANIFEST
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def _checksum(self, path: Path) -> str:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self._checksums:
            self._checksums[key] = _sha256(path)
        return self._checksums[key]


def _execute_job(job: tuple[Path, Task, str, dict[str, Any]]) -> float:
    """Run one task into a staging folder, add its manifest, rename it into place.

    A module-level function of picklable arguments, so that a Dask worker can run it.
    Returns the seconds taken.
    """
    out, task, fingerprint, record = job
    began = time.perf_counter()
    final = _check_owned(_task_folder(out, task))
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.with_name(f".{final.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with _final_paths_in_messages(staging, final):
            task.run(staging)
        outputs = {
            str(p.relative_to(staging)): _sha256(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        manifest = {**record, "fingerprint": fingerprint, "outputs": outputs}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        # the old result is moved aside first (atomically: a kill never leaves a half-deleted
        # folder without its manifest), so until the rename no complete-looking folder exists
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return time.perf_counter() - began


class _RenamePath(logging.Filter):
    """Rewrites a path in the messages that pass (the staging folder as the final one)."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old, self.new = old, new

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.old in message:
            record.msg, record.args = message.replace(self.old, self.new), None
        return True


@contextmanager
def _final_paths_in_messages(staging: Path, final: Path) -> Iterator[None]:
    """While a task runs in its staging folder, its messages name the final folder (the
    staging one no longer exists once the task is done: "wrote out/assoc/A/assoc.parquet",
    not ".../.A.partial/assoc.parquet")."""
    rename = _RenamePath(str(staging), str(final))
    handlers = {*logging.getLogger("gwaskit").handlers, *logging.getLogger().handlers}
    for handler in handlers:
        handler.addFilter(rename)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(rename)


def _task_folder(out: Path, task: Task) -> Path:
    """``out/STAGE/KEY``, once ``STAGE`` and ``KEY`` are checked to be plain folder names."""
    for what, name in (("stage", task.stage), ("key", task.key)):
        if not _NAME.fullmatch(name) or ".." in name:
            raise ParameterError(
                f"task {what} must be letters, digits, '_', '-' or '.' (it names a folder under "
                f"the results), got {name!r}."
            )
    return out / task.stage / task.key


def _check_owned(final: Path) -> Path:
    """``final``, if absent or a folder gwaskit wrote (it has a manifest): one it may replace."""
    if final.is_symlink() or (final.exists() and not (final / MANIFEST).is_file()):
        raise ParameterError(
            f"{final} exists but was not written by gwaskit (it has no {MANIFEST}); gwaskit "
            "replaces only its own results: move it away or choose another output folder."
        )
    return final


@contextmanager
def results_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.gwaskit.lock`` for one run; a second run raises a ParameterError naming
    the holder (process, host, user, start time). The lock is an advisory ``flock``: the
    operating system releases it when the holder ends, even on SIGKILL, so no stale lock
    survives a crash."""
    import fcntl

    path = out / LOCK
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ParameterError(
                f"results folder {out} is in use by another gwaskit run ({holder}; lock "
                f"{path}); wait for it to finish or give this plan another out folder."
            ) from None
        _write_holder(handle)
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()  # an idle results folder holds an empty lock file
    finally:
        handle.close()  # closing the file releases the lock


def _write_holder(handle: Any) -> None:
    handle.seek(0)
    handle.truncate()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime())
    handle.write(f"pid {os.getpid()} on {socket.gethostname()}, user {_user()}, since {started}\n")
    handle.flush()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _by_name(pairs: Iterator[tuple[str, str]] | Sequence[tuple[str, str]]) -> dict[str, str]:
    """``{file name: checksum}``; a name seen again gets `` (2)``, `` (3)``, ..."""
    record: dict[str, str] = {}
    for name, checksum in pairs:
        key, number = name, 1
        while key in record:
            number += 1
            key = f"{name} ({number})"
        record[key] = checksum
    return record


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expand(paths: Sequence[Path]) -> list[Path]:
    """Files behind each input: a PLINK prefix stands for its fileset."""
    files = []
    for path in paths:
        if path.is_file():
            files.append(path)
            continue
        for suffixes in ((".bed", ".bim", ".fam"), (".pgen", ".pvar", ".psam")):
            group = [path.with_name(path.name + s) for s in suffixes]
            if group[0].is_file():
                files.extend(p for p in group if p.is_file())
                break
        else:
            raise ParameterError(f"input {str(path)!r} does not exist.")
    return files


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
