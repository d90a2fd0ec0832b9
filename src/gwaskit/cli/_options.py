"""argparse ``type=`` checkers: an impossible option value is refused while the command line is
parsed, naming the option (argparse prefixes ``argument --NAME:``), before any file is read.

Each checker converts the text and raises :class:`argparse.ArgumentTypeError` with the expected
range; ``nan`` and ``inf`` are refused wherever a finite number is meant.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from gwaskit.engine import check_scheduler
from gwaskit.errors import ParameterError


def _number(text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
        ) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def in_range(
    low: float,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    kind: type = float,
) -> Callable[[str], float]:
    """A checker for numbers in ``[low, high]`` (``low_open``/``high_open``: excluded)."""

    def check(text: str) -> float:
        value = _number(text, kind)
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        if not (above and below):
            lo = f"({low:g}" if low_open else f"[{low:g}"
            hi = f"{high:g})" if high_open or math.isinf(high) else f"{high:g}]"
            raise argparse.ArgumentTypeError(f"must be in {lo}, {hi}, got {text!r}")
        return value

    check.__name__ = kind.__name__  # argparse names the type in its own messages
    return check


#: At least 1 (threads, components, ...).
positive_int = in_range(1, kind=int)
#: A p-value threshold: ``0 < p <= 1``.
probability = in_range(0.0, 1.0, low_open=True)
#: A proportion strictly between 0 and 1 (a prevalence).
proportion = in_range(0.0, 1.0, low_open=True, high_open=True)
#: A window in kilobases: finite and not negative.
window_kb = in_range(0.0, 1e6)
#: A memory budget in gigabytes: finite, not negative (0 keeps nothing in memory).
memory_gb = in_range(0.0)


def scheduler(text: str) -> str:
    """``local`` or a Dask scheduler address (``tcp://HOST:PORT``, ``tls://...``)."""
    try:
        return check_scheduler(text, "--scheduler")
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--scheduler ")) from None
