"""Subtypes: does a risk allele act on both case subsets (e.g. migraine with and without aura),
on one only, or on neither?

- :mod:`gwaskit.subtypes.model`: array kernels, the equal-effect test with correlated estimates
  and the Bayesian model comparison (NULL, FIXED, IND, A only, B only) of Hautakangas et al.
  2022 (doi:10.1038/s41588-021-00990-0), with the calls at a posterior threshold.
- :mod:`gwaskit.subtypes.correlation`: the correlation of the two subtypes' estimates, from the
  null variants' z-scores (truncation-corrected) or, in closed form, from shared controls.
- :mod:`gwaskit.subtypes.analyse`: the table-level function the verb and the pipeline call.
"""
