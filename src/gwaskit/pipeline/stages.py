"""The stages of a study, as runner tasks built from a plan.

Per cohort with genotypes: ``qc`` (sample and variant QC, filtered fileset) -> ``pca`` (on the
QC'd cohort) -> ``assoc`` (covariates + PCs). Per cohort: ``sumstats`` (its summary statistics as
gwaskit Parquet: the association results, or the shared file of a summary-only cohort) ->
``share`` (what may leave the site, and its upload bundle: :mod:`gwaskit.pipeline.share`). Then,
for the discovery cohorts: ``meta`` -> ``ldsc`` (with an LD reference) -> ``loci`` ->
``finemap`` (with an LD reference) -> ``replicate`` (when replication cohorts exist) ->
``annotate`` -> ``report``, which assembles the results folder (docs/results-layout.md) and
writes ``report.html``.

The per-cohort verbs run as ``python -m gwaskit VERB ...`` processes: a task is then a pure
function of files and arguments, identical on local threads or a Dask worker, and each verb's own
checks and messages apply unchanged. Task functions are module-level and their arguments are
plain data, so tasks can be pickled to a cluster.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import polars as pl

from gwaskit import __version__
from gwaskit.errors import GwaskitError, InputError
from gwaskit.io import open_genotypes
from gwaskit.io.duplicates import check_distinct_files
from gwaskit.io.sumstats import read_sumstats, write_sumstats
from gwaskit.io.tables import write_table
from gwaskit.loci.ld import lead_r2
from gwaskit.meta.prepare import prepare_study
from gwaskit.pipeline.plan import Cohort, Plan
from gwaskit.pipeline.runner import Task
from gwaskit.pipeline.share import run_share
from gwaskit.pipeline.stage_ldsc import ldsc_task

log = logging.getLogger(__name__)

#: The stages in run order; ``--from`` and ``--only`` take these names.
STAGES = (
    "qc", "pca", "assoc", "sumstats", "share", "meta", "ldsc", "loci", "finemap", "replicate",
    "annotate", "subtypes", "report",
)  # fmt: skip


class StageError(GwaskitError):
    """A verb run by the pipeline stopped on a user's mistake (its message is passed on)."""


