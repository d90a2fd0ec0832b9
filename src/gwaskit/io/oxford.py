"""Oxford sample files (``.sample``, IMPUTE2 ``.samples``) as the field's tools write them.

Layouts read (all seen in files of qctool, bcftools, SAIGE, sgkit and the BGEN examples):

* ``ID_1 ID_2 missing [sex ...]`` then a types row ``0 0 0 [D ...]`` (Oxford v1/v2; ``ID_1`` is
  the FID, ``ID_2`` the IID, as plink2 ``--sample`` reads them);
* ``ID_1 ID_2`` only (SAIGE), or one ID column named ``ID_1``, ``ID`` or ``id`` (the BGEN
  examples, sgkit), with its types row ``0``;
* an IMPUTE2 ``.samples`` list (``sample population group sex``, no types row).

A one-column file gives ``fid = iid``. Sex: ``1``/``M`` male, ``2``/``F`` female, else unknown.
A byte-order mark is dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.genotypes import SAMPLE_SCHEMA
from gwaskit.io.text import read_text_lines

#: Column types of an Oxford types row (``0`` for the ID and missing columns).
_TYPES = frozenset({"0", "D", "C", "P", "B"})
_ID_NAMES = ("ID_1", "ID", "SAMPLE")


def read_sample_file(path: Path) -> pl.DataFrame:
    """Read an Oxford ``.sample`` (or IMPUTE2 ``.samples``) file into ``fid, iid, sex``."""
    path = Path(path)
    lines = read_text_lines(path, "an Oxford .sample file (ID_1 [ID_2 ...] and a types row)")
    header = lines[0].split()
    if not header or header[0].upper() not in _ID_NAMES:
        raise InputError(
            path,
            f"the header must start with ID_1 (or ID, id, sample), found {lines[0][:40]!r}.",
            line=1,
        )
    second = lines[1].split() if len(lines) > 1 else []
    typed = bool(second) and len(second) == len(header) and set(second) <= _TYPES
    first = 2 if typed else 1
    two_ids = len(header) > 1 and header[1].upper() == "ID_2"
    if header[0].upper() == "SAMPLE" and not typed:  # IMPUTE2: sample population group sex
        two_ids = False
    rows = [line.split() for line in lines[first:]]
    for number, fields in enumerate(rows, start=first + 1):
        if len(fields) != len(header):
            raise InputError(
                path,
                f"expected {len(header)} fields (as the header), found {len(fields)}.",
                line=number,
            )
    if not rows:
        raise InputError(path, "lists no samples.")
    iid = [r[1] if two_ids else r[0] for r in rows]
    fid = [r[0] for r in rows]
    i_sex = next((i for i, h in enumerate(header) if h.lower() == "sex"), None)
    sex_raw = [r[i_sex] if i_sex is not None else "0" for r in rows]
    sex = np.array(
        [1 if s in ("1", "M", "m") else 2 if s in ("2", "F", "f") else 0 for s in sex_raw],
        dtype=np.int8,
    )
    samples = pl.DataFrame({"fid": fid, "iid": iid, "sex": sex}, schema=SAMPLE_SCHEMA)
    dup = samples.select(pl.struct("fid", "iid").is_first_distinct().not_()).to_series().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(
            path,
            f"sample {fid[i]!r} {iid[i]!r} appears more than once.",
            line=i + first + 1,
        )
    return samples
