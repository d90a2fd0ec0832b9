"""Benchmark: ``gwaskit qc`` and ``gwaskit pca`` against plink2 on the same generated file.

Data: 5,000 samples x 50,000 variants (default), two populations (Fst 0.02), short-range LD
(each haplotype allele copies its neighbour with probability 0.5), 1% missing calls at random,
22 chromosomes. Timings are wall-clock and CPU, one run each, on whatever cores are free: other
developers share this machine, so expect noise of tens of percent.

Compared:
* ``gwaskit qc`` (sample call rate, variant call rate/MAF/HWE, heterozygosity, sex check
  skipped (no X), KING kinship of all pairs and removal) vs ``plink2 --hardy --missing --freq``
  (counting only) and, for the kinship part, ``plink2 --make-king-table``;
* ``gwaskit pca --indep-pairwise 1000 50 0.1`` vs ``plink2 --indep-pairwise 1000 50 0.1`` then
  ``plink2 --extract ... --pca 10 approx``.

Both tools get every core (``--threads`` = plink2's default); OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are unset for both, and plink2 gets OPENBLAS_NUM_THREADS=1 (Debian's build
fights its own threads otherwise).

    python bench/qc_vs_plink2.py [--samples 5000] [--variants 50000] [--folder DIR]

Runs on 2026-11-22, before (merge d6d4769) and after the bit-level LD pruning and tiled KING,
on the same file, back to back (2 cores shared with other developers, load average 8-9, so wall
is 2-3x CPU; rerun for your own numbers); seconds, wall / CPU (user + system):

    before                                   gwaskit       plink2        ratio wall / cpu
    gwaskit qc --king-cutoff none           6.1 /  3.4    0.3 /  0.1    19.9 / 23.2
    gwaskit qc (all steps) vs + KING table 26.9 / 12.8   45.5 / 17.6    0.59 / 0.73
    gwaskit pca (MAF, prune, PCA)          92.5 / 34.8   69.2 / 30.5    1.34 / 1.14
    gwaskit pca --extract pruned --no-prune 16.5 / 9.8   65.5 / 28.7    0.25 / 0.34

    after
    gwaskit qc --king-cutoff none          11.2 /  4.1    0.4 /  0.2    28.5 / 23.6
    gwaskit qc (all steps) vs + KING table 35.8 / 12.9   44.6 / 18.1    0.80 / 0.71
    gwaskit pca (MAF, prune, PCA)          33.0 / 11.4   72.0 / 28.7    0.46 / 0.40
    gwaskit pca --extract pruned --no-prune 17.0 / 9.3   67.7 / 27.1    0.25 / 0.34

LD pruning alone (in process, same file, MAF >= 0.05 first): 0.9 s CPU, the same 18,522 variants
kept as plink2 (``--maf 0.05 --indep-pairwise 1000 50 0.1``: 1.9 s CPU with its MAF pass). KING now keeps only the
pairs above the cut-off: 0.43 GB peak at 5,000 samples (was 1.5 GB), 0.28 GB at 20,000 samples x
2,000 variants (the all-pairs arrays would take about 20 GB).

gwaskit's fixed cost is about 1.2 s of imports and 1-2 s of writing the QC tables (Parquet +
tsv.gz); its counting itself takes about 0.6 s of CPU here.
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
from typing import NamedTuple

import numpy as np
from bed_reader import to_bed


def generate(folder: Path, n: int, m: int, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    ancestral = rng.uniform(0.05, 0.95, m)
    fst = 0.02
    a, b = ancestral * (1 - fst) / fst, (1 - ancestral) * (1 - fst) / fst
    g = np.empty((n, m), dtype=np.int8)
    half = n // 2
    for rows in (slice(0, half), slice(half, n)):
        freqs = np.clip(rng.beta(a, b), 0.01, 0.99)
        k = rows.stop - rows.start
        for _ in range(2):
            fresh = rng.random((k, m), dtype=np.float32) < freqs
            copy = rng.random((k, m), dtype=np.float32) < 0.5
            hap = fresh.copy()
            for v in range(1, m):
                hap[:, v] = np.where(copy[:, v], hap[:, v - 1], fresh[:, v])
            if _ == 0:
                g[rows] = hap
            else:
                g[rows] += hap
    g[rng.random((n, m), dtype=np.float32) < 0.01] = -127
    chromosome = np.repeat(np.arange(1, 23), -(-m // 22))[:m]
    position = np.zeros(m, dtype=np.int64)
    for c in range(1, 23):
        idx = np.flatnonzero(chromosome == c)
        position[idx] = 1_000_000 + np.cumsum(rng.integers(200, 3000, idx.size))
    path = folder / "bench.bed"
    to_bed(
        path,
        g,
        properties={
            "fid": [f"F{i}" for i in range(n)],
            "iid": [f"I{i}" for i in range(n)],
            "sex": rng.integers(1, 3, n),
            "chromosome": [str(c) for c in chromosome],
            "sid": [f"rs{v + 1}" for v in range(m)],
            "bp_position": position,
            "allele_1": ["A"] * m,
            "allele_2": ["G"] * m,
        },
    )
    return path


class Times(NamedTuple):
    """Wall and CPU (user + system, all threads) seconds of one or more runs."""

    wall: float
    cpu: float

    def __add__(self, other: object) -> Times:
        assert isinstance(other, Times)
        return Times(self.wall + other.wall, self.cpu + other.cpu)

    def __sub__(self, other: object) -> Times:
        assert isinstance(other, Times)
        return Times(self.wall - other.wall, self.cpu - other.cpu)


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:10.2f}" if theirs > 0 else f"{'-':>10s}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict[str, str]) -> Times:
    start, cpu = time.perf_counter(), _children_cpu()
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{args[:3]} failed:\n{result.stdout}\n{result.stderr}")
    return Times(elapsed, _children_cpu() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--variants", type=int, default=50000)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    plink2 = shutil.which("plink2")
    if plink2 is None:
        sys.exit("plink2 is not installed")
    folder = args.folder or Path(tempfile.mkdtemp(prefix="gwaskit_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    bed = folder / "bench.bed"
    if not bed.exists():
        start = time.perf_counter()
        bed = generate(folder, args.samples, args.variants)
        print(f"generated {args.samples} x {args.variants} in {time.perf_counter() - start:.0f} s")
    prefix = str(bed.with_suffix(""))

    base = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    repo = Path(__file__).resolve().parents[1]
    ours_env = {**base, "PYTHONPATH": str(repo / "src")}
    plink_env = {**base, "OPENBLAS_NUM_THREADS": "1"}
    gwaskit = [sys.executable, "-m", "gwaskit"]
    # warm the numba cache so that compile time is not counted (a one-off per install)
    timed([*gwaskit, "qc", prefix, "--out", str(folder / "warm"), "--no-progress", "-q"], ours_env)

    rows = []
    t_ours = timed(
        [*gwaskit, "qc", prefix, "--out", str(folder / "g_qc"), "--no-progress", "-q"], ours_env
    )
    t_count = timed(
        [
            *gwaskit,
            "qc",
            prefix,
            "--out",
            str(folder / "g_qc0"),
            "--no-progress",
            "-q",
            "--king-cutoff",
            "none",
        ],
        ours_env,
    )
    t_plink = timed(
        [plink2, "--bfile", prefix, "--hardy", "--missing", "--freq", "--out", str(folder / "p")],
        plink_env,
    )
    t_king = timed(
        [plink2, "--bfile", prefix, "--make-king-table", "--out", str(folder / "pk")], plink_env
    )
    rows.append(
        ("gwaskit qc --king-cutoff none", t_count, "plink2 --hardy --missing --freq", t_plink)
    )
    rows.append(
        ("gwaskit qc (all steps incl. KING)", t_ours, "plink2 --hardy --missing --freq", t_plink)
    )
    rows.append(
        (
            "gwaskit qc (all steps incl. KING)",
            t_ours,
            "plink2 ... + --make-king-table",
            t_plink + t_king,
        )
    )

    t_ours = timed(
        [
            *gwaskit,
            "pca",
            prefix,
            "--out",
            str(folder / "g_pca"),
            "--seed",
            "1",
            "--no-progress",
            "-q",
        ],
        ours_env,
    )
    t_prune = timed(
        [
            *(plink2, "--bfile", prefix, "--maf", "0.05"),
            *("--indep-pairwise", "1000", "50", "0.1", "--out", str(folder / "pp")),
        ],
        plink_env,
    )
    t_pca = timed(
        [
            *(plink2, "--bfile", prefix, "--extract", str(folder / "pp.prune.in")),
            *("--pca", "10", "approx", "--out", str(folder / "ppca")),
        ],
        plink_env,
    )
    rows.append(
        (
            "gwaskit pca (MAF, prune, PCA)",
            t_ours,
            "plink2 --indep-pairwise + --pca approx",
            t_prune + t_pca,
        )
    )

    t_noprune = timed(
        [
            *(*gwaskit, "pca", prefix, "--out", str(folder / "g_pca0"), "--seed", "1"),
            *("--no-progress", "-q", "--extract", str(folder / "pp.prune.in"), "--no-prune"),
        ],
        ours_env,
    )
    rows.append(
        (
            "gwaskit pca --extract pruned --no-prune",
            t_noprune,
            "plink2 --extract pruned --pca approx",
            t_pca,
        )
    )

    rows.append(
        (
            "  of which MAF + LD pruning (difference)",
            t_ours - t_noprune,
            "plink2 --maf 0.05 --indep-pairwise",
            t_prune,
        )
    )
    rows[-2], rows[-1] = rows[-1], rows[-2]

    print(f"data: {args.samples} samples x {args.variants} variants, 1% missing calls, {bed}")
    print(
        f"{'gwaskit':40s} {'wall':>6s} {'cpu':>6s}   {'plink2':40s} {'wall':>6s} {'cpu':>6s}"
        "   wall ratio  cpu ratio"
    )
    for ours, t1, theirs, t2 in rows:
        print(
            f"{ours:40s} {t1.wall:6.1f} {t1.cpu:6.1f}   {theirs:40s} {t2.wall:6.1f} {t2.cpu:6.1f}"
            f"   {_ratio(t1.wall, t2.wall)} {_ratio(t1.cpu, t2.cpu)}"
        )
    print("(seconds; ratio = gwaskit / plink2; shared 2-core machine, wall timings noisy)")


if __name__ == "__main__":
    main()
