"""Population structure: LD pruning, long-range LD regions, principal components."""