def build_tasks(
    plan: Plan,
    *,
    threads: int | None = None,
    execute: Callable[[list[str]], None] | None = None,
) -> list[Task]:
    """The tasks of ``plan``, in run order (see module docstring).

    ``execute`` runs a gwaskit command line in this process (the CLI passes its dispatcher);
    without it, each verb runs as a child process.
    """
    options = ("--no-progress",) + (() if threads is None else ("--threads", str(threads)))
    verbs = VerbRunner(options, execute)
    out = plan.out
    build = plan.consortium.build
    tasks: list[Task] = []
    genotyped = [c for c in plan.cohorts if c.genotypes is not None]
    for cohort in genotyped:
        tasks.append(_qc_task(plan, cohort, verbs))
    for cohort in genotyped:
        tasks.append(_pca_task(plan, cohort, out, verbs))
    for cohort in genotyped:
        tasks.append(_assoc_task(plan, cohort, out, verbs))
    for cohort in plan.cohorts:
        tasks.append(_sumstats_task(plan, cohort, out))
    for cohort in plan.cohorts:
        tasks.append(_share_task(plan, cohort, out))
    discovery = plan.cohorts_with("discovery")
    replication = plan.cohorts_with("replication")
    ld_reference = _ld_reference(plan, out)
    meta_params = asdict(plan.meta)
    tasks.append(
        Task(
            "meta",
            "discovery",
            partial(
                run_meta,
                studies={c.name: str(_sumstats_file(out, c)) for c in discovery},
                method=plan.meta.method,
                gc=plan.meta.gc,
                maf_threshold=plan.meta.palindromic_maf,
                build=build,
                verbs=verbs,
                allow_duplicates=plan.consortium.allow_duplicate_studies,
            ),
            params=meta_params,
            depends=tuple(f"sumstats/{c.name}" for c in discovery),
        )
    )
    reference_task = _reference_task_id(plan)
    with_ldsc = ld_reference is not None and plan.ldsc.enabled
    if with_ldsc:
        tasks.append(
            ldsc_task(
                studies={c.name: str(_sumstats_file(out, c)) for c in discovery},
                meta=str(out / "meta/discovery/meta.parquet"),
                reference=ld_reference,
                reference_task=reference_task,
                build=build,
                window_kb=plan.ldsc.window_kb,
                population_prevalence=plan.consortium.prevalence,
                depends=("meta/discovery", *(f"sumstats/{c.name}" for c in discovery)),
            )
        )
    tasks += _trait_meta_tasks(plan, out, verbs)
    loci_argv = [
        "loci", str(out / "meta/discovery/meta.parquet"),
        "--p", repr(plan.loci.p), "--window-kb", repr(plan.loci.window_kb),
        "--clump-r2", repr(plan.loci.clump_r2), "--build", build,
    ]  # fmt: skip
    inputs: list[Path] = []
    if ld_reference is not None:
        loci_argv += ["--ld-ref", str(ld_reference)]
        if plan.loci.cojo:
            loci_argv.append("--cojo")
    if plan.loci.known is not None:
        loci_argv += ["--known", str(plan.path(plan.loci.known)), "--known-build", build]
        inputs.append(plan.path(plan.loci.known))
    if plan.loci.ld_reference is not None:
        inputs.append(plan.path(plan.loci.ld_reference))
    loci_depends = ("meta/discovery",) + ((reference_task,) if reference_task else ())
    tasks.append(
        Task(
            "loci",
            "discovery",
            partial(verbs.run, argv=loci_argv, out_name="loci"),
            params=asdict(plan.loci),
            inputs=tuple(inputs),
            depends=loci_depends,
        )
    )
    loci_table = out / "loci/discovery/loci.parquet"
    finemap = ld_reference is not None and plan.finemap.method != "none"
    if finemap:
        tasks.append(_finemap_task(plan, out, ld_reference, loci_depends, verbs))
    if replication:
        studies = [f"{c.name}={_sumstats_file(out, c)}" for c in replication]
        argv = ["replicate", str(loci_table)]
        for study in studies:
            argv += ["--study", study]
        if plan.consortium.allow_duplicate_studies:
            argv.append("--allow-duplicate-studies")
        files = {c.name: str(_sumstats_file(out, c)) for c in replication}
        tasks.append(
            Task(
                "replicate",
                "discovery",
                partial(
                    run_distinct,
                    studies=files,
                    allow_duplicates=plan.consortium.allow_duplicate_studies,
                    verbs=verbs,
                    argv=argv,
                    out_name="replicate",
                ),
                params={"studies": [c.name for c in replication]},
                depends=("loci/discovery", *(f"sumstats/{c.name}" for c in replication)),
            )
        )
        loci_table = out / "replicate/discovery/replicate.parquet"
    annotate_argv = [
        "annotate", str(loci_table), "--build", build, "--window-kb", repr(plan.loci.window_kb)
    ]  # fmt: skip
    if plan.annotate.tissues and ld_reference is not None:
        annotate_argv += [
            "--sumstats", str(out / "meta/discovery/meta.parquet"), "--ld-ref", str(ld_reference)
        ]  # fmt: skip
    tasks.append(
        Task(
            "annotate",
            "discovery",
            partial(verbs.run, argv=annotate_argv, out_name="annotate"),
            params={**asdict(plan.annotate), "window_kb": plan.loci.window_kb},
            depends=(
                "replicate/discovery" if replication else "loci/discovery",
                "meta/discovery",
                *((reference_task,) if reference_task else ()),
            ),
        )
    )
    subtypes = _subtypes_task(plan, out, verbs)
    if subtypes is not None:
        tasks.append(subtypes)
    tasks.append(
        Task(
            "report",
            "all",
            partial(
                run_report,
                out=str(out),
                plan_summary=_plan_summary(plan),
                studies=[c.name for c in discovery],
                finemap=finemap,
                ld_reference=None if ld_reference is None else str(ld_reference),
                build=build,
                subtypes=subtypes is not None,
            ),
            params=_plan_summary(plan),
            depends=(
                "meta/discovery",
                "annotate/discovery",
                *(("ldsc/discovery",) if with_ldsc else ()),
                *(("finemap/discovery",) if finemap else ()),
                *(("subtypes/discovery",) if subtypes is not None else ()),
                *(f"sumstats/{c.name}" for c in discovery),
                *((reference_task,) if reference_task else ()),
            ),
        )
    )
    return tasks


