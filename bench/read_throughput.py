"""Genotype read throughput: gwaskit's .bed readers against ``plink2 --freq``.

Makes a 10,000-sample x 100,000-variant PLINK 1 .bed (1% missing calls, allele frequencies
uniform on [0.01, 0.5]) by writing the packed 2-bit codes with numpy, 1,000 variants at a time, so
no dense matrix is ever held. Then, each in its own child process (so start-up counts, as it does
for plink2), blocks spread over all cores by a ``LocalEngine``:

- gwaskit count: A1 frequencies counted on the packed bytes (``map_blocks`` + ``count_codes``,
  the path of ``gwaskit info`` and variant QC), the same output as ``--freq``;
- gwaskit info: the ``gwaskit info`` command (missing-call rate counted on the packed bytes);
- gwaskit decode: ``source.read`` of memory-sized blocks to float32 dosages (the path of every
  association scan); only the first row of each block is looked at, so the time is decoding;
- ``plink2 --bfile X --freq`` on the same file.

It prints wall and CPU (user + sys) times of each process, genotypes per second, the ratios to
plink2, gwaskit's time inside the counting/decoding loop (after start-up: imports, the .bim/.fam
parse and numba's first-call initialisation, which dominate at this size), the
largest difference between gwaskit's and plink2's frequencies, and the peak RSS of the gwaskit
children (which must stay under 1 GB). Both sides run with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE
unset and plink2 with OPENBLAS_NUM_THREADS=1. Other developers share the machine's 2 cores:
timings are noisy.

Usage: ``python bench/read_throughput.py [--out DIR] [--samples N] [--variants M]``

One run on 2026-11-22 at the default size (2 cores, quiet machine; rerun for your own numbers):

    run                         wall s   cpu s  M geno/s wall/plink2 cpu/plink2  inside s  M geno/s
    plink2 --freq                 0.18    0.18     5,458        1.00       1.00
    gwaskit count (freq)          1.10    1.38       912        5.99       7.85      0.08    11,980
    gwaskit info                  0.93    1.22     1,074        5.08       6.92
    gwaskit decode (float32)      1.34    1.77       748        7.30      10.07      0.29     3,427

Counting on the packed bytes is faster than plink2 inside the loop (0.08 s for 10^9 genotypes on
2 threads); what is left is start-up: about 0.5 s of imports (numba, scipy, polars), 0.05 s of
parsing the 100,000-line .bim with polars (0.3 s before) and numba's first-call initialisation.
The command skips the interpreter's teardown (0.1-0.4 s). Decoding to float32 ran at 440 M
genotypes/s (2 threads) through bed-reader before the compiled decoder, 3,400 M/s now.
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
mode, bed, block_bytes, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
source = open_genotypes(bed)
engine = LocalEngine(None, progress=False)
if mode == "count":
    from gwaskit.qc.packed import allele_counts, count_codes, map_blocks
    n = source.n_samples
    count_codes(source.read_packed(range(1)), n)  # load the compiled kernel before timing
    t = time.perf_counter()
    codes = np.concatenate(map_blocks(source, lambda _b, p: count_codes(p, n), engine=engine))
    inner = time.perf_counter() - t
    a1, called = allele_counts(codes)
    np.save(out, a1 / called)
else:
    source.read(range(1))
    blocks = source.variant_blocks(block_bytes=block_bytes)
    t = time.perf_counter()
    nan = engine.map(lambda b: int(np.isnan(source.read(b)[:1]).sum()), blocks)
    inner = time.perf_counter() - t
    np.save(out, np.array(nan))
print(inner)
"""


def run_timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float | None]:
    """Wall and CPU (user + sys) seconds of a child process, and the inner time it prints."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = result.stdout.split()[-1:] if cmd[1] == "-c" else []
    return wall, cpu, float(last[0]) if last else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the data (default: tmp)")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--block-mb", type=int, default=128, help="decode block size in MB")
    args = parser.parse_args()
    folder = args.out or Path(tempfile.mkdtemp(prefix="gwaskit-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / f"bench_{args.samples}x{args.variants}"
    if not prefix.with_suffix(".bed").is_file():
        t = time.perf_counter()
        write_bed(prefix, args.samples, args.variants)
        print(f"wrote {prefix}.bed in {time.perf_counter() - t:.1f} s")
    plink2 = shutil.which("plink2")
    if plink2 is None:
        sys.exit("plink2 not found")
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    gw_env = {**env, "PYTHONPATH": str(REPO / "src")}
    n_genotypes = args.samples * args.variants
    print(
        f"data: {args.samples:,} samples x {args.variants:,} variants, "
        f"{MISSING_RATE:.0%} missing calls; cores: {os.cpu_count()} (shared, timings are noisy)"
    )
    bed = str(prefix.with_suffix(".bed"))
    block = str(args.block_mb * 2**20)

    def child(mode: str) -> list[str]:
        return [sys.executable, "-c", GWASKIT_CHILD, mode, bed, block, str(folder / f"{mode}.npy")]

    # compile (numba caches on disk) and warm the page cache before anything is timed
    subprocess.run(child("count"), env=gw_env, check=True, capture_output=True)
    subprocess.run(child("decode"), env=gw_env, check=True, capture_output=True)
    rows = {
        "plink2 --freq": run_timed(
            [plink2, "--bfile", str(prefix), "--freq", "--out", str(folder / "plink2_freq")],
            {**env, "OPENBLAS_NUM_THREADS": "1"},
        ),
        "gwaskit count (freq)": run_timed(child("count"), gw_env),
        "gwaskit info": run_timed(
            [sys.executable, "-m", "gwaskit", "info", str(prefix), "--no-progress"], gw_env
        ),
        "gwaskit decode (float32)": run_timed(child("decode"), gw_env),
    }
    gw_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ref_wall, ref_cpu, _ = rows["plink2 --freq"]
    print(
        f"{'run':26s} {'wall s':>7s} {'cpu s':>7s} {'M geno/s':>9s} "
        f"{'wall/plink2':>11s} {'cpu/plink2':>10s} {'inside s':>9s} {'M geno/s':>9s}"
    )
    for name, (wall, cpu, inner) in rows.items():
        inside = "" if inner is None else f"{inner:9.2f} {n_genotypes / inner / 1e6:9,.0f}"
        print(
            f"{name:26s} {wall:7.2f} {cpu:7.2f} {n_genotypes / wall / 1e6:9,.0f} "
            f"{wall / ref_wall:11.2f} {cpu / ref_cpu:10.2f} {inside}"
        )
    ours = np.load(folder / "count.npy")
    theirs = np.loadtxt(folder / "plink2_freq.afreq", usecols=4, skiprows=1, ndmin=1)
    missing = np.load(folder / "decode.npy").sum() / args.variants  # sample 0, decoded
    print(
        f"max |gwaskit - plink2| A1 frequency: {np.abs(ours - theirs).max():.2e} (plink2 prints "
        f"6 significant digits); decoded missing-call rate of sample 0 {missing:.3f}; peak RSS of the "
        f"gwaskit children {gw_rss_mb:,.0f} MB ({'under' if gw_rss_mb < 1024 else 'OVER'} 1 GB)"
    )
    print("M geno/s = genotypes / wall second; ratios > 1 mean gwaskit is slower")


if __name__ == "__main__":
    main()
