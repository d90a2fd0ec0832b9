"""The demo study: a small simulated migraine-like consortium and its plan.

Four discovery cohorts with genotypes, one discovery cohort that shares only its summary
statistics, and two replication cohorts; planted loci include one with two independent signals in
LD and one whose effect differs between cohorts (heterogeneous). ``python -m gwaskit.pipeline.demo
OUT`` writes ``OUT/data/`` and ``OUT/plan.toml``; ``gwaskit run OUT/plan.toml`` analyses it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from gwaskit.errors import GwaskitError
from gwaskit.io.tables import atomic_path
from gwaskit.pipeline.stages import merge_covariates
from gwaskit.simulate import CohortSpec, ConsortiumSpec, simulate_consortium, write_consortium

#: (name, samples, role); the summary-only cohort shares only its association results.
DEMO_COHORTS = (
    ("finland", 3000, "discovery"),
    ("germany", 2600, "discovery"),
    ("denmark", 2200, "discovery"),
    ("netherlands", 1800, "discovery"),
    ("iceland", 2000, "summary"),
    ("norway", 2000, "replication"),
    ("spain", 1600, "replication"),
)
SUMMARY_ONLY = "iceland"


def demo_spec(*, n_variants: int = 16_000, scale: float = 1.0) -> ConsortiumSpec:
    """The demo consortium: effects strong enough to give loci with 15,000 samples."""
    cohorts = tuple(
        CohortSpec(name, max(200, round(n * scale)), missing_rate=0.005 + 0.0025 * k)
        for k, (name, n, _) in enumerate(DEMO_COHORTS)
    )
    return ConsortiumSpec(
        cohorts=cohorts,
        n_variants=n_variants,
        n_chromosomes=4,
        odds_ratios=(1.45, 1.35, 1.3, 1.25),
        two_signal_odds_ratios=(1.4, 1.3),
        heterogeneous_odds_ratios=(1.0, 1.6, 1.0, 1.6, 1.3, 1.3, 1.3),
        trait_name="migraine",
    )


def write_demo(out: Path, *, seed: int = 1, n_variants: int = 16_000, scale: float = 1.0) -> Path:
    """Simulate the demo consortium into ``out/data`` and write ``out/plan.toml``; return it."""
    data = out / "data"
    consortium = simulate_consortium(demo_spec(n_variants=n_variants, scale=scale), seed=seed)
    write_consortium(consortium, data)
    _summarise_and_forget(data, SUMMARY_ONLY)
    plan = out / "plan.toml"
    with atomic_path(plan) as tmp:
        tmp.write_text(_plan_text())
    return plan


def _summarise_and_forget(data: Path, name: str) -> None:
    """Run the cohort's own analysis (PCA, then association with sex, age and 2 PCs) and keep
    only its summary statistics (GWAS-SSF), as a cohort that may not share genotypes would."""
    prefix = data / name
    _gwaskit("pca", str(prefix), "--pcs", "2", "--seed", "1", "--out", f"{prefix}.pca")
    merge_covariates(
        Path(f"{prefix}.pca.eigenvec"), Path(f"{prefix}.covar"), Path(f"{prefix}.pcs.tsv")
    )
    _gwaskit(
        "assoc", str(prefix), "--pheno", f"{prefix}.pheno", "--covar", f"{prefix}.pcs.tsv",
        "--covar-name", "sex,age", "--pcs", "2", "--model", "logistic",
        "--out", f"{prefix}.sumstats",
    )  # fmt: skip
    (data / f"{name}.sumstats.parquet").unlink()
    for path in data.glob(f"{name}.*"):
        if not path.name.startswith(f"{name}.sumstats.tsv.gz"):
            path.unlink()


def _gwaskit(*argv: str) -> None:
    command = [sys.executable, "-m", "gwaskit", *argv, "--build", "GRCh37", "--no-progress", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"gwaskit {argv[0]} of the summary-only cohort failed:\n{result.stderr}")


def _plan_text() -> str:
    lines = [
        "# gwaskit demo plan: a simulated migraine-like consortium (see gwaskit.pipeline.demo)",
        "[consortium]",
        'name = "Demo migraine consortium (simulated)"',
        'trait = "migraine"',
        'build = "GRCh37"',
        "prevalence = 0.143",
        'out = "results"',
        "",
        "[qc]",
        "# the simulated genome is only 16 Mb, so kinship estimates are noisy: remove first-degree",
        "# relatives and closer (KING 0.177), not second-degree ones (the default 0.0884)",
        "king_cutoff = 0.177",
        "",
        "[association]",
        'model = "logistic"',
        'test = "wald"',
        "pcs = 2",
        'covariates = ["sex", "age"]',
        "",
        "[meta]",
        'method = "fixed"',
        "",
        "[loci]",
        "p = 5e-8",
        "window_kb = 500",
        "cojo = true",
        "",
    ]
    for name, _, role in DEMO_COHORTS:
        lines.append("[[cohort]]")
        lines.append(f'name = "{name}"')
        if role == "summary":
            lines += ['role = "discovery"', f'sumstats = "data/{name}.sumstats.tsv.gz"']
        else:
            lines += [
                f'role = "{role}"',
                f'genotypes = "data/{name}"',
                f'phenotypes = "data/{name}.pheno"',
                'phenotype_name = "migraine"',
                f'covariates = "data/{name}.covar"',
            ]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gwaskit.pipeline.demo", description=__doc__)
    parser.add_argument("out", type=Path, help="folder for data/ and plan.toml (replaced)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variants", type=int, default=16_000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply cohort sizes")
    args = parser.parse_args(argv)
    shutil.rmtree(args.out / "data", ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        plan = write_demo(args.out, seed=args.seed, n_variants=args.variants, scale=args.scale)
    except GwaskitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(plan)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