def _finemap_task(
    plan: Plan, out: Path, ld_reference: Path, depends: tuple[str, ...], verbs: VerbRunner
) -> Task:
    settings = plan.finemap
    argv = [
        "finemap", str(out / "meta/discovery/meta.parquet"),
        "--loci", str(out / "loci/discovery/loci.parquet"), "--ld-ref", str(ld_reference),
        "--method", settings.method, "--max-effects", str(settings.max_effects),
        "--coverage", repr(settings.coverage), "--z-check", settings.z_check,
        "--p", repr(plan.loci.p), "--build", plan.consortium.build,
    ]  # fmt: skip
    if plan.association.model == "logistic":
        argv += ["--trait", "binary"]
    return Task(
        "finemap",
        "discovery",
        partial(verbs.run, argv=argv, out_name="finemap"),
        params=asdict(settings),
        depends=("loci/discovery", *depends[1:]),
    )


# ----------------------------------------------------------------------------- per cohort


def _qc_task(plan: Plan, cohort: Cohort, verbs: VerbRunner) -> Task:
    qc = plan.qc
    argv = [
        "qc", str(plan.path(cohort.genotypes)), "--pheno", str(plan.path(cohort.phenotypes)),
        "--geno", repr(qc.geno), "--mind", repr(qc.mind), "--maf", repr(qc.maf),
        "--hwe", repr(qc.hwe), "--het-sd", repr(qc.het_sd), "--build", plan.consortium.build,
        "--make-bed",
    ]  # fmt: skip
    if cohort.traits[0]:
        argv += ["--pheno-name", cohort.traits[0]]
    if qc.king_cutoff is not None:
        argv += ["--king-cutoff", repr(qc.king_cutoff)]
    return Task(
        "qc",
        cohort.name,
        partial(verbs.run, argv=argv, out_name="qc"),
        params=asdict(qc),
        inputs=(plan.path(cohort.genotypes), plan.path(cohort.phenotypes)),
    )


def _pca_task(plan: Plan, cohort: Cohort, out: Path, verbs: VerbRunner) -> Task:
    pcs = max(plan.association.pcs, 1)
    argv = [
        "pca", str(out / "qc" / cohort.name / "qc.bed"), "--pcs", str(pcs),
        "--seed", "1", "--build", plan.consortium.build,
    ]  # fmt: skip
    return Task(
        "pca",
        cohort.name,
        partial(verbs.run, argv=argv, out_name="pca"),
        params={"pcs": pcs},
        depends=(f"qc/{cohort.name}",),
    )


