"""Phenotype and covariate tables, matched to the samples of a genotype source.

The file layouts read (headed PLINK style, TSV/CSV, headerless, a ``.fam``) are those of
:mod:`gwaskit.io.sample_tables`.

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import polars as pl

from gwaskit.errors import InputError, ParameterError
from gwaskit.io.covariates import CovariateInput, choose_covariates, read_covariate_tables
from gwaskit.io.sample_tables import (
    MISSING_VALUES,
    SampleTable,
    column_names,
    is_missing_code,
    parse_column_numbers,
    parse_numbers,
    read_sample_table,
)

__all__ = [
    "DROP_REASONS",
    "MISSING_VALUES",
    "Phenotypes",
    "SampleTable",
    "align_sample_tables",
    "column_names",
    "load_phenotypes",
    "parse_column_numbers",
    "parse_names",
    "read_sample_table",
]

log = logging.getLogger(__name__)


DROPPED_SCHEMA = {"fid": pl.String, "iid": pl.String, "reason": pl.String}
DROP_REASONS = (
    "not in genotypes",
    "excluded by sample list",
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
    origin
        The file or table that a null-model error names (the covariates when there are some).
    """

    name: str
    y: np.ndarray
    covariates: np.ndarray
    covariate_names: tuple[str, ...]
    sample_index: np.ndarray
    binary: bool
    dropped: pl.DataFrame
    #: The table a model-fitting error names (the covariate table when there is one).
    origin: str = "phenotypes"

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def n_cases(self) -> int | None:
        return int(self.y.sum()) if self.binary else None

    @property
    def n_controls(self) -> int | None:
        return int(self.n - self.y.sum()) if self.binary else None


def _numeric_column(table: SampleTable, name: str) -> np.ndarray:
    values, bad = parse_numbers(table.values[name])
    if bad.any():
        _value_error(table, name, bad, "expected a number or a missing code (-9, NA, empty)")
    return values


def _value_error(
    table: SampleTable, name: str, bad: np.ndarray, expected: str, hint: str = ""
) -> NoReturn:
    """Raise :class:`InputError` at the first row of ``bad``, quoting its field."""
    row = int(np.flatnonzero(bad)[0])
    raise InputError(
        table.path,
        f"{expected}, found {table.values[name][row]!r}{hint}.",
        line=int(table.lines[row]),
        column=name,
    )


def _pick(table: SampleTable, names: Sequence[str] | None, what: str) -> list[str]:
    available = table.values.columns
    if names is None:
        return available
    unknown = [n for n in names if n not in available]
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
    covar: CovariateInput | Sequence[CovariateInput] | None = None,
    covar_names: Sequence[str] | None = None,
    binary: bool | None = None,
    categorical: Sequence[str] | None = None,
    sample_mask: np.ndarray | None = None,
) -> Phenotypes:
    """Read a phenotype file (and a covariate file) and match them to a genotype source's
    samples: :func:`read_sample_table`, then :func:`align_sample_tables` (see its parameters).
    """
    return align_sample_tables(
        samples,
        read_sample_table(pheno),
        pheno_name=pheno_name,
        covar=read_covariate_tables(covar) or None,
        covar_names=covar_names,
        binary=binary,
        categorical=categorical,
        sample_mask=sample_mask,
    )


