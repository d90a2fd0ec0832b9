"""Variant quality control: call rate, allele frequency and count, Hardy-Weinberg equilibrium,
differential missingness between cases and controls.

All counts come from one pass of :func:`gwaskit.qc.packed.count_genotypes` over the packed
genotypes; the tests are vectorised (HWE in a compiled loop over variants). Conventions follow
PLINK 2: call rate over the samples analysed, frequencies of the effect allele (A1 for a
``.bed``), HWE exact test in controls when a binary phenotype is given (PLINK applies ``--hwe``
to controls only with a case/control phenotype; here explicitly, and reported in ``hwe_samples``).

Limitations: chromosome X is counted as diploid in everyone except for HWE, which is tested in
females only (as ``plink2 --hardy``); Y and MT are not tested for HWE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.engine import Engine
from gwaskit.errors import ParameterError
from gwaskit.io.chromosomes import haploid_x
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.qc.hwe import hwe_neg_log10_p
from gwaskit.qc.packed import HET, HOM_A1, HOM_A2, MISSING, count_genotypes, map_blocks
from gwaskit.stats import neg_log10_p_from_chi2

#: Group codes of :func:`sample_groups`: phenotype (control 0, case 1, unknown 2) x 2 + male.
N_GROUPS = 6


def sample_groups(
    n_samples: int,
    *,
    keep: np.ndarray | None = None,
    phenotype: np.ndarray | None = None,
    sex: np.ndarray | None = None,
) -> np.ndarray:
    """Group code per sample for :func:`count_variants`: ``2 * status + male``, ``-1`` dropped.

    ``status`` is 0 control, 1 case, 2 unknown (``phenotype`` 0/1, anything else unknown);
    ``male`` is 1 where ``sex == 1``.
    """
    status = np.full(n_samples, 2, dtype=np.int8)
    if phenotype is not None:
        phenotype = np.asarray(phenotype)
        status[phenotype == 0] = 0
        status[phenotype == 1] = 1
    male = (np.asarray(sex) == 1).astype(np.int8) if sex is not None else 0
    groups = (2 * status + male).astype(np.int8)
    if keep is not None:
        groups[~np.asarray(keep, dtype=bool)] = -1
    return groups


def count_variants(
    source: GenotypeSource, groups: np.ndarray, *, engine: Engine | None = None
) -> np.ndarray:
    """Genotype counts ``int64 (n_variants, N_GROUPS, 4)`` (codes HOM_A1, MISSING, HET,
    HOM_A2), streaming the packed genotypes block by block."""
    groups = np.ascontiguousarray(groups, dtype=np.int8)
    parts = map_blocks(
        source,
        lambda _b, packed: count_genotypes(packed, groups, N_GROUPS),
        engine=engine,
        description="counting genotypes",
    )
    if not parts:
        return np.zeros((0, N_GROUPS, 4), dtype=np.int64)
    return np.concatenate(parts, axis=0)


@dataclass(frozen=True)
class VariantQC:
    """Result of :func:`variant_qc`.

    Attributes
    ----------
    table
        One row per variant: identity columns, genotype counts, ``call_rate``,
        ``effect_allele_frequency``, ``minor_allele_frequency``, ``minor_allele_count``,
        ``hwe_neg_log10_p`` (in ``hwe_samples``), case/control missing rates and
        ``diff_miss_neg_log10_p``, ``keep`` and ``reason`` (why removed, ``;``-separated).
    keep
        Boolean mask over the source's variants.
    """

    table: pl.DataFrame
    keep: np.ndarray


def _check_fraction(name: str, value: float | None, upper: float = 1.0) -> None:
    if value is not None and not 0.0 <= value <= upper:
        raise ParameterError(f"{name} must be in [0, {upper}], got {value!r}.")


def variant_qc(
    source: GenotypeSource,
    *,
    keep_samples: np.ndarray | None = None,
    phenotype: np.ndarray | None = None,
    geno: float | None = 0.05,
    maf: float | None = 0.01,
    mac: int | None = None,
    hwe: float | None = 1e-6,
    hwe_midp: bool = False,
    diff_miss: float | None = None,
    engine: Engine | None = None,
) -> VariantQC:
    """Per-variant QC statistics and the PLINK-style filters.

    Parameters
    ----------
    source
        Genotypes.
    keep_samples
        Boolean mask of the samples to count (default all).
    phenotype
        Binary phenotype per sample, 1 case, 0 control, anything else unknown; when given,
        HWE is tested in controls and differential missingness is tested.
    geno
        Remove variants with a missing-call rate above this (``--geno``).
    maf, mac
        Remove variants with a minor allele frequency / count below these (``--maf``, ``--mac``).
    hwe
        Remove variants with HWE exact p below this (``--hwe``); ``hwe_midp`` uses the mid-p.
    diff_miss
        Remove variants whose case/control missingness differs with p below this (1-df
        chi-square test of the 2x2 table missing x status, no continuity correction).
    """
    _check_fraction("geno", geno)
    _check_fraction("maf", maf, 0.5)
    _check_fraction("hwe", hwe)
    _check_fraction("diff_miss", diff_miss)
    if mac is not None and mac < 0:
        raise ParameterError(f"mac must be a non-negative integer, got {mac!r}.")
    sex = source.samples["sex"].to_numpy()
    groups = sample_groups(source.n_samples, keep=keep_samples, phenotype=phenotype, sex=sex)
    counts = count_variants(source, groups, engine=engine)
    variants = source.variants
    haploid = haploid_x(variants["chromosome"], variants["base_pair_location"], source.build)
    table, keep = _variant_table(
        variants, haploid, counts, phenotype is not None, geno, maf, mac, hwe, hwe_midp, diff_miss
    )
    return VariantQC(table=table, keep=keep)


def _variant_table(
    variants: pl.DataFrame,
    haploid: np.ndarray,
    counts: np.ndarray,
    binary: bool,
    geno: float | None,
    maf: float | None,
    mac: int | None,
    hwe: float | None,
    hwe_midp: bool,
    diff_miss: float | None,
) -> tuple[pl.DataFrame, np.ndarray]:
    total = counts.sum(axis=1)  # (n_variants, 4)
    hom1, miss, het, hom2 = (total[:, c] for c in (HOM_A1, MISSING, HET, HOM_A2))
    called = hom1 + het + hom2
    n = called + miss
    with np.errstate(divide="ignore", invalid="ignore"):
        call_rate = np.where(n > 0, called / n, np.nan)
        eaf = np.where(called > 0, (2 * hom1 + het) / (2.0 * called), np.nan)
    minor_count = np.minimum(2 * hom1 + het, 2 * hom2 + het)
    maf_value = np.minimum(eaf, 1.0 - eaf)

    chromosome = variants["chromosome"].to_numpy()
    no_hwe = np.isin(chromosome, ["Y", "MT"])
    # HWE sample: controls if binary (groups 0, 1 = control female, control male), else everyone;
    # on X outside the pseudo-autosomal regions, females only (even groups).
    status_groups = [0, 1] if binary else [0, 1, 2, 3, 4, 5]
    female_groups = [g for g in status_groups if g % 2 == 0]
    hwe_counts = counts[:, status_groups][:, :, [HOM_A1, HET, HOM_A2]].sum(axis=1)
    hwe_counts_x = counts[:, female_groups][:, :, [HOM_A1, HET, HOM_A2]].sum(axis=1)
    hwe_counts = np.where(haploid[:, None], hwe_counts_x, hwe_counts)
    hwe_p = hwe_neg_log10_p(np.ascontiguousarray(hwe_counts, dtype=np.int64), hwe_midp)
    hwe_p[no_hwe] = np.nan

    columns: dict[str, object] = {
        "n_hom_effect": hom1,
        "n_het": het,
        "n_hom_other": hom2,
        "n_missing": miss,
        "call_rate": call_rate,
        "effect_allele_frequency": eaf,
        "minor_allele_frequency": maf_value,
        "minor_allele_count": minor_count,
        "hwe_neg_log10_p": hwe_p,
    }
    reasons: list[tuple[str, np.ndarray]] = []
    if geno is not None:
        reasons.append(("call_rate", ~(call_rate >= 1.0 - geno - 1e-12)))
    if maf is not None:
        reasons.append(("maf", ~(maf_value >= maf)))
    if mac is not None:
        reasons.append(("mac", minor_count < mac))
    if hwe is not None:
        threshold = -np.log10(hwe) if hwe > 0 else np.inf
        reasons.append(("hwe", np.nan_to_num(hwe_p, nan=0.0) > threshold))
    if binary:
        case_miss = counts[:, [2, 3], MISSING].sum(axis=1)
        case_n = counts[:, [2, 3]].sum(axis=(1, 2))
        ctrl_miss = counts[:, [0, 1], MISSING].sum(axis=1)
        ctrl_n = counts[:, [0, 1]].sum(axis=(1, 2))
        dm = _diff_missing_neg_log10_p(case_miss, case_n, ctrl_miss, ctrl_n)
        with np.errstate(divide="ignore", invalid="ignore"):
            columns["missing_rate_cases"] = case_miss / case_n
            columns["missing_rate_controls"] = ctrl_miss / ctrl_n
        columns["diff_miss_neg_log10_p"] = dm
        if diff_miss is not None:
            threshold = -np.log10(diff_miss) if diff_miss > 0 else np.inf
            reasons.append(("diff_miss", dm > threshold))
    keep = np.ones(len(n), dtype=bool)
    reason = np.full(len(n), "", dtype=object)
    for name, failed in reasons:
        keep &= ~failed
        reason = np.where(failed, np.where(reason == "", name, reason + ";" + name), reason)
    table = variants.with_columns(
        *(pl.Series(name, value) for name, value in columns.items()),
        pl.Series("hwe_samples", np.where(haploid, "females", "controls" if binary else "all")),
        pl.Series("keep", keep),
        pl.Series("reason", reason.astype(str)).replace("", None),
    )
    return table, keep


def _diff_missing_neg_log10_p(
    case_miss: np.ndarray, case_n: np.ndarray, ctrl_miss: np.ndarray, ctrl_n: np.ndarray
) -> np.ndarray:
    """-log10 p of the 1-df chi-square test of missingness x case status (0 if a margin is 0)."""
    a, b = case_miss.astype(float), (case_n - case_miss).astype(float)
    c, d = ctrl_miss.astype(float), (ctrl_n - ctrl_miss).astype(float)
    total = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.where(margins > 0, total * (a * d - b * c) ** 2 / margins, 0.0)
    return neg_log10_p_from_chi2(chi2)
