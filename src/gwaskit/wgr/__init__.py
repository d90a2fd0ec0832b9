"""Whole-genome regression (REGENIE's step 1) and leave-one-chromosome-out predictions.

Level 0 (:mod:`gwaskit.wgr.ridge`) reduces each block of variants to cross-validated ridge
predictions; level 1 (:mod:`gwaskit.wgr.stack`) stacks them per phenotype and forms the LOCO
predictions that step 2 (``gwaskit assoc --pred``) uses as offsets. Mbatchou et al. 2021,
Nat Genet 53:1097, doi:10.1038/s41588-021-00870-7.
"""
