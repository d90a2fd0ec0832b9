"""Covariates from several files, and principal components from an ``.eigenvec``.

Several covariate files (``--covar A --covar B``) are matched to the genotype samples one by
one, as a single file is (by FID and IID when the file has a FID column, else by IID): a sample
missing from any of them is dropped with the reason ``not in covariate file`` and counted, as
plink2 drops a sample without covariates. A column name present in two files is an error
naming both, since nothing says which to use.

:func:`read_eigenvec` reads principal components in the layouts PCA tools write:

* plink2 / gwaskit: a header ``#FID IID PC1 PC2 ...`` (or ``#IID PC1 ...``), or gwaskit's
  ``PREFIX.eigenvec.parquet``;
* plink 1.9: headerless ``FID IID v1 v2 ...``;
* EIGENSOFT smartpca ``.evec``: a first line ``#eigvals: ...``, then ``ID v1 ... vK LABEL``
  per sample, the ID being ``FID:IID`` (as smartpca names the samples of a ``.fam``) or an IID.

Its columns are named ``PC1``, ``PC2``, ... in every layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.compression import is_parquet, read_text
from gwaskit.io.sample_tables import SampleTable, read_sample_table

CovariateInput = str | Path | SampleTable

__all__ = ["CovariateInput", "choose_covariates", "read_covariate_tables", "read_eigenvec"]


def read_covariate_tables(
    covar: CovariateInput | Sequence[CovariateInput] | None,
) -> list[SampleTable]:
    """The covariate files (paths read, :class:`SampleTable` kept as given), in order."""
    if covar is None:
        return []
    items = [covar] if isinstance(covar, str | Path | SampleTable) else list(covar)
    return [
        item if isinstance(item, SampleTable) else read_sample_table(item, prefix="COVAR")
        for item in items
    ]


def choose_covariates(
    tables: Sequence[SampleTable], names: Sequence[str] | None
) -> list[tuple[SampleTable, list[str]]]:
    """The columns to use from each table: all of them (``names`` None) or those named.

    Raises
    ------
    InputError
        A column name is in two tables (naming both files), or a named column is in none.
    """
    owner: dict[str, SampleTable] = {}
    for table in tables:
        for column in table.values.columns:
            first = owner.setdefault(column, table)
            if first is not table and (names is None or column in names):
                raise InputError(
                    table.path,
                    f"covariate column {column!r} is also in {first.path}; rename it in one "
                    "of the two files (or choose the columns with --covar-name).",
                )
    if names is not None:
        unknown = [n for n in names if n not in owner]
        if unknown:
            available = ", ".join(owner) or "none"
            single = len(tables) == 1
            raise InputError(
                tables[0].path if single else ", ".join(str(t.path) for t in tables),
                f"no covariate column {unknown[0]!r}; the "
                f"{'file has' if single else 'files have'} {available}.",
            )
    return [
        (table, [c for c in table.values.columns if names is None or c in names])
        for table in tables
    ]


def read_eigenvec(path: str | Path) -> SampleTable:
    """Principal components per sample from a plink2, plink 1.9, EIGENSOFT or gwaskit file
    (module docstring); value columns renamed ``PC1``, ``PC2``, ...

    Raises :class:`InputError` naming the file and line of a malformed row.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    if not is_parquet(path):
        text = read_text(path, "principal components (#FID IID PC1 ... or smartpca's .evec)")
        first = next((line for line in text.splitlines() if line.strip()), "")
        if first.lstrip().lower().startswith("#eigvals"):
            return _read_smartpca(path, text)
    table = read_sample_table(path, prefix="PC")
    pcs = table.values.columns
    renamed = {name: f"PC{j}" for j, name in enumerate(pcs, start=1)}
    return SampleTable(
        table.path, table.ids, table.values.rename(renamed), table.lines, table.numbers
    )


def _read_smartpca(path: Path, text: str) -> SampleTable:
    lines = text.splitlines()
    rows = [(n, line.split()) for n, line in enumerate(lines, start=1) if line.strip()][1:]
    if not rows:
        raise InputError(path, "has the #eigvals line of a smartpca .evec but no sample rows.")
    width = len(rows[0][1])
    for number, fields in rows:
        if len(fields) != width:
            raise InputError(
                path, f"expected {width} fields as on the first sample row, found {len(fields)}.",
                line=number,
            )  # fmt: skip
    if width < 3:
        raise InputError(
            path, "expected ID, at least one component and a label per row.", line=rows[0][0]
        )
    ids = [fields[0] for _, fields in rows]
    values = {
        f"PC{j}": [fields[j] for _, fields in rows] for j in range(1, width - 1)
    }  # the last field is smartpca's population label
    if all(":" in i for i in ids):
        fid, iid = zip(*(i.split(":", 1) for i in ids), strict=True)
        id_table = pl.DataFrame({"fid": list(fid), "iid": list(iid)})
    else:
        id_table = pl.DataFrame({"iid": ids})
    numbers = np.array([n for n, _ in rows], dtype=np.int64)
    repeated = id_table.is_duplicated()
    if repeated.any():
        index = int(repeated.arg_true()[0])
        raise InputError(path, f"sample {ids[index]!r} occurs twice.", line=int(numbers[index]))
    return SampleTable(path, id_table, pl.DataFrame(values), numbers, tuple(range(2, width)))
