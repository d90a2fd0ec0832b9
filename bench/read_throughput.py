"""Genotype read throughput: gwaskit's streaming .bed reader against ``plink2 --freq``.

Makes a 10,000-sample x 100,000-variant PLINK 1 .bed (1% missing calls, allele frequencies
uniform on [0.01, 0.5]) by writing the packed 2-bit codes with numpy, 1,000 variants at a time, so
no dense matrix is ever held. Then, each in its own child process:

- gwaskit: ``open_genotypes`` + ``variant_blocks`` (memory-sized blocks) read through a
  ``LocalEngine`` on all cores, each block reduced to ALT frequencies (as --freq computes);
- ``plink2 --bfile X --freq`` on the same file.

It prints wall times, genotypes per second, the ratio, and gwaskit's peak RSS (which must stay
under 1 GB). Both sides run with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset and plink2 with
OPENBLAS_NUM_THREADS=1. Other developers share the machine's 2 cores: timings are noisy.

Usage: ``python bench/read_throughput.py [--out DIR] [--samples N] [--variants M]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MISSING_RATE = 0.01
REPO = Path(__file__).resolve().parents[1]


def write_bed(prefix: Path, n_samples: int, n_variants: int, *, seed: int = 1) -> None:
    """A random .bed/.bim/.fam, written in chunks of 1,000 variants (PLINK 1 2-bit codes)."""
    rng = np.random.default_rng(seed)
    n_bytes = (n_samples + 3) // 4
    with open(prefix.with_suffix(".bed"), "wb") as bed:
        bed.write(b"\x6c\x1b\x01")
        for start in range(0, n_variants, 1000):
            m = min(1000, n_variants - start)
            freq = rng.uniform(0.01, 0.5, m)[:, None]
            count = (rng.random((m, n_samples)) < freq).astype(np.uint8) + (
                rng.random((m, n_samples)) < freq
            )
            # A1 count 2 -> 00, 1 -> 10, 0 -> 11, missing -> 01
            codes = np.array([3, 2, 0], dtype=np.uint8)[count]
            codes[rng.random((m, n_samples)) < MISSING_RATE] = 1
            padded = np.zeros((m, n_bytes * 4), dtype=np.uint8)
            padded[:, :n_samples] = codes
            quads = padded.reshape(m, n_bytes, 4)
            packed = quads[..., 0] | quads[..., 1] << 2 | quads[..., 2] << 4 | quads[..., 3] << 6
            bed.write(packed.astype(np.uint8).tobytes())
    with open(prefix.with_suffix(".bim"), "w") as bim:
        for j in range(n_variants):
            bim.write(f"{1 + j * 22 // n_variants}\tv{j}\t0\t{1000 + j * 10}\tA\tG\n")
    with open(prefix.with_suffix(".fam"), "w") as fam:
        for i in range(n_samples):
            fam.write(f"F{i}\tI{i}\t0\t0\t{1 + i % 2}\t-9\n")


GWASKIT_CHILD = """
import sys, time, numpy as np
from gwaskit.io import open_genotypes
from gwaskit.engine import LocalEngine
t0 = time.perf_counter()
source = open_genotypes(sys.argv[1])
blocks = source.variant_blocks(block_bytes=int(sys.argv[2]))
def freq(block):
    d = source.read(block)
    called = ~np.isnan(d)
    return np.sum(d, axis=0, where=called) / (2 * called.sum(axis=0))
result = np.concatenate(LocalEngine(None, progress=False).map(freq, blocks))
print(time.perf_counter() - t0, len(blocks), float(result.mean()))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the data (default: tmp)")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--block-mb", type=int, default=128, help="gwaskit block size in MB")
    args = parser.parse_args()
    folder = args.out or Path(tempfile.mkdtemp(prefix="gwaskit-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / f"bench_{args.samples}x{args.variants}"
    if not prefix.with_suffix(".bed").is_file():
        t = time.perf_counter()
        write_bed(prefix, args.samples, args.variants)
        print(f"wrote {prefix}.bed in {time.perf_counter() - t:.1f} s")
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    n_genotypes = args.samples * args.variants
    print(
        f"data: {args.samples:,} samples x {args.variants:,} variants, "
        f"{MISSING_RATE:.0%} missing calls; cores: {os.cpu_count()} (shared, timings are noisy)"
    )

    gw_env = {**env, "PYTHONPATH": str(REPO / "src")}
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", GWASKIT_CHILD, str(prefix.with_suffix(".bed")),
         str(args.block_mb * 2**20)],
        env=gw_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    gw_wall = time.perf_counter() - t
    gw_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    inner, n_blocks, _ = out.stdout.split()
    print(
        f"gwaskit  read+freq: {gw_wall:7.2f} s wall ({float(inner):.2f} s inside), "
        f"{n_blocks} blocks of <= {args.block_mb} MB, {n_genotypes / gw_wall / 1e6:,.0f} M "
        f"genotypes/s, peak RSS {gw_rss_mb:,.0f} MB ({'under' if gw_rss_mb < 1024 else 'OVER'} "
        "1 GB)"
    )

    plink2 = shutil.which("plink2")
    if plink2 is None:
        sys.exit("plink2 not found")
    t = time.perf_counter()
    subprocess.run(
        [plink2, "--bfile", str(prefix), "--freq", "--out", str(folder / "plink2_freq")],
        env={**env, "OPENBLAS_NUM_THREADS": "1"}, capture_output=True, check=True,
    )  # fmt: skip
    pl_wall = time.perf_counter() - t
    print(
        f"plink2   --freq:    {pl_wall:7.2f} s wall, {n_genotypes / pl_wall / 1e6:,.0f} M genotypes/s"
    )
    print(f"ratio gwaskit / plink2: {gw_wall / pl_wall:.2f}x")


if __name__ == "__main__":
    main()
