"""A verb's run, recorded: its provenance made current for the outputs it writes
(:mod:`gwaskit.provenance`) and ``PREFIX.log`` written beside them, as plink writes one.

``PREFIX.log`` holds the command line as typed, the start time, the input files with their
SHA-256, every message the run printed, the output files (final names, never temporary ones),
the end time, and the provenance record (YAML) that the outputs' sidecars carry. It is written
when the verb succeeds; a failed run leaves no output, the log included.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shlex
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from gwaskit import __version__
from gwaskit.errors import InputError
from gwaskit.io.tables import atomic_path
from gwaskit.provenance import UNRECORDED_OPTIONS, now, path_name, provenance_record, recording

#: Files beside a PLINK prefix, read with it.
_FILESETS = {".bed": (".bed", ".bim", ".fam"), ".pgen": (".pgen", ".pvar", ".psam")}
#: Command-line options that take a value and are not recorded (see UNRECORDED_OPTIONS).
_VALUED = frozenset({"--threads", "--scheduler", "--out", "--memory-gb"})
_FLAGS = frozenset({"-v", "-vv", "-vvv", "--verbose", "-q", "--quiet", "--no-progress"})


def log_path(args: argparse.Namespace) -> Path | None:
    """Where a verb's log goes: ``PREFIX.log``; ``NAME.log`` beside an ``--out NAME.html``;
    ``DIR/VERB.log`` for an output folder; ``None`` for a verb without ``--out``."""
    out = getattr(args, "out", None)
    if out is None:
        return None
    out = Path(out)
    if args.verb == "simulate":
        return out / "simulate.log"
    if out.suffix.lower() in (".html", ".htm"):
        return out.with_suffix(".log")
    return out.with_name(out.name + ".log")


def recorded_command(argv: Sequence[str]) -> list[str]:
    """``argv`` without the options that cannot change a result, paths by file name."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        option = arg.split("=", 1)[0]
        if option in _VALUED:
            skip = "=" not in arg
            continue
        if arg in _FLAGS:
            continue
        out.append(path_name(arg))
    return ["gwaskit", *out]


def recorded_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The options of the run, by name, as recorded (paths by file name)."""
    return {
        key: path_name(value)
        for key, value in sorted(vars(args).items())
        if key not in UNRECORDED_OPTIONS and not callable(value)
    }


def input_files(args: argparse.Namespace) -> list[Path]:
    """The existing files the options name (a PLINK prefix standing for its fileset; a
    ``NAME=PATH`` value for its path), in option order, each once; the outputs excluded."""
    found: list[Path] = []
    for key, value in vars(args).items():
        if key in UNRECORDED_OPTIONS:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            found += _files_of(item)
    return list(dict.fromkeys(found))


def _files_of(value: Any) -> list[Path]:
    if not isinstance(value, str | Path) or not str(value):
        return []
    text = str(value)
    candidates = [text]
    if "=" in text:
        candidates.append(text.split("=", 1)[1])
    for candidate in candidates:
        path = Path(candidate)
        try:
            if path.is_file():
                stem = path.with_suffix("")
                group = _FILESETS.get(path.suffix.lower())
                if group:
                    return [p for s in group if (p := stem.with_suffix(s)).is_file()]
                return [path]
            for group in _FILESETS.values():
                files = [path.with_name(path.name + s) for s in group]
                if files[0].is_file():
                    return [p for p in files if p.is_file()]
        except OSError:  # a name too long for the file system: not a file
            continue
    return []


class _Capture(logging.Handler):
    """Keeps the messages of the run, as printed."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        self.lines.append(prefix + self.format(record))


class RunLog:
    """The facts of one verb's run, gathered by :func:`recorded_run`."""

    def __init__(self, args: argparse.Namespace, argv: Sequence[str]) -> None:
        self.path = log_path(args)
        self.typed = ["gwaskit", *argv]
        self.started = now()
        self.began = time.time()
        self.checksums = _Checksums(input_files(args))
        self.parameters = recorded_parameters(args)
        self.command = recorded_command(argv)
        self.capture = _Capture()

    def outputs(self) -> list[Path]:
        """The files the run wrote: those named after its prefix (in its output folder) that
        changed since it began; temporaries and the log itself excluded."""
        if self.path is None:
            return []
        folder = self.path.parent
        stem = "" if self.path.name == "simulate.log" else self.path.name.removesuffix(".log")
        return sorted(
            p
            for p in folder.iterdir()
            if p.is_file()
            and p.name.startswith(stem)
            and not p.name.startswith(".")
            and p != self.path
            and p.stat().st_mtime >= self.began - 1
        )

    def write(self) -> Path | None:
        if self.path is None or not self.path.parent.is_dir():
            return None
        ended = now()
        inputs = self.checksums.result()
        record = provenance_record(
            parameters=self.parameters,
            inputs=inputs,
            command_line=self.command,
            started=self.started,
            ended=ended,
        )
        lines = [
            f"gwaskit {__version__}",
            f"Start time: {self.started}",
            f"Command line: {shlex.join(self.typed)}",
            "",
            "Inputs:",
            *(
                f"  {r['file']}  {r.get('bytes', '?')} bytes  sha256 {r.get('sha256', '?')}"
                for r in inputs
            ),
            "",
            "Messages:",
            *(f"  {line}" for line in self.capture.lines),
            "",
            "Outputs:",
            *(f"  {p}" for p in self.outputs()),
            "",
            f"End time: {ended}",
            "",
            "Provenance:",
            yaml.safe_dump(record, sort_keys=False).rstrip(),
            "",
        ]
        with atomic_path(self.path) as tmp:
            tmp.write_text("\n".join(lines))
        return self.path


def recorded_run(args: argparse.Namespace, argv: Sequence[str]) -> Iterator[RunLog]:
    """Run-time context of a verb (a generator for :func:`contextlib.contextmanager`)."""
    run = RunLog(args, argv)
    ours = logging.getLogger("gwaskit")
    ours.addHandler(run.capture)
    try:
        with recording(
            parameters=run.parameters,
            inputs=run.checksums.result,
            command_line=run.command,
            started=run.started,
        ):
            yield run
    finally:
        ours.removeHandler(run.capture)
        run.checksums.stop()


class _Checksums:
    """The SHA-256 of the input files, streamed in a background thread while the verb works
    (hashlib leaves the GIL for large blocks, so hashing a large genotype file overlaps the
    verb's own reading); :meth:`result` waits for them, :meth:`stop` abandons them (a failed
    verb does not wait for a checksum it will not write)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self._stop = threading.Event()
        self._done = threading.Event()
        self._records: list[dict[str, Any]] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(list(paths),), name="gwaskit-checksums", daemon=True
        )
        self._thread.start()

    def _run(self, paths: list[Path]) -> None:
        path = None
        try:
            for path in paths:
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    while block := handle.read(1 << 20):
                        if self._stop.is_set():
                            return
                        digest.update(block)
                self._records.append(
                    {"file": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}
                )
        except OSError as exc:  # raised by result(), in the verb's thread
            reason = (exc.strerror or type(exc).__name__).lower()
            self._error = InputError(path or "?", f"cannot be read for its checksum ({reason}).")
        finally:
            self._done.set()

    def result(self) -> list[dict[str, Any]]:
        """``{"file", "bytes", "sha256"}`` per input, in order (waits for the thread)."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return list(self._records)

    def stop(self) -> None:
        self._stop.set()
