"""Population structure: LD pruning, long-range LD regions, principal components.

Public entry points: :func:`gwaskit.structure.ld.ld_prune` (plink2 ``--indep-pairwise``),
:func:`gwaskit.structure.ld.high_ld_regions`, :func:`gwaskit.structure.pca.randomized_pca` and
:func:`gwaskit.structure.pca.principal_components` (MAF filter, high-LD exclusion, pruning, PCA).
"""
