"""A one-pass description of a genotype source: counts, chromosomes, build, missingness."""

from __future__ import annotations

import logging
import time

from gwaskit.engine import LocalEngine
from gwaskit.io.chromosomes import chromosome_order
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.qc.packed import MISSING, count_codes, map_blocks

log = logging.getLogger(__name__)


def summarise_genotypes(source: GenotypeSource, *, threads: int | None = None) -> dict[str, object]:
    """Samples, variants, chromosomes, build and the missing-call rate, streaming over blocks.

    Missing calls are counted on the packed genotypes (a ``.bed`` is never decoded to floats).
    """
    n = source.n_samples
    start = time.perf_counter()
    missing = sum(
        map_blocks(
            source,
            lambda _block, packed: int(count_codes(packed, n)[:, MISSING].sum()),
            engine=LocalEngine(threads),
            description="reading",
        )
    )
    seconds = time.perf_counter() - start
    calls = source.n_samples * source.n_variants
    log.info(
        "counted %s genotypes in %.2f s (%s M genotypes/s)",
        f"{calls:,}",
        seconds,
        f"{calls / max(seconds, 1e-9) / 1e6:,.0f}",
    )
    chromosomes = sorted(source.variants["chromosome"].unique().to_list(), key=chromosome_order)
    sexes = source.samples["sex"].value_counts()
    by_sex = dict(zip(sexes["sex"].to_list(), sexes["count"].to_list(), strict=True))
    males, females = by_sex.get(1, 0), by_sex.get(2, 0)
    unknown = source.n_samples - males - females
    if males == females == 0:  # a VCF, a BGEN without sex in its .sample, a .fam of zeros
        sex: dict[str, object] = {"sex": "unknown (the file records none)"}
    else:
        sex = {"males": males, "females": females}
        if unknown:
            sex["sex unknown"] = unknown
    return {
        "samples": source.n_samples,
        **sex,
        "variants": source.n_variants,
        "chromosomes": ", ".join(chromosomes),
        "build": source.build or "unknown (declare with --build)",
        "missing call rate": missing / calls if calls else 0.0,
    }