def _assoc_task(plan: Plan, cohort: Cohort, out: Path, verbs: VerbRunner) -> Task:
    settings = plan.association
    return Task(
        "assoc",
        cohort.name,
        partial(
            run_assoc,
            genotypes=str(out / "qc" / cohort.name / "qc.bed"),
            phenotypes=str(plan.path(cohort.phenotypes)),
            phenotype_name=",".join(cohort.phenotype_names) or cohort.phenotype_name,
            covariates=None if cohort.covariates is None else str(plan.path(cohort.covariates)),
            covariate_names=list(settings.covariates),
            eigenvec=str(out / "pca" / cohort.name / "pca.eigenvec"),
            pcs=settings.pcs,
            model=settings.model,
            test=settings.test,
            firth_fallback=settings.firth_fallback,
            firth_se=settings.firth_se,
            wgr=settings.wgr,
            build=plan.consortium.build,
            verbs=verbs,
        ),
        params=asdict(settings),
        inputs=tuple(plan.path(p) for p in (cohort.phenotypes, cohort.covariates) if p is not None),
        depends=(f"qc/{cohort.name}", f"pca/{cohort.name}"),
    )


def _sumstats_task(plan: Plan, cohort: Cohort, out: Path) -> Task:
    if cohort.sumstats is not None:
        source = plan.path(cohort.sumstats)
        return Task(
            "sumstats",
            cohort.name,
            partial(run_sumstats, source=str(source), build=plan.consortium.build),
            params={"role": cohort.role},
            inputs=(source,),
        )
    assoc = out / "assoc" / cohort.name
    traits = cohort.phenotype_names
    return Task(
        "sumstats",
        cohort.name,
        partial(
            run_sumstats,
            # several phenotypes: `gwaskit assoc` wrote assoc.NAME.* for each
            source=str(assoc / (f"assoc.{traits[0]}.parquet" if traits else "assoc.parquet")),
            build=plan.consortium.build,
            traits={t: str(assoc / f"assoc.{t}.parquet") for t in traits[1:]},
        ),
        params={"role": cohort.role},
        depends=(f"assoc/{cohort.name}",),
    )


def _share_task(plan: Plan, cohort: Cohort, out: Path) -> Task:
    """The cohort's shareable outputs and upload bundle (:mod:`gwaskit.pipeline.share`)."""
    genotyped = cohort.genotypes is not None
    settings = plan.consortium
    return Task(
        "share",
        cohort.name,
        partial(
            run_share,
            out=str(out),
            cohort=cohort.name,
            consortium=settings.name,
            trait=settings.trait,
            build=settings.build,
            genotyped=genotyped,
        ),
        params={"name": settings.name, "trait": settings.trait},
        depends=(f"sumstats/{cohort.name}",) + ((f"qc/{cohort.name}",) if genotyped else ()),
    )


def _sumstats_file(out: Path, cohort: Cohort) -> Path:
    return out / "sumstats" / cohort.name / "sumstats.parquet"


def _extra_traits(plan: Plan) -> list[str]:
    """The discovery cohorts' phenotypes after each one's first, in plan order."""
    names = (t for c in plan.cohorts_with("discovery") for t in c.phenotype_names[1:])
    return list(dict.fromkeys(names))


def _trait_meta_tasks(plan: Plan, out: Path, verbs: VerbRunner) -> list[Task]:
    """One meta-analysis per further phenotype (``meta/NAME``) over the discovery cohorts
    that analysed it."""
    tasks = []
    for trait in _extra_traits(plan):
        cohorts = [c for c in plan.cohorts_with("discovery") if trait in c.phenotype_names[1:]]
        studies = {
            c.name: str(out / "sumstats" / c.name / f"sumstats.{trait}.parquet") for c in cohorts
        }
        tasks.append(
            Task(
                "meta",
                trait,
                partial(
                    run_meta,
                    studies=studies,
                    method=plan.meta.method,
                    gc=plan.meta.gc,
                    maf_threshold=plan.meta.palindromic_maf,
                    build=plan.consortium.build,
                    verbs=verbs,
                ),
                params=asdict(plan.meta),
                depends=tuple(f"sumstats/{c.name}" for c in cohorts),
            )
        )
    return tasks


