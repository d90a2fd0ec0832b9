"""LD score regression: LD scores, SNP heritability, genetic correlation (as the ``ldsc`` package).

Bulik-Sullivan et al. 2015, doi:10.1038/ng.3211 (h², intercept); doi:10.1038/ng.3406 (rg);
Finucane et al. 2015, doi:10.1038/ng.3404 (partitioned h²).
"""

from gwaskit.ldsc.estimate import (
    GeneticCorrelation,
    Heritability,
    estimate_h2,
    estimate_rg,
    rg_matrix,
)
from gwaskit.ldsc.regression import h2_liability
from gwaskit.ldsc.scores import LdScores, compute_ld_scores

__all__ = [
    "GeneticCorrelation",
    "Heritability",
    "LdScores",
    "compute_ld_scores",
    "estimate_h2",
    "estimate_rg",
    "h2_liability",
    "rg_matrix",
]
