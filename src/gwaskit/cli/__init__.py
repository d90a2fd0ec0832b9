"""The ``gwaskit`` command: one verb per stage of the data flow.

Each verb lives in its own module of this package with two functions, ``add_parser(subparsers)``
and ``run(args) -> int``. A command sets up logging, checks paths, calls one library function
and writes its output. Any :class:`gwaskit.errors.GwaskitError` becomes one red line on stderr
and exit code 2; anything else is an internal error, exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from gwaskit import __version__
from gwaskit.cli import _options
from gwaskit.errors import GwaskitError
from gwaskit.progress import set_progress

#: Verb modules, in the order of the data flow; each defines ``add_parser`` and ``run``.
VERBS = (
    "simulate", "info", "qc", "pca", "wgr", "assoc", "liftover", "meta", "ldsc", "loci", "finemap",
    "coloc",
    "replicate", "annotate", "subtypes", "report", "init", "run",
)  # fmt: skip

EXIT_OK, EXIT_INTERNAL, EXIT_USER = 0, 1, 2


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, with every option's default in its help: ``(default: X)`` added
    where the help does not already state it (an older ``(X)`` at the end is rewritten so)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            not text
            or text == argparse.SUPPRESS
            or not action.option_strings
            or "default" in text.lower()
            or default is None
            or default is False
            or default is argparse.SUPPRESS
            or (isinstance(default, list | tuple) and not default)
            or isinstance(action, argparse._CountAction)  # -v: counts the flags given
        ):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, list | tuple) else str(default)
        stated = re.search(r"\(([^()]*)\)\s*$", text)  # "min minor allele freq. (0.05)"
        if stated and _same_value(stated.group(1), default, shown):
            text = text[: stated.start()].rstrip()
            shown = stated.group(1)  # as the author wrote it (5e-8, not 5e-08)
        return f"{text} (default: {shown.replace('%', '%%')})"


def _same_value(text: str, default: object, shown: str) -> bool:
    """Whether ``text`` states ``default`` (``5e-8`` states 5e-08; ``1000 50 0.1`` a list)."""
    if text == shown:
        return True
    try:
        return float(text) == float(default)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake as one line and exit code 2, and shows the
    default of every option in ``--help`` (:class:`HelpFormatter`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        _print_error(f"{self.prog}: {message} (see `{self.prog} --help`)")
        raise SystemExit(EXIT_USER)


def common_options() -> argparse.ArgumentParser:
    """Options every verb takes: threads, verbosity, progress."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument(
        "--threads",
        type=_options.positive_int,
        default=None,
        metavar="N",
        help="cores to use (default: all)",
    )
    group.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    group.add_argument("-q", "--quiet", action="store_true", help="only errors")
    group.add_argument("--no-progress", action="store_true", help="no progress bars")
    return common


def build_parser(verbs: Sequence[str] = VERBS) -> argparse.ArgumentParser:
    """The parser of ``verbs`` (default all; importing a verb's module can be slow)."""
    parser = _Parser(
        prog="gwaskit",
        description="Genome-wide association studies and their meta-analysis, in one tool.",
    )
    parser.add_argument("--version", action="version", version=f"gwaskit {__version__}")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    subparsers.required = True
    common = common_options()
    for verb in verbs:
        module = importlib.import_module(f"gwaskit.cli.{verb}")
        sub = module.add_parser(subparsers, common)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # only the verb asked for is imported (the others pull in scipy.stats & co.); the full
    # parser when there is no verb, for --help and for the error message of a wrong one
    verb = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser((verb,) if verb in VERBS else VERBS)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage mistake already reported
        return exc.code if isinstance(exc.code, int) else EXIT_USER
    _configure_logging(args.verbose, args.quiet)
    set_progress(not args.no_progress)
    try:
        _check_output(args)
        return _run_recorded(args, argv)
    except GwaskitError as exc:
        _print_error(str(exc))
        return EXIT_USER
    except KeyboardInterrupt:
        _print_error("interrupted.")
        return 130
    except Exception as exc:  # an internal error: say so, show the traceback under -v
        if args.verbose:
            raise
        _print_error(
            f"internal error ({type(exc).__name__}: {exc}). This is a bug in gwaskit; "
            "rerun with -v for the traceback and report it."
        )
        return EXIT_INTERNAL


def run_command() -> None:
    """The ``gwaskit`` command (and ``python -m gwaskit``): :func:`main`, then exit at once.

    Log handlers and the standard streams are flushed, then the process ends without the
    interpreter's teardown, which frees every module and array one by one (0.1-0.4 s after a
    scan) where the operating system frees the memory at once. Everything a command opens is
    closed by the command itself; an exception escaping :func:`main` takes the normal way out,
    and so does a run under a profiler or a coverage tracer (which write their data at exit).
    """
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None or "coverage" in sys.modules:
        raise SystemExit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (`gwaskit ... | head`) or stream has nothing left to flush
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def dispatch(argv: Sequence[str]) -> None:
    """Run one verb in this process for the pipeline; a user's mistake propagates as a
    :class:`GwaskitError` (the caller reports it once), anything else as itself."""
    args = build_parser().parse_args(list(argv))
    code = int(args.run(args) or EXIT_OK)
    if code != EXIT_OK:
        raise RuntimeError(f"gwaskit {args.verb} ended with exit code {code}")


def _run_recorded(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the verb with its provenance current (its outputs' sidecars carry it); on success,
    write ``PREFIX.log`` beside the outputs (:mod:`gwaskit.cli._runlog`)."""
    from gwaskit.cli._runlog import log_path, recorded_run

    if log_path(args) is None:  # info, init, run: no output prefix (run's tasks keep manifests)
        return int(args.run(args) or EXIT_OK)
    with contextlib.contextmanager(recorded_run)(args, argv) as run:
        code = int(args.run(args) or EXIT_OK)
        if code == EXIT_OK:
            run.write()
    return code


def _check_output(args: argparse.Namespace) -> None:
    """A verb's ``--out`` must be writable, with room, before it computes anything (the
    pipeline checks its output folder itself, once, before its first task)."""
    out = getattr(args, "out", None)
    if out is None:
        return
    from gwaskit.io.outputs import check_output

    check_output(out, option="--out", folder=args.verb == "simulate")


class _StderrHandler(logging.StreamHandler):
    """Writes each record to the ``sys.stderr`` of the moment (not the one current when the
    handler was made, which a caller such as a test harness may have closed since)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Messages of gwaskit's own loggers to standard error, one plain line each; other
    libraries' informational messages only with ``-vv`` (their warnings still reach standard
    error through Python's last-resort handler)."""
    level = logging.ERROR if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    ours = logging.getLogger("gwaskit")
    ours.handlers = [handler]
    ours.setLevel(level)
    ours.propagate = False
    if verbose > 1:
        logging.basicConfig(level=level, handlers=[handler], force=True)


def _print_error(message: str) -> None:
    from rich.markup import escape

    # one line, whatever a library's message held; escaped: a message quoting "[loci]" or
    # "[[cohort]]" must not be read as rich markup
    message = " ".join(message.split())
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {escape(message)}", markup=True
    )
