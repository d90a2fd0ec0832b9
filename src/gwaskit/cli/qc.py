"""``gwaskit qc GENOTYPES --out PREFIX``: sample and variant quality control of a cohort."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from gwaskit import choices
from gwaskit.cli._lists import write_sample_list, write_variant_list
from gwaskit.engine import get_engine
from gwaskit.errors import InputError
from gwaskit.io import open_genotypes
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.outputs import file_record
from gwaskit.io.packed import write_plink1_subset
from gwaskit.io.phenotypes import load_phenotypes
from gwaskit.io.tables import write_table
from gwaskit.qc.cohort import cohort_qc

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "qc",
        parents=[common],
        help="sample and variant QC: call rates, MAF, HWE, heterozygosity, relatedness, sex",
        description=(
            "Cohort QC in PLINK's order: sample call rate (--mind); variant call rate, MAF/MAC, "
            "HWE (in controls with a binary --pheno, else in all samples) and differential "
            "missingness (binary --pheno); then "
            "heterozygosity outliers, sex check (X) and KING relatedness on the variants kept. "
            "Writes PREFIX.keep and PREFIX.extract (PLINK --keep/--extract lists), the removed "
            "samples and variants with reasons, per-sample and per-variant tables (Parquet + "
            "tsv.gz) and, with --make-bed, the filtered PREFIX.bed/.bim/.fam."
        ),
    )
    parser.add_argument("genotypes", metavar="GENOTYPES", help="genotype file or PLINK prefix")
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    parser.add_argument(
        "--pheno",
        metavar="FILE",
        help="phenotype file as for gwaskit assoc; a binary one puts HWE in the controls",
    )
    parser.add_argument("--pheno-name", metavar="COL", help="phenotype column (default: first)")
    parser.add_argument(
        "--pheno-type",
        choices=["auto", "binary", "quantitative"],
        default="auto",
        help="trait type (auto: binary when every value is 1/2 or 0/1)",
    )
    parser.add_argument("--build", choices=choices.BUILDS, help="genome build")
    f = parser.add_argument_group("filters (PLINK flags; 'none' switches one off)")
    f.add_argument("--mind", type=_optional(float), default=0.05, help="max sample missing rate")
    f.add_argument("--geno", type=_optional(float), default=0.05, help="max variant missing rate")
    f.add_argument("--maf", type=_optional(float), default=0.01, help="min minor allele freq.")
    f.add_argument("--mac", type=_optional(int), default=None, help="min minor allele count")
    f.add_argument("--hwe", type=_optional(float), default=1e-6, help="min HWE exact p")
    f.add_argument("--hwe-midp", action="store_true", help="HWE mid-p (PLINK 'midp')")
    f.add_argument(
        "--diff-miss", type=_optional(float), default=None, help="min case/control missingness p"
    )
    f.add_argument(
        "--king-cutoff", type=_optional(float), default=0.0884, help="max KING kinship (2nd deg.)"
    )
    f.add_argument("--het-sd", type=_optional(float), default=3.0, help="heterozygosity F SDs")
    f.add_argument("--no-sex-check", action="store_true", help="skip the X sex check")
    parser.add_argument("--make-bed", action="store_true", help="write PREFIX.bed/.bim/.fam")
    return parser


def _optional(kind: type) -> object:
    def parse(text: str) -> object:
        return None if text.lower() in ("none", "off") else kind(text)

    parse.__name__ = kind.__name__
    return parse


def _case_control(source: GenotypeSource, args: argparse.Namespace) -> np.ndarray | None:
    """Per sample of ``source``: 1 case, 0 control, -1 missing; ``None`` for a quantitative
    trait (HWE is then tested in all samples)."""
    pheno = load_phenotypes(
        source.samples,
        args.pheno,
        pheno_name=args.pheno_name,
        binary={"auto": None, "binary": True, "quantitative": False}[args.pheno_type],
    )
    if not pheno.binary:
        log.info("phenotype %s is quantitative: HWE is tested in all samples", pheno.name)
        return None
    out = np.full(source.n_samples, -1, dtype=np.int8)
    out[pheno.sample_index] = pheno.y.astype(np.int8)
    log.info(
        "phenotype %s: %d cases, %d controls, %d samples without a value",
        pheno.name,
        pheno.n_cases,
        pheno.n_controls,
        source.n_samples - pheno.n,
    )
    return out


def run(args: argparse.Namespace) -> int:
    prefix = Path(args.out)
    if not prefix.parent.is_dir():
        raise InputError(prefix.parent, "output folder does not exist; create it first.")
    engine = get_engine(threads=args.threads, progress=not args.no_progress)
    with open_genotypes(args.genotypes, build=args.build) as source:
        phenotype = _case_control(source, args) if args.pheno else None
        result = cohort_qc(
            source,
            phenotype=phenotype,
            mind=args.mind,
            geno=args.geno,
            maf=args.maf,
            mac=args.mac,
            hwe=args.hwe,
            hwe_midp=args.hwe_midp,
            diff_miss=args.diff_miss,
            het_sd=args.het_sd,
            king_cutoff=args.king_cutoff,
            check_sex=not args.no_sex_check,
            engine=engine,
        )
        parameters = {
            "genotypes": Path(source.path).name,  # names and checksums, never the site's paths
            "phenotype": file_record(args.pheno) if args.pheno else None,
            "phenotype_binary": phenotype is not None,
            **{
                k: getattr(args, k)
                for k in ("mind", "geno", "maf", "mac", "hwe", "hwe_midp", "diff_miss")
            },
            **{"king_cutoff": args.king_cutoff, "het_sd": args.het_sd},
        }
        kept_samples = result.samples.filter("keep")
        kept_variants = result.variants.filter("keep")
        written = [
            write_sample_list(kept_samples, prefix.with_name(prefix.name + ".keep")),
            write_variant_list(
                kept_variants["variant_id"].to_list(), prefix.with_name(prefix.name + ".extract")
            ),
        ]
        for name, table in (
            ("samples", result.samples),
            ("variants", result.variants),
            ("removed_samples", result.removed_samples),
            ("removed_variants", result.removed_variants),
            ("related", result.related),
        ):
            written += write_table(
                table, prefix.with_name(f"{prefix.name}.{name}"), metadata=parameters
            )
        if args.make_bed:
            written += write_plink1_subset(
                source,
                prefix,
                sample_index=result.keep_samples.nonzero()[0],
                variant_index=result.keep_variants.nonzero()[0],
            )
    log.info(
        "kept %d of %d samples and %d of %d variants",
        kept_samples.height,
        result.samples.height,
        kept_variants.height,
        result.variants.height,
    )
    for reason, count in (
        result.removed_samples.group_by("reason").len().sort("reason").iter_rows()
        if result.removed_samples.height
        else []
    ):
        log.info("  samples removed for %s: %d", reason, count)
    log.info("wrote %s", ", ".join(p.name for p in written))
    return 0
