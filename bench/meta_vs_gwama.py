"""Benchmark: `gwaskit meta` against GWAMA on the same simulated summary statistics.

Simulates S studies x V variants (GWAMA input format: MARKERNAME CHROMOSOME POSITION EA NEA
EAF N BETA SE), each study carrying a random 90% of the variants, half of them with the alleles
swapped and 10% on the other strand (no palindromic SNPs, which GWAMA cannot resolve). Runs
``GWAMA --quantitative`` (one OpenBLAS thread) and ``gwaskit meta --method fixed --palindromic
forward`` on the same files, and prints wall time, CPU time, peak memory (maximum resident set
from GNU time) and the ratios. Genotype missing-call rate: not applicable (summary statistics);
10% of variants are missing from each study.

``--sizes 1,3`` runs 22 x 1 M then 22 x 3 M variants (millions; fractions allowed) and prints
how the times and peaks grow from the first size (target: time(3 M) <= 3.3 x time(1 M)).
``--parquet`` also times gwaskit reading the same studies as gwaskit Parquet summary statistics
(what each cohort's ``gwaskit assoc`` writes; converted before the timing), Parquet-only output.
``--no-tsv`` also times gwaskit on the text studies writing Parquet only. ``--no-gwama`` skips
GWAMA (e.g. ``--sizes 10 --no-gwama``: 22 x 10 M from text, time and peak RSS; the studies take
about 12 GB of disk in ``--workdir``). ``--memory-gb`` is passed to gwaskit (default: its own).

Don't run the big sizes on a shared machine: 22 x 1 M takes ~1 min per tool, 22 x 3 M ~3 min.

Usage: python bench/meta_vs_gwama.py [--sizes 0.1] [--studies 22] [--workdir DIR] [--no-tsv]
       [--parquet] [--no-gwama] [--memory-gb GB]
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


def run_size(
    args: argparse.Namespace, n_variants: int, env_gk: dict[str, str], env_tool: dict[str, str]
) -> dict[str, tuple[float, float, float]]:
    """Simulate one size and time each tool on it: ``{label: (wall, cpu, peak GB)}``."""
    times: dict[str, tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = simulate(folder, args.studies, n_variants)
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(
            f"simulated {args.studies} studies x {n_variants:,} variants "
            f"(90% per study, {size:.0f} MB of text) in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        (folder / "gwama.in").write_text("".join(f"{p.name}\n" for p in paths))
        study_args = [a for p in paths for a in ("--study", f"{p.stem}={p.name}")]
        options = ["--method", "fixed", "--palindromic", "forward", "--population", "none"]
        if args.memory_gb is not None:
            options += ["--memory-gb", str(args.memory_gb)]
        gk = [sys.executable, "-m", "gwaskit", "meta", "-q", "--no-progress", *options]
        times["gwaskit (text)"] = timed([*gk, *study_args, "--out", "gk"], folder, env_gk)
        if args.no_tsv:
            times["gwaskit (text, --no-tsv)"] = timed(
                [*gk, *study_args, "--out", "gkpq", "--no-tsv"], folder, env_gk
            )
        if args.parquet:
            parquet_args = to_parquet(paths, env_gk)
            times["gwaskit (Parquet, --no-tsv)"] = timed(
                [*gk, *parquet_args, "--out", "gkpa", "--no-tsv"], folder, env_gk
            )
        if not args.no_gwama:
            times["GWAMA"] = timed(
                ["GWAMA", "--filelist", "gwama.in", "--quantitative", "--output", "gw"],
                folder,
                env_tool,
            )
            gw = pl.read_csv(folder / "gw.out", separator="\t", null_values=["-9"])
            out = pl.scan_parquet(folder / "gk.parquet").select(pl.len()).collect().item()
            print(f"variants out: gwaskit {out:,}, GWAMA {gw.height:,}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for label, (wall, cpu, peak) in times.items():
        ratio = ""
        if "GWAMA" in times and label != "GWAMA":
            gw_wall, gw_cpu, gw_peak = times["GWAMA"]
            ratio = (
                f"  GWAMA / this: wall {gw_wall / wall:.1f}x, cpu {gw_cpu / cpu:.1f}x, "
                f"peak {gw_peak / peak:.2f}x"
            )
        print(f"{label:28s}: wall {wall:7.1f} s  cpu {cpu:7.1f} s  peak RSS {peak:5.2f} GB{ratio}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=None,
        help="variants per study, in millions, comma-separated (default 0.1)",
    )
    parser.add_argument("--scale", type=float, default=None, help="one size (millions)")
    parser.add_argument("--studies", type=int, default=22)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-tsv", action="store_true", help="also time Parquet-only output")
    parser.add_argument(
        "--parquet",
        action="store_true",
        help="also time gwaskit on the studies as gwaskit Parquet (Parquet-only output)",
    )
    parser.add_argument("--no-gwama", action="store_true", help="time gwaskit only")
    parser.add_argument("--memory-gb", type=float, default=None, help="gwaskit's --memory-gb")
    args = parser.parse_args()
    if args.sizes and args.scale is not None:
        parser.error("give --sizes or --scale, not both")
    sizes = [float(x) for x in args.sizes.split(",")] if args.sizes else [args.scale or 0.1]
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    env_tool = {**env, "OPENBLAS_NUM_THREADS": "1"}
    repo = Path(__file__).resolve().parents[1]
    env_gk = {**env, "PYTHONPATH": str(repo / "src")}
    runs = [run_size(args, round(1_000_000 * size), env_gk, env_tool) for size in sizes]
    for size, times in zip(sizes[1:], runs[1:], strict=True):
        print(f"growth from {sizes[0]:g} M to {size:g} M variants ({size / sizes[0]:.1f}x):")
        for label, (wall, cpu, peak) in times.items():
            w0, c0, p0 = runs[0][label]
            print(
                f"  {label:28s}: wall {wall / w0:5.2f}x  cpu {cpu / c0:5.2f}x  "
                f"peak RSS {peak / p0:5.2f}x"
            )


if __name__ == "__main__":
    main()
