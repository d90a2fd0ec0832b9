"""From association results to loci: windows, clumping, independent signals, novelty, replication.

Public API: :func:`define_loci` (and :func:`clump`, :func:`lead_variants`,
:func:`significant_variants`), :func:`cojo_loci` / :func:`cojo_table`,
:func:`annotate_novelty`, :func:`replicate_loci`; the table schema is
:data:`gwaskit.loci.schema.LOCI_SCHEMA`.
"""

from gwaskit.loci.cojo import cojo_loci, cojo_table
from gwaskit.loci.define import clump, define_loci, lead_variants, significant_variants
from gwaskit.loci.novelty import annotate_novelty
from gwaskit.loci.replicate import replicate_loci
from gwaskit.loci.schema import LOCI_SCHEMA

__all__ = [
    "LOCI_SCHEMA",
    "annotate_novelty",
    "clump",
    "cojo_loci",
    "cojo_table",
    "define_loci",
    "lead_variants",
    "replicate_loci",
    "significant_variants",
]
