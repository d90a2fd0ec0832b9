"""Small file helpers shared by ``gwaskit qc`` and ``gwaskit pca``: PLINK-style sample and
variant lists, and a minimal binary-phenotype reader.

The phenotype reader is deliberately private and minimal (FID IID + one binary column); it is
to be replaced by ``gwaskit.io.phenotypes`` when that module lands.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.tables import atomic_path

log = logging.getLogger(__name__)

_MISSING = {"", "NA", "na", "NaN", "nan", "-9", "."}


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
    for number, line in enumerate(path.read_text().splitlines(), start=1):
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
    ids = {line.split()[0] for line in path.read_text().splitlines() if line.strip()}
    mask = variants["variant_id"].is_in(list(ids)).to_numpy()
    if not mask.any():
        raise InputError(path, "none of the listed variants is in the genotype file.")
    return mask


def read_binary_phenotype(
    path: str | Path, samples: pl.DataFrame, column: str | None = None
) -> np.ndarray:
    """A binary phenotype per sample: 1 case, 0 control, -1 missing or absent.

    The file has a header with ``IID`` (``FID`` optional, ``#FID`` accepted) and trait columns;
    ``column`` picks one (default the first after the IDs). Values coded 1/2 (PLINK) or 0/1;
    ``-9``, ``NA``, ``.`` or empty are missing.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "phenotype file not found.")
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        raise InputError(path, "the phenotype file is empty.")
    header = [h.lstrip("#") for h in lines[0]]
    if "IID" not in header:
        raise InputError(path, f"expected a header with an IID column, got {lines[0]!r}.", line=1)
    iid_at = header.index("IID")
    fid_at = header.index("FID") if "FID" in header else None
    traits = [h for k, h in enumerate(header) if k not in (iid_at, fid_at)]
    if not traits:
        raise InputError(path, "no phenotype column after FID/IID.", line=1)
    name = column if column is not None else traits[0]
    if name not in header:
        raise InputError(path, f"no column {name!r}; the columns are {traits!r}.", line=1)
    at = header.index(name)
    values: dict[tuple[str, ...], str] = {}
    for number, fields in enumerate(lines[1:], start=2):
        if len(fields) != len(header):
            raise InputError(
                path, f"expected {len(header)} fields, found {len(fields)}.", line=number
            )
        key = (fields[fid_at], fields[iid_at]) if fid_at is not None else (fields[iid_at],)
        values[key] = fields[at]
    observed = {v for v in values.values() if v not in _MISSING}
    if observed <= {"1", "2"}:
        coding = {"1": 0, "2": 1}
    elif observed <= {"0", "1"}:
        coding = {"0": 0, "1": 1}
    else:
        bad = sorted(observed - {"0", "1", "2"})[:3]
        raise InputError(
            path,
            f"a binary phenotype must be coded 1/2 or 0/1 (missing -9, NA), found {bad!r}.",
            column=name,
        )
    keys = (
        list(zip(samples["fid"], samples["iid"], strict=True))
        if fid_at is not None
        else [(i,) for i in samples["iid"]]
    )
    out = np.array([coding.get(values.get(k, ""), -1) for k in keys], dtype=np.int8)
    absent = sum(k not in values for k in keys)
    if absent:
        log.info("%d samples have no row in %s; their phenotype is missing", absent, path)
    if not ((out == 0).any() and (out == 1).any()):
        raise InputError(path, "the phenotype needs both cases and controls.", column=name)
    return out
