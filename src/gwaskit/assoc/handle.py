"""The genotype file of one scan, as its block tasks read it: opened once per process, owned and
closed by the scan.

A :class:`GenotypeHandle` wraps the source a scan was given. In the scan's own process the tasks
read that source; a copy sent to another process (a Dask worker: the engine ships it once per
worker, see :meth:`gwaskit.engine.Engine.map`'s ``context``) carries only how to open the file
and opens it at its first read, once for every task of that scan on that worker. The copy, and
the file it opened, go when the scan ends and its engine releases it; no process-wide cache
outlives a scan, so a worker never serves a file that was rewritten since.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

import numpy as np

from gwaskit.io.genotypes import GenotypeSource, Index, open_genotypes


class GenotypeHandle:
    """One scan's genotype source; picklable (a copy reopens the file, see the module docs).

    Parameters
    ----------
    source
        The open source of the scan; it stays its caller's to close.
    """

    def __init__(self, source: GenotypeSource) -> None:
        self._source: GenotypeSource | None = source
        self._owned = False  # whether this handle opened the source (then it closes it)
        self._lock = threading.Lock()
        self._recipe = _reopen_arguments(source)

    @property
    def path(self) -> Path:
        return Path(self._recipe[0])

    def source(self) -> GenotypeSource:
        """The open source (opened here at the first call in another process)."""
        with self._lock:
            if self._source is None:
                path, build, options = self._recipe
                self._source = open_genotypes(path, build=build, **options)
                self._owned = True
            return self._source

    def read(self, variants: Index, sample_index: Index) -> np.ndarray:
        """:meth:`GenotypeSource.read` of the scan's source."""
        return self.source().read(variants, sample_index)

    def read_with_variance(
        self, variants: Index, sample_index: Index
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`GenotypeSource.read_with_variance` of the scan's source (dosages, and the
        genotype variances where the file holds probabilities)."""
        return self.source().read_with_variance(variants, sample_index)

    def close(self) -> None:
        """Close the source if this handle opened it (a caller's source stays open)."""
        with self._lock:
            if self._owned and self._source is not None:
                self._source.close()
            self._source = None if self._owned else self._source
            self._owned = False

    def __getstate__(self) -> dict[str, Any]:
        return {"recipe": self._recipe}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._recipe = state["recipe"]
        self._source = None
        self._owned = False
        self._lock = threading.Lock()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit, modules may be gone
            self.close()

    def __repr__(self) -> str:
        return f"GenotypeHandle({str(self._recipe[0])!r})"


def _reopen_arguments(source: GenotypeSource) -> tuple[str, str | None, dict[str, Any]]:
    """What :func:`open_genotypes` needs to open ``source``'s file again as it was opened."""
    options: dict[str, Any] = {}
    if getattr(source, "field", None) is not None:  # VCF/BCF: the FORMAT field read
        options["field"] = source.field
    if getattr(source, "sample_path", None) is not None:  # BGEN/Oxford: a .sample given
        options["sample"] = str(source.sample_path)
    return str(source.path), source.build, options
