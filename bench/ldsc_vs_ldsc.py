"""Benchmark: `gwaskit ldsc` against the ldsc package (2.0.1) on the same files.

Simulates a reference panel of N people x M variants on one chromosome with local LD (haplotype
blocks: each variant copies its neighbour's allele with probability 0.9, so r² decays with
distance), 1 % missing calls, written as a PLINK 1 set; then summary statistics of M variants
with ``chi² ~ 1 + N h² l / M`` (h² = 0.4, N = 50,000) from the panel's own LD scores. Times
``gwaskit ldsc scores`` vs ``ldsc.py --l2`` (1,000 kb window) and ``gwaskit ldsc h2`` vs
``ldsc.py --h2``, each as a whole process, alternated (A B A B), and prints wall time, peak
memory and the ratio per pair. Both run with the OpenBLAS core-type overrides unset and their
own (pip) numpy's default BLAS threads, i.e. both at their best on the machine's cores.

The issue's size is 500 x 1,000,000 (``--variants 1000000``); the default is 500 x 100,000.
Needs ``.venv-ldsc`` (made by ``scripts/setup test``).

Usage: python bench/ldsc_vs_ldsc.py [--samples 500] [--variants 100000] [--runs 2]
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def simulate_panel(folder: Path, n: int, m: int, seed: int = 1) -> Path:
    from bed_reader import to_bed

    rng = np.random.default_rng(seed)
    haplotypes = np.empty((2 * n, m), dtype=np.int8)
    haplotypes[:, 0] = rng.random(2 * n) < 0.3
    freq = rng.uniform(0.02, 0.5, m)
    for j in range(1, m):
        copy = rng.random(2 * n) < 0.9
        fresh = rng.random(2 * n) < freq[j]
        haplotypes[:, j] = np.where(copy, haplotypes[:, j - 1], fresh)
    dosage = (haplotypes[0::2] + haplotypes[1::2]).astype(np.float32)
    dosage[rng.random(dosage.shape) < 0.01] = np.nan
    pos = np.cumsum(rng.integers(1, 2000, m)) + 1000  # ~1,000 variants per 1,000 kb window
    prefix = folder / "panel"
    to_bed(
        str(prefix) + ".bed",
        dosage,
        properties={
            "chromosome": np.full(m, "1"),
            "sid": np.array([f"rs{j}" for j in range(m)]),
            "bp_position": pos,
            "allele_1": np.full(m, "A"),
            "allele_2": np.full(m, "G"),
            "iid": np.array([f"i{i}" for i in range(n)]),
        },
        count_A1=True,
    )
    return prefix


def simulate_sumstats(folder: Path, ldscore: Path, seed: int = 2) -> Path:
    rng = np.random.default_rng(seed)
    lines = gzip.decompress(ldscore.read_bytes()).decode().splitlines()[1:]
    snps = [line.split("\t")[1] for line in lines]
    ld = np.array([float(line.split("\t")[3]) for line in lines])
    n, h2 = 50_000, 0.4
    chisq = 1 + n * h2 * np.clip(ld, 0, None) / ld.size
    z = rng.standard_normal(ld.size) * np.sqrt(chisq)
    path = folder / "trait.sumstats.gz"
    rows = "\n".join(f"{s}\tA\tG\t{v:.4f}\t{n}" for s, v in zip(snps, z, strict=True))
    path.write_bytes(gzip.compress(("SNP\tA1\tA2\tZ\tN\n" + rows + "\n").encode()))
    return path


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB, GNU time's %M) of one run of ``command``.

    ldsc 2.0.1 ``--l2`` exits 1 after writing its scores (it fails on the ``.M`` files): the
    caller checks the output instead of the exit code."""
    start = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    peak_kb = float(result.stderr.strip().splitlines()[-1])
    return wall, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    ldsc_python = REPO / ".venv-ldsc" / "bin" / "python"
    ldsc_script = REPO / ".venv-ldsc" / "bin" / "ldsc.py"
    gwaskit = Path(sys.executable).parent / "gwaskit"
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    folder = Path(args.workdir or tempfile.mkdtemp(prefix="ldsc-bench-"))
    print(f"simulating {args.samples} x {args.variants:,} panel (1% missing calls) in {folder}")
    panel = simulate_panel(folder, args.samples, args.variants)
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")), "?")
    print(f"CPU: {cpu}; {os.cpu_count()} cores")
    steps = {
        "LD scores (--l2, 1,000 kb)": (
            [
                str(gwaskit),
                "ldsc",
                "scores",
                f"{panel}.bed",
                "--ld-wind-kb",
                "1000",
                "--out",
                str(folder / "g"),
                "--no-progress",
            ],
            [
                str(ldsc_python),
                str(ldsc_script),
                "--l2",
                "--bfile",
                str(panel),
                "--ld-wind-kb",
                "1000",
                "--out",
                str(folder / "l"),
            ],
        ),
    }
    for name, (ours, theirs) in steps.items():
        _pairs(name, ours, theirs, env, args.runs)
    for prefix in ("g", "l"):
        if not (folder / f"{prefix}.l2.ldscore.gz").is_file():
            raise SystemExit(f"{prefix}.l2.ldscore.gz was not written")
    # ldsc 2.0.1 writes the scores but not its .M files; give both tools the same M
    m_value = str(args.variants)
    for prefix in ("g", "l"):
        (folder / f"{prefix}.l2.M_5_50").write_text(m_value + "\n")
    sumstats = simulate_sumstats(folder, folder / "g.l2.ldscore.gz")
    _pairs(
        f"h2 on {args.variants:,} variants",
        [
            str(gwaskit),
            "ldsc",
            "h2",
            str(sumstats),
            "--ref-ld",
            str(folder / "g"),
            "--w-ld",
            str(folder / "g"),
            "--out",
            str(folder / "gh2"),
            "-q",
        ],
        [
            str(ldsc_python),
            str(ldsc_script),
            "--h2",
            str(sumstats),
            "--ref-ld",
            str(folder / "g"),
            "--w-ld",
            str(folder / "g"),
            "--out",
            str(folder / "lh2"),
        ],
        env,
        args.runs,
    )


def _pairs(name: str, ours: list[str], theirs: list[str], env: dict[str, str], runs: int) -> None:
    ratios = []
    for _ in range(runs):
        a, a_mem = timed(ours, env)
        b, b_mem = timed(theirs, env)
        ratios.append(b / a)
        print(
            f"{name}: gwaskit {a:.2f} s {a_mem:.0f} MB, ldsc {b:.2f} s {b_mem:.0f} MB, "
            f"ratio {b / a:.1f}x"
        )
    print(f"{name}: median ratio {np.median(ratios):.1f}x over {runs} pairs")


if __name__ == "__main__":
    main()
