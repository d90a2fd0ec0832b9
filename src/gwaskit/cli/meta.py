"""``gwaskit meta --study NAME=FILE ... --out PREFIX``: meta-analysis of summary statistics.

Each study file is read (any supported format) and checked
(:func:`gwaskit.qc.sumstats.qc_sumstats`); its kept rows are encoded for harmonisation
(:func:`gwaskit.meta.harmonise.encode_study`: integer codes, the columns needed) and held in
memory when the estimated size of all studies fits ``--memory-gb``, else written to a compact
temporary Parquet beside the output and read back one chromosome at a time. The studies are then
harmonised and combined one chromosome at a time. Writes ``PREFIX.parquet`` + ``PREFIX.tsv.gz``
(GWAS-SSF as the GWAS Catalog accepts it, with ``PREFIX.untested.tsv.gz``, the rows it cannot hold)
(+ YAML sidecar; ``--no-tsv``: Parquet only), the MetaStats table; ``PREFIX.studies.tsv.gz``/
``.parquet``, one row per study (QC counts per reason, harmonisation counts, lambda GC, SE-N
scale, build); and ``PREFIX.dropped.tsv.gz``/``.parquet``, every dropped input row with its
reason.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import polars as pl

from gwaskit import __version__
from gwaskit.cli import _options
from gwaskit.cli._inputs import check_distinct_rows
from gwaskit.engine import LocalEngine
from gwaskit.errors import BuildMismatchError, InputError, ParameterError
from gwaskit.io.alleles import indel_candidates
from gwaskit.io.duplicates import ALLOW_DUPLICATES, check_distinct_files
from gwaskit.io.eaf_reference import read_eaf_reference
from gwaskit.io.ldscore import read_ld_scores
from gwaskit.io.outputs import file_record
from gwaskit.io.sumstats import read_sumstats, write_sumstats
from gwaskit.io.tables import scratch_folder, write_table
from gwaskit.ldsc.estimate import intercept_correction
from gwaskit.ldsc.scores import LdScores
from gwaskit.meta.analyse import meta_analyse_studies, study_lambdas
from gwaskit.meta.chrx import CODINGS, harmonise_x_scale
from gwaskit.meta.duplicates import rows_fingerprint
from gwaskit.meta.harmonise import VALUE_COLUMNS, EncodedStudy, encode_study
from gwaskit.meta.strand import log_strand_decisions, reference_checks
from gwaskit.qc.frequency import speak_warnings
from gwaskit.qc.inflation import LAMBDA_WARN, check_lambda_warn, inflation_warning
from gwaskit.qc.sumstats import QC_PRESETS, QcFilters, qc_filters, qc_sumstats
from gwaskit.stats import lambda_gc

log = logging.getLogger(__name__)
#: Columns kept from each study for harmonisation and combination.
_KEEP = (
    "chromosome",
    "base_pair_location",
    "variant_id",
    "rsid",
    "effect_allele",
    "other_allele",
    "beta",
    "standard_error",
    "effect_allele_frequency",
    "neg_log_10_p_value",
    "n",
    "n_cases",
    "n_controls",
)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "meta",
        parents=[common],
        help="meta-analyse summary statistics of several studies",
        description=(
            "Meta-analyse summary statistics (GWAS-SSF, PLINK 2 .glm.*, REGENIE, SAIGE, "
            "METAL/GWAMA inputs, gwaskit Parquet): QC, allele harmonisation, fixed / random "
            "effects or sample-size weighted Z, heterogeneity."
        ),
    )
    parser.add_argument(
        "--study",
        action="append",
        required=True,
        metavar="NAME=FILE",
        help="a study's summary statistics; repeat per study (order = direction string order)",
    )
    parser.add_argument(
        "--method",
        choices=["fixed", "random", "samplesize"],
        default="fixed",
        help="inverse-variance fixed effects (default), random effects, or METAL's "
        "sample-size weighted Z",
    )
    parser.add_argument(
        "--random-method",
        choices=["dl", "reml"],
        default="dl",
        help="tau2 estimator for random effects (default: DerSimonian-Laird)",
    )
    parser.add_argument(
        "--hksj", action="store_true", help="Hartung-Knapp-Sidik-Jonkman random-effects SE"
    )
    parser.add_argument(
        "--gc",
        nargs="?",
        const="lambda",
        choices=["lambda", "ldsc"],
        help="genomic control of each study: by its lambda GC (`--gc`), or by its LD score "
        "regression intercept (`--gc ldsc`, needs --ref-ld and --w-ld)",
    )
    parser.add_argument(
        "--ref-ld", metavar="PREFIX", help="LD scores for --gc ldsc (as `gwaskit ldsc h2`)"
    )
    parser.add_argument(
        "--w-ld", metavar="PREFIX", help="regression-weight LD scores for --gc ldsc"
    )
    parser.add_argument(
        "--gc-result", action="store_true", help="genomic control of the meta-analysis result"
    )
    parser.add_argument("--build", choices=["GRCh37", "GRCh38"], help="genome build of every input")
    parser.add_argument(
        "--palindromic",
        choices=["auto", "frequency", "forward", "drop"],
        default="auto",
        help="A/T and C/G SNPs: `auto` (default) keeps them as given (as METAL and GWAMA do) "
        "in a study whose other SNPs show no strand flips against the reference or the other "
        "studies, and aligns them by allele frequency in a study that does; `frequency`: "
        "align by frequency in every study; `forward`: trust the strand as given; `drop`",
    )
    parser.add_argument(
        "--maf-threshold",
        type=float,
        default=0.4,
        help="palindromic SNPs with MAF at or above this are dropped (default 0.4)",
    )
    parser.add_argument(
        "--population",
        choices=["eur", "eas", "amr", "sas", "afr", "none"],
        default="eur",
        help="1000 Genomes super-population for the allele-frequency check",
    )
    qc = parser.add_argument_group("per-variant QC filters of each study (off unless given)")
    qc.add_argument(
        "--qc-preset",
        choices=sorted(QC_PRESETS),
        help="a consortium's filters: ihgc2022 = the 2022 migraine meta-analysis (Hautakangas "
        "et al. 2022, doi:10.1038/s41588-021-00990-0): MAF > 0.01, info > 0.6, HWE p > 1e-6, "
        "allele frequency within 0.30 of the reference (indels 0.20); the options below "
        "override its values",
    )
    qc.add_argument(
        "--min-info",
        type=_options.in_range(0.0, 1.0),
        metavar="X",
        help="keep variants with imputation quality (INFO / MACH r²) above X",
    )
    qc.add_argument(
        "--maf",
        type=_options.in_range(0.0, 0.5),
        metavar="X",
        help="keep variants with minor allele frequency above X",
    )
    qc.add_argument(
        "--hwe",
        type=_options.in_range(0.0, 1.0),
        metavar="P",
        help="keep variants with Hardy-Weinberg p above P (when the study reports one)",
    )
    qc.add_argument(
        "--min-n", type=_options.in_range(0.0), metavar="N", help="keep variants with N >= N"
    )
    qc.add_argument(
        "--min-n-fraction",
        type=_options.in_range(0.0, 1.0),
        metavar="F",
        help="keep variants whose N is at least F times the study's largest N",
    )
    qc.add_argument(
        "--max-eaf-diff",
        type=_options.in_range(0.0, 1.0),
        metavar="D",
        help="drop SNPs whose allele frequency differs from the reference by more than D",
    )
    qc.add_argument(
        "--max-eaf-diff-indel",
        type=_options.in_range(0.0, 1.0),
        metavar="D",
        help="the same for indels (default: --max-eaf-diff)",
    )
    qc.add_argument(
        "--eaf-reference",
        metavar="FILE",
        help="allele-frequency reference (e.g. a biobank's): a table with chromosome, position, "
        "two alleles and the first allele's frequency; default: the 1000 Genomes HapMap3 SNPs "
        "shipped with gwaskit, for --population",
    )
    qc.add_argument(
        "--strict",
        action="store_true",
        help="make every study-level QC warning (allele frequencies against the reference "
        "correlated negatively, failed SE-N or P-Z check) an error: exit 2, nothing written",
    )
    parser.add_argument(
        "--study-n",
        action="append",
        default=[],
        metavar="NAME=N",
        help="sample size of a study whose file has no N column (METAL's DEFAULTWEIGHT)",
    )
    parser.add_argument(
        "--x-coding",
        action="append",
        default=[],
        metavar="NAME=0/1|0/2",
        help="how a study coded male chrX dosages (plink2 --xchr-model 1: 0/1; 2, the default: "
        "0/2); default: read from its metadata (male_x_dosage) or detected from its SE, N and "
        "frequencies. Every study is put on the 0/2 scale (0/1 betas halved)",
    )
    parser.add_argument(
        "--no-tsv",
        action="store_true",
        help="write the Parquet tables only (no .tsv.gz copies, which take most of the "
        "writing time)",
    )
    parser.add_argument(
        "--memory-gb",
        type=_options.memory_gb,
        default=3.0,
        metavar="GB",
        help="keep the checked studies in memory when they are estimated to fit in this "
        "much (default 3); beyond it they are kept in temporary Parquet files and read one "
        "chromosome at a time",
    )
    parser.add_argument(
        ALLOW_DUPLICATES,
        action="store_true",
        help="accept two studies with identical files or identical rows (refused by default: "
        "a study counted twice looks twice as precise as it is)",
    )
    parser.add_argument(
        "--lambda-warn",
        type=float,
        default=LAMBDA_WARN,
        metavar="L",
        help=f"warn when a study's or the result's lambda GC is above L (default: "
        f"{LAMBDA_WARN}; inf: never)",
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


#: Bytes per input row held for an encoded study (codes, position, ids, values) and transient
#: copies; measured: 2.1 GB peak for 22 studies x 1M rows.
_BYTES_PER_ROW = 100


def estimate_memory_gb(paths: list[Path]) -> float:
    """Rough memory (GB) for holding every study encoded in memory: rows estimated from each
    file's size and the mean length of its first lines (gzip counted as 4x its size)."""
    from gwaskit.io.compression import head_lines, sniff

    total_rows = 0.0
    for path in paths:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        size = path.stat().st_size
        if sniff(path) in ("gzip", "bgzip", "zstd", "bzip2"):
            head = "\n".join(head_lines(path, 1000)).encode()[: 1 << 16]
            size *= 4
        lines = head.count(b"\n") or 1
        total_rows += size / (len(head) / lines)
    return total_rows * _BYTES_PER_ROW / 1e9


