"""Tissue enrichment: gene-level association, then enrichment in tissue-specific genes.

Gene-level test (the SNP-wise mean model of MAGMA, de Leeuw et al. 2015,
doi:10.1371/journal.pcbi.1004219, with the null distribution approximated as in Brown 1975 /
Satterthwaite): for the ``m`` variants within ``window_kb`` of a gene,
``Q = sum_j chi2_j`` where ``chi2_j`` is the 1-df statistic of variant ``j``. Under the null the
z-scores are ``N(0, R)`` with ``R`` the LD correlation matrix on a reference panel, so
``E[Q] = m`` and ``Var[Q] = 2 sum_jk r_jk^2``; ``Q / c`` is referred to a chi-square with
``nu`` degrees of freedom, ``c = Var / (2 E)``, ``nu = 2 E^2 / Var``. The gene p is turned into
``z_g = Phi^{-1}(1 - p_g)`` (in log space).

Enrichment (MAGMA's gene-property analysis, with a binary property): per tissue, the linear
regression of ``z_g`` on the indicator that the gene is specifically expressed in the tissue
(top 5 % of GTEx t-scores, deTS's definition; see ``gwaskit/data/PROVENANCE.md``), adjusting
for log gene length and log number of variants; one-sided t-test (more association in
specific genes), Benjamini-Hochberg FDR across tissues. Background: genes with a gene-level
test that the GTEx table holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import polars as pl
from scipy import special
from threadpoolctl import threadpool_limits

from gwaskit.errors import ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.loci.ld import match_to_reference, standardised_dosages
from gwaskit.stats import LN10, chi2_from_neg_log10_p, neg_log10_p_from_chi2, neg_log10_p_from_t


@cache
def load_tissue_specificity() -> pl.DataFrame:
    """Bundled GTEx specific-gene sets: ``symbol`` and one 0/1 column per tissue (47)."""
    path = resources.files("gwaskit") / "data" / "gtex_specific_genes.tsv.gz"
    with resources.as_file(path) as file:
        table = pl.read_csv(file, separator="\t")
    return table.with_columns(pl.exclude("symbol").cast(pl.Int8))


@dataclass(frozen=True)
class GeneModel:
    """Per-gene variant sets and their null moments, fixed once per reference panel.

    ``genes`` (symbol, chromosome, start, end, n_snps), ``variant_index`` (rows of the
    sumstats table used), ``offsets`` (gene ``g`` uses ``variant_index[offsets[g]:offsets[g+1]]``),
    ``sum_r2`` (``sum_jk r_jk^2`` per gene).
    """

    genes: pl.DataFrame
    variant_index: np.ndarray
    offsets: np.ndarray
    sum_r2: np.ndarray


def prepare_genes(
    sumstats: pl.DataFrame,
    reference: GenotypeSource,
    genes: pl.DataFrame,
    *,
    window_kb: float = 10,
    max_snps: int = 3000,
) -> GeneModel:
    """Assign sumstats variants (found in the reference) to genes and compute ``sum r²``.

    Genes keep at most ``max_snps`` variants (evenly thinned beyond; logged in ``n_snps``).
    """
    w = round(window_kb * 1000)
    ref_index, _ = match_to_reference(sumstats, reference.variants)
    rows_all = np.flatnonzero(ref_index >= 0)
    chrom_all = sumstats["chromosome"].to_numpy()[rows_all]
    pos_all = sumstats["base_pair_location"].to_numpy()[rows_all]
    tables: list[pl.DataFrame] = []
    index_parts: list[np.ndarray] = []
    counts: list[int] = []
    sums: list[float] = []
    for chrom in np.unique(chrom_all):
        on = genes.filter(pl.col("chromosome") == chrom)
        if on.height == 0:
            continue
        sel = np.flatnonzero(chrom_all == chrom)
        order = np.argsort(pos_all[sel], kind="stable")
        rows = rows_all[sel][order]
        pos = pos_all[sel][order]
        lo = np.searchsorted(pos, on["start"].to_numpy() - w, side="left")
        hi = np.searchsorted(pos, on["end"].to_numpy() + w, side="right")
        has = hi > lo
        if not has.any():
            continue
        used = np.unique(
            np.concatenate([np.arange(a, b) for a, b in zip(lo[has], hi[has], strict=True)])
        )
        x, _ = standardised_dosages(reference, ref_index[rows[used]])
        col = np.full(rows.size, -1)
        col[used] = np.arange(used.size)
        n = max(x.shape[0], 1)
        kept = []
        for g in np.flatnonzero(has):
            span = np.arange(lo[g], hi[g])
            if span.size > max_snps:
                span = span[np.linspace(0, span.size - 1, max_snps).astype(np.int64)]
            xg = x[:, col[span]]
            small = xg.T @ xg if span.size <= n else xg @ xg.T
            sums.append(float(np.sum(small * small)) / (n * n))
            index_parts.append(rows[span])
            counts.append(span.size)
            kept.append(g)
        tables.append(on[np.array(kept)].select("symbol", "chromosome", "start", "end"))
    if not counts:
        raise ParameterError("no gene has a variant of the summary statistics in the reference.")
    table = pl.concat(tables).with_columns(pl.Series("n_snps", counts, pl.Int64))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return GeneModel(table, np.concatenate(index_parts), offsets, np.array(sums))


def gene_statistics(model: GeneModel, chi2: np.ndarray) -> pl.DataFrame:
    """Gene-level tests for per-variant 1-df statistics ``chi2`` (aligned with the sumstats).

    Returns ``model.genes`` with ``stat`` (Q), ``df`` (nu), ``neg_log_10_p_value`` and ``z``.
    """
    q = np.add.reduceat(chi2[model.variant_index], model.offsets[:-1])
    m = np.diff(model.offsets).astype(np.float64)
    var = 2.0 * np.maximum(model.sum_r2, m)  # sum r² >= m (its diagonal); guards rounding
    c = var / (2.0 * m)
    nu = 2.0 * m * m / var
    nlp = np.array(
        [neg_log10_p_from_chi2(qi / ci, df=float(di)) for qi, ci, di in zip(q, c, nu, strict=True)]
    )
    nlp = np.where(np.isfinite(nlp), np.maximum(nlp, 0.0), np.nan)
    z = -special.ndtri_exp(-nlp * LN10)  # Phi^-1(1 - p), p = 10^-nlp
    return model.genes.with_columns(
        pl.Series("stat", q),
        pl.Series("df", nu),
        pl.Series("neg_log_10_p_value", nlp),
        pl.Series("z", z),
    )


def gene_association(
    sumstats: pl.DataFrame,
    reference: GenotypeSource,
    genes: pl.DataFrame,
    *,
    window_kb: float = 10,
) -> pl.DataFrame:
    """Gene-level association of every gene with variants in ``sumstats`` and ``reference``."""
    # one BLAS thread: the LD sums' last bits would otherwise follow the BLAS thread count, and
    # a Dask worker (one thread) would not write the bytes a local run writes
    with threadpool_limits(limits=1):
        model = prepare_genes(sumstats, reference, genes, window_kb=window_kb)
    return gene_statistics(model, variant_chi2(sumstats))


def variant_chi2(sumstats: pl.DataFrame) -> np.ndarray:
    """1-df statistics from ``neg_log_10_p_value`` (exact in log space)."""
    return chi2_from_neg_log10_p(sumstats["neg_log_10_p_value"].cast(pl.Float64).to_numpy())


def _bh_neg_log10(nlp: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted -log10 p (q values), in log space."""
    m = nlp.size
    order = np.argsort(-nlp)  # smallest p first
    ranks = np.arange(1, m + 1)
    adj = nlp[order] - np.log10(m / ranks)
    adj = np.maximum.accumulate(adj[::-1])[::-1]  # q_i = min_{j >= i} p_j m / j
    out = np.empty(m)
    out[order] = np.maximum(adj, 0.0)
    return out


