"""REGENIE's step-1 outputs: ``PREFIX_pred.list`` and one ``PREFIX_<i>.loco`` per phenotype.

A ``.loco`` file is whitespace-separated text: a header ``FID_IID`` followed by one
``<FID>_<IID>`` per sample, then one row per chromosome, its name followed by the leave-that-
chromosome-out prediction of every sample. The ``_pred.list`` names one ``.loco`` per line:
``<phenotype> <path>``. gwaskit writes and reads both, so REGENIE's own step 1 feeds
``gwaskit assoc --pred`` and gwaskit's feeds ``regenie --step 2 --pred``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.tables import atomic_paths

_CHROMOSOME_NUMBERS = {"X": "23", "Y": "24", "XY": "25", "MT": "26", "M": "26"}


def chromosome_key(name: str) -> str:
    """REGENIE's chromosome number for a name (``chr`` stripped, X = 23, Y = 24, XY = 25,
    MT = 26)."""
    name = name.removeprefix("chr").removeprefix("CHR")
    return _CHROMOSOME_NUMBERS.get(name.upper(), name.lstrip("0") or "0")


@dataclass(frozen=True)
class LocoPredictions:
    """One phenotype's LOCO predictions.

    Attributes
    ----------
    sample_ids
        ``FID_IID`` of each column.
    chromosomes
        Chromosome of each row, as written (``"1"``, ..., ``"23"`` for X in REGENIE's files).
    values
        ``(n_chromosomes, n_samples)`` float64.
    """

    sample_ids: tuple[str, ...]
    chromosomes: tuple[str, ...]
    values: np.ndarray


def sample_keys(samples: pl.DataFrame) -> list[str]:
    """``FID_IID`` of each sample of a ``fid, iid`` table (REGENIE's sample key)."""
    return [f"{f}_{i}" for f, i in zip(samples["fid"], samples["iid"], strict=True)]


def write_loco_files(
    prefix: str | Path,
    samples: pl.DataFrame,
    phenotypes: tuple[str, ...],
    chromosomes: tuple[str, ...],
    loco: np.ndarray,
) -> list[Path]:
    """Write ``PREFIX_<i>.loco`` for each phenotype ``i`` (1-based) and ``PREFIX_pred.list``;
    all files land together or none. Chromosomes are written as REGENIE numbers them (X = 23). ``loco`` is ``(n_chromosomes, n_samples, n_phenotypes)``.
    """
    prefix = Path(prefix)
    loco_paths = [prefix.parent / f"{prefix.name}_{i + 1}.loco" for i in range(len(phenotypes))]
    pred_list = prefix.parent / f"{prefix.name}_pred.list"
    header = " ".join(["FID_IID", *sample_keys(samples)])
    chromosomes = tuple(chromosome_key(c) for c in chromosomes)
    with atomic_paths([*loco_paths, pred_list]) as temps:
        for j, tmp in enumerate(temps[:-1]):
            with open(tmp, "w") as out:
                out.write(header + "\n")
                for c, chrom in enumerate(chromosomes):
                    out.write(chrom + " " + " ".join(f"{v:.15g}" for v in loco[c, :, j]) + "\n")
        with open(temps[-1], "w") as out:
            for name, path in zip(phenotypes, loco_paths, strict=True):
                out.write(f"{name} {path}\n")
    return [*loco_paths, pred_list]


def read_pred_list(path: str | Path) -> dict[str, LocoPredictions]:
    """Read a ``_pred.list`` and every ``.loco`` it names (paths as written, else relative to
    the list's folder, as a moved output folder needs)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "prediction list not found (expected REGENIE's PREFIX_pred.list).")
    out: dict[str, LocoPredictions] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2:
            raise InputError(
                path, f"line {number}: expected '<phenotype> <file.loco>', got {line!r}."
            )
        name, loco = fields
        if name in out:
            raise InputError(path, f"line {number}: phenotype {name!r} is listed twice.")
        target = Path(loco)
        if not target.is_file():
            target = path.parent / Path(loco).name
        out[name] = read_loco(target)
    if not out:
        raise InputError(path, "names no .loco file.")
    return out


def read_wgr_settings(pred_list: str | Path) -> dict | None:
    """The step-1 settings gwaskit wrote beside a ``PREFIX_pred.list`` (``PREFIX.wgr.yaml``),
    or None (REGENIE's own step 1 writes none)."""
    import yaml

    path = Path(pred_list)
    if not path.name.endswith("_pred.list"):
        return None
    settings = path.parent / (path.name.removesuffix("_pred.list") + ".wgr.yaml")
    if not settings.is_file():
        return None
    data = yaml.safe_load(settings.read_text())
    return data.get("wgr") if isinstance(data, dict) else None


def read_loco(path: str | Path) -> LocoPredictions:
    """Read one REGENIE ``.loco`` file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "LOCO prediction file not found.")
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if not lines or lines[0][0] != "FID_IID":
        raise InputError(path, "line 1: expected a header starting with FID_IID.")
    ids = tuple(lines[0][1:])
    chromosomes = []
    values = np.empty((len(lines) - 1, len(ids)))
    for number, fields in enumerate(lines[1:], start=2):
        if len(fields) != len(ids) + 1:
            raise InputError(
                path,
                f"line {number}: expected a chromosome and {len(ids)} values, got "
                f"{len(fields)} fields.",
            )
        chromosomes.append(fields[0])
        try:
            values[number - 2] = np.array(fields[1:], dtype=np.float64)
        except ValueError:
            raise InputError(path, f"line {number}: a prediction is not a number.") from None
    if not np.isfinite(values).all():
        raise InputError(path, "a prediction is not finite.")
    if len(set(chromosomes)) != len(chromosomes):
        raise InputError(path, "a chromosome has two rows.")
    return LocoPredictions(ids, tuple(chromosomes), values)
