"""Small file helpers shared by ``gwaskit qc`` and ``gwaskit pca``: PLINK-style sample and
variant lists (phenotypes are read by :func:`gwaskit.io.phenotypes.load_phenotypes`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.compression import read_text
from gwaskit.io.tables import atomic_path


def write_sample_list(samples: pl.DataFrame, path: Path) -> Path:
    """``FID<tab>IID`` per line, no header (PLINK ``--keep`` / ``--remove``)."""
    with atomic_path(path) as tmp:
        tmp.write_text("".join(f"{f}\t{i}\n" for f, i in samples.select("fid", "iid").iter_rows()))
    return path


def write_variant_list(ids: list[str], path: Path) -> Path:
    """One variant ID per line (PLINK ``--extract`` / ``--exclude``)."""
    with atomic_path(path) as tmp:
        tmp.write_text("".join(f"{v}\n" for v in ids))
    return path


def read_sample_list(path: str | Path, samples: pl.DataFrame) -> np.ndarray:
    """Indices of the ``samples`` listed in a PLINK ``--keep`` file (FID IID, or IID alone)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "sample list not found.")
    wanted: set[tuple[str, ...]] = set()
    one_column = False
    text = read_text(path, "a sample list (FID IID, or IID, per line)")
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0] in ("#FID", "FID", "#IID", "IID"):
            continue
        if len(fields) == 1:
            one_column = True
            wanted.add((fields[0],))
        elif len(fields) >= 2:
            wanted.add((fields[0], fields[1]))
        else:  # pragma: no cover - split() never returns an empty list here
            raise InputError(path, "expected FID IID.", line=number)
    keys = (
        [(i,) for i in samples["iid"]]
        if one_column
        else list(zip(samples["fid"], samples["iid"], strict=True))
    )
    index = np.array([k in wanted for k in keys])
    if not index.any():
        raise InputError(path, "none of the listed samples is in the genotype file.")
    return np.flatnonzero(index)


def read_variant_list(path: str | Path, variants: pl.DataFrame) -> np.ndarray:
    """Boolean mask of the ``variants`` whose ID is listed (first column) in ``path``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "variant list not found.")
    text = read_text(path, "a variant list (one ID per line)")
    ids = {line.split()[0] for line in text.splitlines() if line.strip()}
    mask = variants["variant_id"].is_in(list(ids)).to_numpy()
    if not mask.any():
        raise InputError(path, "none of the listed variants is in the genotype file.")
    return mask
