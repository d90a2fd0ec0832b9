"""Sample quality control: call rate, heterozygosity, relatedness, sex.

* call rate over the variants (``--mind``);
* heterozygosity: the method-of-moments inbreeding coefficient of
  ``plink2 --het small-sample`` (PLINK 1.x's ``--het``),
  ``F = (O_hom - E_hom) / (N - E_hom)`` over autosomal variants, with
  ``E_hom = sum_v 1 - 2 p_v q_v * 2 N_v / (2 N_v - 1)`` (``N_v`` the samples called at variant
  ``v``; plain ``plink2 --het`` leaves out the small-sample factor ``2 N_v / (2 N_v - 1)``);
  samples beyond ``het_sd`` standard deviations of the mean F are outliers;
* relatedness by KING-robust kinship (:mod:`gwaskit.qc.kinship`), removing a minimal set of
  samples so that no pair above the cut-off remains (greedy: the sample related to most others
  first; on ties a control before a case, then the lower call rate);
* sex from X heterozygosity (``plink --check-sex``): ``F_X > 0.8`` male, ``< 0.2`` female.

Every removal is listed with its reason in :attr:`SampleQC.removed`.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.engine import Engine
from gwaskit.errors import ParameterError
from gwaskit.io.chromosomes import haploid_x
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.qc.kinship import KING_DEGREES, PAIR_SCHEMA, KingResult, king_kinship
from gwaskit.qc.packed import count_per_sample, map_blocks

#: PLINK's --check-sex F thresholds: below FEMALE_MAX_F female, above MALE_MIN_F male.
FEMALE_MAX_F, MALE_MIN_F = 0.2, 0.8
#: Fewest X variants for a sex check.
MIN_X_VARIANTS = 20


def per_sample_counts(
    source: GenotypeSource, weights: np.ndarray, *, engine: Engine | None = None
) -> np.ndarray:
    """``float64 (n_samples, 4)``: missing, het, hom calls and expected hom count, over the
    variants whose weight (expected homozygosity) is not NaN; see
    :func:`gwaskit.qc.packed.count_per_sample`."""
    weights = np.asarray(weights, dtype=np.float64)
    n = source.n_samples
    parts = map_blocks(
        source,
        lambda b, packed: count_per_sample(packed, n, weights[b.start : b.stop]),
        engine=engine,
        description="counting per sample",
    )
    return np.sum(parts, axis=0) if parts else np.zeros((n, 4))


def expected_homozygosity(counts: np.ndarray) -> np.ndarray:
    """``1 - 2 p q * 2N / (2N - 1)`` per variant from ``(hom_a1, het, hom_a2)`` counts
    (unbiased expected heterozygosity, as ``plink2 --het small-sample``); NaN where fewer than
    2 calls."""
    hom1, het, hom2 = (counts[:, k].astype(np.float64) for k in range(3))
    called = hom1 + het + hom2
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (2 * hom1 + het) / (2 * called)
        out = 1.0 - 2.0 * p * (1.0 - p) * (2 * called) / (2 * called - 1)
    return np.where(called >= 2, out, np.nan)


def inbreeding_f(per_sample: np.ndarray) -> np.ndarray:
    """Method-of-moments F from :func:`per_sample_counts` output (NaN if undefined)."""
    o_hom, e_hom = per_sample[:, 2], per_sample[:, 3]
    n = per_sample[:, 1] + per_sample[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n - e_hom > 0, (o_hom - e_hom) / (n - e_hom), np.nan)


def impute_sex(f_x: np.ndarray) -> np.ndarray:
    """1 male (F > 0.8), 2 female (F < 0.2), 0 undetermined; as ``plink --check-sex``."""
    return np.where(f_x > MALE_MIN_F, 1, np.where(f_x < FEMALE_MAX_F, 2, 0)).astype(np.int8)


def het_outliers(f: np.ndarray, keep: np.ndarray, het_sd: float) -> np.ndarray:
    """Samples (among ``keep``) whose F lies beyond ``het_sd`` SDs of the kept samples' mean."""
    values = f[keep & np.isfinite(f)]
    if values.size < 3:
        return np.zeros(f.size, dtype=bool)
    mean, sd = values.mean(), values.std(ddof=1)
    return keep & np.isfinite(f) & (np.abs(f - mean) > het_sd * sd)


