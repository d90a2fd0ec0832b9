"""Where work runs: threads in this process (:class:`LocalEngine`) or a Dask cluster
(:class:`DaskEngine`).

Both have one method, :meth:`Engine.map`, which applies a pure function to each item and returns
the results *in input order*, with a progress bar. Statistical code only ever calls ``map``; it
never knows which engine it runs on, and only this module imports Dask.

One layer owns parallelism: while a :class:`LocalEngine` runs tasks in several threads, BLAS and
numba inside each task are limited to one thread, so thread pools never fight over the cores.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import CancelledError, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol, TypeVar

from threadpoolctl import threadpool_limits

from gwaskit.errors import GwaskitError, ParameterError
from gwaskit.progress import progress_bar

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    """Applies a function to items and returns the results in order."""

    threads: int

    def map(
        self,
        fn: Callable[..., R],
        items: Iterable[T],
        *,
        description: str = "working",
        context: Any = None,
    ) -> list[R]:
        """``[fn(item) for item in items]``, possibly in parallel, always in input order.

        With ``context`` (an object every task needs, e.g. a scan's genotype file), the calls
        are ``fn(context, item)`` and the context travels once per worker, not once per task.
        """
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
        self,
        fn: Callable[..., R],
        items: Iterable[T],
        *,
        description: str = "working",
        context: Any = None,
    ) -> list[R]:
        items = list(items)
        if context is not None:
            fn = functools.partial(fn, context)
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


class ClusterError(GwaskitError):
    """The Dask cluster cannot run the tasks: every worker is gone, or a task kept killing them."""


class DaskEngine:
    """Runs tasks on a Dask distributed cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    progress
        Show a progress bar on stderr.
    timeout
        How long to wait for the scheduler to answer when connecting.
    worker_timeout
        Seconds the cluster may have no worker at all while tasks wait (every worker died or
        none ever joined) before :meth:`map` gives up with a :class:`ClusterError`; workers
        that rejoin within it pick the tasks up again (Dask resubmits them). Default 120, or
        ``GWASKIT_DASK_WORKER_TIMEOUT`` seconds when that is set.

    Tasks must be pure functions of picklable inputs; files they read must be on storage every
    worker can reach.
    """

    def __init__(
        self,
        scheduler: str,
        *,
        progress: bool = True,
        timeout: str = "20s",
        worker_timeout: float | None = None,
    ) -> None:
        from distributed import Client

        if worker_timeout is None:
            worker_timeout = float(os.environ.get("GWASKIT_DASK_WORKER_TIMEOUT", "120"))
        if not worker_timeout > 0:
            raise ParameterError(f"worker_timeout must be positive, got {worker_timeout!r}.")
        try:
            self._client = Client(scheduler, timeout=timeout)
        except OSError as exc:
            raise ParameterError(
                f"scheduler: could not reach a Dask scheduler at {scheduler!r} ({exc}). "
                "Start one with `dask scheduler` or drop --scheduler to run locally."
            ) from None
        self.scheduler = scheduler
        self.progress = progress
        self.worker_timeout = worker_timeout
        self.threads = sum(self._client.nthreads().values()) or 1

    def map(
        self,
        fn: Callable[..., R],
        items: Iterable[T],
        *,
        description: str = "working",
        context: Any = None,
    ) -> list[R]:
        from distributed import KilledWorker, wait

        items = list(items)
        shared = None
        if context is None:
            futures = self._client.map(fn, items, pure=False)
        else:  # sent to each worker once; released (and dropped there) when the map ends
            shared = self._client.scatter(context, broadcast=True, hash=False)
            futures = self._client.map(fn, [shared] * len(items), items, pure=False)
        pending = set(futures)
        alone_since: float | None = None
        try:
            with progress_bar(len(items), description, enabled=self.progress) as advance:
                while pending:
                    try:
                        done = wait(list(pending), timeout=1.0, return_when="FIRST_COMPLETED").done
                    except TimeoutError:
                        done = set()
                    for _ in done:
                        advance()
                    pending -= done
                    if not pending:
                        break
                    if self._workers():
                        alone_since = None
                    else:
                        alone_since = alone_since or time.monotonic()
                        if time.monotonic() - alone_since > self.worker_timeout:
                            raise ClusterError(
                                f"scheduler {self.scheduler}: no Dask worker for "
                                f"{self.worker_timeout:g} s with {len(pending)} of {len(items)} "
                                f"{description} task(s) waiting (every worker died or none "
                                "joined); start workers (`dask worker ADDRESS`) and rerun."
                            )
            return self._client.gather(futures)
        except CancelledError:  # distributed cancels the futures when it loses the scheduler
            raise ClusterError(
                f"scheduler {self.scheduler}: Dask cancelled the {description} tasks (the "
                "connection to the scheduler was lost); check that it runs, then rerun."
            ) from None
        except KilledWorker as exc:
            raise ClusterError(
                f"scheduler {self.scheduler}: a {description} task was running on every Dask "
                f"worker that died ({exc}); check the workers' memory limit and logs."
            ) from None
        finally:
            self._client.cancel([f for f in futures if not f.done()])
            if shared is not None:
                shared.release()

    def _workers(self) -> int:
        """Workers the scheduler knows now (0 when it does not answer)."""
        try:
            return len(self._client.nthreads())
        except (OSError, TimeoutError):
            return 0

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"DaskEngine(scheduler={self.scheduler!r}, threads={self.threads})"


#: Address schemes of a Dask scheduler.
SCHEDULER_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://")


def check_scheduler(value: str, key: str = "scheduler") -> str:
    """``value`` if it is ``"local"`` or a Dask scheduler address (``tcp://HOST:PORT``,
    ``tls://...``), else a :class:`ParameterError` naming ``key`` (the option or plan key)."""
    if value == "local" or (value.startswith(SCHEDULER_SCHEMES) and value.split("://", 1)[1]):
        return value
    raise ParameterError(
        f"{key} must be 'local' or a Dask scheduler address like 'tcp://127.0.0.1:8786', "
        f"got {value!r}."
    )


def get_engine(
    spec: str | Engine | None = None, *, threads: int | None = None, progress: bool = True
) -> Engine:
    """Resolve ``"local"``, a scheduler address ``"tcp://HOST:PORT"``, ``None`` or an engine."""
    if spec is None or spec == "local":
        return LocalEngine(threads, progress=progress)
    if isinstance(spec, str):
        return DaskEngine(check_scheduler(spec, "engine"), progress=progress)
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
