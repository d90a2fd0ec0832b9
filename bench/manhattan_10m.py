"""Manhattan plot of 10 million variants: gwaskit against drawing every point with matplotlib.

Run from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=src python bench/manhattan_10m.py

The data are summary statistics simulated here (no genotypes, so no missing calls: missing-call
rate 0): 10,000,000 variants over chromosomes 1-22 in proportion to their length, null p-values
plus three loci, one reaching -log10 p = 400. Both sides draw the same table into the same 12 x 4.2
inch figure and write a PNG at 100 dpi to bench/out/; the wall time includes the PNG. The peer is
plain matplotlib (``ax.scatter`` of every point, rasterised), which is what one would write
without gwaskit. No BLAS is involved on either side. The machine is shared by other developers
(2 cores): timings are noisy; run it twice.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from gwaskit.plot import genome_positions, manhattan

N = 10_000_000
OUT = Path(__file__).resolve().parent / "out"
LENGTHS_MB = np.array([249, 243, 198, 191, 181, 171, 159, 146, 141, 136, 135, 133, 115, 107, 102,
                       90, 83, 80, 59, 64, 47, 51], dtype=float)  # fmt: skip


def simulate(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    chrom = rng.choice(22, size=n, p=LENGTHS_MB / LENGTHS_MB.sum()) + 1
    pos = (rng.uniform(0, 1, n) * LENGTHS_MB[chrom - 1] * 1e6).astype(np.int64) + 1
    y = -np.log10(rng.uniform(size=n))
    for k, (c, centre, peak) in enumerate(((2, 60e6, 400.0), (8, 98e6, 25.0), (12, 40e6, 12.0))):
        near = np.flatnonzero((chrom == c) & (np.abs(pos - centre) < 300_000))
        r2 = np.exp(-np.abs(pos[near] - centre) / 60_000.0)
        y[near] = np.maximum(y[near], peak * r2)
        y[near[np.argmax(r2)]] = peak if k == 0 else y[near[np.argmax(r2)]]
    return pl.DataFrame(
        {"chromosome": chrom.astype(str), "base_pair_location": pos, "neg_log_10_p_value": y}
    )


def run_gwaskit(table: pl.DataFrame) -> float:
    start = time.perf_counter()
    ax = manhattan(table, ax=Figure(figsize=(12, 4.2), layout="constrained").add_subplot())
    ax.figure.savefig(OUT / "manhattan_gwaskit.png", dpi=100)
    return time.perf_counter() - start


def run_naive(table: pl.DataFrame) -> float:
    start = time.perf_counter()
    x, index, _ = genome_positions(table["chromosome"], table["base_pair_location"].to_numpy())
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax = fig.add_subplot()
    colours = np.array(["#2b5c8a", "#8fb3d3"])[index % 2]
    ax.scatter(x, table["neg_log_10_p_value"].to_numpy(), s=4, c=colours, linewidths=0,
               rasterized=True)  # fmt: skip
    ax.axhline(-np.log10(5e-8), color="#b22222", ls="--")
    fig.savefig(OUT / "manhattan_naive.png", dpi=100)
    return time.perf_counter() - start


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N
    t0 = time.perf_counter()
    table = simulate(n)
    print(f"simulated {n:,} variants in {time.perf_counter() - t0:.1f} s (not timed below)")
    ours = run_gwaskit(table)
    print(f"gwaskit manhattan:           {ours:6.1f} s  (target < 30 s)")
    naive = run_naive(table)
    print(f"matplotlib, every point:     {naive:6.1f} s")
    print(f"ratio (matplotlib / gwaskit): {naive / ours:5.1f}x")
    print(f"images: {OUT}/manhattan_gwaskit.png, {OUT}/manhattan_naive.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