def tissue_enrichment(
    gene_results: pl.DataFrame, specificity: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One-sided enrichment of gene association in tissue-specific genes, per tissue.

    Returns tissue, n_genes, n_specific, beta (mean shift of gene z in specific genes,
    adjusted), standard_error, neg_log_10_p_value, p_value, fdr, neg_log_10_fdr; sorted by p.
    Tissues none of whose specific genes were tested get nulls (and do not count for the FDR).
    """
    spec = load_tissue_specificity() if specificity is None else specificity
    data = (
        gene_results.filter(pl.col("z").is_finite())
        .group_by("symbol")
        .agg(pl.all().sort_by("neg_log_10_p_value").last())
        .join(spec, on="symbol", how="inner")
        .sort("symbol")
    )
    tissues = [c for c in spec.columns if c != "symbol"]
    n = data.height
    if n < 10:
        raise ParameterError(f"tissue enrichment needs at least 10 tested genes, got {n}.")
    z = data["z"].to_numpy()
    length = np.log(np.maximum(data["end"].to_numpy() - data["start"].to_numpy() + 1, 1))
    cov = np.column_stack([np.ones(n), length, np.log(data["n_snps"].to_numpy())])
    s = data.select(tissues).to_numpy().astype(np.float64)
    # residualise on the covariates once (Frisch-Waugh-Lovell), then one regression per tissue
    with threadpool_limits(limits=1):  # the same bytes whatever the BLAS thread count
        proj = np.linalg.lstsq(cov, np.column_stack([z, s]), rcond=None)[0]
        res = np.column_stack([z, s]) - cov @ proj
    zr, sr = res[:, 0], res[:, 1:]
    sxx = np.einsum("ij,ij->j", sr, sr)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = sr.T @ zr / sxx
        df = n - cov.shape[1] - 1
        rss = zr @ zr - beta * beta * sxx
        se = np.sqrt(rss / df / sxx)
        t = beta / se
    two = neg_log10_p_from_t(t, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        one = np.where(t > 0, two + np.log10(2.0), -np.log10(1.0 - 0.5 * 10.0 ** (-two)))
    one = np.where(np.isfinite(t), one, np.nan)
    ok = np.isfinite(one)
    fdr = np.full(one.size, np.nan)
    fdr[ok] = _bh_neg_log10(one[ok])
    return (
        pl.DataFrame(
            {
                "tissue": tissues,
                "n_genes": [n] * len(tissues),
                "n_specific": s.sum(axis=0).astype(np.int64),
                "beta": beta,
                "standard_error": se,
                "neg_log_10_p_value": one,
                "p_value": 10.0 ** (-one),
                "fdr": 10.0 ** (-fdr),
                "neg_log_10_fdr": fdr,
            }
        )
        .with_columns(
            # a tissue with no (or only) specific genes among those tested has no test: null
            pl.col(pl.Float64).fill_nan(None)
        )
        .sort("neg_log_10_p_value", descending=True, nulls_last=True)
    )
