"""Risk loci from summary statistics: significant variants, leads, distance windows, LD clumps.

Two ways to cut the genome-wide significant variants into loci:

``distance``
    Greedy leads: the most significant variant is a lead; every significant variant within
    ``window_kb`` of it is taken by it; repeat with what is left. Each lead spans
    ``lead ± window_kb``; overlapping spans merge into one locus (whose lead is the best of them).
``clump``
    PLINK ``--clump`` on an LD reference panel (Purcell et al. 2007, doi:10.1086/519795), then
    clumps whose spans (index to the furthest clumped variant) overlap or lie within
    ``merge_kb`` merge into one locus.

All thresholds compare ``neg_log_10_p_value`` (log space), never ``p_value``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.io.chromosomes import STANDARD, chromosome_order
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.loci.ld import match_to_reference, standardised_dosages
from gwaskit.loci.schema import LOCI_SCHEMA

log = logging.getLogger(__name__)

GENOME_WIDE = 5e-8

_LEAD_COLUMNS = (
    "variant_id",
    "rsid",
    "base_pair_location",
    "effect_allele",
    "other_allele",
    "effect_allele_frequency",
    "beta",
    "standard_error",
    "neg_log_10_p_value",
    "het_neg_log_10_p",  # heterogeneity of the lead across studies (MetaStats input)
    "i2",
)


def _chromosome_rank() -> pl.Expr:
    """Sort key of chromosome names (1..22, X, Y, MT, then others), vectorised."""
    return pl.col("chromosome").replace_strict(
        {c: i for i, c in enumerate(STANDARD)}, default=len(STANDARD), return_dtype=pl.Int64
    )


def _threshold(p: float, name: str) -> float:
    if not (0.0 < p <= 1.0):
        raise ParameterError(f"{name} must be in (0, 1], got {p!r}.")
    return float(-np.log10(p))


def _check_sumstats(sumstats: pl.DataFrame) -> None:
    need = ("chromosome", "base_pair_location", "neg_log_10_p_value")
    missing = [c for c in need if c not in sumstats.columns]
    if missing:
        raise ParameterError(
            f"sumstats must have columns {', '.join(need)}; missing {', '.join(missing)}."
        )


def is_testable(column: str = "neg_log_10_p_value") -> pl.Expr:
    """True where a variant has a p-value: ``column`` is neither null nor NaN.

    Untestable variants (a failed or impossible fit: PLINK 2 writes ``NA`` with an ERRCODE,
    gwaskit writes NaN with a ``reason``) have no p-value. They must never count as
    significant: in polars NaN compares greater than every number, so a bare
    ``neg_log_10_p_value >= t`` would take them as the best variants of all.
    """
    return pl.col(column).is_not_null() & pl.col(column).is_not_nan()


def drop_untestable(table: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """``table`` without its untestable rows, and how many there were.

    A row is untestable when it has no p-value at all: ``neg_log_10_p_value`` and (where the
    table has it) ``p_value`` both null or NaN. The verbs that take summary statistics or loci
    as given (``loci``, ``replicate``, ``annotate``) skip these rows and report the count;
    none is ever a locus.
    """
    present = [c for c in ("neg_log_10_p_value", "p_value") if c in table.columns]
    if not present:
        return table, 0
    keep = is_testable(present[0])
    for column in present[1:]:
        keep = keep | is_testable(column)
    kept = table.filter(keep)
    return kept, table.height - kept.height


def significant_variants(sumstats: pl.DataFrame, *, p: float = GENOME_WIDE) -> pl.DataFrame:
    """Variants with ``p <= p`` (from ``neg_log_10_p_value``), most significant first.

    Untestable variants (``neg_log_10_p_value`` null or NaN) are never significant. Ties are
    broken by chromosome and position, so the order is reproducible.
    """
    _check_sumstats(sumstats)
    t = _threshold(p, "p")
    return (
        sumstats.filter(is_testable() & (pl.col("neg_log_10_p_value") >= t))
        .with_columns(_chromosome_rank().alias("_co"))
        .sort(["neg_log_10_p_value", "_co", "base_pair_location"], descending=[True, False, False])
        .drop("_co")
    )


def lead_variants(sumstats: pl.DataFrame, *, p: float = GENOME_WIDE, window_kb: float = 500):
    """Distance-pruned leads: greedily, the best variant takes all significant ones within
    ``window_kb``; returns the leads (most significant first) with a ``lead_index`` column
    numbering them and ``n_significant`` (variants each lead took).
    """
    sig = significant_variants(sumstats, p=p)
    if window_kb < 0:
        raise ParameterError(f"window_kb must be >= 0, got {window_kb!r}.")
    w = round(window_kb * 1000)
    chrom = sig["chromosome"].to_numpy()
    pos = sig["base_pair_location"].to_numpy()
    owner = np.full(sig.height, -1, dtype=np.int64)
    for c in np.unique(chrom):
        rows = np.flatnonzero(chrom == c)  # already in p order
        order = np.argsort(pos[rows], kind="stable")
        sorted_pos = pos[rows][order]
        taken = np.zeros(rows.size, dtype=bool)  # indexed in position order
        rank_of = np.empty(rows.size, dtype=np.int64)
        rank_of[order] = np.arange(rows.size)
        for k in range(rows.size):  # one iteration per candidate lead, O(n log n) overall
            if taken[rank_of[k]]:
                continue
            lo = np.searchsorted(sorted_pos, pos[rows[k]] - w, side="left")
            hi = np.searchsorted(sorted_pos, pos[rows[k]] + w, side="right")
            span = np.arange(lo, hi)
            span = span[~taken[span]]
            taken[span] = True
            owner[rows[order[span]]] = rows[k]
    counts = np.bincount(owner, minlength=sig.height) if sig.height else np.zeros(0, np.int64)
    is_lead = owner == np.arange(sig.height)
    return (
        sig.with_columns(pl.Series("n_significant", counts, pl.Int64))
        .filter(pl.Series(is_lead))
        .with_row_index("lead_index")
    )


@dataclass(frozen=True)
class ClumpResult:
    """PLINK-style clumps.

    ``clumps``: one row per index variant (most significant first): chromosome,
    base_pair_location, variant_id, neg_log_10_p_value, ``n_clumped`` (secondary variants),
    ``start``/``end`` (span of index and secondaries), ``in_reference``.
    ``members``: one row per (index variant, secondary variant) with the r².
    """

    clumps: pl.DataFrame
    members: pl.DataFrame


def clump(
    sumstats: pl.DataFrame,
    reference: GenotypeSource,
    *,
    p1: float = GENOME_WIDE,
    p2: float = 1e-2,
    r2: float = 0.1,
    kb: float = 250,
) -> ClumpResult:
    """LD clumping with PLINK 1.9 ``--clump`` semantics.

    Index variants are taken in order of increasing p among those with ``p <= p1``; each
    collects, within ``kb`` of it, the not-yet-clumped variants with ``p <= p2`` whose r² with it
    (dosage correlation on ``reference``) is at least ``r2``. A clumped variant (index or
    secondary) joins no other clump, and an index candidate already clumped starts none (PLINK's
    default, without ``--clump-allow-overlap``). Variants absent from the reference cannot be
    secondaries; an index variant absent from it forms a clump of its own
    (``in_reference = False``; PLINK would drop it with a warning, but a genome-wide
    significant variant should not vanish from a locus list).

    Correlations are computed per chromosome from standardised dosages of the ``p <= p2``
    variants only, one index variant against its window at a time.
    """
    t1, t2 = _threshold(p1, "p1"), _threshold(p2, "p2")
    if t2 > t1:
        raise ParameterError(f"p2 must be >= p1, got p1={p1!r}, p2={p2!r}.")
    if not 0.0 <= r2 <= 1.0:
        raise ParameterError(f"r2 must be in [0, 1], got {r2!r}.")
    w = round(kb * 1000)
    cand = significant_variants(sumstats, p=p2)
    if "variant_id" not in cand.columns:
        cand = cand.with_columns(pl.lit(None, pl.String).alias("variant_id"))
    ref_index, _ = match_to_reference(cand, reference.variants)
    chrom = cand["chromosome"].to_numpy()
    pos = cand["base_pair_location"].to_numpy()
    nlp = cand["neg_log_10_p_value"].to_numpy()
    clump_rows: list[tuple[int, int, int, int, bool]] = []
    member_rows: list[tuple[np.ndarray, np.ndarray, int]] = []
    n_missing = n_secondary_missing = 0
    for c in np.unique(chrom):
        rows = np.flatnonzero(chrom == c)  # p order
        in_ref = ref_index[rows] >= 0
        n_missing += int(np.sum(~in_ref & (nlp[rows] >= t1)))
        n_secondary_missing += int(np.sum(~in_ref & (nlp[rows] < t1)))
        x, _ = standardised_dosages(reference, ref_index[rows[in_ref]])
        x = x.astype(np.float32)
        col = np.full(rows.size, -1, dtype=np.int64)
        col[in_ref] = np.arange(int(in_ref.sum()))
        order = np.argsort(pos[rows], kind="stable")
        sorted_pos = pos[rows][order]
        taken = np.zeros(rows.size, dtype=bool)  # by p-order position within chromosome
        n = max(x.shape[0], 1)
        for k in range(rows.size):
            if nlp[rows[k]] < t1:
                break
            if taken[k]:
                continue
            taken[k] = True
            if col[k] < 0:
                clump_rows.append((rows[k], 0, pos[rows[k]], pos[rows[k]], False))
                continue
            lo = np.searchsorted(sorted_pos, pos[rows[k]] - w, side="left")
            hi = np.searchsorted(sorted_pos, pos[rows[k]] + w, side="right")
            window = order[lo:hi]
            window = window[~taken[window] & (col[window] >= 0)]
            if window.size:
                r = (x[:, col[window]].T @ x[:, col[k]]).astype(np.float64) / n
                keep = r * r >= r2 - 1e-12
                sec = window[keep]
                taken[sec] = True
                member_rows.append((rows[sec], (r * r)[keep], rows[k]))
            else:
                sec = window
            span = pos[rows[np.append(sec, k)]]
            clump_rows.append((rows[k], sec.size, int(span.min()), int(span.max()), True))
    if n_missing:
        log.warning(
            "%d index variant(s) are not in the LD reference; each forms its own clump.",
            n_missing,
        )
    if n_secondary_missing:
        log.info(
            "%d variant(s) with p <= p2 are not in the LD reference and were not clumped.",
            n_secondary_missing,
        )
    idx = np.array([r[0] for r in clump_rows], dtype=np.int64)
    clumps = (
        cand[idx]
        .select("chromosome", "base_pair_location", "variant_id", "neg_log_10_p_value")
        .with_columns(
            pl.Series("n_clumped", [r[1] for r in clump_rows], pl.Int64),
            pl.Series("start", [r[2] for r in clump_rows], pl.Int64),
            pl.Series("end", [r[3] for r in clump_rows], pl.Int64),
            pl.Series("in_reference", [r[4] for r in clump_rows], pl.Boolean),
            pl.Series("_row", idx, pl.Int64),
        )
        .sort(["neg_log_10_p_value", "_row"], descending=[True, False])
    )
    if member_rows:
        sec_rows = np.concatenate([m[0] for m in member_rows])
        sec_r2 = np.concatenate([m[1] for m in member_rows])
        owners = np.concatenate([np.full(m[0].size, m[2]) for m in member_rows])
    else:
        sec_rows = owners = np.zeros(0, dtype=np.int64)
        sec_r2 = np.zeros(0)
    members = pl.DataFrame(
        {
            "index_variant_id": cand["variant_id"].gather(owners),
            "variant_id": cand["variant_id"].gather(sec_rows),
            "chromosome": cand["chromosome"].gather(sec_rows),
            "base_pair_location": cand["base_pair_location"].gather(sec_rows),
            "neg_log_10_p_value": cand["neg_log_10_p_value"].gather(sec_rows),
            "r2": pl.Series(sec_r2, dtype=pl.Float64),
        }
    )
    return ClumpResult(clumps=clumps.drop("_row"), members=members)


def _merge_intervals(chrom: np.ndarray, start: np.ndarray, end: np.ndarray, gap: int) -> np.ndarray:
    """Group id per interval: intervals on one chromosome closer than ``gap`` share a group."""
    order = np.lexsort((start, np.array([chromosome_order(c) for c in chrom]), chrom))
    group = np.empty(chrom.size, dtype=np.int64)
    g, cur_chrom, cur_end = -1, None, -1
    for i in order:  # one iteration per lead/clump, not per variant
        if chrom[i] != cur_chrom or start[i] > cur_end + gap:
            g += 1
            cur_chrom, cur_end = chrom[i], end[i]
        else:
            cur_end = max(cur_end, end[i])
        group[i] = g
    return group


def define_loci(
    sumstats: pl.DataFrame,
    *,
    p: float = GENOME_WIDE,
    window_kb: float = 500,
    reference: GenotypeSource | None = None,
    clump_r2: float = 0.1,
    clump_p2: float = 1e-2,
    clump_kb: float | None = None,
    merge_kb: float = 250,
) -> pl.DataFrame:
    """The Loci table (:data:`gwaskit.loci.schema.LOCI_SCHEMA`) of a SumStats/MetaStats table.

    Parameters
    ----------
    sumstats
        SumStats or MetaStats; thresholds use ``neg_log_10_p_value``.
    p
        Genome-wide significance threshold for leads (and index variants).
    window_kb
        Without ``reference``: distance loci, each lead ± ``window_kb`` kb, overlapping windows
        merged. With ``reference``: the default clumping window when ``clump_kb`` is None.
    reference
        LD reference panel; when given, loci come from PLINK-style clumping (see :func:`clump`)
        with ``clump_r2``, ``clump_p2`` and ``clump_kb``, and clumps whose spans lie within
        ``merge_kb`` of each other form one locus.

    Returns
    -------
    polars.DataFrame
        One row per locus, ordered by chromosome and start, with every LOCI_SCHEMA column
        (annotation, novelty and replication columns null until filled) plus ``n_leads``: the
        distance leads or LD-independent index variants merged into the locus. ``n_signals``
        starts as ``n_leads``; :func:`gwaskit.loci.cojo.cojo_loci` replaces it with the count of
        conditionally independent signals.
    """
    _check_sumstats(sumstats)
    sig = significant_variants(sumstats, p=p)
    if reference is None:
        leads = lead_variants(sumstats, p=p, window_kb=window_kb)
        w = round(window_kb * 1000)
        chrom = leads["chromosome"].to_numpy()
        pos = leads["base_pair_location"].to_numpy()
        start, end = np.maximum(pos - w, 1), pos + w
        group = _merge_intervals(chrom, start, end, gap=0)
    else:
        result = clump(
            sumstats,
            reference,
            p1=p,
            p2=max(clump_p2, p),
            r2=clump_r2,
            kb=window_kb if clump_kb is None else clump_kb,
        )
        keys = ["chromosome", "base_pair_location", "variant_id"]
        leads = result.clumps.select(keys).join(
            sig.unique(subset=keys, keep="first", maintain_order=True),
            on=keys,
            how="left",
            maintain_order="left",
            nulls_equal=True,
        )
        chrom = leads["chromosome"].to_numpy()
        start = result.clumps["start"].to_numpy()
        end = result.clumps["end"].to_numpy()
        group = _merge_intervals(chrom, start, end, gap=round(merge_kb * 1000))
    return _assemble(sig, leads, group, start, end)


def _assemble(
    sig: pl.DataFrame,
    leads: pl.DataFrame,
    group: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
) -> pl.DataFrame:
    if leads.height == 0:
        return empty_loci()
    leads = leads.with_columns(
        pl.Series("_group", group),
        pl.Series("_start", start, pl.Int64),
        pl.Series("_end", end, pl.Int64),
    )
    for name in _LEAD_COLUMNS:
        if name not in leads.columns:
            leads = leads.with_columns(pl.lit(None, LOCI_SCHEMA[name]).alias(name))
    spans = leads.group_by("_group").agg(
        pl.col("chromosome").first(),
        pl.col("_start").min().alias("start"),
        pl.col("_end").max().alias("end"),
        pl.len().cast(pl.Int64).alias("n_leads"),
    )
    best = (
        leads.sort("neg_log_10_p_value", descending=True, maintain_order=True)
        .group_by("_group", maintain_order=True)
        .first()
        .select("_group", *_LEAD_COLUMNS)
    )
    loci = spans.join(best, on="_group")
    # significant variants inside each locus span
    sig_pos = sig.select("chromosome", "base_pair_location")
    counts = (
        loci.select("_group", "chromosome", "start", "end")
        .join(sig_pos, on="chromosome")
        .filter(pl.col("base_pair_location").is_between(pl.col("start"), pl.col("end")))
        .group_by("_group")
        .agg(pl.len().cast(pl.Int64).alias("n_significant"))
    )
    loci = (
        loci.join(counts, on="_group", how="left")
        .with_columns(
            pl.col("n_significant").fill_null(0),
            pl.col("n_leads").alias("n_signals"),
            pl.format("chr{}:{}-{}", "chromosome", "start", "end").alias("locus_id"),
        )
        .with_columns(_chromosome_rank().alias("_co"))
        .sort(["_co", "start"])
    )
    return conform_loci(loci.drop("_group", "_co"))


def conform_loci(table: pl.DataFrame) -> pl.DataFrame:
    """LOCI_SCHEMA columns first (nulls where absent, typed), extra columns kept after."""
    cols = [
        pl.col(c).cast(t) if c in table.columns else pl.lit(None, t).alias(c)
        for c, t in LOCI_SCHEMA.items()
    ]
    extra = [c for c in table.columns if c not in LOCI_SCHEMA]
    return table.select(*cols, *extra)


def empty_loci() -> pl.DataFrame:
    """A Loci table with no rows (and the ``n_leads`` extra column)."""
    return conform_loci(pl.DataFrame(schema={**LOCI_SCHEMA, "n_leads": pl.Int64()}))
