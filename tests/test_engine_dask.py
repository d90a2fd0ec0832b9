"""DaskEngine on a real cluster: a `dask scheduler` and two `dask worker` processes on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
import pytest

from gwaskit.engine import DaskEngine, LocalEngine, get_engine
from gwaskit.errors import ParameterError
from gwaskit.stats import neg_log10_p_from_z


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A scheduler and two single-threaded workers, as separate processes."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    base = [sys.executable, "-m"]
    processes = [
        subprocess.Popen(
            [*base, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--dashboard-address", ":0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    time.sleep(1.0)
    for _ in range(2):
        processes.append(
            subprocess.Popen(
                [*base, "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--no-nanny", "--dashboard-address", ":0"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
    try:
        yield address
    finally:
        for process in processes[::-1]:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_dask_engine_map__same_results_as_local_in_order(scheduler):
    rng = np.random.default_rng(3)
    blocks = [rng.standard_normal(1000) * 10 for _ in range(12)]
    engine = get_engine(scheduler, progress=False)
    try:
        assert isinstance(engine, DaskEngine)
        deadline = time.monotonic() + 30
        while engine._client.nthreads() and len(engine._client.nthreads()) < 2:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        remote = engine.map(neg_log10_p_from_z, blocks)
        workers = engine._client.nthreads()
    finally:
        engine.close()
    local = LocalEngine(2, progress=False).map(neg_log10_p_from_z, blocks)
    assert len(workers) == 2
    for a, b in zip(remote, local, strict=True):
        np.testing.assert_array_equal(a, b)


def test_dask_engine__unreachable_scheduler_is_a_parameter_error():
    with pytest.raises(ParameterError, match="could not reach a Dask scheduler"):
        DaskEngine(f"tcp://127.0.0.1:{_free_port()}", progress=False, timeout="2s")