def _subtypes_task(plan: Plan, out: Path, verbs: VerbRunner) -> Task | None:
    """The per-locus subtype analysis of phenotypes ``a`` and ``b`` at the discovery loci
    (as annotated: with their names)."""
    settings = plan.subtypes
    if settings.a is None or settings.b is None:
        return None
    argv = ["subtypes"]
    for trait in (settings.a, settings.b):
        argv += ["--subtype", f"{trait}={out / 'meta' / trait / 'meta.parquet'}"]
    argv += [
        # the annotated loci: their names (genes) label the report's table
        "--loci", str(out / "annotate/discovery/annotate.parquet"),
        "--null-p", repr(settings.null_p),
        "--prior-sd", repr(settings.prior_sd), "--model-weights", settings.model_weights,
        "--threshold", repr(settings.threshold),
    ]  # fmt: skip
    if settings.r is not None:
        argv += ["--r", repr(settings.r)]
    return Task(
        "subtypes",
        "discovery",
        partial(verbs.run, argv=argv, out_name="subtypes"),
        params=asdict(settings),
        depends=("annotate/discovery", f"meta/{settings.a}", f"meta/{settings.b}"),
    )


def _ld_reference(plan: Plan, out: Path) -> Path | None:
    """The LD panel: the plan's, else the first discovery cohort's QC'd genotypes."""
    if plan.loci.ld_reference is not None:
        return plan.path(plan.loci.ld_reference)
    for cohort in plan.cohorts_with("discovery"):
        if cohort.genotypes is not None:
            return out / "qc" / cohort.name / "qc.bed"
    return None


def _reference_task_id(plan: Plan) -> str | None:
    if plan.loci.ld_reference is not None:
        return None
    for cohort in plan.cohorts_with("discovery"):
        if cohort.genotypes is not None:
            return f"qc/{cohort.name}"
    return None


def _plan_summary(plan: Plan) -> dict[str, object]:
    return {
        "consortium": asdict(plan.consortium),
        "qc": asdict(plan.qc),
        "association": asdict(plan.association),
        "meta": asdict(plan.meta),
        "loci": asdict(plan.loci),
        "finemap": asdict(plan.finemap),
        "annotate": asdict(plan.annotate),
        "cohorts": [{"name": c.name, "role": c.role} for c in plan.cohorts],
    } | ({"subtypes": asdict(plan.subtypes)} if plan.subtypes.a is not None else {})


# ----------------------------------------------------------------------------- task bodies


@dataclass(frozen=True)
class VerbRunner:
    """Runs ``gwaskit VERB ... --out FOLDER/NAME`` for a task, with the pipeline's options.

    ``execute`` runs a command line in this process and lets a user's mistake propagate as a
    :class:`GwaskitError`; ``None`` runs a child process (``python -m gwaskit``). Both are
    picklable, so a Dask worker can run the task.
    """

    options: tuple[str, ...] = ()
    execute: Callable[[list[str]], None] | None = None

    def run(self, folder: Path, *, argv: list[str], out_name: str) -> None:
        command = [*argv, *self.options, "--out", str(folder / out_name)]
        if self.execute is not None:
            self.execute(command)
            return
        result = subprocess.run(
            [sys.executable, "-m", "gwaskit", *command], capture_output=True, text=True, check=False
        )
        if result.returncode == 2:
            message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
            raise StageError(f"gwaskit {argv[0]}: {message.removeprefix('error: ')}")
        if result.returncode != 0:
            raise RuntimeError(
                f"gwaskit {argv[0]} failed with exit code {result.returncode}:\n{result.stderr}"
            )


