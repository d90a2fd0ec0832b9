"""Palindromic SNPs by default: kept as METAL and GWAMA keep them, unless the study shows strand
flips.

An A/T or C/G SNP reads the same on both strands, so its strand cannot be told from its
alleles. METAL (Willer et al. 2010, doi:10.1093/bioinformatics/btq340) and GWAMA (Mägi & Morris
2010, doi:10.1186/1471-2105-11-288) trust the strand as given; that is right for a study whose
other SNPs are all on the forward strand, and wrong for one that mixes strands. Under
``palindromic="auto"`` (the default of ``gwaskit meta``) each study is checked:

1. against the reference (:mod:`gwaskit.qc.frequency`): non-palindromic SNPs whose alleles
   match the reference only on the complement strand are strand flips
   (``strand_flips_reference`` of the QC summary); with at least :data:`MIN_CHECKED` SNPs
   compared the study is decided;
2. otherwise against the other studies: non-palindromic SNPs reported on the other strand than
   the first study carrying them (:func:`cross_study_flips`).

A study without flips keeps its palindromic SNPs as given (``"forward"``); a study with flips
has them aligned by allele frequency and those with MAF at or above the threshold (or without a
frequency) dropped (``"frequency"``). A study that cannot be checked either way is treated as
``"frequency"`` (the safe choice). The decision and its counts go into the studies table:
``strand_check`` (``reference``, ``studies`` or ``none``), ``strand_checked``,
``strand_flips``, ``palindromic_mode``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from gwaskit.meta.harmonise import EncodedStudy

log = logging.getLogger(__name__)
#: Fewest non-palindromic SNPs compared for a strand check to decide.
MIN_CHECKED = 20


def cross_study_flips(studies: Sequence[EncodedStudy]) -> list[tuple[int, int]]:
    """Per study: (non-palindromic SNPs it shares with another study, how many of them are on
    the other strand than the first study carrying the variant; the first study is compared
    with the second). Integer keys and one stable sort over all studies' rows."""
    letters = {"A": 0, "C": 1, "G": 2, "T": 3}
    chroms = sorted({c for e in studies for c in e.parts})
    chrom_rank = {c: i for i, c in enumerate(chroms)}
    keys, study, strand = [], [], []
    for s, e in enumerate(studies):
        lo = e.pairs["_lo"].to_list()
        hi = e.pairs["_hi"].to_list()
        usable = np.array(
            [
                a in letters and b in letters and not p
                for a, b, p in zip(lo, hi, e.pairs["_palindromic"].to_list(), strict=True)
            ],
            dtype=bool,
        )
        code = np.array(
            [letters.get(a, 0) * 4 + letters.get(b, 0) for a, b in zip(lo, hi, strict=True)],
            dtype=np.int64,
        )
        lut_strand = e.pairs["_strand"].to_numpy()
        for chrom, part in e.parts.items():
            pair = part["_pair"].to_numpy().astype(np.int64)
            ok = usable[pair]
            pos = part["base_pair_location"].to_numpy().astype(np.int64)[ok]
            keys.append(((chrom_rank[chrom] << 36) | (pos << 4)) | code[pair[ok]])
            study.append(np.full(pos.size, s, dtype=np.int64))
            strand.append(lut_strand[pair[ok]])
    n_st = len(studies)
    if not keys or sum(k.size for k in keys) == 0:
        return [(0, 0)] * n_st
    key, st, sd = np.concatenate(keys), np.concatenate(study), np.concatenate(strand)
    order = np.argsort(key, kind="stable")  # rows come in study order: the first study first
    key, st, sd = key[order], st[order], sd[order]
    new = np.ones(key.size, dtype=bool)
    new[1:] = key[1:] != key[:-1]
    group = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    size = np.diff(np.append(starts, key.size))
    shared = size[group] > 1
    first = sd[starts][group]
    second = sd[np.minimum(starts + 1, key.size - 1)][group]
    is_first = new
    other = np.where(is_first, second, first)
    flip = shared & (sd != other)
    checked = np.bincount(st[shared], minlength=n_st)
    flips = np.bincount(st[flip], minlength=n_st)
    return [(int(checked[s]), int(flips[s])) for s in range(n_st)]