def related_to_remove(
    pairs: np.ndarray,
    n_samples: int,
    *,
    is_case: np.ndarray | None = None,
    call_rate: np.ndarray | None = None,
) -> np.ndarray:
    """Samples to remove so that no pair in ``pairs`` (``(k, 2)`` sample indices) is left.

    Greedy towards keeping the most samples: repeatedly remove the sample in the most remaining
    pairs; on ties prefer to remove a control (keeping cases), then the lower call rate, then
    the later sample. Returns a sorted index array.
    """
    if pairs.size == 0:
        return np.zeros(0, dtype=np.int64)
    case = np.zeros(n_samples, bool) if is_case is None else np.asarray(is_case, bool)
    rate = np.ones(n_samples) if call_rate is None else np.asarray(call_rate, float)
    neighbours: dict[int, set[int]] = {}
    for a, b in pairs.tolist():
        if a != b:
            neighbours.setdefault(a, set()).add(b)
            neighbours.setdefault(b, set()).add(a)

    def key(s: int) -> tuple[int, int, float, int]:  # smallest = removed first
        return (-len(neighbours[s]), -int(not case[s]), float(rate[s]), -s)

    # a heap with lazy deletion: an entry is stale when its sample's degree has changed
    heap = [(*key(s), s) for s in neighbours]
    heapq.heapify(heap)
    removed = []
    while heap:
        entry = heapq.heappop(heap)
        worst = entry[-1]
        if worst not in neighbours or -entry[0] != len(neighbours[worst]):
            continue
        for other in neighbours.pop(worst):
            neighbours[other].discard(worst)
            if neighbours[other]:
                heapq.heappush(heap, (*key(other), other))
            else:
                del neighbours[other]
        removed.append(worst)
    return np.sort(np.array(removed, dtype=np.int64))