def run_assoc(
    folder: Path,
    *,
    genotypes: str,
    phenotypes: str,
    phenotype_name: str | None,
    covariates: str | None,
    covariate_names: list[str],
    eigenvec: str,
    pcs: int,
    model: str,
    test: str,
    firth_fallback: bool,
    build: str,
    verbs: VerbRunner,
    firth_se: bool = True,
    wgr: bool = False,
) -> None:
    """Association with the cohort's covariates and its top ``pcs`` principal components;
    with ``wgr``, whole-genome regression first and its LOCO predictions as offsets."""
    argv = [genotypes, "--pheno", phenotypes, "--build", build]
    if pcs or covariate_names:
        covar = folder / "covariates.tsv"
        merge_covariates(Path(eigenvec), None if covariates is None else Path(covariates), covar)
        argv += ["--covar", str(covar)]
    if phenotype_name:
        argv += ["--pheno-name", phenotype_name]
    if pcs:
        argv += ["--pcs", str(pcs)]
    if covariate_names:
        argv += ["--covar-name", ",".join(covariate_names)]
    if wgr:  # step 1 on the same samples, phenotypes and covariates
        verbs.run(folder, argv=["wgr", *argv], out_name="wgr")
        argv += ["--pred", str(folder / "wgr_pred.list")]
    argv = ["assoc", *argv, "--model", model, "--test", test]
    if model == "logistic" and test == "wald" and not firth_fallback:
        argv.append("--no-firth-fallback")
    if model == "logistic" and test in ("wald", "firth") and firth_se and not wgr:  # beta/SE = test
        argv.append("--firth-se")
    verbs.run(folder, argv=argv, out_name="assoc")


def merge_covariates(eigenvec: Path, covariates: Path | None, out: Path) -> None:
    """Write ``FID IID <covariates> PC1..`` for the samples in the eigenvector file.

    Both inputs are whitespace-separated with a header (``#FID``/``FID``, ``IID``); samples are
    matched by IID. Samples without covariates keep ``NA`` (the association drops them and
    counts them).
    """
    pcs = _read_id_table(eigenvec)
    if covariates is not None:
        table = _read_id_table(covariates).drop("FID", strict=False)
        pcs = pcs.join(table, on="IID", how="left", coalesce=True)
    pcs.write_csv(out, separator="\t", null_value="NA")


def _read_id_table(path: Path) -> pl.DataFrame:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        raise InputError(path, "is empty; expected a header with IID and one row per sample.")
    header = [h.lstrip("#") for h in lines[0]]
    if "IID" not in header:
        raise InputError(path, f"expected an IID column in the header, found {header}.")
    for number, row in enumerate(lines[1:], start=2):
        if len(row) != len(header):
            raise InputError(path, f"expected {len(header)} fields, found {len(row)}.", line=number)
    columns = list(zip(*lines[1:], strict=True)) if len(lines) > 1 else [()] * len(header)
    return pl.DataFrame(
        {name: list(values) for name, values in zip(header, columns, strict=True)},
        schema=dict.fromkeys(header, pl.String),
    )


def run_sumstats(
    folder: Path, *, source: str, build: str, traits: dict[str, str] | None = None
) -> None:
    """A cohort's summary statistics, read in any format, written as gwaskit Parquet; those
    of further phenotypes (``traits``: name to source) as ``sumstats.NAME``."""
    outputs = {"sumstats": source} | {f"sumstats.{t}": p for t, p in (traits or {}).items()}
    for name, path in outputs.items():
        table, meta = read_sumstats(path)  # its build: metadata, else its positions
        check_positions_build(meta.get("genome_assembly"), build, path)
        metadata = {k: v for k, v in meta.items() if k not in ("source",)}
        metadata["genome_assembly"] = build
        write_sumstats(table, folder / name, metadata=metadata)


def check_positions_build(found: str | None, build: str, source: str) -> None:
    """The plan's build must be a cohort's: the build its metadata names or its positions show
    (:func:`gwaskit.build.check.detect_build`, on reading) must be ``build``; else an error
    naming the file and ``consortium.build``."""
    from gwaskit.build.check import resolve_build

    resolve_build(
        build,
        found,
        source,
        message="{source}: positions are on genome build {found} (its metadata, HapMap3 SNPs "
        "or chromosome ends) but consortium.build is {declared}; lift the file over "
        "(`gwaskit liftover`), or correct consortium.build.",
    )


#: What the pipeline's messages tell a user to set for two studies that are really two.
PLAN_ALLOW_DUPLICATES = "consortium.allow_duplicate_studies = true to the plan"


