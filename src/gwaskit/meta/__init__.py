"""Meta-analysis: allele harmonisation, fixed/random/sample-size combination, heterogeneity."""
