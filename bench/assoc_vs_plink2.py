"""Benchmark: gwaskit assoc vs plink2 --glm on the same generated case/control cohort.

    python bench/assoc_vs_plink2.py [--samples 10000] [--variants 100000] [--threads 2]
                                    [--missing 0.01] [--repeats 2]

Data: PLINK 1 fileset written here; allele frequencies 80% U(0.05, 0.5), 20% U(0.001, 0.01);
1% missing calls (``--missing``); 12 covariates (10 normal "PCs", age, sex); a binary trait with
20% cases and a quantitative trait, both with a few planted effects. Runs, each as a subprocess
with the same thread count (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for both; plink2 with
OPENBLAS_NUM_THREADS=1), the two tools alternated on the same files (A B A B ..., ``--repeats``
pairs, so that a change of load hits both):
  1. gwaskit score + SPA              vs  plink2 --glm firth-fallback   (target >= 30)
  2. gwaskit logistic firth-fallback  vs  the same plink2 run           (target >= 2.5)
  3. gwaskit linear                   vs  plink2 --glm (quantitative)   (target >= 20)
and prints the CPU, the missing-call rate, the best wall time of each and the ratios (plink2
time / gwaskit time; > 1 means gwaskit is faster).
With ``--bgen``, also on imputed-style input: the cohort exported by plink2 to BGEN 1.2 (8-bit,
zlib, ``ref-first``; not timed), then
  4. gwaskit score + SPA on the .bgen   vs  plink2 --bgen ... --glm firth-fallback
(plink2's time includes its import of the BGEN, as a user running it on a .bgen waits for it;
gwaskit's BGEN index, cached across runs, is built in an untimed warm-up run).
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


def write_bed(prefix: Path, n: int, m: int, rng: np.random.Generator, missing: float):
    """Write a .bed/.bim/.fam in variant blocks (never the whole matrix); return planted cols.
    Blocks hold about 4 million genotypes, so memory stays small at biobank sizes too."""
    mafs = np.where(rng.random(m) < 0.8, rng.uniform(0.05, 0.5, m), rng.uniform(0.001, 0.01, m))
    code = np.array([3, 2, 0, 1], dtype=np.uint8)  # A1 count 0,1,2 -> 11,10,00; missing -> 01
    planted = {}
    with open(prefix.with_suffix(".bed"), "wb") as bed:
        bed.write(b"\x6c\x1b\x01")
        step = max(8, min(2000, 4_000_000 // n))
        for start in range(0, m, step):
            stop = min(start + step, m)
            p = mafs[start:stop].astype(np.float32)
            g = (rng.random((stop - start, n), dtype=np.float32) < p[:, None]).astype(np.uint8)
            g += rng.random((stop - start, n), dtype=np.float32) < p[:, None]
            if start == 0:
                planted = {j: g[j].astype(float) for j in range(min(5, stop))}
            g[rng.random(g.shape, dtype=np.float32) < missing] = 3
            codes = code[g]
            pad = (-n) % 4
            codes = np.pad(codes, ((0, 0), (0, pad)), constant_values=1)
            c = codes.reshape(stop - start, -1, 4)
            packed = c[:, :, 0] | (c[:, :, 1] << 2) | (c[:, :, 2] << 4) | (c[:, :, 3] << 6)
            bed.write(packed.astype(np.uint8).tobytes())
    with open(prefix.with_suffix(".bim"), "w") as bim:
        for j in range(m):
            bim.write(f"1\tv{j}\t0\t{j * 100 + 1}\tA\tG\n")
    with open(prefix.with_suffix(".fam"), "w") as fam:
        for i in range(n):
            fam.write(f"s{i}\ts{i}\t0\t0\t0\t-9\n")
    return planted


def make_cohort(folder: Path, n: int, m: int, seed: int = 1, missing: float = 0.01) -> None:
    rng = np.random.default_rng(seed)
    planted = write_bed(folder / "cohort", n, m, rng, missing=missing)
    covar = np.column_stack(
        [rng.normal(size=(n, 10)), rng.normal(50, 10, n), rng.integers(0, 2, n)]
    )
    signal = sum(0.2 * g for g in planted.values())
    eta = -1.7 + 0.1 * covar[:, :10].sum(1) + 0.02 * (covar[:, 10] - 50) + 0.3 * covar[:, 11]
    case = rng.random(n) < 1 / (1 + np.exp(-(eta + signal)))
    quant = covar[:, :3].sum(1) + signal + rng.normal(size=n)
    names = [f"PC{i + 1}" for i in range(10)] + ["AGE", "SEX"]
    with open(folder / "pheno.txt", "w") as out:
        out.write("FID IID CC Q\n")
        for i in range(n):
            out.write(f"s{i} s{i} {2 if case[i] else 1} {quant[i]:.6f}\n")
    with open(folder / "covar.txt", "w") as out:
        out.write("FID IID " + " ".join(names) + "\n")
        for i in range(n):
            out.write(f"s{i} s{i} " + " ".join(f"{v:.6f}" for v in covar[i]) + "\n")


CPU: dict[float, float] = {}


def cpu_name() -> str:
    """The processor's model name (Linux), with the number of cores this process may use."""
    name = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {len(os.sched_getaffinity(0))} cores"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall time of a command; its CPU time (user + sys) is kept in CPU[wall]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    CPU[elapsed] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--variants", type=int, default=100000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--missing", type=float, default=0.01, help="missing-call rate")
    parser.add_argument("--repeats", type=int, default=2, help="alternated pairs of runs")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    parser.add_argument("--bgen", action="store_true", help="also compare on a BGEN export")
    args = parser.parse_args()

    base = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    repo = Path(__file__).resolve().parents[1]
    ours_env = {**base, "PYTHONPATH": str(repo / "src")}
    plink_env = {**base, "OPENBLAS_NUM_THREADS": "1"}
    folder = Path(args.keep or tempfile.mkdtemp(prefix="assoc_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    make_cohort(folder, args.samples, args.variants, missing=args.missing)
    print(
        f"cohort: {args.samples} samples x {args.variants} variants, 12 covariates, "
        f"{args.missing:.1%} missing calls, written in {time.perf_counter() - t0:.1f} s; "
        f"threads={args.threads}; CPU: {cpu_name()}"
    )
    from threadpoolctl import threadpool_info  # the BLAS kernel gwaskit's numpy runs

    kernel = subprocess.run(
        [sys.executable, "-c", "import numpy, threadpoolctl as t; print([i.get('architecture') "
         "for i in t.threadpool_info()])"],
        env=ours_env, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    del threadpool_info
    print(f"gwaskit numpy BLAS kernel (OPENBLAS_CORETYPE unset): {kernel}")

    common = ["--bfile", str(folder / "cohort"), "--pheno", str(folder / "pheno.txt")]
    common += ["--covar", str(folder / "covar.txt"), "--threads", str(args.threads)]
    ours = [sys.executable, "-m", "gwaskit", "assoc", str(folder / "cohort")]
    ours += ["--pheno", str(folder / "pheno.txt"), "--covar", str(folder / "covar.txt")]
    ours += ["--threads", str(args.threads), "--no-progress", "-q"]
    # warm numba's on-disk cache so that compilation is not timed
    subprocess.run([*ours, "--pheno-name", "CC", "--test", "score", "--out", str(folder / "warm")],
                   env=ours_env, check=True)  # fmt: skip

    plink_cc = ["plink2", *common, "--pheno-name", "CC", "--glm", "firth-fallback", "hide-covar"]
    plink_q = ["plink2", *common, "--pheno-name", "Q", "--glm", "hide-covar"]
    pairs = [  # (name, gwaskit command, plink2 command, target)
        ("score + SPA vs plink2 firth-fallback",
         [*ours, "--pheno-name", "CC", "--test", "score", "--out", str(folder / "g_spa")],
         [*plink_cc, "--out", str(folder / "p_cc")], ">= 30"),
        ("logistic firth-fallback",
         [*ours, "--pheno-name", "CC", "--out", str(folder / "g_cc")],
         [*plink_cc, "--out", str(folder / "p_cc")], ">= 2.5"),
        ("linear",
         [*ours, "--pheno-name", "Q", "--out", str(folder / "g_q")],
         [*plink_q, "--out", str(folder / "p_q")], ">= 20"),
    ]  # fmt: skip
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for _ in range(args.repeats):  # alternated: A B A B, each pair back to back
        for name, gw, pl, _target in pairs:
            for tool, cmd, env in (("plink2", pl, plink_env), ("gwaskit", gw, ours_env)):
                wall = timed(cmd, env)
                key = (name, tool)
                if key not in best or wall < best[key][0]:
                    best[key] = (wall, CPU[wall])
    rows = [
        (name, best[(name, "gwaskit")], best[(name, "plink2")], target)
        for name, _, _, target in pairs
    ]

    if args.bgen:
        bgen = folder / "cohort_bgen"
        subprocess.run(
            ["plink2", "--bfile", str(folder / "cohort"), "--export", "bgen-1.2", "bits=8",
             "ref-first", "--threads", str(args.threads), "--out", str(bgen)],
            env=plink_env, capture_output=True, check=True,
        )  # fmt: skip
        p_bgen = timed(["plink2", "--bgen", f"{bgen}.bgen", "ref-first", "--sample",
                        f"{bgen}.sample", *common[2:], "--pheno-name", "CC", "--glm",
                        "firth-fallback", "hide-covar", "--out", str(folder / "p_bgen")],
                       plink_env)  # fmt: skip
        ours_bgen = [*ours[:4], f"{bgen}.bgen", *ours[5:]]
        subprocess.run([*ours_bgen, "--pheno-name", "CC", "--test", "score", "--out",
                        str(folder / "warm_bgen")], env=ours_env, check=True)  # fmt: skip
        g_bgen = timed([*ours_bgen, "--pheno-name", "CC", "--test", "score", "--out",
                        str(folder / "g_bgen")], ours_env)  # fmt: skip
        rows.append(
            ("BGEN: score + SPA vs plink2", (g_bgen, CPU[g_bgen]), (p_bgen, CPU[p_bgen]), "-")
        )

    print(
        f"{'run':38s} {'gwaskit s':>9s} {'plink2 s':>9s} {'ratio':>6s}  {'target':7s}"
        f"{'gwaskit cpu':>12s} {'plink2 cpu':>11s} {'ratio':>6s}"
    )
    for name, (ours_s, ours_cpu), (ref_s, ref_cpu), target in rows:
        print(
            f"{name:38s} {ours_s:9.1f} {ref_s:9.1f} {ref_s / ours_s:6.2f}  {target:7s}"
            f"{ours_cpu:12.1f} {ref_cpu:11.1f} {ref_cpu / ours_cpu:6.2f}"
        )
    print(
        f"ratio = plink2 time / gwaskit time (best wall of {args.repeats} alternated runs each, "
        "then CPU = user + sys of the process)"
    )


if __name__ == "__main__":
    main()
