"""Quality control of samples, variants and summary statistics.

Public entry points (import from the modules):

* :func:`gwaskit.qc.cohort.cohort_qc` - the whole cohort QC in PLINK's order;
* :func:`gwaskit.qc.variants.variant_qc` - call rate, MAF/MAC, HWE, differential missingness;
* :func:`gwaskit.qc.samples.sample_qc` - heterozygosity, sex check, relatedness removal;
* :func:`gwaskit.qc.kinship.king_kinship` - KING-robust kinship of all pairs, or (``min_kinship``)
  of the related pairs only, in bounded memory;
* :func:`gwaskit.qc.hwe.hwe_neg_log10_p` - HWE exact test (-log10 p, mid-p option).

Counting runs on packed 2-bit genotypes (:mod:`gwaskit.qc.packed`), never on float matrices.
"""
