"""Allele frequencies of one study against a reference panel, and the study-level warnings
that follow from them.

The reference is a table with ``chromosome``, ``base_pair_location``, ``ref_ea``, ``ref_oa``
and ``ref_eaf`` (the frequency of ``ref_ea``): the 1000 Genomes HapMap3 SNPs shipped with
gwaskit (:func:`bundled_reference`), or a user's table (a biobank's frequencies) read by
:func:`gwaskit.io.eaf_reference.read_eaf_reference`. A study row is compared when a reference
row at its chromosome and position carries the same allele pair: in either order, and for SNPs
also on the complement strand; never by position alone (the two ALT alleles of a multi-allelic
site, or two indels at one position, are different variants). Indels are compared as given
(after normalisation, :func:`gwaskit.io.alleles.normalise_alleles`), never complemented.

The 2022 migraine meta-analysis (Hautakangas et al. 2022, Nat Genet,
doi:10.1038/s41588-021-00990-0) dropped SNPs whose frequency differed from the reference by
more than 0.30 and indels by more than 0.20; :func:`compare_with_reference` gives the per-row
difference those filters use.

Study-level warnings (:func:`study_warnings`) are sentences, said on the terminal and written to
the ``qc_warnings`` column of a meta-analysis' studies table: a negative correlation with the
reference frequencies (allele labels swapped), a failed P-Z check, a failed SE-N check.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import polars as pl

from gwaskit.errors import InputError, ParameterError

log = logging.getLogger(__name__)

#: Reference columns (see the module docstring).
REFERENCE_COLUMNS = ("chromosome", "base_pair_location", "ref_ea", "ref_oa", "ref_eaf")
POPULATIONS = ("eur", "eas", "amr", "sas", "afr")
#: A P-Z check fails when more than this fraction of the rows with beta, SE and p disagree.
PZ_FAIL_FRACTION = 0.05
#: An SE-N check fails when a study's SE-N scale is this factor away from the studies' median
#: (a factor 1.5 in the scale is a factor 2.25 in N).
SE_N_FACTOR = 1.5
#: Fewest reference SNPs for a correlation (or a strand check) to speak.
MIN_COMPARED = 20
_COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C"}


@cache
def _bundled(build: str) -> pl.DataFrame:
    name = f"hapmap3_eaf_{build.lower()}.parquet"
    with resources.files("gwaskit.data").joinpath(name).open("rb") as fh:
        return pl.read_parquet(fh)


def bundled_reference(build: str | None, population: str = "eur") -> pl.DataFrame | None:
    """The 1000 Genomes HapMap3 frequencies shipped with gwaskit (30,000 SNPs), as a reference
    table; ``None`` for an unknown build."""
    if population.lower() not in POPULATIONS:
        raise ParameterError(
            f"bundled_reference: population must be one of {POPULATIONS}, got {population!r}."
        )
    if build not in ("GRCh37", "GRCh38"):
        return None
    return _bundled(build).select(
        "chromosome",
        "base_pair_location",
        pl.col("effect_allele").alias("ref_ea"),
        pl.col("other_allele").alias("ref_oa"),
        pl.col(f"eaf_{population.lower()}").cast(pl.Float64).alias("ref_eaf"),
    )


@dataclass(frozen=True)
class FrequencyComparison:
    """Rows of a study compared with a reference.

    Attributes
    ----------
    reference_eaf
        float64 ``(n_rows,)``: the reference frequency of the row's effect allele; NaN where
        the row has no reference row with its alleles.
    strand_flipped
        bool ``(n_rows,)``: non-palindromic SNPs whose alleles match the reference only on the
        complement strand.
    indel
        bool ``(n_rows,)``: rows whose alleles are not both single bases.
    """

    reference_eaf: np.ndarray
    strand_flipped: np.ndarray
    indel: np.ndarray

    @property
    def matched(self) -> np.ndarray:
        return np.isfinite(self.reference_eaf)

    def difference(self, eaf: np.ndarray) -> np.ndarray:
        """``|eaf - reference|`` per row (NaN where either is unknown)."""
        return np.abs(np.asarray(eaf, dtype=np.float64) - self.reference_eaf)


def compare_with_reference(table: pl.DataFrame, reference: pl.DataFrame) -> FrequencyComparison:
    """Match each row of ``table`` (SumStats) to the reference row with its alleles.

    Reference rows at one position with other allele pairs are other variants and ignored;
    palindromic SNPs (A/T, C/G) are read on the forward strand.
    """
    n = table.height
    ea, oa = pl.col("effect_allele"), pl.col("other_allele")
    snp = (ea.str.len_bytes() == 1) & (oa.str.len_bytes() == 1)
    rows = table.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
        pl.col("chromosome").cast(pl.String),
        pl.col("base_pair_location").cast(pl.Int64),
        ea,
        oa,
        snp.alias("_snp"),
    )
    ref = reference.select(
        pl.col("chromosome").cast(pl.String),
        pl.col("base_pair_location").cast(pl.Int64),
        pl.col("ref_ea").cast(pl.String),
        pl.col("ref_oa").cast(pl.String),
        pl.col("ref_eaf").cast(pl.Float64),
    )
    joined = rows.join(ref, on=["chromosome", "base_pair_location"], how="inner")
    cea = pl.when("_snp").then(ea.replace(_COMPLEMENT)).otherwise(None)
    coa = pl.when("_snp").then(oa.replace(_COMPLEMENT)).otherwise(None)
    rea, roa = pl.col("ref_ea"), pl.col("ref_oa")
    same = (ea == rea) & (oa == roa)
    swapped = (ea == roa) & (oa == rea)
    c_same = ((cea == rea) & (coa == roa)).fill_null(False)
    c_swapped = ((cea == roa) & (coa == rea)).fill_null(False)
    palindromic = pl.col("_snp") & (ea == coa)
    hit = joined.with_columns(
        _direct=same | swapped,
        _eaf=pl.when(same | (~swapped & c_same))
        .then(pl.col("ref_eaf"))
        .when(swapped | c_swapped)
        .then(1.0 - pl.col("ref_eaf"))
        .otherwise(None),
        _pal=palindromic.fill_null(False),
    ).filter(pl.col("_eaf").is_not_null())
    hit = hit.unique("_row", keep="first", maintain_order=True)
    eaf = np.full(n, np.nan)
    flipped = np.zeros(n, dtype=bool)
    r = hit["_row"].to_numpy()
    eaf[r] = hit["_eaf"].to_numpy()
    flipped[r] = (~hit["_direct"] & ~hit["_pal"]).to_numpy()
    indel = ~table.select(snp.fill_null(False)).to_series().to_numpy()
    return FrequencyComparison(reference_eaf=eaf, strand_flipped=flipped, indel=indel)


def reference_summary(
    comparison: FrequencyComparison,
    eaf: np.ndarray,
    keep: np.ndarray,
    *,
    tolerance: float = 0.2,
) -> dict[str, object]:
    """Study-level numbers over the rows ``keep``: SNPs compared, frequency correlation, rows
    further than ``tolerance`` from the reference, and the strand check (non-palindromic SNPs
    compared, how many match only on the complement strand)."""
    eaf = np.asarray(eaf, dtype=np.float64)
    ok = keep & comparison.matched & np.isfinite(eaf)
    f, ref = eaf[ok], comparison.reference_eaf[ok]
    out: dict[str, object] = {
        "eaf_reference_n": int(ok.sum()),
        "eaf_reference_r": None,
        "eaf_reference_discordant": None,
    }
    if f.size >= 3 and np.std(f) > 0 and np.std(ref) > 0:
        out["eaf_reference_r"] = float(np.corrcoef(f, ref)[0, 1])
        out["eaf_reference_discordant"] = int((np.abs(f - ref) > tolerance).sum())
    strand_ok = keep & comparison.matched
    out["strand_checked"] = int(strand_ok.sum())
    out["strand_flips_reference"] = int((strand_ok & comparison.strand_flipped).sum())
    return out


def study_warnings(summary: Mapping[str, object], *, se_n_median: float | None = None) -> list[str]:
    """The study-level checks that failed, as sentences (empty when none).

    ``summary`` is :attr:`gwaskit.qc.sumstats.SumstatsQC.summary`; ``se_n_median`` the median
    SE-N scale of the other studies of the meta-analysis (the SE-N check compares the study
    with it).
    """
    out = []
    r, n_ref = summary.get("eaf_reference_r"), summary.get("eaf_reference_n") or 0
    if r is not None and np.isfinite(r) and r < 0 and int(n_ref) >= MIN_COMPARED:  # type: ignore[arg-type]
        bad = summary.get("eaf_reference_discordant")
        out.append(
            f"allele frequencies correlate negatively with the reference (r = {r:.2f} over "
            f"{n_ref} SNPs, {bad} differ by more than {summary.get('eaf_tolerance', 0.2)}): "
            "the effect and other alleles look swapped"
        )
    if summary.get("eaf_filter") == "no reference":
        out.append(
            "the allele-frequency filter was not applied: no reference frequencies (the genome "
            "build is unknown, or --population none without --eaf-reference)"
        )
    elif summary.get("eaf_filter") == "no frequencies":
        out.append("the allele-frequency filter was not applied: the study has no frequencies")
    bad_pz, n_pz = summary.get("pz_inconsistent"), summary.get("pz_checked")
    if bad_pz is not None and n_pz and int(bad_pz) > PZ_FAIL_FRACTION * int(n_pz):  # type: ignore[arg-type]
        out.append(
            f"P-Z check failed: {bad_pz} of {n_pz} p-values ({100 * int(bad_pz) / int(n_pz):.1f} "  # type: ignore[arg-type]
            f"%) differ from those beta/SE imply (median |difference| "
            f"{summary.get('pz_median_abs_diff', float('nan')):.2f} in -log10 p)"
        )
    scale = summary.get("se_n_scale")
    if (
        se_n_median is not None
        and scale is not None
        and math.isfinite(float(scale))  # type: ignore[arg-type]
        and math.isfinite(se_n_median)
        and se_n_median > 0
    ):
        ratio = float(scale) / se_n_median  # type: ignore[arg-type]
        if not 1 / SE_N_FACTOR <= ratio <= SE_N_FACTOR:
            out.append(
                f"SE-N check failed: its SE-N scale {float(scale):.3g} is {ratio:.2f} times "  # type: ignore[arg-type]
                f"the other studies' median {se_n_median:.3g}: its N or its effect scale is wrong"
            )
    return out


def qc_warnings(summaries: Mapping[str, Mapping[str, object]]) -> dict[str, list[str]]:
    """:func:`study_warnings` of every study of a meta-analysis, each study's SE-N scale
    compared with the median of the other studies' (with two studies, a factor of 2.25 in N
    flags both: which one is wrong, the numbers cannot tell)."""
    scales = {name: s.get("se_n_scale") for name, s in summaries.items()}
    out = {}
    for name, summary in summaries.items():
        others = [
            float(v)  # type: ignore[arg-type]
            for k, v in scales.items()
            if k != name and v is not None and math.isfinite(float(v))  # type: ignore[arg-type]
        ]
        median = float(np.median(others)) if others else None
        out[name] = study_warnings(summary, se_n_median=median)
    return out


def speak_warnings(
    summaries: Mapping[str, Mapping[str, object]],
    *,
    strict: bool = False,
    files: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """:func:`qc_warnings` said on the terminal (a ``warning:`` line each, whatever the
    verbosity short of ``-q``), and as each study's ``qc_warnings`` text (sentences joined by
    " | ", empty when none). With ``strict`` the first one is an :class:`InputError` naming the
    study's file (``files``)."""
    found = qc_warnings(summaries)
    for name, sentences in found.items():
        for sentence in sentences:
            if strict:
                raise InputError(
                    str((files or {}).get(name, name)), f"study {name}: {sentence} (--strict)."
                )
            log.warning("warning: study %s: %s", name, sentence)
    return {name: " | ".join(sentences) for name, sentences in found.items()}
