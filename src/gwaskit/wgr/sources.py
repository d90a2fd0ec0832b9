"""Genotype sources shared by the block tasks of one WGR run (step 1 or step 2).

A task carries the file's path, not the open source (it must pickle for Dask); in this process
the run registers its open source here for its duration, so tasks do not parse the
``.bim``/``.pvar`` again; a worker process without it opens the file once and keeps it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from gwaskit.io import open_genotypes
from gwaskit.io.genotypes import GenotypeSource

_OPEN: dict[tuple[str, str | None], GenotypeSource] = {}
_LOCK = threading.Lock()


def task_source(path: str, build: str | None) -> GenotypeSource:
    """The registered source of ``path``, or a newly opened one (kept for later tasks)."""
    key = (path, build)
    with _LOCK:
        source = _OPEN.get(key)
    if source is None:
        source = open_genotypes(path, build=build)
        with _LOCK:
            source = _OPEN.setdefault(key, source)
    return source


@contextmanager
def registered(source: GenotypeSource) -> Iterator[str]:
    """Register ``source`` under its path for the duration of a run; yields the path."""
    key = (str(source.path), source.build)
    with _LOCK:
        previous = _OPEN.get(key)
        _OPEN[key] = source
    try:
        yield key[0]
    finally:
        with _LOCK:
            if previous is None:
                _OPEN.pop(key, None)
            else:
                _OPEN[key] = previous
