"""DaskEngine when the cluster fails: every worker dies mid-task, or none ever joins.

A real scheduler and worker run as processes on loopback; the engine must give up with one
clear :class:`ClusterError` within its ``worker_timeout`` (here 3 s), not wait forever.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from gwaskit.engine import ClusterError, DaskEngine
from test_engine_dask import _free_port

pytestmark = pytest.mark.slow


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def lone_scheduler() -> Iterator[str]:
    """A scheduler with no worker."""
    port = _free_port()
    process = _start(
        ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0"]
    )  # fmt: skip
    time.sleep(1.0)
    try:
        yield f"tcp://127.0.0.1:{port}"
    finally:
        _stop(process)


def _worker(address: str) -> subprocess.Popen:
    return _start(
        ["distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
         "--dashboard-address", ":0"]
    )  # fmt: skip


def test_dask_engine_map__all_workers_die_gives_cluster_error_in_bounded_time(lone_scheduler):
    worker = _worker(lone_scheduler)
    engine = DaskEngine(lone_scheduler, progress=False, worker_timeout=3)
    killer = None
    try:
        deadline = time.monotonic() + 30
        while not engine._client.nthreads() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(engine._client.nthreads()) == 1
        # kill the only worker while it runs the first of two 60 s tasks
        killer = _Killer(worker, after=1.5)
        began = time.monotonic()
        with pytest.raises(ClusterError, match=r"no Dask worker for 3 s with 2 of 2 .* waiting"):
            engine.map(time.sleep, [60, 60], description="sleep")
        took = time.monotonic() - began
    finally:
        if killer is not None:
            killer.join()
        engine.close()
        _stop(worker)
    assert 3 < took < 20  # the timeout (3 s) after the death (1.5 s), not the tasks' 60 s


def test_dask_engine_map__scheduler_killed_gives_cluster_error():
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start(
        ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0"]
    )  # fmt: skip
    time.sleep(1.0)
    worker = _worker(address)
    engine = DaskEngine(address, progress=False, worker_timeout=3)
    killer = _Killer(scheduler, after=1.5)
    try:
        began = time.monotonic()
        with pytest.raises(ClusterError, match="connection to the scheduler was lost"):
            engine.map(time.sleep, [60, 60], description="sleep")
        assert time.monotonic() - began < 20
    finally:
        killer.join()
        engine.close()
        _stop(worker)
        _stop(scheduler)


def test_dask_engine_map__no_worker_ever_gives_cluster_error(lone_scheduler):
    engine = DaskEngine(lone_scheduler, progress=False, worker_timeout=2)
    try:
        began = time.monotonic()
        with pytest.raises(ClusterError, match="every worker died or none joined"):
            engine.map(abs, [-1, -2, -3], description="abs")
        assert time.monotonic() - began < 15
    finally:
        engine.close()


class _Killer:
    """Kills a process after ``after`` seconds, from a thread."""

    def __init__(self, process: subprocess.Popen, *, after: float) -> None:
        import threading

        self._thread = threading.Thread(target=self._run, args=(process, after), daemon=True)
        self._thread.start()

    @staticmethod
    def _run(process: subprocess.Popen, after: float) -> None:
        time.sleep(after)
        process.kill()
        process.wait()

    def join(self) -> None:
        self._thread.join()
