"""Figures: one module per figure; every function takes data (tables or arrays) and an optional
matplotlib ``ax``, draws on it (or on a new Agg figure) and returns the axes. None reads files.
"""

from gwaskit.plot._axes import GENOME_WIDE, SUGGESTIVE, format_p, neg_log10_axis
from gwaskit.plot.forest import forest
from gwaskit.plot.manhattan import genome_positions, manhattan
from gwaskit.plot.qc import eaf_vs_reference, p_vs_z, precision_by_study, se_vs_n
from gwaskit.plot.qq import null_band, qq
from gwaskit.plot.regional import gene_track, regional
from gwaskit.plot.tissues import tissue_enrichment

__all__ = [
    "GENOME_WIDE",
    "SUGGESTIVE",
    "eaf_vs_reference",
    "forest",
    "format_p",
    "gene_track",
    "genome_positions",
    "manhattan",
    "neg_log10_axis",
    "null_band",
    "p_vs_z",
    "precision_by_study",
    "qq",
    "regional",
    "se_vs_n",
    "tissue_enrichment",
]
