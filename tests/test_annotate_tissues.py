"""Tissue enrichment on a simulated panel whose variants sit in real genes (GENCODE GRCh37)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gwaskit.annotate.genes import load_genes
from gwaskit.annotate.tissues import (
    _bh_neg_log10,
    gene_statistics,
    load_tissue_specificity,
    prepare_genes,
    tissue_enrichment,
)
from gwaskit.io import open_genotypes
from gwaskit.stats import chi2_from_neg_log10_p, neg_log10_p_from_z
from loci_fixtures import simulate_ld_genotypes, write_bed

SNPS_PER_GENE = 4
ARTERY = "Artery - Tibial"


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory):
    """1,600 genes (400 Artery-Tibial-specific, 1,200 others), 4 variants inside each gene in
    an LD block (AR(1) latent correlation 0.8), 300 reference people."""
    rng = np.random.default_rng(5)
    spec = load_tissue_specificity()
    genes = (
        load_genes("GRCh37")
        .filter(pl.col("chromosome").is_in([str(i) for i in range(1, 23)]))
        .join(spec.select("symbol", ARTERY), on="symbol")
        .unique(subset="symbol", keep="first")
        .filter(pl.col("end") - pl.col("start") > 2_000)
        .sort("symbol")
    )
    artery = genes.filter(pl.col(ARTERY) == 1).sample(400, seed=1)
    other = genes.filter(pl.col(ARTERY) == 0).sample(1200, seed=2)
    chosen = pl.concat([artery, other]).sort("chromosome", "start")
    # drop genes overlapping the previous one so that variant blocks stay gene-specific
    prev_end = chosen["end"].shift(1).fill_null(0)
    same = chosen["chromosome"] == chosen["chromosome"].shift(1).fill_null("")
    chosen = chosen.filter(~(same & (chosen["start"] <= prev_end + 20_000)))
    g = simulate_ld_genotypes(300, chosen.height, SNPS_PER_GENE, 0.8, rng)
    start = np.repeat(chosen["start"].to_numpy(), SNPS_PER_GENE)
    end = np.repeat(chosen["end"].to_numpy(), SNPS_PER_GENE)
    k = np.tile(np.arange(1, SNPS_PER_GENE + 1), chosen.height)
    positions = start + (end - start) * k // (SNPS_PER_GENE + 1)
    chrom = np.repeat(chosen["chromosome"].to_numpy(), SNPS_PER_GENE)
    path = write_bed(tmp_path_factory.mktemp("tissues") / "panel.bed", g, chrom, positions)
    with open_genotypes(path) as src:
        sumstats = src.variants.with_columns(pl.lit(0.0).alias("neg_log_10_p_value"))
        model = prepare_genes(sumstats, src, chosen, window_kb=0)
    x = (g - g.mean(axis=0)) / np.where(g.std(axis=0) > 0, g.std(axis=0), 1.0)
    return {"model": model, "x": x, "chosen": chosen, "rng": rng, "artery": set(artery["symbol"])}


def _null_z(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """z ~ N(0, R) with R the panel's own LD (so the gene test's null is exact)."""
    return x.T @ rng.standard_normal(x.shape[0]) / np.sqrt(x.shape[0])


def test_tissue_enrichment__planted_artery_genes_rank_artery_first(panel):
    x, rng, model = panel["x"], panel["rng"], panel["model"]
    z = _null_z(x, rng)
    first = model.variant_index[model.offsets[:-1]]  # first variant of each gene
    is_artery = model.genes["symbol"].is_in(list(panel["artery"])).to_numpy()
    causal = first[is_artery][:150]  # one causal variant in 150 artery-specific genes
    r = x.T @ x[:, causal] / x.shape[0]
    z = z + r @ np.full(causal.size, 4.0)  # causal z of 4, spread to LD partners
    chi2 = chi2_from_neg_log10_p(neg_log10_p_from_z(z))
    genes = gene_statistics(model, chi2)
    result = tissue_enrichment(genes)
    top = result["tissue"].to_list()[:3]
    assert top == ["Artery - Tibial", "Artery - Aorta", "Artery - Coronary"], top
    assert result.filter(pl.col("tissue") == ARTERY)["fdr"][0] < 1e-3


def test_tissue_enrichment__null_p_values_are_uniform(panel):
    """30 null replicates x 47 tissues: the fraction of p < 0.05 must lie in 0.02-0.09 and the
    mean p in 0.42-0.58 (wide: tissues are correlated, so the 1,410 p-values are not
    independent; a test with the wrong variance moves both far outside)."""
    x, rng, model = panel["x"], panel["rng"], panel["model"]
    ps = []
    for _ in range(30):
        chi2 = chi2_from_neg_log10_p(neg_log10_p_from_z(_null_z(x, rng)))
        ps.append(tissue_enrichment(gene_statistics(model, chi2))["p_value"].to_numpy())
    p = np.concatenate(ps)
    assert 0.02 <= np.mean(p < 0.05) <= 0.09
    assert 0.42 <= p.mean() <= 0.58
    # the gene-level test itself: uniform gene p-values under the null (Brown's approximation)
    gp = 10.0 ** -gene_statistics(model, chi2)["neg_log_10_p_value"].to_numpy()
    assert 0.03 <= np.mean(gp < 0.05) <= 0.07  # 1,493 genes: binomial 99.9% interval


def test_bh__matches_textbook_adjustment():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    m = p.size
    order = np.argsort(p)
    q = np.empty(m)
    q[order] = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    np.testing.assert_allclose(10 ** -_bh_neg_log10(-np.log10(p)), np.minimum(q, 1), rtol=1e-12)
