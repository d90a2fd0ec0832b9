"""From association results to loci: windows, clumping, independent signals, novelty, replication."""