def check_distinct_cohorts(studies: dict[str, str], *, allow: bool) -> None:
    """Two cohorts whose summary statistics, as the ``sumstats`` stage wrote them, are
    byte-identical (the same rows, from any file format) are one study counted twice."""
    check_distinct_files(
        {name: Path(path) for name, path in studies.items()},
        allow=allow,
        option=PLAN_ALLOW_DUPLICATES,
    )


def run_distinct(
    folder: Path,
    *,
    studies: dict[str, str],
    allow_duplicates: bool,
    verbs: VerbRunner,
    argv: list[str],
    out_name: str,
) -> None:
    """Run a verb over several cohorts' summary statistics, none of them twice."""
    check_distinct_cohorts(studies, allow=allow_duplicates)
    verbs.run(folder, argv=argv, out_name=out_name)


def run_meta(
    folder: Path,
    *,
    studies: dict[str, str],
    method: str,
    gc: bool,
    maf_threshold: float,
    build: str,
    verbs: VerbRunner,
    allow_duplicates: bool = False,
) -> None:
    """Meta-analysis of the discovery studies; a single study stands for itself."""
    if len(studies) == 1:  # the study stands for itself, after the same QC as in a meta-analysis
        ((name, path),) = studies.items()
        study = prepare_study(name, path, build=build, form="table", columns=None)
        metadata = {**study.metadata, "genome_assembly": build}
        write_sumstats(study.data, folder / "meta", metadata=metadata)
        write_table(study.dropped, folder / "meta.dropped")
        return
    check_distinct_cohorts(studies, allow=allow_duplicates)
    argv = ["meta", "--method", method, "--build", build, "--maf-threshold", repr(maf_threshold)]
    for name, path in studies.items():
        argv += ["--study", f"{name}={path}"]
    if gc:
        argv.append("--gc")
    if allow_duplicates:
        argv.append("--allow-duplicate-studies")
    verbs.run(folder, argv=argv, out_name="meta")


