"""Variants on X outside the pseudo-autosomal regions: the model plink2 --glm fits for them
(sex as a covariate, samples of unknown sex left out)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from gwaskit.io.chromosomes import haploid_x
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.phenotypes import Phenotypes

log = logging.getLogger(__name__)


def x_chromosome_model(
    source: GenotypeSource, phenotypes: Phenotypes, test: str, fit: Callable[[Phenotypes], Any]
) -> tuple[np.ndarray, Phenotypes, Any] | None:
    """The model of the variants on X outside the pseudo-autosomal regions, as plink2 --glm fits
    it: sex (1 male, 2 female) added as a covariate and the samples of unknown sex left out.
    Males keep the dosages of the file (0/2 for hemizygous calls in a ``.bed``).

    ``fit`` fits the null model of phenotypes (the scan's ``fit_null`` with its options).
    Returns the haploid-X mask over the source's variants, the phenotypes and the fitted null
    model, or None when no variant is on haploid X, the test takes no covariates (trend,
    allelic), or the analysed samples of known sex are all of one sex.
    """
    if test in ("trend", "allelic"):
        return None
    variants = source.variants
    haploid = haploid_x(variants["chromosome"], variants["base_pair_location"], source.build)
    if not haploid.any():
        return None
    sex = source.samples["sex"].to_numpy()[phenotypes.sample_index]
    known = sex > 0
    if np.unique(sex[known]).size < 2:
        log.warning(
            "chrX: the analysed samples of known sex are all of one sex; X variants are tested "
            "without a sex covariate"
        )
        return None
    covariates = phenotypes.covariates[known]
    names = phenotypes.covariate_names
    if not any(_same_information(column, sex[known]) for column in covariates.T):
        covariates = np.column_stack([covariates, sex[known].astype(np.float64)])
        names = (*names, "SEX")
    x_phenotypes = replace(
        phenotypes,
        y=phenotypes.y[known],
        covariates=covariates,
        covariate_names=names,
        sample_index=phenotypes.sample_index[known],
    )
    log.info(
        "chrX: %d variant(s) outside the pseudo-autosomal regions tested with sex as a covariate"
        "; %d sample(s) of unknown sex left out of them",
        int(haploid.sum()),
        int((~known).sum()),
    )
    return haploid, x_phenotypes, fit(x_phenotypes)


def _same_information(column: np.ndarray, sex: np.ndarray) -> bool:
    """Whether a covariate column is a recoding of sex (two values, split as sex is)."""
    values = np.unique(column)
    if values.size != 2:
        return False
    return bool(
        np.all((column == values[0]) == (sex == sex[0]))
        or np.all((column == values[0]) != (sex == sex[0]))
    )
