"""Conversions from what a tool writes to what a SumStats table holds.

Each function takes the columns already mapped to GWAS-SSF names (see
:mod:`gwaskit.io.sumstats_layouts`) and returns them completed; none touches a file. They are
vectorised over variants (no Python loop per row):

- :func:`null_tokens`: format-specific missing spellings (GWAS-SSF ``#NA``) made null;
- :func:`alleles_from_epacts_marker`: EPACTS ``MARKER_ID`` ``CHR:POS_REF/ALT[_suffix]`` gives
  the other (REF) and effect (ALT) alleles;
- :func:`counts_from_ldsc_header`: LDSC munge's ``FRQ_A_<cases>`` / ``FRQ_U_<controls>`` header
  names give the sample sizes;
- :func:`plink2_other_allele`: PLINK 2's other allele, whichever of REF/ALT is not A1;
- :func:`fill_p_values`: ``neg_log_10_p_value`` (log space) and ``p_value`` from what was given;
- :func:`derive_effects`: beta from an odds ratio, its standard error from the odds ratio's
  95 % confidence interval, ``z`` from a 1-df chi-square, the standard error from beta and z,
  ``n`` from cases and controls.

The standard error from a 95 % CI of an odds ratio is
``SE = (ln U - ln L) / (2 z_0.975)`` with ``z_0.975 = Phi^-1(0.975) = 1.959963984540054``:
the Wald interval ``exp(beta +- z SE)`` inverted. GWAMA (Magi & Morris 2010,
doi:10.1186/1471-2105-11-288) reads its binary-trait inputs as ``SE = (ln OR - ln OR_95L) /
1.96`` (the lower half-interval, ``z = 1.96`` exactly; found by running GWAMA on intervals that
are not symmetric about ln OR); its format entry says so (``ci_z``, ``ci_width``), which
reproduces GWAMA's own meta-analysis to its printed digits.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.stats import LN10, neg_log10_p_from_z

#: Phi^-1(0.975): half-width of a 95 % Wald interval in standard errors.
Z_975 = 1.959963984540054

_EPACTS_MARKER = r"^[^:]+:[0-9]+_([^/_]+)/([^/_]+)"
_FRQ_A = re.compile(r"^FRQ_A_([0-9]+)$", re.IGNORECASE)
_FRQ_U = re.compile(r"^FRQ_U_([0-9]+)$", re.IGNORECASE)


def null_tokens(table: pl.DataFrame, tokens: list[str]) -> pl.DataFrame:
    """Cells equal to one of ``tokens`` set to null: text cells after trimming blanks, and
    numeric cells (columns parsed already) equal to a token that is a number (``-9``)."""
    if not tokens:
        return table
    numbers = [float(t) for t in tokens if re.fullmatch(r"[-+]?[0-9]+(\.[0-9]*)?", t)]
    fixed = []
    for name, dtype in table.schema.items():
        if dtype == pl.String:
            missing = pl.col(name).str.strip_chars().is_in(tokens)
        elif dtype == pl.Float64 and numbers:  # read as numbers already (GWAMA's -9)
            missing = pl.col(name).is_in(numbers)
        else:
            continue
        fixed.append(pl.when(missing).then(None).otherwise(pl.col(name)).alias(name))
    return table.with_columns(fixed) if fixed else table


def alleles_from_epacts_marker(
    table: pl.DataFrame, path: str | Path, lines: pl.Series
) -> pl.DataFrame:
    """EPACTS ``MARKER_ID`` (``1:662622_G/A_1:662622``) -> ``other_allele`` = REF (``G``),
    ``effect_allele`` = ALT (``A``): EPACTS reports effects per copy of the ALT allele.

    ``lines`` holds the file line of each row, for the error naming a marker that does not
    follow ``CHR:POS_REF/ALT``.
    """
    marker = table["variant_id"]
    parts = marker.str.extract_groups(_EPACTS_MARKER)
    ref, alt = parts.struct.field("1"), parts.struct.field("2")
    bad = (marker.is_not_null() & ref.is_null()).arg_true()
    if bad.len():
        i = int(bad[0])
        raise InputError(
            path,
            f"expected an EPACTS marker CHR:POS_REF/ALT, found {marker[i]!r}.",
            line=int(lines[i]),
            column="MARKER_ID",
        )
    return table.with_columns(ref.alias("other_allele"), alt.alias("effect_allele"))


def counts_from_ldsc_header(header: list[str]) -> dict[str, float]:
    """``{"n_cases": 1234, "n_controls": 5468}`` from LDSC munge's ``FRQ_A_1234`` and
    ``FRQ_U_5468`` header names (``{}`` when the header has neither)."""
    counts = {}
    for field in header:
        if (m := _FRQ_A.match(field.strip())) is not None:
            counts["n_cases"] = float(m.group(1))
        elif (m := _FRQ_U.match(field.strip())) is not None:
            counts["n_controls"] = float(m.group(1))
    return counts


def _col(table: pl.DataFrame, name: str) -> np.ndarray | None:
    if name not in table.columns:
        return None
    return table[name].cast(pl.Float64).to_numpy().astype(np.float64, copy=True)


def derive_effects(
    table: pl.DataFrame, *, ci_z: float = Z_975, ci_width: str = "full"
) -> pl.DataFrame:
    """Fill beta, standard error, z and n from what the file gave, row by row.

    - ``beta = ln(odds_ratio)`` where beta is missing (an odds ratio <= 0 gives NaN);
    - ``standard_error = (ln ci_upper - ln ci_lower) / (2 ci_z)`` where it is missing and
      the row has an odds ratio (the interval is then the odds ratio's); ``ci_z`` is
      Phi^-1(0.975) unless the format's tool rounds it. With ``ci_width="lower"`` the lower
      half-interval is used instead, ``(ln OR - ln ci_lower) / ci_z``: GWAMA's reading;
    - ``z = sign(beta) sqrt(chisq)`` where z is missing (a 1-df allelic chi-square);
    - ``standard_error = beta / z`` where it is still missing and ``z != 0``, ``beta != 0``
      (PLINK 1's STAT);
    - ``n = n_cases + n_controls`` where n is missing.
    Columns used only for these (``ci_lower``, ``ci_upper``, ``chisq``) are kept as given.
    """
    n_rows = table.height
    beta = _col(table, "beta")
    se = _col(table, "standard_error")
    orr = _col(table, "odds_ratio")
    out: dict[str, np.ndarray] = {}
    has_or = np.zeros(n_rows, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if orr is not None:
            ln_or = np.where(orr > 0, np.log(orr), np.nan)
            if beta is None:
                beta = np.full(n_rows, np.nan)
            has_or = ~np.isnan(orr)
            beta = np.where(np.isnan(beta) & has_or, ln_or, beta)
            out["beta"] = beta
        lower, upper = _col(table, "ci_lower"), _col(table, "ci_upper")
        if lower is not None and upper is not None and beta is not None:
            if se is None:
                se = np.full(n_rows, np.nan)
            ok = (lower > 0) & (upper > lower)
            if ci_width == "lower":
                from_ci = (np.log(orr) - np.log(lower)) / ci_z if orr is not None else lower
            else:
                from_ci = (np.log(upper) - np.log(lower)) / (2.0 * ci_z)
            use = np.isnan(se) & has_or & ok
            if use.any():
                se = np.where(use, from_ci, se)
                out["standard_error"] = se
        z = _col(table, "z")
        chisq = _col(table, "chisq")
        if chisq is not None and beta is not None:
            from_chi = np.sign(beta) * np.sqrt(np.where(chisq >= 0, chisq, np.nan))
            z = from_chi if z is None else np.where(np.isnan(z), from_chi, z)
            out["z"] = z
        if z is not None and beta is not None:
            if se is None:
                se = np.full(n_rows, np.nan)
            # beta 0 (an OR printed as 1) with z != 0 says nothing of the SE: left missing
            use = np.isnan(se) & np.isfinite(z) & (z != 0) & np.isfinite(beta) & (beta != 0)
            if use.any():
                out["standard_error"] = np.where(use, beta / z, se)
    n = _col(table, "n")
    cases, controls = _col(table, "n_cases"), _col(table, "n_controls")
    if cases is not None and controls is not None:
        total = cases + controls
        out["n"] = total if n is None else np.where(np.isnan(n), total, n)
    if not out:
        return table
    return table.with_columns(pl.Series(k, v, dtype=pl.Float64) for k, v in out.items())


def plink2_other_allele(raw: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """PLINK 2 reports REF and ALT; the other allele is whichever of them is not A1."""
    a1 = raw["A1"]
    other = pl.select(
        pl.when(a1 == raw["ALT"]).then(raw["REF"]).otherwise(raw["ALT"]).alias("other_allele")
    )["other_allele"]
    if "OMITTED" in raw.columns:
        other = raw["OMITTED"].alias("other_allele")
    return table.with_columns(other)


def fill_p_values(table: pl.DataFrame) -> pl.DataFrame:
    """Fill ``neg_log_10_p_value`` (log space) and ``p_value`` from whatever the file gave."""
    n = table.height
    nlp = (
        table["neg_log_10_p_value"].to_numpy().astype(np.float64)
        if "neg_log_10_p_value" in table.columns
        else np.full(n, np.nan)
    )
    z_known = np.full(n, np.nan)
    if "beta" in table.columns and "standard_error" in table.columns:
        with np.errstate(divide="ignore", invalid="ignore"):
            z_known = table["beta"].to_numpy() / table["standard_error"].to_numpy()
    elif "z" in table.columns:
        z_known = table["z"].to_numpy().astype(np.float64)
    if "p_value" in table.columns:
        p = table["p_value"].to_numpy().astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            from_p = np.where((p > 0) & (p <= 1), -np.log10(p), np.nan)
        # p underflowed to 0: the z statistic still knows how small it is
        from_p = np.where((p == 0) & np.isfinite(z_known), neg_log10_p_from_z(z_known), from_p)
        nlp = np.where(np.isnan(nlp), from_p, nlp)
    nlp = np.where(np.isnan(nlp) & np.isfinite(z_known), neg_log10_p_from_z(z_known), nlp)
    with np.errstate(over="ignore"):
        p_out = np.exp(-nlp * LN10)
    if "p_value" in table.columns:
        p_in = table["p_value"].to_numpy().astype(np.float64)
        p_out = np.where(np.isnan(p_in), p_out, p_in)
    return table.with_columns(pl.Series("neg_log_10_p_value", nlp), pl.Series("p_value", p_out))
