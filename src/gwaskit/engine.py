"""Where work runs: threads in this process (:class:`LocalEngine`) or a Dask cluster
(:class:`DaskEngine`).

Both have one method, :meth:`Engine.map`, which applies a pure function to each item and returns
the results *in input order*, with a progress bar. Statistical code only ever calls ``map``; it
never knows which engine it runs on, and only this module imports Dask.

One layer owns parallelism: while a :class:`LocalEngine` runs tasks in several threads, BLAS and
numba inside each task are limited to one thread, so thread pools never fight over the cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol, TypeVar

from threadpoolctl import threadpool_limits

from gwaskit.errors import ParameterError
from gwaskit.progress import progress_bar

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    """Applies a function to items and returns the results in order."""

    threads: int

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], *, description: str = "working"
    ) -> list[R]:
        """``[fn(item) for item in items]``, possibly in parallel, always in input order."""
        ...


def default_threads() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class LocalEngine:
    """Runs tasks in a thread pool in this process.

    Parameters
    ----------
    threads
        Worker threads; ``None`` means every available core. With one thread, tasks run inline
        and BLAS keeps its own threading.
    progress
        Show a progress bar on stderr.
    """

    def __init__(self, threads: int | None = None, *, progress: bool = True) -> None:
        if threads is not None and threads < 1:
            raise ParameterError(f"threads must be at least 1, got {threads!r}.")
        self.threads = threads or default_threads()
        self.progress = progress

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], *, description: str = "working"
    ) -> list[R]:
        items = list(items)
        with progress_bar(len(items), description, enabled=self.progress) as advance:
            if self.threads == 1 or len(items) <= 1:
                results = []
                for item in items:
                    results.append(fn(item))
                    advance()
                return results
            with _one_blas_thread(), ThreadPoolExecutor(self.threads) as pool:
                futures = [pool.submit(fn, item) for item in items]
                results = []
                for future in futures:
                    results.append(future.result())
                    advance()
                return results

    def __repr__(self) -> str:
        return f"LocalEngine(threads={self.threads})"


class DaskEngine:
    """Runs tasks on a Dask distributed cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    progress
        Show a progress bar on stderr.

    Tasks must be pure functions of picklable inputs; files they read must be on storage every
    worker can reach.
    """

    def __init__(self, scheduler: str, *, progress: bool = True, timeout: str = "20s") -> None:
        from distributed import Client

        try:
            self._client = Client(scheduler, timeout=timeout)
        except OSError as exc:
            raise ParameterError(
                f"scheduler: could not reach a Dask scheduler at {scheduler!r} ({exc}). "
                "Start one with `dask scheduler` or drop --scheduler to run locally."
            ) from None
        self.scheduler = scheduler
        self.progress = progress
        self.threads = sum(self._client.nthreads().values()) or 1

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], *, description: str = "working"
    ) -> list[R]:
        from distributed import as_completed

        items = list(items)
        futures = self._client.map(fn, items, pure=False)
        with progress_bar(len(items), description, enabled=self.progress) as advance:
            for _ in as_completed(futures):
                advance()
        return self._client.gather(futures)

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"DaskEngine(scheduler={self.scheduler!r}, threads={self.threads})"


def get_engine(
    spec: str | Engine | None = None, *, threads: int | None = None, progress: bool = True
) -> Engine:
    """Resolve ``"local"``, a scheduler address ``"tcp://HOST:PORT"``, ``None`` or an engine."""
    if spec is None or spec == "local":
        return LocalEngine(threads, progress=progress)
    if isinstance(spec, str):
        if spec.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            return DaskEngine(spec, progress=progress)
        raise ParameterError(
            f"engine must be 'local' or a scheduler address like 'tcp://HOST:8786', got {spec!r}."
        )
    return spec


@contextmanager
def opened_engine(
    spec: str | Engine | None = None, *, threads: int | None = None, progress: bool = True
) -> Iterator[Engine]:
    """:func:`get_engine`, closed on leaving when it was made here (a Dask client it opened);
    an engine passed in stays open for its owner."""
    engine = get_engine(spec, threads=threads, progress=progress)
    try:
        yield engine
    finally:
        if engine is not spec and isinstance(engine, DaskEngine):
            engine.close()


def _one_blas_thread() -> AbstractContextManager[Any]:
    """Limit BLAS/OpenMP pools to one thread while our own threads run tasks."""
    try:
        return threadpool_limits(limits=1)
    except Exception:  # threadpoolctl cannot introspect an exotic BLAS: run as is
        return nullcontext()


def chunk_ranges(n: int, size: int) -> Sequence[range]:
    """Split ``range(n)`` into consecutive ranges of at most ``size`` items."""
    if size < 1:
        raise ParameterError(f"size must be at least 1, got {size!r}.")
    return [range(start, min(start + size, n)) for start in range(0, n, size)]
