"""Fine-mapping and colocalisation: Wakefield ABF credible sets (per COJO signal), SuSiE
(individual-level and summary statistics), coloc.abf and SuSiE-coloc."""

from gwaskit.finemap.abf import coloc_abf, coloc_bf_bf, combine_abf, wakefield_lbf
from gwaskit.finemap.credible import CredibleSet, credible_members, susie_credible_sets
from gwaskit.finemap.susie import SusieFit, susie_individual, susie_suff_stat

__all__ = [
    "CredibleSet",
    "SusieFit",
    "coloc_abf",
    "coloc_bf_bf",
    "combine_abf",
    "credible_members",
    "susie_credible_sets",
    "susie_individual",
    "susie_suff_stat",
    "wakefield_lbf",
]
