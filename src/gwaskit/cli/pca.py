"""``gwaskit pca GENOTYPES --out PREFIX``: principal components of the genotypes."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from gwaskit import choices
from gwaskit.cli import _options, _selection
from gwaskit.cli._lists import read_sample_list, read_variant_list, write_variant_list
from gwaskit.engine import get_engine
from gwaskit.errors import InputError, ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.tables import atomic_path, write_table
from gwaskit.structure.pca import principal_components

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "pca",
        parents=[common],
        help="principal components (LD-pruned, randomised, plink2 standardisation)",
        description=(
            "Principal components of autosomal variants with MAF >= --maf, outside long-range "
            "high-LD regions (when the build is known), LD-pruned like plink2 --indep-pairwise, "
            "by randomised subspace iteration with plink2's 2p(1-p) standardisation. Writes "
            "PREFIX.eigenvec and PREFIX.eigenval (plink2 layout), PREFIX.eigenvec.parquet and "
            "PREFIX.prune.in (the variants used)."
        ),
    )
    parser.add_argument("genotypes", metavar="GENOTYPES", help="genotype file or PLINK prefix")
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    parser.add_argument(
        "--pcs", type=_options.positive_int, default=10, metavar="N", help="components (10)"
    )
    parser.add_argument("--maf", type=float, default=0.05, help="min minor allele freq. (0.05)")
    parser.add_argument(
        "--indep-pairwise",
        nargs=3,
        metavar=("WINDOW", "STEP", "R2"),
        default=["1000", "50", "0.1"],
        help="LD pruning window (variants), step, r^2 (1000 50 0.1)",
    )
    parser.add_argument("--no-prune", action="store_true", help="skip LD pruning")
    parser.add_argument(
        "--keep-high-ld", action="store_true", help="keep the long-range high-LD regions"
    )
    parser.add_argument("--keep", metavar="FILE", help="samples to use (FID IID; gwaskit qc)")
    parser.add_argument("--extract", metavar="FILE", help="variants to use (IDs; gwaskit qc)")
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the random starting subspace (default 1: the same output on every run)",
    )
    parser.add_argument("--build", choices=choices.BUILDS, help="genome build")
    _selection.add_arguments(parser)
    return parser


def _indep_pairwise(values: list[str]) -> tuple[int, int, float]:
    try:
        return int(values[0]), int(values[1]), float(values[2])
    except ValueError:
        raise ParameterError(
            f"--indep-pairwise must be WINDOW STEP R2 (e.g. 1000 50 0.1), got {values!r}."
        ) from None


def run(args: argparse.Namespace) -> int:
    prefix = Path(args.out)
    if not prefix.parent.is_dir():
        raise InputError(prefix.parent, "output folder does not exist; create it first.")
    prune = None if args.no_prune else _indep_pairwise(args.indep_pairwise)
    engine = get_engine(threads=args.threads, progress=not args.no_progress)
    with open_genotypes(args.genotypes, build=args.build) as source:
        samples = read_sample_list(args.keep, source.samples) if args.keep else None
        variants = read_variant_list(args.extract, source.variants) if args.extract else None
        selected, selection = _selection.variant_mask(args, source.variants)
        if selected is not None:
            variants = selected if variants is None else variants & selected
        result = principal_components(
            source,
            n_pcs=args.pcs,
            maf=args.maf,
            indep_pairwise=prune,
            exclude_high_ld=not args.keep_high_ld,
            sample_index=samples,
            variant_mask=variants,
            seed=args.seed,
            engine=engine,
        )
        table = result.table(source.samples)
        used = source.variants["variant_id"].to_numpy()[result.variant_index].tolist()
    for step, count in result.steps.items():
        log.info("variants %s: %d", step, count)
    log.info("%d subspace iterations; eigenvalues %s", result.iterations, result.eigenvalues)
    written = [_write_eigenvec(table, prefix), _write_eigenval(result.eigenvalues, prefix)]
    written += write_table(
        table,
        prefix.with_name(prefix.name + ".eigenvec"),
        tsv=False,
        metadata={
            "eigenvalues": result.eigenvalues.tolist(),
            "variants": len(used),
            **({"variant_selection": selection} if selection else {}),
        },
    )
    written.append(write_variant_list(used, prefix.with_name(prefix.name + ".prune.in")))
    log.info("wrote %s", ", ".join(p.name for p in written))
    return 0


def _write_eigenvec(table, prefix: Path) -> Path:  # type: ignore[no-untyped-def]
    path = prefix.with_name(prefix.name + ".eigenvec")
    pcs = [c for c in table.columns if c.startswith("PC")]
    lines = ["\t".join(["#FID", "IID", *pcs])]
    values = table.select(pcs).to_numpy()
    for (fid, iid), row in zip(table.select("fid", "iid").iter_rows(), values, strict=True):
        lines.append("\t".join([fid, iid, *(f"{v:.8g}" for v in row)]))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path


def _write_eigenval(values: np.ndarray, prefix: Path) -> Path:
    path = prefix.with_name(prefix.name + ".eigenval")
    with atomic_path(path) as tmp:
        tmp.write_text("".join(f"{v:.8g}\n" for v in values))
    return path
