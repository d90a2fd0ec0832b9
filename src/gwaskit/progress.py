"""Progress bars on stderr (rich), switched off by ``--no-progress`` or when not a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

_ENABLED = True


def set_progress(enabled: bool) -> None:
    """Switch progress bars on or off for this process (the CLI's ``--no-progress``)."""
    global _ENABLED
    _ENABLED = enabled


@contextmanager
def progress_bar(
    total: int, description: str, *, enabled: bool = True
) -> Iterator[Callable[[], None]]:
    """Yield a function that advances a bar of ``total`` steps by one."""
    console = Console(stderr=True)
    if not (enabled and _ENABLED and console.is_terminal) or total <= 1:
        yield lambda: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
