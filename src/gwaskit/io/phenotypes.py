"""Phenotype and covariate tables, matched to the samples of a genotype source.

Two layouts are read:

* PLINK style: a header row whose first fields are ``FID IID`` (or ``#FID IID``), or ``IID``
  (or ``#IID``) alone, then one column per trait or covariate; fields separated by whitespace
  (or by tabs, in which case an empty field is a missing value);
* a headed TSV or CSV (``.csv`` files, or a header that holds commas and no tabs) with the same
  ID columns.

``-9``, ``NA`` (any case), ``nan`` and empty fields are missing. A binary trait is coded 1/2
(PLINK: 1 control, 2 case; 0 is then missing too) or 0/1 (0 control, 1 case): it is detected
when every value lies in {1, 2} or in {0, 1}, or declared with ``binary=True``.
A covariate column with a value that is not a number is categorical (or is declared so) and is
expanded to one 0/1 indicator per level except the first (sorted) level.

Samples are matched to the genotype source by IID, and by FID and IID when both the file and the
genotype source have a FID column. The result keeps the genotype file's sample order.

>>> import polars as pl, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "p.txt").write_text("FID IID T\\nf1 a 2\\nf2 b 1\\nf3 c -9\\n")
>>> samples = pl.DataFrame({"fid": ["f1", "f2", "f3"], "iid": ["a", "b", "c"], "sex": [0, 0, 0]})
>>> ph = load_phenotypes(samples, folder / "p.txt")
>>> ph.y.tolist(), ph.binary, ph.sample_index.tolist(), ph.dropped["reason"].to_list()
([1.0, 0.0], True, [0, 1], ['missing phenotype'])
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError, ParameterError

log = logging.getLogger(__name__)

#: Field values read as missing (compared after stripping, case-insensitively for letters).
MISSING_VALUES = frozenset({"-9", "na", "nan", "", "."})

DROP_REASONS = (
    "not in genotypes",
    "not in phenotype file",
    "missing phenotype",
    "not in covariate file",
    "missing covariate",
)


@dataclass(frozen=True)
class Phenotypes:
    """A phenotype and its covariates for the samples kept for analysis.

    Attributes
    ----------
    name
        The phenotype column.
    y
        Phenotype, float64 ``(n,)``; for a binary trait 1 = case, 0 = control.
    covariates
        Covariates, float64 ``(n, k)``, categorical ones expanded; no intercept column.
    covariate_names
        Names of the ``k`` covariate columns (``name=level`` for indicators).
    sample_index
        int64 ``(n,)`` indices of the kept samples into the genotype source's ``samples``,
        increasing.
    binary
        Whether the trait is case/control.
    dropped
        Table ``fid, iid, reason`` of the samples not analysed (see :data:`DROP_REASONS`).
    """

    name: str
    y: np.ndarray
    covariates: np.ndarray
    covariate_names: tuple[str, ...]
    sample_index: np.ndarray
    binary: bool
    dropped: pl.DataFrame

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def n_cases(self) -> int | None:
        return int(self.y.sum()) if self.binary else None

    @property
    def n_controls(self) -> int | None:
        return int(self.n - self.y.sum()) if self.binary else None


@dataclass(frozen=True)
class SampleTable:
    """A parsed phenotype/covariate file: IDs, value columns as strings, line numbers."""

    path: Path
    fid: list[str] | None
    iid: list[str]
    columns: dict[str, list[str]]
    lines: list[int]

    def keys(self, use_fid: bool) -> list[tuple[str, str] | str]:
        if use_fid and self.fid is not None:
            return list(zip(self.fid, self.iid, strict=True))
        return list(self.iid)


def read_sample_table(path: str | Path) -> SampleTable:
    """Parse a PLINK-style or headed TSV/CSV sample table (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise InputError(path, "is not a text file; expected a header row FID IID ...") from None
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not numbered:
        raise InputError(path, "is empty; expected a header row with IID (and FID) columns.")
    header_line, header = numbered[0]
    split = _splitter(path, header)
    names = [n.strip() for n in split(header)]
    first = names[0].lstrip("#").upper() if names else ""
    second = names[1].upper() if len(names) > 1 else ""
    if first == "FID" and second == "IID":
        n_ids = 2
    elif first == "IID":
        n_ids = 1
    else:
        raise InputError(
            path,
            f"the header must start with 'FID IID' or 'IID' (optionally with '#'), "
            f"found {' '.join(names[:2])!r}.",
            line=header_line,
        )
    value_names = names[n_ids:]
    if len(set(value_names)) != len(value_names) or any(not n for n in value_names):
        dup = next((n for n in value_names if value_names.count(n) > 1 or not n), "")
        raise InputError(
            path, f"column names must be unique and non-empty, found {dup!r}.", line=header_line
        )
    fid: list[str] | None = [] if n_ids == 2 else None
    iid: list[str] = []
    columns: dict[str, list[str]] = {n: [] for n in value_names}
    lines: list[int] = []
    seen: dict[object, int] = {}
    for number, line in numbered[1:]:
        fields = [f.strip() for f in split(line)]
        if len(fields) != len(names):
            raise InputError(
                path,
                f"expected {len(names)} fields as in the header, found {len(fields)}.",
                line=number,
            )
        key = tuple(fields[:n_ids])
        if any(not k for k in key):
            raise InputError(path, "sample ID is empty.", line=number)
        if key in seen:
            raise InputError(
                path,
                f"sample {' '.join(key)!r} appears more than once (first on line {seen[key]}).",
                line=number,
            )
        seen[key] = number
        if fid is not None:
            fid.append(fields[0])
        iid.append(fields[n_ids - 1])
        for name, value in zip(value_names, fields[n_ids:], strict=True):
            columns[name].append(value)
        lines.append(number)
    if not iid:
        raise InputError(path, "has a header but no sample rows.")
    return SampleTable(path, fid, iid, columns, lines)


def _splitter(path: Path, header: str):
    if path.name.lower().endswith((".csv", ".csv.gz")) or ("," in header and "\t" not in header):
        return lambda line: line.split(",")
    if "\t" in header:
        return lambda line: line.rstrip("\r\n").split("\t")
    return str.split


def _is_missing(value: str) -> bool:
    return value.strip().lower() in MISSING_VALUES


def _to_float(value: str) -> float | None:
    """A float, NaN for a missing code, None if the field is not a number."""
    if _is_missing(value):
        return math.nan
    try:
        out = float(value)
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def _parse_numbers(raw: list[str]) -> np.ndarray:
    """Floats of a column, NaN for missing codes and for fields that are not finite numbers
    (``_bad_numbers`` tells which ones those are)."""
    text = np.char.strip(np.asarray(raw, dtype=str))
    missing = np.isin(np.char.lower(text), list(MISSING_VALUES))
    try:
        values = np.where(missing, "nan", text).astype(np.float64)
    except ValueError:
        values = np.array(
            [_to_float(v) if not m else math.nan for v, m in zip(raw, missing, strict=True)],
            dtype=object,
        )
        values = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    values[~missing & ~np.isfinite(values)] = np.nan
    return values


def _bad_numbers(raw: list[str]) -> np.ndarray:
    """Indices of fields that are neither a finite number nor a missing code."""
    return np.array([i for i, v in enumerate(raw) if _to_float(v) is None], dtype=np.int64)


def _numeric_column(table: SampleTable, name: str) -> np.ndarray:
    raw = table.columns[name]
    values = _parse_numbers(raw)
    suspicious = np.flatnonzero(np.isnan(values))
    if suspicious.size:
        bad = _bad_numbers([raw[i] for i in suspicious])
        if bad.size:
            i = int(suspicious[bad[0]])
            raise InputError(
                table.path,
                f"expected a number or a missing code (-9, NA, empty), found {raw[i]!r}.",
                line=table.lines[i],
                column=name,
            )
    return values


def _pick(table: SampleTable, names: Sequence[str] | None, what: str) -> list[str]:
    available = list(table.columns)
    if names is None:
        return available
    unknown = [n for n in names if n not in table.columns]
    if unknown:
        raise InputError(
            table.path,
            f"no {what} column {unknown[0]!r}; the file has {', '.join(available) or 'none'}.",
        )
    return list(names)


def _binary_coding(values: np.ndarray, declared: bool | None, table: SampleTable, name: str):
    """Return (is_binary, recoded values with NaN missing)."""
    observed = set(np.unique(values[~np.isnan(values)]).tolist())
    if declared is False:
        return False, values
    if observed <= {1.0, 2.0} and (declared or len(observed) == 2):
        return True, np.where(np.isnan(values), np.nan, values - 1.0)
    if observed <= {0.0, 1.0} and (declared or len(observed) == 2):
        return True, values
    if declared:
        if observed <= {0.0, 1.0, 2.0}:  # PLINK 1/2 coding with 0 as missing
            return True, np.where(values == 0.0, np.nan, values - 1.0)
        bad = sorted(observed - {0.0, 1.0, 2.0})[0]
        raise InputError(
            table.path,
            f"a binary trait must be coded 1/2 (control/case) or 0/1, found {bad:g}.",
            column=name,
        )
    return False, values


def load_phenotypes(
    samples: pl.DataFrame,
    pheno: str | Path,
    *,
    pheno_name: str | None = None,
    covar: str | Path | None = None,
    covar_names: Sequence[str] | None = None,
    binary: bool | None = None,
    categorical: Sequence[str] | None = None,
) -> Phenotypes:
    """Read a phenotype (and covariates) and match them to a genotype source's samples.

    Parameters
    ----------
    samples
        The genotype source's ``samples`` table (``fid, iid, ...``).
    pheno
        Phenotype file; its first trait column is used unless ``pheno_name`` is given.
    covar
        Covariate file; every column is used unless ``covar_names`` is given.
    binary
        ``True``/``False`` to declare the trait type; ``None`` detects it (see module docs).
    categorical
        Covariates to treat as categorical even if numeric.

    Raises
    ------
    InputError
        A file is malformed, a named column is missing, the phenotype is constant (or has no
        cases or no controls), or no sample is left after matching.
    """
    table = read_sample_table(pheno)
    if not table.columns:
        raise InputError(table.path, "has no phenotype column after the ID column(s).")
    if pheno_name is None:
        pheno_name = next(iter(table.columns))
    _pick(table, [pheno_name], "phenotype")
    values = _numeric_column(table, pheno_name)
    is_binary, values = _binary_coding(values, binary, table, pheno_name)

    geno_fid = samples["fid"].to_list()
    geno_iid = samples["iid"].to_list()
    n_geno = len(geno_iid)
    use_fid = table.fid is not None
    geno_pos = _index_samples(geno_fid, geno_iid, use_fid, table.path)

    dropped: list[tuple[str, str, str]] = []
    pheno_of = np.full(n_geno, np.nan)
    in_pheno = np.zeros(n_geno, dtype=bool)
    for key, fid, iid, value in zip(
        table.keys(use_fid), table.fid or [""] * len(table.iid), table.iid, values, strict=True
    ):
        pos = geno_pos.get(key)
        if pos is None:
            dropped.append((fid, iid, "not in genotypes"))
            continue
        in_pheno[pos] = True
        pheno_of[pos] = value

    keep = in_pheno & ~np.isnan(pheno_of)
    reasons = np.where(~in_pheno, "not in phenotype file", "missing phenotype")

    cov_matrix = np.empty((n_geno, 0))
    cov_labels: list[str] = []
    if covar is not None:
        ctable = read_sample_table(covar)
        chosen = _pick(ctable, covar_names, "covariate")
        c_use_fid = ctable.fid is not None
        c_pos = _index_samples(geno_fid, geno_iid, c_use_fid, ctable.path)
        row_of = np.full(n_geno, -1, dtype=np.int64)
        for row, key in enumerate(ctable.keys(c_use_fid)):
            pos = c_pos.get(key)
            if pos is not None:
                row_of[pos] = row
        missing_file = keep & (row_of < 0)
        reasons = np.where(missing_file, "not in covariate file", reasons)
        keep &= row_of >= 0
        raw_columns = []
        for name in chosen:
            column = np.asarray(ctable.columns[name], dtype=object)
            raw = np.where(row_of >= 0, column[np.maximum(row_of, 0)], "NA").tolist()
            numbers = _parse_numbers(raw)
            nan_at = np.flatnonzero(np.isnan(numbers))
            is_cat = (categorical is not None and name in categorical) or bool(
                nan_at.size and _bad_numbers([raw[i] for i in nan_at]).size
            )
            if is_cat and (categorical is None or name not in categorical):
                _check_not_mistyped(ctable, name)
            if is_cat:
                block, labels = _indicators(name, raw, keep)
            else:
                block, labels = numbers[:, None], [name]
            raw_columns.append(block)
            cov_labels.extend(labels)
        if raw_columns:
            cov_matrix = np.hstack(raw_columns)
        missing_cov = keep & np.isnan(cov_matrix).any(axis=1)
        reasons = np.where(missing_cov, "missing covariate", reasons)
        keep &= ~missing_cov
        # a covariate constant among the kept samples carries no information: drop it, as
        # PLINK 2 does, and say so
        if keep.any() and cov_matrix.shape[1]:
            kept = cov_matrix[keep]
            constant = np.all(kept == kept[0], axis=0)
            for label in np.array(cov_labels)[constant]:
                log.warning(
                    "covariate %r is constant in the analysed samples; not used", str(label)
                )
            cov_matrix = cov_matrix[:, ~constant]
            cov_labels = [lab for lab, c in zip(cov_labels, constant, strict=True) if not c]

    for pos in np.flatnonzero(~keep):
        dropped.append((geno_fid[pos], geno_iid[pos], str(reasons[pos])))
    sample_index = np.flatnonzero(keep).astype(np.int64)
    if sample_index.size == 0:
        raise InputError(
            table.path,
            "no sample is left: none of its samples with a phenotype"
            + (" and covariates" if covar is not None else "")
            + " matches the genotype file's samples (IDs are matched by IID"
            + (", and FID" if use_fid else "")
            + ").",
        )
    y = pheno_of[sample_index]
    if is_binary:
        n_cases = int(y.sum())
        if n_cases in (0, y.size):
            which = "cases" if n_cases else "controls"
            raise InputError(
                table.path,
                f"phenotype has only {which} among the {y.size} analysed samples.",
                column=pheno_name,
            )
    elif np.all(y == y[0]):
        raise InputError(
            table.path,
            f"phenotype is constant ({y[0]:g}) among the {y.size} analysed samples.",
            column=pheno_name,
        )
    return Phenotypes(
        name=pheno_name,
        y=y.astype(np.float64),
        covariates=np.ascontiguousarray(cov_matrix[sample_index], dtype=np.float64),
        covariate_names=tuple(cov_labels),
        sample_index=sample_index,
        binary=is_binary,
        dropped=pl.DataFrame(
            dropped, schema={"fid": pl.String, "iid": pl.String, "reason": pl.String}, orient="row"
        ),
    )


def _index_samples(fid: list[str], iid: list[str], use_fid: bool, path: Path) -> dict[object, int]:
    if use_fid:
        return {(f, i): pos for pos, (f, i) in enumerate(zip(fid, iid, strict=True))}
    out: dict[object, int] = {}
    for pos, i in enumerate(iid):
        if i in out:
            raise InputError(
                path,
                f"has no FID column, but IID {i!r} occurs in more than one family of the "
                "genotype file; add an FID column.",
            )
        out[i] = pos
    return out


def _check_not_mistyped(table: SampleTable, name: str) -> None:
    """A column of mostly numbers with a few text values is a typo, not a categorical
    covariate with one level per number: say where the text is."""
    raw = table.columns[name]
    bad = _bad_numbers(raw)
    present = sum(not _is_missing(v) for v in raw)
    if bad.size and present - bad.size >= bad.size:  # numbers are the majority
        row = int(bad[0])
        raise InputError(
            table.path,
            f"expected a number (the column holds {present - bad.size} numbers), found "
            f"{raw[row]!r}; fix the value, or code a categorical covariate with no numbers.",
            line=table.lines[row],
            column=name,
        )


def _indicators(name: str, raw: list[str], keep: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """0/1 indicators for every level but the first; NaN where the value is missing."""
    present = [v.strip() for v in raw]
    missing = np.array([_is_missing(v) for v in present])
    levels = sorted({v for v, m, k in zip(present, missing, keep, strict=True) if k and not m})
    out = np.zeros((len(raw), max(len(levels) - 1, 0)))
    for j, level in enumerate(levels[1:]):
        out[:, j] = [v == level for v in present]
    out[missing] = np.nan
    return out, [f"{name}={level}" for level in levels[1:]]


def parse_names(text: str | None, what: str) -> list[str] | None:
    """Split a comma-separated column list (``--covar-name A,B``); ``None`` stays ``None``."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise ParameterError(f"{what} must be a comma-separated list of names, got {text!r}.")
    return names
