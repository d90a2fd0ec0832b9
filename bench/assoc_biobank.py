"""Benchmark: score + SPA scans of biobank-sized cohorts, wall time and peak memory by size.

    python bench/assoc_biobank.py [--samples 10000,50000,100000,200000] [--variants 20000]
                                  [--threads 2] [--missing 0.01]

For each sample size, a cohort as ``assoc_vs_plink2.py`` writes it (allele frequencies 80%
U(0.05, 0.5), 20% U(0.001, 0.01); 12 covariates; a binary trait with 20% cases) is scanned by
``gwaskit assoc --test score`` (SPA on) in a subprocess, after an untimed warm-up of numba's
cache on the smallest cohort. Prints per size the wall time, the time per genotype (which
should not grow with the sample size: the cost is linear in samples x variants), the ratio of
that to the first size's, and the process's peak resident memory (target at 200,000 x 20,000:
<= 4 GB; the scan holds a block of variants x samples per thread, not the file: the ``.bed``
is read block by block). The cohort files are written to a temporary folder and deleted after
each size (200,000 x 20,000 is a 1 GB ``.bed``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assoc_vs_plink2 import cpu_name, make_cohort


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (GB) of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{process.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 2**20  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default="10000,50000,100000,200000")
    parser.add_argument("--variants", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--missing", type=float, default=0.01, help="missing-call rate")
    args = parser.parse_args()
    sizes = [int(s) for s in args.samples.split(",")]
    repo = Path(__file__).resolve().parents[1]
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    env["PYTHONPATH"] = str(repo / "src")
    print(
        f"score + SPA, {args.variants} variants, 12 covariates, {args.missing:.1%} missing "
        f"calls, threads={args.threads}; CPU: {cpu_name()}"
    )
    print(f"{'samples':>9s} {'wall s':>8s} {'ns/genotype':>12s} {'vs first':>9s} {'peak GB':>8s}")
    first = None
    for i, n in enumerate(sizes):
        folder = Path(tempfile.mkdtemp(prefix="assoc_biobank_"))
        try:
            make_cohort(folder, n, args.variants, missing=args.missing)
            cmd = [
                sys.executable, "-m", "gwaskit", "assoc", str(folder / "cohort"),
                "--pheno", str(folder / "pheno.txt"), "--pheno-name", "CC",
                "--covar", str(folder / "covar.txt"), "--test", "score",
                "--threads", str(args.threads), "--no-progress", "-q",
                "--out", str(folder / "out"),
            ]  # fmt: skip
            if i == 0:  # numba's on-disk cache, so that compilation is not timed
                run(cmd, env)
            wall, peak = run(cmd, env)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        per = wall / (n * args.variants) * 1e9
        first = first or per
        print(f"{n:9d} {wall:8.1f} {per:12.2f} {per / first:9.2f} {peak:8.2f}")
    print("target: peak <= 4 GB at 200,000 samples; time per genotype within 1.5x of the first")


if __name__ == "__main__":
    main()
