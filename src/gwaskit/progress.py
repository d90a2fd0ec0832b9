"""Progress bars on stderr (rich), switched off by ``--no-progress`` or when not a terminal.

A bar shows the stage, the bar itself, steps done of all, the rate (steps per second) and the
time elapsed and remaining, e.g. ``reading ━━━━━━╸━━━━ 12/40 3.1/s 0:00:04 ETA 0:00:09``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

_ENABLED = True


def set_progress(enabled: bool) -> None:
    """Switch progress bars on or off for this process (the CLI's ``--no-progress``)."""
    global _ENABLED
    _ENABLED = enabled


class RateColumn(ProgressColumn):
    """Steps per second, over rich's recent window (``?/s`` until two steps are timed)."""

    def __init__(self, unit: str = "") -> None:
        super().__init__()
        self.unit = f" {unit}" if unit else ""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text(f"?{self.unit}/s", style="progress.data.speed")
        shown = f"{speed:,.0f}" if speed >= 10 else f"{speed:.2g}"
        return Text(f"{shown}{self.unit}/s", style="progress.data.speed")


def progress_columns(unit: str = "") -> tuple[ProgressColumn, ...]:
    """The columns of every gwaskit bar: stage, bar, done/all, rate, elapsed, remaining."""
    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )


@contextmanager
def progress_bar(
    total: int, description: str, *, enabled: bool = True, unit: str = ""
) -> Iterator[Callable[[], None]]:
    """Yield a function that advances a bar of ``total`` steps by one (``unit`` names a step
    in the rate column, e.g. ``"blocks"``)."""
    console = Console(stderr=True)
    if not (enabled and _ENABLED and console.is_terminal) or total <= 1:
        yield lambda: None
        return
    with Progress(*progress_columns(unit), console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
