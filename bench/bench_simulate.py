"""Time ``simulate_consortium`` + ``write_consortium`` at the sizes the benchmarks use.

Run: ``PYTHONPATH=src python bench/bench_simulate.py [--large]``. Prints wall times per stage
and the peak memory. There is no peer tool to compare with here: the numbers are for planning
(the other benchmarks generate their data with this). Missing-call rate of the data: 1 %.
Other processes share the cores, so timings are noisy.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

from gwaskit.simulate import CohortSpec, ConsortiumSpec, simulate_consortium, write_consortium


def bench(n_samples: int, n_variants: int, n_chromosomes: int, case_fraction: float) -> None:
    spec = ConsortiumSpec(
        cohorts=(CohortSpec("bench", n_samples, case_fraction=case_fraction, missing_rate=0.01),),
        n_variants=n_variants,
        n_chromosomes=n_chromosomes,
    )
    start = time.perf_counter()
    consortium = simulate_consortium(spec, seed=1)
    simulated = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_consortium(consortium, tmp)
        written = time.perf_counter() - start
    cohort = consortium.cohorts[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"{n_samples:>7,} samples x {n_variants:>8,} variants ({n_chromosomes} chr, case fraction "
        f"{case_fraction}, population {cohort.population_size:,}): simulate {simulated:6.1f} s, "
        f"write {written:5.1f} s, peak RSS {peak:.1f} GiB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", action="store_true", help="also 10,000 x 100,000")
    args = parser.parse_args()
    bench(2_000, 20_000, 4, 0.5)
    bench(2_000, 20_000, 4, 1 / 21)
    if args.large:
        bench(10_000, 100_000, 10, 0.5)


if __name__ == "__main__":
    main()