def run_report(
    folder: Path,
    *,
    out: str,
    plan_summary: dict[str, object],
    studies: list[str],
    ld_reference: str | None,
    build: str,
    finemap: bool = False,
    subtypes: bool = False,
) -> None:
    """Assemble the results folder (docs/results-layout.md) and write ``report.html``."""
    from gwaskit.annotate.genes import load_genes
    from gwaskit.report import load_report_inputs, locus_file_name, write_report

    root = Path(out)
    shutil.copyfile(root / "meta/discovery/meta.parquet", folder / "meta.parquet")
    shutil.copyfile(root / "annotate/discovery/annotate.parquet", folder / "loci.parquet")
    tissues = root / "annotate/discovery/annotate.tissues.parquet"
    if tissues.is_file():
        shutil.copyfile(tissues, folder / "tissues.parquet")
    if finemap:
        shutil.copyfile(root / "finemap/discovery/finemap.parquet", folder / "finemap.parquet")
        shutil.copyfile(
            root / "finemap/discovery/finemap.sets.parquet", folder / "credible_sets.parquet"
        )
    if subtypes:
        for name in ("subtypes", "subtypes.correlation"):
            shutil.copyfile(root / f"subtypes/discovery/{name}.parquet", folder / f"{name}.parquet")
    (folder / "per_study").mkdir()
    for name in studies:
        shutil.copyfile(
            root / "sumstats" / name / "sumstats.parquet", folder / "per_study" / f"{name}.parquet"
        )
    _copy_cohort_tables(root, studies, folder)
    for name in ("h2", "rg"):  # LD score regression, when the ldsc stage ran
        ldsc_table = root / "ldsc" / "discovery" / f"{name}.parquet"
        if ldsc_table.is_file():
            shutil.copyfile(ldsc_table, folder / f"ldsc_{name}.parquet")
    studies_table = root / "meta/discovery/meta.studies.parquet"
    if studies_table.is_file():
        _write_studies(pl.read_parquet(studies_table), studies, root, folder / "studies.parquet")
    loci = pl.read_parquet(folder / "loci.parquet")
    meta = pl.read_parquet(folder / "meta.parquet")
    genes = load_genes(build)
    genes = genes.rename({"symbol": "gene_name"}) if "symbol" in genes.columns else genes
    genes.write_parquet(folder / "genes.parquet")
    if ld_reference is not None and loci.height:
        (folder / "ld").mkdir()
        for locus in loci.iter_rows(named=True):
            r2 = _locus_r2(ld_reference, meta, locus, build)
            r2.write_parquet(folder / "ld" / f"{locus_file_name(locus['locus_id'])}.parquet")
    manifest = {
        "title": plan_summary["consortium"]["name"],  # type: ignore[index]
        "trait": plan_summary["consortium"]["trait"],  # type: ignore[index]
        "build": build,
        "gwaskit_version": __version__,
        "studies": studies,
        "parameters": {k: v for k, v in plan_summary.items() if k != "cohorts"},
        "software": {"gwaskit": __version__},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    write_report(load_report_inputs(folder), folder / "report.html")


def _copy_cohort_tables(root: Path, studies: list[str], folder: Path) -> None:
    """Per genotyped cohort, the QC removals and the PCA (with case/control status from the QC
    samples table) in the layout's qc_samples/, qc_variants/ and pca/ folders."""
    for name in studies:
        qc_dir, pca_path = root / "qc" / name, root / "pca" / name / "pca.eigenvec.parquet"
        for kind, sub in (("removed_samples", "qc_samples"), ("removed_variants", "qc_variants")):
            path = qc_dir / f"qc.{kind}.parquet"
            if path.is_file():
                (folder / sub).mkdir(exist_ok=True)
                shutil.copyfile(path, folder / sub / f"{name}.parquet")
        if pca_path.is_file():
            pcs = pl.read_parquet(pca_path)
            samples = qc_dir / "qc.samples.parquet"
            if samples.is_file() and "status" in pl.read_parquet_schema(samples):
                status = pl.read_parquet(samples, columns=["fid", "iid", "status"])
                pcs = pcs.join(status, on=["fid", "iid"], how="left", maintain_order="left")
            (folder / "pca").mkdir(exist_ok=True)
            pcs.write_parquet(folder / "pca" / f"{name}.parquet")


def _write_studies(meta_studies: pl.DataFrame, order: list[str], root: Path, path: Path) -> None:
    """Study table in plan order: the meta-analysis QC row, plus case and control counts."""
    rows = []
    for name in order:
        table = pl.read_parquet(root / "sumstats" / name / "sumstats.parquet")
        row = {"study": name, "n_variants": table.height}
        for column in ("n_cases", "n_controls", "n"):
            if column in table.columns and table[column].drop_nulls().len():
                row[column] = float(table[column].drop_nulls().max())
        rows.append(row)
    counts = pl.DataFrame(rows)
    extra = [c for c in meta_studies.columns if c not in counts.columns or c == "study"]
    table = counts.join(meta_studies.select(extra), on="study", how="left")
    if {"qc_variants_read", "qc_variants_kept"} <= set(table.columns):
        dropped = pl.col("qc_variants_read") - pl.col("qc_variants_kept")
        table = table.with_columns(dropped.alias("n_dropped_qc"))
    table.write_parquet(path)


def _locus_r2(
    reference: str, meta: pl.DataFrame, locus: dict[str, object], build: str
) -> pl.DataFrame:
    """r² of every variant of a locus with its lead, on the LD reference panel."""
    region = meta.filter(
        (pl.col("chromosome") == locus["chromosome"])
        & pl.col("base_pair_location").is_between(locus["start"], locus["end"])
    )
    with open_genotypes(reference, build=build) as source:
        return lead_r2(source, region, str(locus["variant_id"]))
