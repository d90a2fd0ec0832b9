"""Synthetic results that follow the SumStats / MetaStats / Loci contracts, for the plot and report
tests: three case/control studies, a genome-wide meta-analysis, four loci (one at -log10 p = 400,
one known), LD with the leads, a gene table, tissue enrichment and a manifest.

The meta-analysis columns are computed from the per-study tables (inverse-variance fixed effect,
DerSimonian-Laird random effects), so per-study and combined tables agree with each other.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.io.tables import write_table
from gwaskit.loci.schema import LOCI_SCHEMA
from gwaskit.stats import neg_log10_p_from_chi2, neg_log10_p_from_z, p_from_neg_log10

STUDIES = {"COHORT_A": (4000, 6000), "COHORT_B": (2500, 2500), "COHORT_C": (1200, 3100)}
#: (chromosome, lead position, target -log10 p of the lead, known, genes)
LOCI = (
    ("2", 60_500_000, 400.0, False, ("BCL11A", "PAPOLG")),
    ("8", 98_166_913, 25.0, True, ("CPQ", "MTDH")),
    ("12", 40_300_000, 12.0, False, ("LRRK2", "MUC19")),
    ("17", 7_560_000, 9.0, False, ("TP53", "ATP1B2", "SHBG")),
)
LENGTHS_MB = (249, 243, 198, 191, 181, 171, 159, 146, 141, 136, 135, 133, 115, 107, 102, 90, 83,
              80, 59, 64, 47, 51)  # fmt: skip


def locus_id(chromosome: str, position: int) -> str:
    return f"chr{chromosome}:{position - 500_000}-{position + 500_000}"


def make_results(seed: int = 7, n_background: int = 20_000) -> dict:
    """All tables of a results folder, in memory: ``meta``, ``loci``, ``studies``,
    ``per_study`` (dict), ``tissues``, ``ld`` (dict by locus_id), ``genes``, ``reference``,
    ``manifest``."""
    rng = np.random.default_rng(seed)
    chrom_w = np.array(LENGTHS_MB, dtype=float)
    chrom = rng.choice(22, size=n_background, p=chrom_w / chrom_w.sum()) + 1
    pos = (rng.uniform(0.01, 0.99, n_background) * chrom_w[chrom - 1] * 1e6).astype(np.int64)
    z_target = np.zeros(n_background)
    r2 = np.full(n_background, np.nan)
    chroms, positions, targets, r2s = [chrom.astype(str)], [pos], [z_target], [r2]
    for c, lead_pos, peak, _known, _genes in LOCI:
        k = 240
        d = np.sort(rng.normal(0, 120_000, k)).astype(np.int64)
        d[np.argmin(np.abs(d))] = 0
        d = np.unique(d)
        r = np.clip(np.exp(-np.abs(d) / 70_000) * rng.uniform(0.4, 1.0, d.size), 0, 1)
        r[d == 0] = 1.0
        z_peak = float(np.sqrt(_chi2_for(peak)))
        chroms.append(np.full(d.size, c))
        positions.append(lead_pos + d)
        targets.append(z_peak * np.sqrt(r))
        r2s.append(r)
    chrom_all = np.concatenate(chroms)
    pos_all = np.concatenate(positions)
    z_all = np.concatenate(targets)
    r2_all = np.concatenate(r2s)
    n = pos_all.size
    variant_id = np.char.add(np.char.add(chrom_all.astype(str), ":"), pos_all.astype(str))
    variant_id = np.char.add(variant_id, ":A:G")
    lead_mask = np.isin(variant_id, [f"{c}:{p}:A:G" for c, p, *_ in LOCI])
    exact = variant_id == f"{LOCI[0][0]}:{LOCI[0][1]}:A:G"  # this lead hits -log10 p = 400
    f = rng.uniform(0.05, 0.5, n)
    f[lead_mask] = 0.3

    se = {}
    for name, (cases, controls) in STUDIES.items():
        n_eff = 4.0 / (1.0 / cases + 1.0 / controls)
        se[name] = 1.0 / np.sqrt(2 * n_eff * f * (1 - f)) * 2.0  # logistic: var(logit) ~ 4/N_eff
    w = {k: 1 / v**2 for k, v in se.items()}
    se_meta = 1 / np.sqrt(sum(w.values()))
    beta_true = z_all * se_meta
    beta = {}
    for name in STUDIES:
        noise = rng.normal(0, 1, n) * se[name]
        noise[exact] = 0.0
        beta[name] = beta_true + noise

    per_study = {}
    for i, (name, (cases, controls)) in enumerate(STUDIES.items()):
        present = rng.uniform(size=n) > 0.03 * i  # later cohorts miss a few variants
        present |= lead_mask
        zs = beta[name] / se[name]
        nl = neg_log10_p_from_z(zs)
        per_study[name] = pl.DataFrame(
            {
                "chromosome": chrom_all,
                "base_pair_location": pos_all,
                "effect_allele": "A",
                "other_allele": "G",
                "beta": beta[name],
                "standard_error": se[name],
                "effect_allele_frequency": np.clip(f + rng.normal(0, 0.01, n), 0.001, 0.999),
                "p_value": p_from_neg_log10(nl),
                "neg_log_10_p_value": nl,
                "n": float(cases + controls),
                "variant_id": variant_id,
                "rsid": None,
                "n_cases": float(cases),
                "n_controls": float(controls),
            },
            schema_overrides={"rsid": pl.String},
        ).filter(pl.Series(present))

    meta = _meta(per_study, list(STUDIES))
    loci_rows, ld = [], {}
    for c, lead_pos, peak, known, genes in LOCI:
        lid = locus_id(c, lead_pos)
        window = meta.filter(
            (pl.col("chromosome") == c)
            & pl.col("base_pair_location").is_between(lead_pos - 500_000, lead_pos + 500_000)
        )
        lead = window.sort("neg_log_10_p_value", descending=True).row(0, named=True)
        sel = (chrom_all == c) & (np.abs(pos_all - lead_pos) <= 500_000)
        ld[lid] = pl.DataFrame({"variant_id": variant_id[sel], "r2": r2_all[sel]})
        rep_z = 4.1 if peak > 20 else (1.0 if peak < 10 else 3.3)
        loci_rows.append(
            {
                "locus_id": lid,
                "name": "/".join(genes[:2]),
                "chromosome": c,
                "start": lead_pos - 500_000,
                "end": lead_pos + 500_000,
                "variant_id": lead["variant_id"],
                "rsid": "rs1835740" if c == "8" else None,
                "base_pair_location": lead["base_pair_location"],
                "effect_allele": "A",
                "other_allele": "G",
                "effect_allele_frequency": lead["effect_allele_frequency"],
                "beta": lead["beta"],
                "standard_error": lead["standard_error"],
                "neg_log_10_p_value": lead["neg_log_10_p_value"],
                "n_significant": int(window.filter(pl.col("neg_log_10_p_value") > 7.3).height),
                "n_signals": 2 if peak > 100 else 1,
                "nearest_gene": genes[0],
                "genes": ",".join(genes),
                "known": known,
                "known_variant": "rs1835740" if known else None,
                "het_neg_log_10_p": lead["het_neg_log_10_p"],
                "i2": lead["i2"],
                "rep_beta": lead["beta"] * 0.9,
                "rep_standard_error": lead["beta"] * 0.9 / rep_z,
                "rep_neg_log_10_p_one_sided": float(neg_log10_p_from_z(rep_z) + np.log10(2)),
                "rep_concordant": True,
                "replicated": bool(rep_z > 3.0),
                "combined_beta": lead["beta"],
                "combined_neg_log_10_p": lead["neg_log_10_p_value"] + 2.0,
            }
        )
    loci = pl.DataFrame(loci_rows, schema=LOCI_SCHEMA)

    gene_rows = []
    for c, lead_pos, _peak, _known, genes in LOCI:
        for j, g in enumerate(genes):
            start = lead_pos - 150_000 + j * 110_000
            gene_rows.append((c, start, start + 60_000 + 20_000 * j, "+" if j % 2 else "-", g))
    gene_table = pl.DataFrame(
        gene_rows, schema=["chromosome", "start", "end", "strand", "gene_name"], orient="row"
    )
    tissues = pl.DataFrame(
        {
            "tissue": [
                "Colon - Transverse",
                "Small Intestine",
                "Spleen",
                "Whole Blood",
                "Lung",
                "Liver",
                "Brain - Cortex",
                "Muscle - Skeletal",
            ],
            "n_genes": [9, 9, 9, 9, 9, 9, 9, 9],
            "beta": [0.8, 0.7, 0.55, 0.3, 0.1, -0.05, -0.2, -0.3],
            "standard_error": [0.2] * 8,
            "neg_log_10_p_value": [4.2, 3.5, 2.4, 0.9, 0.3, 0.1, 0.0, 0.0],
        }
    )
    studies = pl.DataFrame(
        {
            "study": list(STUDIES),
            "n_cases": [c for c, _ in STUDIES.values()],
            "n_controls": [k for _, k in STUDIES.values()],
            "n_variants": [t.height for t in per_study.values()],
            "n_dropped_qc": [12, 40, 7],
        }
    )
    reference = pl.DataFrame(
        {
            "variant_id": variant_id,
            "effect_allele": "A",
            "other_allele": "G",
            "effect_allele_frequency": f,
        }
    )
    manifest = {
        "title": "Synthetic case-control meta-analysis",
        "trait": "Synthetic disease",
        "gwaskit_version": "0.1.0",
        "created": "2026-01-01T00:00:00Z",
        "build": "GRCh37",
        "parameters": {"method": "fixed", "p_threshold": 5e-8, "window_kb": 500},
        "software": {"plink2": "v2.00a3.5"},
        "inputs": [{"path": f"cohorts/{s}.tsv.gz", "sha256": "0" * 64} for s in STUDIES],
    }
    # LD score regression as `gwaskit ldsc h2/rg` writes it (synthetic numbers: a polygenic
    # meta-analysis, intercept near 1, no sample overlap between the studies)
    names = list(STUDIES)
    heritability = pl.DataFrame(
        {
            "study": [*names, "meta-analysis"],
            "h2": [0.21, 0.18, 0.25, 0.2],
            "h2_se": [0.05, 0.06, 0.07, 0.03],
            "intercept": [1.01, 0.99, 1.02, 1.01],
            "intercept_se": [0.01, 0.012, 0.011, 0.012],
            "ratio": [0.08, float("nan"), 0.1, 0.09],
            "ratio_se": [0.05, float("nan"), 0.06, 0.04],
            "mean_chisq": [1.12, 0.99, 1.2, 1.35],
            "lambda_gc": [1.08, 1.0, 1.12, 1.25],
        }
    )
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    genetic_correlation = pl.DataFrame(
        {
            "study1": [a for a, _ in pairs],
            "study2": [b for _, b in pairs],
            "rg": [0.95, 0.88, 1.02][: len(pairs)],
            "rg_se": [0.1, 0.12, 0.11][: len(pairs)],
            "gencov_intercept": [0.003, -0.01, 0.006][: len(pairs)],
            "gencov_intercept_se": [0.008, 0.009, 0.007][: len(pairs)],
        }
    )
    return {
        "heritability": heritability,
        "genetic_correlation": genetic_correlation,
        "meta": meta,
        "loci": loci,
        "studies": studies,
        "per_study": per_study,
        "tissues": tissues,
        "ld": ld,
        "genes": gene_table,
        "reference": reference,
        "manifest": manifest,
    }


def write_results(folder: Path, results: dict) -> Path:
    """Write ``results`` in the layout of docs/results-layout.md."""
    from gwaskit.report.inputs import locus_file_name

    folder.mkdir(parents=True, exist_ok=True)
    for key in ("meta", "loci", "studies", "tissues", "genes", "reference"):
        write_table(results[key], folder / key, tsv=False)
    write_table(results["heritability"], folder / "ldsc_h2", tsv=False)
    write_table(results["genetic_correlation"], folder / "ldsc_rg", tsv=False)
    (folder / "per_study").mkdir(exist_ok=True)
    for name, table in results["per_study"].items():
        write_table(table, folder / "per_study" / name, tsv=False)
    (folder / "ld").mkdir(exist_ok=True)
    for lid, table in results["ld"].items():
        write_table(table, folder / "ld" / locus_file_name(lid), tsv=False)
    (folder / "manifest.json").write_text(json.dumps(results["manifest"], indent=2))
    return folder


def _chi2_for(neg_log10_p: float) -> float:
    from gwaskit.stats import chi2_from_neg_log10_p

    return float(chi2_from_neg_log10_p(neg_log10_p))


def _meta(per_study: dict[str, pl.DataFrame], order: list[str]) -> pl.DataFrame:
    """Inverse-variance fixed and DerSimonian-Laird random effects over the studies present."""
    keys = ["chromosome", "base_pair_location", "variant_id", "effect_allele", "other_allele"]
    wide = None
    for name in order:
        t = per_study[name].select(
            *keys,
            pl.col("beta").alias(f"b_{name}"),
            pl.col("standard_error").alias(f"s_{name}"),
            pl.col("effect_allele_frequency").alias(f"f_{name}"),
            pl.col("n").alias(f"n_{name}"),
        )
        wide = t if wide is None else wide.join(t, on=keys, how="full", coalesce=True)
    assert wide is not None
    b = np.column_stack([wide[f"b_{s}"].to_numpy() for s in order]).astype(float)
    s = np.column_stack([wide[f"s_{s}"].to_numpy() for s in order]).astype(float)
    f = np.column_stack([wide[f"f_{s}"].to_numpy() for s in order]).astype(float)
    nn = np.column_stack([wide[f"n_{s}"].to_numpy() for s in order]).astype(float)
    w = np.where(np.isfinite(b), 1 / s**2, 0.0)
    b0 = np.nan_to_num(b)
    sw = w.sum(1)
    beta = (w * b0).sum(1) / sw
    se = 1 / np.sqrt(sw)
    q = (w * (b0 - beta[:, None]) ** 2).sum(1)
    k = np.isfinite(b).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = sw - (w**2).sum(1) / sw
        tau2 = np.where(k > 1, np.maximum(0, (q - (k - 1)) / denominator), 0.0)
        i2 = np.where(q > 0, np.maximum(0, (q - (k - 1)) / q), 0.0)
    wr = np.where(np.isfinite(b), 1 / (np.nan_to_num(s, nan=1.0) ** 2 + tau2[:, None]), 0.0)
    beta_r = (wr * b0).sum(1) / wr.sum(1)
    se_r = 1 / np.sqrt(wr.sum(1))
    nl = neg_log10_p_from_z(beta / se)
    direction = np.where(np.isnan(b), "?", np.where(b > 0, "+", "-"))
    out = wide.select(keys).with_columns(
        beta=beta,
        standard_error=se,
        effect_allele_frequency=np.nansum(f * nn, 1)
        / np.nansum(np.where(np.isfinite(f), nn, 0), 1),
        p_value=p_from_neg_log10(nl),
        neg_log_10_p_value=nl,
        n=np.nansum(np.where(np.isfinite(b), nn, 0), 1),
        rsid=pl.lit(None, pl.String),
        n_studies=pl.Series(k, dtype=pl.Int32),
        direction=pl.Series(["".join(r) for r in direction]),
        het_q=q,
        het_neg_log_10_p=_chi2_df(q, k - 1),
        i2=i2,
        tau2=tau2,
        beta_random=beta_r,
        standard_error_random=se_r,
        neg_log_10_p_value_random=neg_log10_p_from_z(beta_r / se_r),
    )
    from gwaskit.io.sumstats import conform

    return conform(out).sort("chromosome", "base_pair_location")


def _chi2_df(q: np.ndarray, df: np.ndarray) -> np.ndarray:
    out = np.zeros_like(q)
    for d in np.unique(df):
        if d > 0:
            out[df == d] = neg_log10_p_from_chi2(q[df == d], df=float(d))
    return out


def cohort_tables(seed: int = 3, n: int = 300) -> dict:
    """Per cohort: a PCA (``PC1``, ``PC2``, ``status`` case/control in the study's ratio) and
    the samples and variants removed by QC with their reasons (2 call_rate and 1
    heterozygosity samples; 1 hwe and 1 maf variant)."""
    rng = np.random.default_rng(seed)
    pca, samples, variants = {}, {}, {}
    for name, (cases, controls) in STUDIES.items():
        status = np.where(np.arange(n) < n * cases // (cases + controls), "case", "control")
        shift = np.where(status == "case", 0.3, 0.0)
        pca[name] = pl.DataFrame(
            {"iid": [f"s{i}" for i in range(n)], "PC1": rng.normal(size=n) + shift,
             "PC2": rng.normal(size=n), "status": status}
        )  # fmt: skip
        samples[name] = pl.DataFrame(
            {"iid": ["a", "b", "c"], "reason": ["call_rate", "heterozygosity", "call_rate"]}
        )
        variants[name] = pl.DataFrame({"variant_id": ["v1", "v2"], "reason": ["hwe", "maf"]})
    return {"pca": pca, "sample_qc": samples, "variant_qc": variants}
