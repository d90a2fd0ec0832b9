"""The choices of the options that more than one layer knows: declared once here, read by the
library (which checks them), the command line (argparse ``choices=``) and the pipeline's plan
schema. Nothing else lives here, so importing it costs nothing."""

from __future__ import annotations

#: Genome builds gwaskit knows (chromosome lengths, HapMap3 positions, liftover chains).
BUILDS = ("GRCh37", "GRCh38")
#: Association models: a quantitative (linear) or case/control (logistic) trait.
MODELS = ("linear", "logistic")
#: Association tests (see :mod:`gwaskit.assoc.scan`).
TESTS = ("wald", "firth", "score", "trend", "allelic")
#: Meta-analysis methods (see :mod:`gwaskit.meta.combine`).
META_METHODS = ("fixed", "random", "samplesize")
#: Random-effects estimators of the between-study variance: DerSimonian-Laird, REML.
RANDOM_METHODS = ("dl", "reml")
#: How palindromic (A/T, C/G) SNPs are aligned (see :mod:`gwaskit.meta.strand`).
PALINDROMIC = ("auto", "frequency", "forward", "drop")
#: Fine-mapping methods (see :mod:`gwaskit.finemap.loci`).
FINEMAP_METHODS = ("susie", "abf")
#: What a z-versus-LD inconsistency at a locus does (see :mod:`gwaskit.finemap.ld_check`).
Z_CHECKS = ("error", "warn", "off")
