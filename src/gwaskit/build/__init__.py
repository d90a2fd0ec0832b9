"""Genome builds: the one build check (:mod:`gwaskit.build.check`) and liftover between
GRCh37 and GRCh38 with UCSC chain files (:mod:`gwaskit.build.liftover`)."""