def align_sample_tables(
    samples: pl.DataFrame,
    table: SampleTable,
    *,
    pheno_name: str | None = None,
    covar: SampleTable | Sequence[SampleTable] | None = None,
    covar_names: Sequence[str] | None = None,
    binary: bool | None = None,
    categorical: Sequence[str] | None = None,
    sample_mask: np.ndarray | None = None,
) -> Phenotypes:
    """Match a phenotype table (and a covariate table) to a genotype source's samples.

    Parameters
    ----------
    samples
        The genotype source's ``samples`` table (``fid, iid, ...``).
    table
        Phenotype table (read from a file, or an in-memory table through
        :func:`~gwaskit.io.sample_tables.frame_table`); its first trait column is used unless
        ``pheno_name`` is given.
    covar
        Covariate table, or several (matched to the samples one by one and their columns put
        side by side, :mod:`gwaskit.io.covariates`); every column is used unless
        ``covar_names`` is given.
    binary
        ``True``/``False`` to declare the trait type; ``None`` detects it (see module docs).
    categorical
        Covariates to treat as categorical even if numeric.
    sample_mask
        Boolean over ``samples``: the samples a ``--keep``/``--remove`` list leaves; the others
        are dropped with the reason ``excluded by sample list`` (before the trait type is
        checked on the samples analysed).

    Raises
    ------
    InputError
        A table is malformed, a named column is missing, the phenotype is constant (or has no
        cases or no controls), or no sample is left after matching.
    """
    if not table.values.width:
        raise InputError(table.path, "has no phenotype column after the ID column(s).")
    if pheno_name is None:
        pheno_name = table.values.columns[0]
    _pick(table, [pheno_name], "phenotype")
    values = _numeric_column(table, pheno_name)
    is_binary, values = _binary_coding(values, binary, table, pheno_name)

    n_geno = samples.height
    pos = _genotype_positions(samples, table)
    matched = pos >= 0
    pheno_of = np.full(n_geno, np.nan)
    pheno_of[pos[matched]] = values[matched]
    in_pheno = np.zeros(n_geno, dtype=bool)
    in_pheno[pos[matched]] = True
    unmatched = table.ids.filter(pl.Series(~matched))
    dropped = [
        pl.DataFrame(
            {
                "fid": unmatched["fid"]
                if table.has_fid
                else pl.repeat("", unmatched.height, eager=True),
                "iid": unmatched["iid"],
                "reason": pl.repeat("not in genotypes", unmatched.height, eager=True),
            },
            schema=DROPPED_SCHEMA,
        )
    ]

    keep = in_pheno & ~np.isnan(pheno_of)
    reasons = np.where(~in_pheno, "not in phenotype file", "missing phenotype")
    if sample_mask is not None:
        reasons = np.where(sample_mask, reasons, "excluded by sample list")
        keep &= sample_mask

    cov_matrix = np.empty((n_geno, 0))
    cov_labels: list[str] = []
    if covar is not None:
        raw_columns = []
        covar_tables = read_covariate_tables(covar)
        chosen_tables = choose_covariates(covar_tables, covar_names)
        for ctable, chosen in chosen_tables:
            c_pos = _genotype_positions(samples, ctable)
            row_of = np.full(n_geno, -1, dtype=np.int64)
            row_of[c_pos[c_pos >= 0]] = np.flatnonzero(c_pos >= 0)
            missing_file = keep & (row_of < 0)
            if len(chosen_tables) > 1 and missing_file.any():
                log.info(
                    "%d sample(s) not in covariate file %s: dropped",
                    int(missing_file.sum()),
                    ctable.path.name,
                )
            reasons = np.where(missing_file, "not in covariate file", reasons)
            keep &= row_of >= 0
            for name in chosen:
                numbers, bad = (_gather(v, row_of) for v in parse_numbers(ctable.values[name]))
                is_cat = (categorical is not None and name in categorical) or bool(bad.any())
                if is_cat and (categorical is None or name not in categorical):
                    _check_not_mistyped(ctable, name)
                if is_cat:
                    block, labels = _indicators(name, ctable.values[name], row_of, keep)
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

    not_kept = pl.Series(~keep)
    dropped.append(
        samples.select("fid", "iid")
        .with_columns(pl.Series("reason", reasons, dtype=pl.String))
        .filter(not_kept)
    )
    sample_index = np.flatnonzero(keep).astype(np.int64)
    if sample_index.size == 0:
        raise InputError(
            table.path,
            "no sample is left: none of its samples with a phenotype"
            + (" and covariates" if covar is not None else "")
            + " matches the genotype file's samples (IDs are matched by IID"
            + (", and FID" if table.has_fid else "")
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
        dropped=pl.concat(dropped, how="vertical_relaxed").cast(DROPPED_SCHEMA),
        origin=str(table.path) if covar is None else ", ".join(str(t.path) for t in covar_tables),
    )


def _genotype_positions(samples: pl.DataFrame, table: SampleTable) -> np.ndarray:
    """For each row of ``table``, the index of its sample in the genotype ``samples`` (-1 if
    absent): matched by FID and IID when the file has a FID column, else by IID."""
    geno = samples.select("fid", "iid").with_row_index("position")
    keys = ["fid", "iid"] if table.has_fid else ["iid"]
    if not table.has_fid:
        repeated = geno.filter(pl.col("iid").is_duplicated())
        if repeated.height:
            raise InputError(
                table.path,
                f"has no FID column, but IID {repeated['iid'][0]!r} occurs in more than one "
                "family of the genotype file; add an FID column.",
            )
    joined = table.ids.join(geno, on=keys, how="left", maintain_order="left")
    return joined["position"].fill_null(-1).to_numpy().astype(np.int64)


def _gather(values: np.ndarray, row_of: np.ndarray) -> np.ndarray:
    """``values[row_of]`` with NaN (or False) where ``row_of`` is -1."""
    out = values[np.maximum(row_of, 0)]
    out[row_of < 0] = np.nan if out.dtype.kind == "f" else False
    return out


def _check_not_mistyped(table: SampleTable, name: str) -> None:
    """A column of mostly numbers with a few text values is a typo, not a categorical
    covariate with one level per number: say where the text is."""
    values, bad = parse_numbers(table.values[name])
    n_bad = int(bad.sum())
    n_numbers = int((~np.isnan(values)).sum())
    if n_bad and n_numbers >= n_bad:  # numbers are the majority
        _value_error(
            table,
            name,
            bad,
            f"expected a number (the column holds {n_numbers} numbers)",
            "; fix the value, or code a categorical covariate with no numbers",
        )


def _indicators(
    name: str, column: pl.Series, row_of: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """0/1 indicators for every level but the first (sorted, among the kept samples), one row
    per genotype sample (``row_of``: its row in the file, -1 if absent); NaN where missing."""
    text = column.str.strip_chars()
    missing_file = is_missing_code(text)
    value = text.to_numpy()[np.maximum(row_of, 0)]
    missing = missing_file.to_numpy()[np.maximum(row_of, 0)] | (row_of < 0)
    levels = sorted(set(value[keep & ~missing].tolist()))
    out = np.zeros((row_of.size, max(len(levels) - 1, 0)))
    for j, level in enumerate(levels[1:]):
        out[:, j] = value == level
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