def cross_table_flips(studies: Mapping[str, pl.LazyFrame]) -> dict[str, tuple[int, int]]:
    """:func:`cross_study_flips` of studies given as tables (SumStats LazyFrames, read one
    column set at a time): the same counts, from chromosome, position and alleles."""
    comp = {"A": "T", "T": "A", "C": "G", "G": "C"}
    ea, oa = pl.col("effect_allele"), pl.col("other_allele")
    lo0, hi0 = pl.min_horizontal(ea, oa), pl.max_horizontal(ea, oa)
    keep = (lo0 == "A") | ((lo0 == "C") & (hi0 == "G"))
    strand = ~keep
    ea_c = pl.when(strand).then(ea.replace(comp)).otherwise(ea)
    oa_c = pl.when(strand).then(oa.replace(comp)).otherwise(oa)
    frames = []
    for s, lf in enumerate(studies.values()):
        frames.append(
            lf.filter(
                (ea.str.len_bytes() == 1)
                & (oa.str.len_bytes() == 1)
                & ea.is_in(list("ACGT"))
                & oa.is_in(list("ACGT"))
                & (ea != oa)
                & (ea != oa.replace(comp))
                & pl.col("chromosome").is_not_null()
                & pl.col("base_pair_location").is_not_null()
            )
            .select(
                pl.col("chromosome").alias("c"),
                pl.col("base_pair_location").cast(pl.Int64),
                pl.min_horizontal(ea_c, oa_c).alias("_lo"),
                pl.max_horizontal(ea_c, oa_c).alias("_hi"),
                strand.alias("_strand"),
                pl.lit(s, pl.Int32).alias("s"),
            )
            .unique(["c", "base_pair_location", "_lo", "_hi"], keep="none")
        )
    names = list(studies)
    if not frames:
        return {}
    rows = pl.concat(frames).collect()
    counts = _flips(rows)
    return {names[s]: counts.get(s, (0, 0)) for s in range(len(names))}


def _flips(rows: pl.DataFrame) -> dict[int, tuple[int, int]]:
    rows = rows.sort("c", "base_pair_location", "_lo", "_hi", "s")
    key = ["c", "base_pair_location", "_lo", "_hi"]
    rows = rows.with_columns(
        pl.col("_strand").first().over(key).alias("_first"),
        pl.col("_strand").slice(1, 1).first().over(key).alias("_second"),
        pl.len().over(key).alias("_k"),
        (pl.col("s") == pl.col("s").first().over(key)).alias("_is_first"),
    ).filter(pl.col("_k") > 1)
    other = pl.when("_is_first").then("_second").otherwise("_first")
    per = rows.group_by("s").agg(
        pl.len().alias("checked"), (pl.col("_strand") != other).sum().alias("flips")
    )
    return {int(s): (int(c), int(f)) for s, c, f in per.iter_rows()}


def decide_modes(
    studies: Mapping[str, pl.LazyFrame],
    *,
    reference_checks: Mapping[str, tuple[int, int]] | None = None,
) -> tuple[dict[str, str], pl.DataFrame]:
    """:func:`decide_strand` for studies given as tables: ``{study: "forward" |
    "frequency"}`` and the same per-study rows."""
    reference_checks = reference_checks or {}
    cross: dict[str, tuple[int, int]] | None = None
    modes, rows = {}, []
    for name in studies:
        checked, flips = reference_checks.get(name, (0, 0))
        where = "reference"
        if checked < MIN_CHECKED and flips == 0:
            if cross is None:
                cross = cross_table_flips(studies)
            checked, flips = cross.get(name, (0, 0))
            where = "studies"
        mode, where = _mode(checked, flips, where)
        modes[name] = mode
        rows.append(
            {
                "study": name,
                "strand_check": where,
                "strand_checked": checked,
                "strand_flips": flips,
                "palindromic_mode": mode,
            }
        )
    return modes, pl.DataFrame(rows, schema=_SCHEMA)


def _mode(checked: int, flips: int, where: str) -> tuple[str, str]:
    if flips > 0:
        return "frequency", where
    if checked >= MIN_CHECKED:
        return "forward", where
    return "frequency", "none"


_SCHEMA = {
    "study": pl.String,
    "strand_check": pl.String,
    "strand_checked": pl.Int64,
    "strand_flips": pl.Int64,
    "palindromic_mode": pl.String,
}


