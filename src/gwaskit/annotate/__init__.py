"""From loci to biology: genes at each locus, tissues enriched for association."""
