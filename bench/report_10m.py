"""The HTML report of 10 million variants: build time and file size (target <= 15 s).

Run from the repository root:

    PYTHONPATH=src python bench/report_10m.py [n_variants]

The table is simulated as in ``bench/manhattan_10m.py`` (null p-values plus three loci, one at
-log10 p = 400), with the columns a meta-analysis writes (alleles, beta, SE, EAF, variant_id,
rsID), three loci and no per-study tables: the report then has the Manhattan and QQ plots
(static PNG and interactive), the loci table, the regional plots and the downloads. The wall
time covers ``write_report`` (figures, thinning, JSON, HTML, writing the file), not the
simulation. The machine is shared (2 cores): timings are noisy; say the load with them.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from manhattan_10m import simulate

from gwaskit.report import ReportInputs, write_report

OUT = Path(__file__).resolve().parent / "out"


def results(n: int) -> dict:
    table = simulate(n)
    rng = np.random.default_rng(2)
    y = table["neg_log_10_p_value"].to_numpy()
    se = rng.uniform(0.01, 0.05, n)
    from scipy import special

    z = np.sqrt(2) * special.erfcinv(np.minimum(10.0 ** -np.minimum(y, 300), 1.0))
    meta = table.with_columns(
        effect_allele=pl.lit("A"),
        other_allele=pl.lit("G"),
        beta=pl.Series(z * se * rng.choice([-1, 1], n)),
        standard_error=pl.Series(se),
        effect_allele_frequency=pl.Series(rng.uniform(0.05, 0.95, n)),
    ).with_columns(
        variant_id=pl.format("{}:{}:A:G", "chromosome", "base_pair_location"),
        rsid=pl.format("rs{}", pl.int_range(pl.len()) + 1),
    )
    loci = []
    for c, centre in (("2", 60e6), ("8", 98e6), ("12", 40e6)):
        near = meta.filter(
            (pl.col("chromosome") == c) & (pl.col("base_pair_location") - centre).abs().lt(300_000)
        )
        lead = near.sort("neg_log_10_p_value", descending=True).row(0, named=True)
        loci.append({
            "locus_id": f"chr{c}:{int(centre - 300_000)}-{int(centre + 300_000)}",
            "name": f"LOCUS{c}", "chromosome": c, "start": int(centre - 300_000),
            "end": int(centre + 300_000), "variant_id": lead["variant_id"],
            "base_pair_location": lead["base_pair_location"],
            "neg_log_10_p_value": lead["neg_log_10_p_value"], "beta": lead["beta"],
            "standard_error": lead["standard_error"],
        })  # fmt: skip
    return {"meta": meta, "loci": pl.DataFrame(loci), "manifest": {"title": "10M variants"}}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    t0 = time.perf_counter()
    inputs = ReportInputs(**results(n))
    print(f"simulated {n:,} variants in {time.perf_counter() - t0:.1f} s (not timed)")
    load = os.getloadavg()[0]
    start = time.perf_counter()
    path = write_report(inputs, OUT / "report_10m.html")
    took = time.perf_counter() - start
    print(f"write_report: {took:.1f} s (target <= 15 s; load average {load:.1f} on 2 cores)")
    print(f"size: {path.stat().st_size / 1e6:.2f} MB ({path})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
