"""The Loci table: one row per risk locus, as papers report them.

Positions are 1-based base pairs on the build of the input; ``beta`` is per copy of
``effect_allele`` (log odds ratio for binary traits); p-values as ``neg_log_10_p_value``.
Replication columns are null until :mod:`gwaskit.loci.replicate` fills them.
"""

from __future__ import annotations

import polars as pl

LOCI_SCHEMA: dict[str, pl.DataType] = {
    "locus_id": pl.String(),  # e.g. "8q22.1" style name is in `name`; id is "chr8:97666913-98666913"
    "name": pl.String(),  # how papers name it: the gene(s), e.g. "MTDH/CPQ"
    "chromosome": pl.String(),
    "start": pl.Int64(),
    "end": pl.Int64(),
    "variant_id": pl.String(),  # lead variant
    "rsid": pl.String(),
    "base_pair_location": pl.Int64(),
    "effect_allele": pl.String(),
    "other_allele": pl.String(),
    "effect_allele_frequency": pl.Float64(),
    "beta": pl.Float64(),
    "standard_error": pl.Float64(),
    "neg_log_10_p_value": pl.Float64(),
    "n_significant": pl.Int64(),  # variants below the p threshold in the locus
    "n_signals": pl.Int64(),  # independent signals (conditional/joint analysis), >= 1
    "nearest_gene": pl.String(),
    "genes": pl.String(),  # comma-separated, ranked by distance to the lead
    "known": pl.Boolean(),
    "known_variant": pl.String(),  # the known-loci entry that made it known
    "het_neg_log_10_p": pl.Float64(),  # heterogeneity across studies (meta results only)
    "i2": pl.Float64(),
    "rep_beta": pl.Float64(),  # replication: effect of the same effect allele
    "rep_standard_error": pl.Float64(),
    "rep_neg_log_10_p_one_sided": pl.Float64(),
    "rep_concordant": pl.Boolean(),
    "replicated": pl.Boolean(),  # concordant and one-sided p below Bonferroni alpha / n_loci
    "combined_beta": pl.Float64(),  # discovery + replication fixed-effect meta-analysis
    "combined_neg_log_10_p": pl.Float64(),
}
