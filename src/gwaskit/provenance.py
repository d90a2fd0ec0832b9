"""Provenance: what made an output (software versions, parameters, input checksums, command
line, start and end time), one record with the same keys for every verb.

:func:`provenance_record` builds the record; it takes its facts as arguments (the command line
layer reads the input files and measures their checksums). While a verb runs, the command line
makes its record *current* (:func:`recording`), and every table written with metadata carries
it under the key ``provenance`` (:func:`gwaskit.io.tables.write_table`: the YAML sidecar and
the Parquet footer), as tskit records provenance in every tree sequence.

Times are UTC, ISO 8601, to the second; when ``SOURCE_DATE_EPOCH`` is set (reproducible builds)
both are that moment, so that identical runs give identical bytes. Paths are recorded by file
name only (never the site's folder layout, which a shared sidecar must not reveal), and the
options that cannot change a result (threads, verbosity, progress bars, the Dask scheduler,
the output prefix) are left out of ``parameters`` and ``command_line``, so that the same
inputs and parameters still give the same bytes; ``PREFIX.log`` keeps the command as typed.

>>> record = provenance_record(
...     parameters={"maf": 0.01}, inputs=[], command_line=["gwaskit", "assoc"],
...     started="2026-01-01T00:00:00Z", ended="2026-01-01T00:00:05Z")
>>> list(record) == list(PROVENANCE_KEYS)
True
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from gwaskit import __version__

__all__ = [
    "PROVENANCE_KEYS",
    "UNRECORDED_OPTIONS",
    "current_record",
    "dependency_versions",
    "now",
    "provenance_record",
    "recording",
]

#: The keys of every provenance record, in order.
PROVENANCE_KEYS = (
    "gwaskit_version",
    "software",
    "parameters",
    "inputs",
    "command_line",
    "started",
    "ended",
)
#: Options that do not change a result (``out``: where, not what): not recorded in
#: ``parameters`` nor ``command_line``.
UNRECORDED_OPTIONS = frozenset(
    {"threads", "verbose", "quiet", "no_progress", "scheduler", "run", "out", "memory_gb"}
)
#: The libraries whose versions are recorded (those that compute or write results).
DEPENDENCIES = ("numpy", "scipy", "numba", "polars", "pyarrow")


def dependency_versions() -> dict[str, str]:
    """``{name: version}`` of Python and of :data:`DEPENDENCIES` (``"absent"`` if missing)."""
    out = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def now() -> str:
    """The current time, UTC, ISO 8601 to the second (``SOURCE_DATE_EPOCH`` when set)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        moment = _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    else:
        moment = _dt.datetime.now(_dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def provenance_record(
    *,
    parameters: Mapping[str, Any],
    inputs: Sequence[Mapping[str, Any]],
    command_line: Sequence[str],
    started: str,
    ended: str | None = None,
) -> dict[str, Any]:
    """The provenance record of a run, with the keys :data:`PROVENANCE_KEYS`.

    Parameters
    ----------
    parameters
        The options of the run, by name (plain values: numbers, strings, lists).
    inputs
        One ``{"file", "bytes", "sha256"}`` mapping per input file
        (:func:`gwaskit.io.outputs.file_record`).
    command_line
        The command, one argument per item.
    started, ended
        ISO 8601 UTC times (:func:`now`); ``ended`` defaults to now.
    """
    return {
        "gwaskit_version": __version__,
        "software": {"gwaskit": __version__, **dependency_versions()},
        "parameters": dict(parameters),
        "inputs": [dict(record) for record in inputs],
        "command_line": " ".join(command_line),
        "started": started,
        "ended": now() if ended is None else ended,
    }


_LOCK = threading.Lock()
_CURRENT: dict[str, Any] | None = None


@contextmanager
def recording(
    *,
    parameters: Mapping[str, Any],
    inputs: Sequence[Mapping[str, Any]] | Callable[[], Sequence[Mapping[str, Any]]],
    command_line: Sequence[str],
    started: str | None = None,
) -> Iterator[None]:
    """Make the run's facts current for the block: :func:`current_record` returns its record
    (ended = the moment it is asked for) to the writers of outputs, in any thread. ``inputs``
    may be a function, called when a record is made (checksums still being computed)."""
    global _CURRENT
    facts = {
        "parameters": dict(parameters),
        "inputs": inputs if callable(inputs) else list(inputs),
        "command_line": list(command_line),
        "started": started or now(),
    }
    with _LOCK:
        previous, _CURRENT = _CURRENT, facts
    try:
        yield
    finally:
        with _LOCK:
            _CURRENT = previous


def current_record() -> dict[str, Any] | None:
    """The provenance record of the run in progress (:func:`recording`), or ``None``."""
    with _LOCK:
        facts = _CURRENT
    if facts is None:
        return None
    inputs = facts["inputs"]
    return provenance_record(**{**facts, "inputs": inputs() if callable(inputs) else inputs})


def path_name(value: Any) -> Any:
    """A value as recorded: a path (or ``NAME=PATH``) by its file name, lists item by item."""
    if isinstance(value, list | tuple):
        return [path_name(v) for v in value]
    if isinstance(value, Path):
        return value.name
    if isinstance(value, str) and ("/" in value or os.sep in value):
        name, sep, rest = value.partition("=")
        if sep and "/" not in name:
            return f"{name}={Path(rest).name}"
        return Path(value).name
    return value
