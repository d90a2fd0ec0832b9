"""The engines return results in input order and agree with each other."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gwaskit.engine import LocalEngine, chunk_ranges, get_engine
from gwaskit.errors import ParameterError


def _slow_square(x: int) -> int:
    time.sleep(0.001 * (10 - x % 10))  # later items finish first
    return x * x


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_local_engine_map__keeps_input_order(threads):
    engine = LocalEngine(threads, progress=False)
    assert engine.map(_slow_square, range(30)) == [x * x for x in range(30)]


def test_local_engine_map__blas_results_identical_across_threads():
    rng = np.random.default_rng(1)
    blocks = [rng.standard_normal((200, 50)) for _ in range(6)]
    one = LocalEngine(1, progress=False).map(lambda a: a.T @ a, blocks)
    two = LocalEngine(2, progress=False).map(lambda a: a.T @ a, blocks)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


def test_local_engine__errors_propagate():
    def fail(x):
        raise RuntimeError(f"boom {x}")

    with pytest.raises(RuntimeError, match="boom"):
        LocalEngine(2, progress=False).map(fail, [1, 2])


def test_get_engine__resolves_and_rejects():
    assert isinstance(get_engine(None, threads=2), LocalEngine)
    assert get_engine("local", threads=3).threads == 3
    with pytest.raises(ParameterError, match="scheduler address"):
        get_engine("cluster-please")
    with pytest.raises(ParameterError, match="at least 1"):
        LocalEngine(0)


def test_chunk_ranges__covers_everything_once():
    ranges = chunk_ranges(10, 3)
    assert [list(r) for r in ranges] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert chunk_ranges(0, 3) == []
