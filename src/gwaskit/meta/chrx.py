"""Male dosages on chromosome X: one scale before combining studies.

Outside the pseudo-autosomal regions a man carries one X. Tools code his dosage 0/1 (plink2
``--glm --xchr-model 1``, SNPTEST, BOLT-LMM's default) or 0/2 (plink2's default
``--xchr-model 2``, PLINK 1 ``.bed`` hemizygous calls, gwaskit ``assoc``), and the same data
give a beta about twice as large under 0/1 as under 0/2 (exactly twice for a men-only study);
z and p do not change. A meta-analysis that mixes the two mixes scales. gwaskit puts every
study on the 0/2 scale (:data:`TARGET`): a 0/1 study's X betas and SEs are halved.

A study's coding is declared (``--x-coding NAME=0/1``; a sidecar or Parquet metadata key
``male_x_dosage``) or detected from the data: the SE-N scale (EasyQC's
``median(se * sqrt(2 N f (1 - f)))``, :func:`gwaskit.qc.sumstats.se_n_scale`) of the haploid X
variants against that of the autosomes. With a sex covariate, the genotype variance of an X
variant in a study of men fraction ``m`` is ``2 f (1 - f)`` times ``1 + m`` (0/2) or
``1 - m/2`` (0/1), so the ratio of the scales is ``1/sqrt(1 + m)`` (0.82 at m = 0.5) or
``1/sqrt(1 - m/2)`` (1.15): below :data:`RATIO_SPLIT` reads as 0/2, above as 0/1. In a study
of women only the two codings are one; with fewer than :data:`MIN_X_VARIANTS` X variants the
coding is left undetected (the study is then left as it is, and said so).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.io.chromosomes import haploid_x
from gwaskit.qc.sumstats import se_n_scale

log = logging.getLogger(__name__)
CODINGS = ("0/1", "0/2")
#: The scale every study is put on.
TARGET = "0/2"
#: Scale ratio (X over autosomes) between the two codings' expectations for any sex ratio.
RATIO_SPLIT = 0.98
#: Fewest haploid X (and autosomal) variants for a detection.
MIN_X_VARIANTS = 30


@dataclass(frozen=True)
class XCoding:
    """How a study coded male X dosages.

    Attributes
    ----------
    coding
        ``"0/1"``, ``"0/2"`` or ``None`` (unknown: no haploid X variant, or too few to tell).
    source
        ``"declared"``, ``"detected"`` or ``"none"``.
    ratio
        SE-N scale of the haploid X variants over that of the autosomes (NaN when not computed).
    n_x
        Haploid X variants in the study.
    """

    coding: str | None
    source: str
    ratio: float
    n_x: int


def _haploid(table: pl.DataFrame, build: str | None) -> np.ndarray:
    return haploid_x(table["chromosome"].to_numpy(), table["base_pair_location"].to_numpy(), build)


def detect_x_coding(
    table: pl.DataFrame, *, build: str | None = None, declared: str | None = None
) -> XCoding:
    """The male X dosage coding of one study's summary statistics (see the module docstring)."""
    if declared is not None and declared not in CODINGS:
        raise ParameterError(f"x coding must be one of {CODINGS}, got {declared!r}.")
    if table.height == 0 or "base_pair_location" not in table.columns:
        return XCoding(declared, "declared" if declared else "none", float("nan"), 0)
    hap = _haploid(table, build)
    n_x = int(hap.sum())
    if declared is not None:
        return XCoding(declared, "declared", float("nan"), n_x)
    if n_x < MIN_X_VARIANTS:
        return XCoding(None, "none", float("nan"), n_x)
    autosomal = table["chromosome"].is_in([str(i) for i in range(1, 23)]).to_numpy()
    if autosomal.sum() < MIN_X_VARIANTS:
        return XCoding(None, "none", float("nan"), n_x)
    ratio = se_n_scale(table.filter(pl.Series(hap))) / se_n_scale(
        table.filter(pl.Series(autosomal))
    )
    if not np.isfinite(ratio):
        return XCoding(None, "none", float(ratio), n_x)
    return XCoding("0/2" if ratio < RATIO_SPLIT else "0/1", "detected", float(ratio), n_x)


def to_target_scale(
    table: pl.DataFrame, coding: str | None, *, build: str | None = None
) -> pl.DataFrame:
    """The study on the :data:`TARGET` (0/2) scale: beta and SE of the haploid X variants of a
    0/1 study halved (z, p and frequencies unchanged); other studies as they are."""
    if coding is None or coding == TARGET or table.height == 0:
        return table
    if coding not in CODINGS:
        raise ParameterError(f"x coding must be one of {CODINGS}, got {coding!r}.")
    hap = pl.Series(_haploid(table, build))
    factor = 0.5 if coding == "0/1" else 2.0
    return table.with_columns(
        [
            pl.when(hap).then(pl.col(c) * factor).otherwise(pl.col(c)).alias(c)
            for c in ("beta", "standard_error")
            if c in table.columns
        ]
    )


def harmonise_x_scale(
    table: pl.DataFrame,
    *,
    build: str | None = None,
    declared: str | None = None,
    metadata: dict | None = None,
    name: str = "study",
) -> tuple[pl.DataFrame, dict[str, object]]:
    """Detect (or take as declared, here or in the file's ``metadata["male_x_dosage"]``) a
    study's male X coding and put it on the :data:`TARGET` scale. Returns the table and the
    study's record: ``x_coding``, ``x_coding_source``, ``x_scale_ratio``, ``x_variants``,
    ``x_rescaled`` (rows whose beta and SE were changed). Says what it found (log), and warns
    when a study with X variants cannot be told."""
    if declared is None and metadata and metadata.get("male_x_dosage"):
        declared = str(metadata["male_x_dosage"])
    found = detect_x_coding(table, build=build, declared=declared)
    out = to_target_scale(table, found.coding, build=build)
    record: dict[str, object] = {
        "x_coding": found.coding,
        "x_coding_source": found.source,
        "x_scale_ratio": found.ratio,
        "x_variants": found.n_x,
        "x_rescaled": found.n_x if found.coding not in (None, TARGET) else 0,
    }
    if found.coding is not None:
        log.info(
            "%s: male chrX dosages coded %s (%s%s); %d X variants%s",
            name,
            found.coding,
            found.source,
            f", X/autosome SE-N ratio {found.ratio:.2f}" if found.source == "detected" else "",
            found.n_x,
            ": beta and SE halved to the 0/2 scale" if record["x_rescaled"] else "",
        )
    elif found.n_x:
        log.warning(
            "warning: study %s: how male chrX dosages are coded could not be told from %d X "
            "variants; they are combined as given (declare it with --x-coding %s=0/1 or 0/2)",
            name,
            found.n_x,
            name,
        )
    return out, record