def closest_relative(
    pairs: np.ndarray, kinship: np.ndarray, samples: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``samples``: its partner of highest kinship among ``pairs`` (the first such
    pair on ties) and that kinship. Every sample must be in some pair."""
    rows = np.arange(pairs.shape[0])
    me = np.concatenate([pairs[:, 0], pairs[:, 1]])
    other = np.concatenate([pairs[:, 1], pairs[:, 0]])
    kin = np.concatenate([kinship, kinship])
    row = np.concatenate([rows, rows])
    sel = np.isin(me, samples)
    me, other, kin, row = me[sel], other[sel], kin[sel], row[sel]
    order = np.lexsort((row, -kin, me))
    me, other, kin = me[order], other[order], kin[order]
    first = np.ones(me.size, dtype=bool)
    first[1:] = me[1:] != me[:-1]
    at = np.searchsorted(me[first], samples)
    return other[first][at], kin[first][at]


def degree_of(kinship: np.ndarray) -> np.ndarray:
    """Relationship degree name by KING's cut-offs ("unrelated" below third degree)."""
    out = np.full(np.shape(kinship), "unrelated", dtype=object)
    for name, cut in sorted(KING_DEGREES.items(), key=lambda kv: kv[1]):
        out[np.asarray(kinship) > cut] = name
    return out


@dataclass(frozen=True)
class SampleQC:
    """Result of :func:`sample_qc`.

    Attributes
    ----------
    table
        One row per sample: fid, iid, sex, call_rate, n_het, het_rate, f_inbreeding (autosomes),
        f_x, imputed_sex, keep, reason.
    removed
        The removed samples: fid, iid, reason, detail; one row per sample (first reason).
    related
        Pairs above the kinship cut-off: fid1 iid1 fid2 iid2 n_variants hethet ibs0 kinship
        degree.
    keep
        Boolean mask over the source's samples.
    """

    table: pl.DataFrame
    removed: pl.DataFrame
    related: pl.DataFrame
    keep: np.ndarray


def sample_qc(
    source: GenotypeSource,
    *,
    variant_counts: np.ndarray,
    variant_mask: np.ndarray,
    phenotype: np.ndarray | None = None,
    keep_samples: np.ndarray | None = None,
    call_rate: np.ndarray | None = None,
    mind: float | None = 0.05,
    het_sd: float | None = 3.0,
    king_cutoff: float | None = KING_DEGREES["second"],
    check_sex: bool = True,
    engine: Engine | None = None,
) -> SampleQC:
    """Heterozygosity, sex and relatedness checks, after the call-rate filter.

    Parameters
    ----------
    source
        Genotypes.
    variant_counts
        ``int64 (n_variants, 3)`` counts ``hom_a1, het, hom_a2`` in the samples kept so far
        (the allele frequencies of F).
    variant_mask
        Variants to use for heterozygosity and kinship (QC-passing); autosomes are taken from
        it, and every X variant with counts for the sex check.
    phenotype
        1 case, 0 control, other unknown: relatedness removal prefers to keep cases.
    keep_samples
        Samples still in (default all); ``call_rate`` their call rates, used with ``mind``.
    """
    if het_sd is not None and het_sd <= 0:
        raise ParameterError(f"het_sd must be positive, got {het_sd!r}.")
    if king_cutoff is not None and not 0 < king_cutoff < 0.5:
        raise ParameterError(f"king_cutoff must be in (0, 0.5), got {king_cutoff!r}.")
    n = source.n_samples
    samples = source.samples
    keep = np.ones(n, bool) if keep_samples is None else np.asarray(keep_samples, bool).copy()
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)
    if call_rate is not None and mind is not None:
        low = keep & (call_rate < 1.0 - mind - 1e-12)
        reason[low] = "call_rate"
        detail[low] = [f"call rate {r:.4f} < {1 - mind:.4f}" for r in call_rate[low]]
        keep &= ~low

    chromosome = source.variants["chromosome"].to_numpy()
    autosomal = variant_mask & ~np.isin(chromosome, ["X", "Y", "MT"])
    e_hom = expected_homozygosity(variant_counts)
    weights = np.where(autosomal, e_hom, np.nan)
    auto = per_sample_counts(source, weights, engine=engine)
    f = inbreeding_f(auto)
    called = auto[:, 1] + auto[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        het_rate = np.where(called > 0, auto[:, 1] / called, np.nan)
    if het_sd is not None:
        out = het_outliers(f, keep, het_sd)
        reason[out] = "heterozygosity"
        detail[out] = [f"F {v:.4f} beyond {het_sd} SD" for v in f[out]]
        keep &= ~out

    is_x = haploid_x(chromosome, source.variants["base_pair_location"], source.build)
    f_x = np.full(n, np.nan)
    imputed = np.zeros(n, dtype=np.int8)
    if check_sex and is_x.sum() >= MIN_X_VARIANTS:
        x_counts = per_sample_counts(source, np.where(is_x, e_hom, np.nan), engine=engine)
        f_x = inbreeding_f(x_counts)
        imputed = impute_sex(f_x)
        reported = samples["sex"].to_numpy()
        mismatch = keep & (reported > 0) & (imputed > 0) & (reported != imputed)
        reason[mismatch] = "sex_mismatch"
        detail[mismatch] = [
            f"reported {'male' if r == 1 else 'female'}, X F {v:.3f}"
            for r, v in zip(reported[mismatch], f_x[mismatch], strict=True)
        ]
        keep &= ~mismatch

    related = pl.DataFrame(schema={**PAIR_SCHEMA, "degree": pl.String})
    if king_cutoff is not None:
        kept = np.flatnonzero(keep)
        king = king_kinship(
            source,
            variant_mask=autosomal,
            sample_index=kept,
            min_kinship=king_cutoff,
            engine=engine,
        )
        related = _related_table(king, king_cutoff, samples)
        is_case = None if phenotype is None else np.asarray(phenotype) == 1
        drop = related_to_remove(king.pairs, n, is_case=is_case, call_rate=call_rate)
        if drop.size:
            other, kinship = closest_relative(king.pairs, king.kinship, drop)
            fid, iid = samples["fid"].to_numpy(), samples["iid"].to_numpy()
            degree = degree_of(kinship)
            reason[drop] = "relatedness"
            detail[drop] = [
                f"kinship {k:.4f} with {fid[o]} {iid[o]} "
                + ("(duplicate)" if d == "duplicate" else f"({d} degree)")
                for k, o, d in zip(kinship, other, degree, strict=True)
            ]
        keep[drop] = False

    table = samples.with_columns(
        pl.Series("call_rate", call_rate if call_rate is not None else np.full(n, np.nan)),
        pl.Series("n_het", auto[:, 1].astype(np.int64)),
        pl.Series("het_rate", het_rate),
        pl.Series("f_inbreeding", f),
        pl.Series("f_x", f_x),
        pl.Series("imputed_sex", imputed),
        pl.Series("keep", keep),
        pl.Series("reason", reason.astype(str)).replace("", None),
    )
    removed = pl.DataFrame(
        {
            "fid": samples["fid"].to_numpy()[reason != ""],
            "iid": samples["iid"].to_numpy()[reason != ""],
            "reason": reason[reason != ""].astype(str),
            "detail": detail[reason != ""].astype(str),
        },
        schema={"fid": pl.String, "iid": pl.String, "reason": pl.String, "detail": pl.String},
    )
    return SampleQC(table=table, removed=removed, related=related, keep=keep)


def _related_table(king: KingResult, cutoff: float, samples: pl.DataFrame) -> pl.DataFrame:
    table = king.table(samples, min_kinship=cutoff)
    return table.with_columns(
        pl.Series("degree", degree_of(table["kinship"].to_numpy()).astype(str), dtype=pl.String)
    )
