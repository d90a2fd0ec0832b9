"""Small file helpers shared by ``gwaskit qc`` and ``gwaskit pca``: PLINK-style sample and
variant lists (phenotypes are read by :func:`gwaskit.io.phenotypes.load_phenotypes`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.compression import is_parquet, read_text
from gwaskit.io.tables import atomic_path, read_table


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
    """Indices of the ``samples`` listed in a PLINK ``--keep`` file (FID IID, or IID alone), or
    in the ``fid`` and ``iid`` columns of a gwaskit table (e.g. ``PREFIX.removed_samples`` of
    ``gwaskit qc``, as ``.parquet`` or ``.tsv.gz``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "sample list not found.")
    wanted: set[tuple[str, ...]] = set()
    one_column = False
    for number, line in enumerate(_list_lines(path, ("fid", "iid"), "sample"), start=1):
        fields = line.split()
        if not fields or fields[0].upper() in ("#FID", "FID", "#IID", "IID"):
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
    """Boolean mask of the ``variants`` whose ID is listed (first column) in ``path``, or in
    the ``variant_id`` column of a gwaskit table (e.g. ``PREFIX.removed_variants`` of
    ``gwaskit qc``, as ``.parquet`` or ``.tsv.gz``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "variant list not found.")
    lines = _list_lines(path, ("variant_id",), "variant")
    ids = {line.split()[0] for line in lines if line.strip()}
    mask = variants["variant_id"].is_in(list(ids)).to_numpy()
    if not mask.any():
        raise InputError(path, "none of the listed variants is in the genotype file.")
    return mask


def _list_lines(path: Path, columns: tuple[str, ...], what: str) -> list[str]:
    """The lines of a PLINK-style list, plain or compressed; a gwaskit table (Parquet, or text
    whose tab-separated header names ``columns``) gives those columns as such lines."""
    if is_parquet(path):
        table, _ = read_table(path, what=f"a {what} list")
    else:
        text = read_text(path, f"a {what} list (one per line)")
        lines = text.splitlines()
        header = lines[0].split("\t") if lines else []
        if not set(columns) <= {h.lower() for h in header}:
            return lines
        table, _ = read_table(path, what=f"a {what} list")
    names = {c.lower(): c for c in table.columns}
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(path, f"a {what} table needs the column(s) {', '.join(missing)}.")
    picked = table.select(pl.col(names[c]).cast(pl.String) for c in columns)
    return ["\t".join(row) for row in picked.drop_nulls().iter_rows()]
