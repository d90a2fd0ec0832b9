"""Reading and writing: genotypes (one module per format), sample tables, summary statistics."""

from gwaskit.io.genotypes import GenotypeSource, open_genotypes

__all__ = ["GenotypeSource", "open_genotypes"]