def _parse_studies(values: list[str]) -> dict[str, Path]:
    studies: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ParameterError(f"--study must be NAME=FILE, got {value!r}.")
        if name in studies:
            raise ParameterError(f"--study: the name {name!r} is given twice; names must differ.")
        if not Path(path).is_file():
            raise InputError(path, "file not found.")
        studies[name] = Path(path)
    if len(studies) < 2:
        raise ParameterError(
            f"--study: a meta-analysis needs at least 2 studies, got {len(studies)}."
        )
    return studies


def _parse_study_n(values: list[str], studies: dict[str, Path]) -> dict[str, float]:
    out = {}
    for value in values:
        name, sep, number = value.partition("=")
        if name not in studies:
            raise ParameterError(f"--study-n: {name!r} is not a study given with --study.")
        try:
            n = float(number)
        except ValueError:
            n = float("nan")
        if not sep or not n > 0:
            raise ParameterError(f"--study-n must be NAME=N with N > 0, got {value!r}.")
        out[name] = n
    return out


def _parse_x_codings(values: list[str], studies: dict[str, Path]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, coding = value.partition("=")
        if name not in studies:
            raise ParameterError(f"--x-coding: {name!r} is not a study given with --study.")
        if not sep or coding not in CODINGS:
            raise ParameterError(f"--x-coding must be NAME=0/1 or NAME=0/2, got {value!r}.")
        out[name] = coding
    return out


def _prepare_study(
    name: str,
    path: Path,
    part: Path,
    args: argparse.Namespace,
    n: float | None,
    population: str | None,
    in_memory: bool,
    gc_ld: tuple[LdScores, pl.DataFrame] | None = None,
    filters: QcFilters | None = None,
    reference: pl.DataFrame | None = None,
    x_coding: str | None = None,
    indels: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """Read and QC one study; keep its rows encoded for harmonisation (``in_memory``) or
    write them, sorted, to a compact Parquet ``part``. With ``gc_ld`` (``--gc ldsc``), the
    study's genomic-control factor is its LD score regression intercept (at least 1)."""
    table, meta = read_sumstats(path, build=args.build, n=n)
    fingerprint = rows_fingerprint(table)
    qc = qc_sumstats(
        table,
        require_beta=args.method != "samplesize",
        require_n=args.method == "samplesize",
        population=population,
        build=meta.get("genome_assembly"),
        filters=filters,
        reference=reference,
        indels=indels,
    )
    if qc.table.height == 0:
        reasons = ", ".join(f"{r}: {c}" for r, c in qc.counts.items() if c)
        hint = " Give its sample size with --study-n NAME=N." if qc.counts.get("n_missing") else ""
        raise InputError(path, f"no variant passed QC ({reasons}).{hint}")
    declared = meta.get("genome_assembly")
    detected = qc.summary.get("build_detected")
    if declared and detected and declared != detected:
        raise BuildMismatchError(
            f"{path}: declared genome build {declared} but HapMap3 positions say "
            f"{detected}; lift the file over or declare the right build."
        )
    log.info(
        "%s: %d variants read, %d kept after QC, lambda GC %.3f",
        name,
        qc.summary["variants_read"],
        qc.summary["variants_kept"],
        qc.summary["lambda_gc"],
    )
    filtered = {r: c for r, c in qc.counts.items() if c}
    if filtered:
        log.info(
            "%s: %d rows dropped by QC (%s)",
            name,
            sum(filtered.values()),
            ", ".join(f"{r}: {c}" for r, c in filtered.items()),
        )
    message = inflation_warning(f"study {name}", qc.summary["lambda_gc"], args.lambda_warn)
    if message:
        log.warning("%s", message)
    kept, x_record = harmonise_x_scale(
        qc.table.select([c for c in _KEEP if c in qc.table.columns]),
        build=declared or detected,
        declared=x_coding,
        metadata=meta,
        name=name,
    )
    stored: Path | EncodedStudy | pl.DataFrame
    lam = None
    if gc_ld is not None:
        ldsc = intercept_correction(kept, *gc_ld, name=name)
        lam = max(ldsc.intercept, 1.0)
        log.info(
            "%s: LD score regression intercept %.3f (SE %.3f), lambda GC %.3f: chi² divided "
            "by %.3f",
            name, ldsc.intercept, ldsc.intercept_se, ldsc.lambda_gc, lam,
        )  # fmt: skip
    if in_memory and kept["chromosome"].null_count() == 0:
        if args.gc and lam is None:
            lam = study_lambdas({name: kept}, method=args.method)[name]
        needed = [
            v for v in VALUE_COLUMNS if args.method == "samplesize" or v != "neg_log_10_p_value"
        ]
        stored = encode_study(
            name,
            kept,
            palindromic=args.palindromic,
            maf_threshold=args.maf_threshold,
            values=needed,
        )
    elif in_memory:
        stored = kept
    else:
        kept = kept.sort("chromosome", "base_pair_location")
        # small row groups: each chromosome's scan reads only its own groups
        kept.write_parquet(part, row_group_size=16 * 1024, compression="lz4", statistics=True)
        stored = part
    build = declared or detected
    row = {
        "study": name,
        "file": Path(path).name,
        "format": meta["format"],
        "build": build,
        **qc.counts,
        **{f"qc_{k}": v for k, v in qc.summary.items()},
        **x_record,
    }
    dropped = qc.dropped.select(
        pl.lit(name).alias("study"),
        *[
            pl.col(c)
            for c in (
                "chromosome",
                "base_pair_location",
                "variant_id",
                "effect_allele",
                "other_allele",
                "reason",
            )
        ],
    )
    return {
        "row": row,
        "summary": qc.summary,
        "indels": indel_candidates(
            qc.table["chromosome"],
            qc.table["base_pair_location"],
            qc.table["effect_allele"],
            qc.table["other_allele"],
        ),
        "dropped": dropped,
        "build": build,
        "part": stored,
        "lambda": lam,
        "fingerprint": fingerprint,
    }


def run(args: argparse.Namespace) -> int:
    studies = _parse_studies(args.study)
    check_distinct_files(studies, allow=args.allow_duplicate_studies)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InputError(out.parent, "output folder does not exist; create it first.")
    if not 0.0 < args.maf_threshold <= 0.5:
        raise ParameterError(f"--maf-threshold must be in (0, 0.5], got {args.maf_threshold!r}.")
    check_lambda_warn(args.lambda_warn)
    population = None if args.population == "none" else args.population
    default_n = _parse_study_n(args.study_n, studies)
    x_codings = _parse_x_codings(args.x_coding, studies)
    engine = LocalEngine(args.threads, progress=not args.no_progress)
    gc_ld = None
    if args.gc == "ldsc":
        if not (args.ref_ld and args.w_ld):
            raise ParameterError("--gc ldsc needs LD scores: add --ref-ld PREFIX --w-ld PREFIX.")
        table, m = read_ld_scores(args.ref_ld)
        gc_ld = (LdScores(table, m, m), read_ld_scores(args.w_ld, m_suffix=None)[0])
    elif args.ref_ld or args.w_ld:
        raise ParameterError("--ref-ld and --w-ld are for --gc ldsc.")
    in_memory = estimate_memory_gb(list(studies.values())) <= args.memory_gb
    filters = qc_filters(
        args.qc_preset,
        info=args.min_info,
        maf=args.maf,
        hwe_p=args.hwe,
        min_n=args.min_n,
        min_n_fraction=args.min_n_fraction,
        eaf_diff=args.max_eaf_diff,
        eaf_diff_indel=args.max_eaf_diff_indel,
    )
    reference = read_eaf_reference(args.eaf_reference) if args.eaf_reference else None
    with scratch_folder(out) as tmp:

        def prepare(
            item: tuple[int, tuple[str, Path]], indels: pl.DataFrame | None = None
        ) -> dict[str, Any]:
            index, (name, path) = item
            return _prepare_study(
                name,
                path,
                Path(tmp) / f"study{index}.parquet",
                args,
                default_n.get(name),
                population,
                in_memory,
                gc_ld,
                filters,
                reference,
                x_codings.get(name),
                indels,
            )

        items = list(enumerate(studies.items()))

        def prepare_all() -> list[dict[str, Any]]:
            done = engine.map(prepare, items, description="reading")
            # studies coding indels I/D: read again, resolved against the other studies' indels
            for i, p in enumerate(done):
                if p["summary"].get("indel_id_coded"):
                    others = [q["indels"] for j, q in enumerate(done) if j != i]
                    done[i] = prepare(items[i], pl.concat(others).unique() if others else None)
            return done

        prepared = prepare_all()
        kinds = {type(p["part"]) for p in prepared}
        if in_memory and len(kinds) > 1:  # some studies lack positions: match all by id
            in_memory = False
            prepared = prepare_all()
        check_distinct_rows(
            {p["row"]["study"]: p["fingerprint"] for p in prepared},
            studies,
            lambda path: read_sumstats(path, build=args.build)[0],
            allow=args.allow_duplicate_studies,
        )
        summaries = {p["row"]["study"]: p["summary"] for p in prepared}
        warnings = speak_warnings(summaries, strict=args.strict, files=studies)
        rows = [{**p["row"], "qc_warnings": warnings[p["row"]["study"]]} for p in prepared]
        qc_dropped = [p["dropped"] for p in prepared]
        builds = {p["row"]["study"]: p["build"] for p in prepared if p["build"]}
        lazies = {
            p["row"]["study"]: pl.scan_parquet(p["part"])
            if isinstance(p["part"], Path)
            else p["part"]
            for p in prepared
        }
        lambdas = (
            {p["row"]["study"]: p["lambda"] for p in prepared}
            if all(p["lambda"] is not None for p in prepared)
            else None
        )
        if len(set(builds.values())) > 1:
            raise BuildMismatchError(
                "studies are on different genome builds ("
                + ", ".join(f"{k}: {v}" for k, v in builds.items())
                + "); lift them over to one build first."
            )
        result = meta_analyse_studies(
            lazies,
            method=args.method,
            gc=bool(args.gc),
            gc_result=args.gc_result,
            palindromic=args.palindromic,
            maf_threshold=args.maf_threshold,
            random_method=args.random_method,
            hksj=args.hksj,
            engine=engine,
            lambdas=lambdas,
            strand_checks=reference_checks(summaries),
        )
    log_strand_decisions(result.studies)
    lam = lambda_gc(result.table["neg_log_10_p_value"].to_numpy())
    message = inflation_warning("meta-analysis", lam, args.lambda_warn)
    if message:
        log.warning("%s", message)
    build = next(iter(builds.values()), None)
    metadata = {
        "genome_assembly": build,
        "gwaskit_version": __version__,
        "analysis": "meta-analysis",
        "method": args.method,
        "random_method": args.random_method,
        "hksj": args.hksj,
        "genomic_control": args.gc or False,
        "genomic_control_result": args.gc_result,
        "palindromic": args.palindromic,
        "male_x_dosage": {r["study"]: r["x_coding"] for r in rows},
        "male_x_dosage_scale": "0/2",
        "qc_filters": {k: v for k, v in vars(filters).items() if v is not None},
        "qc_preset": args.qc_preset,
        "eaf_reference": Path(args.eaf_reference).name if args.eaf_reference else None,
        "maf_threshold": args.maf_threshold,
        "studies": {name: file_record(path) for name, path in studies.items()},
        "direction_order": list(studies),
    }
    summary = pl.DataFrame(rows).join(result.studies, on="study", how="left")
    tsv = not args.no_tsv
    written = write_sumstats(result.table, out, metadata=metadata, compresslevel=2, tsv=tsv)
    written += write_table(summary, out.with_name(out.name + ".studies"), compresslevel=2, tsv=tsv)
    dropped = (
        pl.concat(
            [
                *[d.with_columns(pl.lit("qc").alias("stage")) for d in qc_dropped],
                result.dropped.with_columns(pl.lit("harmonise").alias("stage")),
            ],
            how="vertical_relaxed",
        )
        if result.dropped is not None
        else pl.concat(qc_dropped)
    )
    written += write_table(dropped, out.with_name(out.name + ".dropped"), compresslevel=2, tsv=tsv)
    log.info(
        "%d variants meta-analysed from %d studies; %d input rows dropped (%s)",
        result.table.height,
        len(studies),
        dropped.height,
        ", ".join(f"{r}: {c}" for r, c in dropped["reason"].value_counts(sort=True).iter_rows()),
    )
    for path in written:
        log.info("wrote %s", path)
    return 0