def resolve_by_frequency(study: EncodedStudy, *, maf_threshold: float) -> EncodedStudy:
    """The study under ``"frequency"``: its palindromic SNPs with MAF at or above
    ``maf_threshold``, or without a frequency, dropped (and counted)."""
    palin = study.pairs["_palindromic"].to_numpy()
    counts = dict(study.counts)
    dropped = [study.dropped]
    parts = {}
    for chrom, part in study.parts.items():
        is_pal = palin[part["_pair"].to_numpy()]
        if "effect_allele_frequency" in part.columns:
            eaf = part["effect_allele_frequency"].to_numpy().astype(np.float64)
        else:
            eaf = np.full(part.height, np.nan)
        with np.errstate(invalid="ignore"):
            ambiguous = is_pal & (np.minimum(eaf, 1.0 - eaf) >= maf_threshold)
        missing = is_pal & np.isnan(eaf)
        drop = ambiguous | missing
        if drop.any():
            reason = np.where(missing[drop], "palindromic_no_frequency", "palindromic_ambiguous")
            gone = part.filter(pl.Series(drop))
            pairs = study.pairs[gone["_pair"].to_numpy()]
            lo, hi, sign = pairs["_lo"], pairs["_hi"], pairs["_sign"].to_numpy()
            strand = pairs["_strand"].to_numpy()
            comp = {"A": "T", "T": "A", "C": "G", "G": "C"}
            ea = np.where(sign > 0, lo.to_numpy(), hi.to_numpy())
            oa = np.where(sign > 0, hi.to_numpy(), lo.to_numpy())
            ea = np.where(strand, [comp.get(a, a) for a in ea], ea)
            oa = np.where(strand, [comp.get(a, a) for a in oa], oa)
            dropped.append(
                pl.DataFrame(
                    {
                        "study": pl.Series([study.name] * gone.height, dtype=pl.String),
                        "chromosome": pl.Series([chrom] * gone.height, dtype=pl.String),
                        "base_pair_location": gone["base_pair_location"].cast(pl.Int64),
                        "variant_id": gone["variant_id"],
                        "effect_allele": pl.Series(ea, dtype=pl.String),
                        "other_allele": pl.Series(oa, dtype=pl.String),
                        "reason": pl.Series(reason, dtype=pl.String),
                    }
                )
            )
            counts["palindromic_ambiguous"] = int(counts.get("palindromic_ambiguous", 0)) + int(
                (ambiguous & ~missing).sum()
            )
            counts["palindromic_no_frequency"] = int(
                counts.get("palindromic_no_frequency", 0)
            ) + int(missing.sum())
            counts["variants_kept"] = int(counts["variants_kept"]) - int(drop.sum())
            part = part.filter(~pl.Series(drop))
        parts[chrom] = part
    return replace(
        study,
        parts=parts,
        counts=counts,
        dropped=pl.concat(dropped, how="vertical_relaxed"),
        palindromic="frequency",
    )


def decide_strand(
    studies: Sequence[EncodedStudy],
    *,
    reference_checks: Mapping[str, tuple[int, int]] | None = None,
    maf_threshold: float = 0.4,
) -> tuple[list[EncodedStudy], pl.DataFrame]:
    """Decide ``"forward"`` or ``"frequency"`` for each study encoded under ``"auto"`` (see the
    module docstring); ``reference_checks``: ``{study: (SNPs compared, strand flips)}`` against
    the reference. Returns the studies (those with flips resolved by frequency) and one row per
    study: ``study``, ``strand_check``, ``strand_checked``, ``strand_flips``,
    ``palindromic_mode``."""
    reference_checks = reference_checks or {}
    cross: list[tuple[int, int]] | None = None
    out, rows = [], []
    for s, e in enumerate(studies):
        row: dict[str, Any] = {"study": e.name}
        if e.palindromic != "auto":
            row.update(strand_check="none", strand_checked=0, strand_flips=0)
            row["palindromic_mode"] = e.palindromic
            out.append(e)
            rows.append(row)
            continue
        checked, flips = reference_checks.get(e.name, (0, 0))
        where = "reference"
        if checked < MIN_CHECKED and flips == 0:
            if cross is None:
                cross = cross_study_flips(studies)
            checked, flips = cross[s]
            where = "studies"
        mode, where = _mode(checked, flips, where)
        row.update(strand_check=where, strand_checked=checked, strand_flips=flips)
        row["palindromic_mode"] = mode
        rows.append(row)
        out.append(
            resolve_by_frequency(e, maf_threshold=maf_threshold)
            if mode == "frequency"
            else replace(e, palindromic="forward")
        )
    return out, pl.DataFrame(rows, schema=_SCHEMA)


def reference_checks(summaries: Mapping[str, Mapping[str, object]]) -> dict[str, tuple[int, int]]:
    """``{study: (SNPs compared, strand flips)}`` against the reference, from each study's QC
    summary (:attr:`gwaskit.qc.sumstats.SumstatsQC.summary`)."""
    return {
        name: (
            int(s.get("strand_checked") or 0),  # type: ignore[call-overload]
            int(s.get("strand_flips_reference") or 0),  # type: ignore[call-overload]
        )
        for name, s in summaries.items()
    }


def log_strand_decisions(studies: pl.DataFrame) -> None:
    """Say, per study of a meta-analysis' studies table, what the strand check found and what
    was done with the palindromic SNPs."""
    if "palindromic_mode" not in studies.columns:
        return
    where_text = {"reference": "the reference", "studies": "the other studies"}
    for name, where, checked, flips, mode in studies.select(
        "study", "strand_check", "strand_checked", "strand_flips", "palindromic_mode"
    ).iter_rows():
        log.info(
            "%s: strand checked against %s (%s SNPs, %s flipped): palindromic SNPs %s",
            name,
            where_text.get(where, "nothing"),
            checked,
            flips,
            "kept as given" if mode == "forward" else "aligned by frequency",
        )
