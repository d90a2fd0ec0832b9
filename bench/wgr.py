"""Benchmark: whole-genome regression (``gwaskit wgr``, REGENIE's step 1, levels 0 and 1).

    python bench/wgr.py [--samples 10000] [--variants 100000] [--threads 2]

Data written here: a PLINK 1 fileset over 10 chromosomes (allele frequencies U(0.05, 0.5), no
missing calls), 5 normal covariates, one quantitative and one binary (30% cases) phenotype,
both polygenic (h2 0.3 over 1% of the variants). Times ``gwaskit wgr`` (blocks of 1,000, 5
folds, both phenotypes in one pass) as a subprocess and reports wall time, CPU time, peak
memory (max RSS of the child) and CPU time per genotype against the REGENIE paper's step 1:
111 CPU-hours for 50 traits on ~400,000 samples x ~500,000 array variants (16-vCPU AMD EPYC;
Mbatchou et al. 2021, Nat Genet 53:1097, Table 1), i.e. 2.0e-6 CPU-s per genotype for 50
traits. The issue's target at 10,000 x 100,000: <= 90 s wall and <= 3 GB on 2 cores.
The machine is shared with other developers: timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REGENIE_CPU_S_PER_GENOTYPE = 111 * 3600 / (400_000 * 500_000)  # 50 traits


def write_cohort(folder: Path, n: int, m: int, rng: np.random.Generator) -> Path:
    """Write ``cohort.{bed,bim,fam}``, ``pheno.txt`` and ``covar.txt``; genotypes in blocks."""
    prefix = folder / "cohort"
    freq = rng.uniform(0.05, 0.5, m)
    code = np.array([3, 2, 0], dtype=np.uint8)  # A1 count 0,1,2 -> 11,10,00
    causal = rng.random(m) < 0.01
    effects = np.where(causal, rng.normal(0, 1, m), 0.0)
    genetic = np.zeros(n)
    with open(prefix.with_suffix(".bed"), "wb") as bed:
        bed.write(b"\x6c\x1b\x01")
        for start in range(0, m, 2000):
            stop = min(start + 2000, m)
            p = freq[start:stop, None]
            g = (rng.random((stop - start, n)) < p).astype(np.uint8)
            g += rng.random((stop - start, n)) < p
            z = (g - 2 * p) / np.sqrt(2 * p * (1 - p))
            genetic += effects[start:stop] @ z
            codes = np.pad(code[g], ((0, 0), (0, (-n) % 4)), constant_values=1)
            c = codes.reshape(stop - start, -1, 4)
            packed = c[:, :, 0] | (c[:, :, 1] << 2) | (c[:, :, 2] << 4) | (c[:, :, 3] << 6)
            bed.write(packed.astype(np.uint8).tobytes())
    chrom = np.repeat(np.arange(1, 11), -(-m // 10))[:m]
    with open(prefix.with_suffix(".bim"), "w") as bim:
        for j in range(m):
            bim.write(f"{chrom[j]}\tv{j}\t0\t{j * 100 + 1}\tA\tG\n")
    with open(prefix.with_suffix(".fam"), "w") as fam:
        for i in range(n):
            fam.write(f"s{i} s{i} 0 0 0 -9\n")
    genetic = genetic / genetic.std() * np.sqrt(0.3)
    covar = rng.normal(size=(n, 5))
    liability = genetic + covar @ rng.normal(0, 0.2, 5) + rng.normal(0, np.sqrt(0.7), n)
    quantitative = liability
    binary = (liability > np.quantile(liability, 0.7)).astype(int)
    with open(folder / "pheno.txt", "w") as out:
        out.write("FID IID Q B\n")
        for i in range(n):
            out.write(f"s{i} s{i} {quantitative[i]:.6f} {binary[i]}\n")
    with open(folder / "covar.txt", "w") as out:
        out.write("FID IID " + " ".join(f"C{k}" for k in range(1, 6)) + "\n")
        for i in range(n):
            out.write(f"s{i} s{i} " + " ".join(f"{v:.6f}" for v in covar[i]) + "\n")
    return prefix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        prefix = write_cohort(folder, args.samples, args.variants, rng)
        print(f"data written in {time.perf_counter() - t0:.1f} s")
        cmd = [
            sys.executable, "-m", "gwaskit", "wgr", str(prefix),
            "--pheno", str(folder / "pheno.txt"), "--covar", str(folder / "covar.txt"),
            "--threads", str(args.threads), "--no-progress", "--out", str(folder / "fit"),
        ]  # fmt: skip
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        peak_gb = after.ru_maxrss / 2**20  # KiB on Linux
        genotypes = args.samples * args.variants
        per = cpu / genotypes
        print(
            f"gwaskit wgr, {args.samples:,} samples x {args.variants:,} variants, 2 phenotypes, "
            f"{args.threads} threads: wall {wall:.1f} s, CPU {cpu:.1f} s, peak {peak_gb:.2f} GB"
        )
        print(
            f"CPU per genotype: {per:.2e} s (2 traits); REGENIE paper step 1: "
            f"{REGENIE_CPU_S_PER_GENOTYPE:.2e} s (50 traits), i.e. "
            f"{REGENIE_CPU_S_PER_GENOTYPE / 50 * 2:.2e} s for 2 traits if linear in traits"
        )


if __name__ == "__main__":
    main()
