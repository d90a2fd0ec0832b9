"""A one-pass description of a genotype source: counts, chromosomes, build, missingness."""

from __future__ import annotations

import numpy as np

from gwaskit.engine import LocalEngine
from gwaskit.io.chromosomes import chromosome_order
from gwaskit.io.genotypes import GenotypeSource


def summarise_genotypes(source: GenotypeSource, *, threads: int | None = None) -> dict[str, object]:
    """Samples, variants, chromosomes, build and the missing-call rate, streaming over blocks."""
    blocks = source.variant_blocks(block_bytes=64 * 2**20)

    def count_missing(block: range) -> int:
        return int(np.isnan(source.read(block)).sum())

    missing = sum(LocalEngine(threads).map(count_missing, blocks, description="reading"))
    chromosomes = sorted(source.variants["chromosome"].unique().to_list(), key=chromosome_order)
    calls = source.n_samples * source.n_variants
    sexes = source.samples["sex"].value_counts()
    by_sex = dict(zip(sexes["sex"].to_list(), sexes["count"].to_list(), strict=True))
    return {
        "samples": source.n_samples,
        "males": by_sex.get(1, 0),
        "females": by_sex.get(2, 0),
        "variants": source.n_variants,
        "chromosomes": ", ".join(chromosomes),
        "build": source.build or "unknown (declare with --build)",
        "missing call rate": missing / calls if calls else 0.0,
    }
