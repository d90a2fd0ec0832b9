"""Benchmark: `gwaskit meta` against GWAMA on the same simulated summary statistics.

Simulates S studies x V variants (GWAMA input format: MARKERNAME CHROMOSOME POSITION EA NEA
EAF N BETA SE), each study carrying a random 90% of the variants, half of them with the alleles
swapped and 10% on the other strand (no palindromic SNPs, which GWAMA cannot resolve). Runs
``GWAMA --quantitative`` and ``gwaskit meta --method fixed --palindromic forward`` on the same
files, and prints wall time, peak memory (maximum resident set from GNU time) and the ratio. Genotype missing-call rate: not applicable (summary
statistics); 10% of variants are missing from each study.

Full size is 22 studies x 1,000,000 variants (``--scale 1``); ``--scale 0.1`` runs 100,000.
The machine is shared by several developers (2 cores): timings are noisy.

``--no-tsv`` also times gwaskit writing its tables as Parquet only (GWAMA writes one text
table; gwaskit by default writes Parquet plus a gzipped TSV of each table). ``--parquet`` also
times gwaskit reading the same studies as gwaskit Parquet summary statistics (what each cohort's
``gwaskit assoc`` writes; converted before the timing), with Parquet-only output.

Usage: python bench/meta_vs_gwama.py [--scale 0.1] [--studies 22] [--workdir DIR] [--no-tsv]
       [--parquet]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

PAIRS = np.array([("A", "G"), ("A", "C"), ("C", "T"), ("G", "T"), ("C", "A"), ("G", "A")])
COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def simulate(folder: Path, n_studies: int, n_variants: int, seed: int = 1) -> list[Path]:
    rng = np.random.default_rng(seed)
    chrom = np.sort(rng.integers(1, 23, n_variants))
    pos = np.zeros(n_variants, dtype=np.int64)
    for c in range(1, 23):
        sel = chrom == c
        pos[sel] = np.sort(rng.choice(200_000_000, sel.sum(), replace=False)) + 1
    which = rng.integers(0, len(PAIRS), n_variants)
    a1, a2 = PAIRS[which, 0], PAIRS[which, 1]
    freq = rng.uniform(0.02, 0.98, n_variants)
    names = pl.Series([f"rs{i}" for i in range(1, n_variants + 1)])
    paths = []
    for s in range(n_studies):
        keep = rng.random(n_variants) < 0.9
        n = rng.integers(2000, 20000)
        f = np.clip(freq + rng.normal(0, 0.02, n_variants), 0.01, 0.99)
        se = 1.0 / np.sqrt(2 * n * f * (1 - f))
        beta = rng.normal(0, 1, n_variants) * se
        swap = rng.random(n_variants) < 0.5
        flip = rng.random(n_variants) < 0.1
        ea = pl.Series(np.where(swap, a2, a1))
        nea = pl.Series(np.where(swap, a1, a2))
        table = pl.DataFrame(
            {
                "MARKERNAME": names,
                "CHROMOSOME": chrom,
                "POSITION": pos,
                "EA": ea,
                "NEA": nea,
                "EAF": np.round(np.where(swap, 1 - f, f), 4),
                "N": np.full(n_variants, n),
                "BETA": np.round(np.where(swap, -beta, beta), 6),
                "SE": np.round(se, 6),
                "_flip": flip,
            }
        ).with_columns(
            pl.when("_flip").then(pl.col("EA").replace(COMP)).otherwise(pl.col("EA")).alias("EA"),
            pl.when("_flip")
            .then(pl.col("NEA").replace(COMP))
            .otherwise(pl.col("NEA"))
            .alias("NEA"),
        )
        path = folder / f"study{s:02d}.txt"
        table.filter(pl.Series(keep)).drop("_flip").write_csv(path, separator="\t")
        paths.append(path)
    return paths


def to_parquet(paths: list[Path], env: dict[str, str]) -> list[str]:
    """Convert each study to gwaskit Parquet summary statistics (in a child process, like the
    timed runs); returns the ``--study NAME=FILE`` arguments for them."""
    script = (
        "import sys\n"
        "from gwaskit.io.sumstats import read_sumstats, write_sumstats\n"
        "for path in sys.argv[1:]:\n"
        "    table, meta = read_sumstats(path)\n"
        "    write_sumstats(table, path[:-4] + '.gk', metadata=meta, tsv=False)\n"
    )
    subprocess.run([sys.executable, "-c", script, *map(str, paths)], env=env, check=True)
    return [a for p in paths for a in ("--study", f"{p.stem}={p.stem}.gk.parquet")]


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (GB) of a child process, from
    GNU time. On a shared machine CPU time is the steadier measure."""
    start = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%U %S %M", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{args[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    user, system, peak_kb = map(float, result.stderr.strip().splitlines()[-1].split())
    return wall, user + system, peak_kb / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="fraction of 1M variants")
    parser.add_argument("--studies", type=int, default=22)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--no-tsv",
        action="store_true",
        help="also time gwaskit writing Parquet only (--no-tsv)",
    )
    parser.add_argument(
        "--parquet",
        action="store_true",
        help="also time gwaskit on the studies as gwaskit Parquet (Parquet-only output)",
    )
    args = parser.parse_args()
    n_variants = round(1_000_000 * args.scale)
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    env_tool = {**env, "OPENBLAS_NUM_THREADS": "1"}
    repo = Path(__file__).resolve().parents[1]
    env_gk = {**env, "PYTHONPATH": str(repo / "src")}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = simulate(folder, args.studies, n_variants)
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(
            f"simulated {args.studies} studies x {n_variants:,} variants "
            f"(90% per study, {size:.0f} MB of text) in {time.perf_counter() - t0:.1f} s"
        )
        (folder / "gwama.in").write_text("".join(f"{p.name}\n" for p in paths))
        study_args = [a for p in paths for a in ("--study", f"{p.stem}={p.name}")]
        gk_cmd = [
            sys.executable,
            "-m",
            "gwaskit",
            "meta",
            *study_args,
            "--method",
            "fixed",
            "--palindromic",
            "forward",
            "--population",
            "none",
            "--out",
            "gk",
            "-q",
            "--no-progress",
        ]
        gk_wall, gk_cpu, gk_mem = timed(gk_cmd, folder, env_gk)
        if args.no_tsv:
            pq_wall, pq_cpu, pq_mem = timed(
                [*gk_cmd[:-4], "--out", "gkpq", "--no-tsv", "-q", "--no-progress"], folder, env_gk
            )
        if args.parquet:
            parquet_args = to_parquet(paths, env_gk)
            pa_cmd = [*gk_cmd[:4], *parquet_args, *gk_cmd[4 + len(study_args) : -4]]
            pa_wall, pa_cpu, pa_mem = timed(
                [*pa_cmd, "--out", "gkpa", "--no-tsv", "-q", "--no-progress"], folder, env_gk
            )
        gw_wall, gw_cpu, gw_mem = timed(
            ["GWAMA", "--filelist", "gwama.in", "--quantitative", "--output", "gw"],
            folder,
            env_tool,
        )
        gk = pl.read_parquet(folder / "gk.parquet")
        gw = pl.read_csv(folder / "gw.out", separator="\t", null_values=["-9"])
        print(f"variants out: gwaskit {gk.height:,}, GWAMA {gw.height:,}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            f"gwaskit meta : wall {gk_wall:7.1f} s  cpu {gk_cpu:7.1f} s  peak RSS {gk_mem:5.2f} GB"
        )
        if args.no_tsv:
            print(
                f"gwaskit --no-tsv: wall {pq_wall:7.1f} s  cpu {pq_cpu:7.1f} s  "
                f"peak RSS {pq_mem:5.2f} GB"
            )
        if args.parquet:
            print(
                f"gwaskit on Parquet studies, --no-tsv: wall {pa_wall:7.1f} s  cpu {pa_cpu:7.1f} s"
                f"  peak RSS {pa_mem:5.2f} GB (ratio GWAMA / this: wall {gw_wall / pa_wall:.1f}x,"
                f" cpu {gw_cpu / pa_cpu:.1f}x)"
            )
        print(
            f"GWAMA        : wall {gw_wall:7.1f} s  cpu {gw_cpu:7.1f} s  peak RSS {gw_mem:5.2f} GB"
        )
        print(f"ratio GWAMA / gwaskit: wall {gw_wall / gk_wall:.1f}x, cpu {gw_cpu / gk_cpu:.1f}x")


if __name__ == "__main__":
    main()
