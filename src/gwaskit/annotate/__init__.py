"""From loci to biology: genes at each locus, tissues enriched for association.

Public API: :func:`annotate_genes` (with :func:`load_genes`, :func:`locus_genes`,
:func:`nearest_gene`), :func:`gene_association` and :func:`tissue_enrichment`.
"""

from gwaskit.annotate.genes import annotate_genes, load_genes, locus_genes, nearest_gene
from gwaskit.annotate.tissues import gene_association, tissue_enrichment

__all__ = [
    "annotate_genes",
    "gene_association",
    "load_genes",
    "locus_genes",
    "nearest_gene",
    "tissue_enrichment",
]
