"""The plan file (TOML): what a consortium analysis runs, validated with messages naming the key.

Paths in a plan are relative to the plan file's folder. Unknown keys are errors (with a
suggestion for a likely typo), so a misspelt threshold is never silently ignored.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gwaskit.choices import BUILDS, FINEMAP_METHODS, META_METHODS, MODELS, TESTS, Z_CHECKS
from gwaskit.engine import check_scheduler
from gwaskit.errors import GwaskitError, InputError


@dataclass(frozen=True)
class Consortium:
    """Who and what: the study's name, trait and genome build."""

    name: str = "gwaskit study"
    trait: str = "trait"
    build: str = "GRCh37"
    prevalence: float | None = None
    out: str = "results"
    #: accept two cohorts with the same data (refused by default: counted twice)
    allow_duplicate_studies: bool = False


@dataclass(frozen=True)
class EngineSettings:
    """Where work runs: ``local`` threads or a Dask scheduler address."""

    scheduler: str = "local"
    threads: int | None = None


@dataclass(frozen=True)
class QcSettings:
    """Cohort QC thresholds, PLINK's flags by name."""

    geno: float = 0.05
    mind: float = 0.05
    maf: float = 0.01
    hwe: float = 1e-6
    king_cutoff: float | None = 0.0884
    het_sd: float = 3.0


@dataclass(frozen=True)
class AssociationSettings:
    """The per-cohort association model."""

    model: str = "logistic"
    test: str = "wald"
    firth_fallback: bool = True
    firth_se: bool = True
    pcs: int = 4
    covariates: tuple[str, ...] = ()
    wgr: bool = False


@dataclass(frozen=True)
class MetaSettings:
    """Meta-analysis method and genomic control."""

    method: str = "fixed"
    gc: bool = False
    palindromic_maf: float = 0.4


@dataclass(frozen=True)
class LdscSettings:
    """LD score regression: h², intercept and ratio per study, rg between studies."""

    enabled: bool = True
    window_kb: float = 1000.0


@dataclass(frozen=True)
class LociSettings:
    """Locus definition, independent signals and novelty."""

    p: float = 5e-8
    window_kb: float = 500.0
    clump_r2: float = 0.1
    ld_reference: str | None = None
    known: str | None = None
    cojo: bool = True


@dataclass(frozen=True)
class FinemapSettings:
    """Fine-mapping of the loci on the LD reference (``method = "none"`` skips it)."""

    method: str = "susie"
    max_effects: int = 10
    coverage: float = 0.95
    z_check: str = "error"


@dataclass(frozen=True)
class AnnotateSettings:
    """Tissue enrichment (loci are always named by their genes)."""

    tissues: bool = True


@dataclass(frozen=True)
class SubtypeSettings:
    """Per-locus subtype analysis of two case subsets (phenotypes ``a`` and ``b`` of the
    cohorts' ``phenotype_names``); off unless both are named. ``r`` none: estimated from the
    null variants (p > ``null_p`` in both); ``model_weights`` of NULL, FIXED, IND, A only,
    B only, comma-separated."""

    a: str | None = None
    b: str | None = None
    r: float | None = None
    null_p: float = 0.01
    prior_sd: float = 0.2
    model_weights: str = "1,0.5,0.5,1,1"
    threshold: float = 0.95


@dataclass(frozen=True)
class Cohort:
    """One cohort: genotypes + phenotypes (+ covariates), or summary statistics only."""

    name: str
    role: str = "discovery"
    genotypes: str | None = None
    phenotypes: str | None = None
    phenotype_name: str | None = None
    phenotype_names: tuple[str, ...] = ()
    covariates: str | None = None
    sumstats: str | None = None

    @property
    def traits(self) -> tuple[str | None, ...]:
        """The phenotypes analysed: ``phenotype_names``, else ``(phenotype_name,)``; the
        first is the trait the loci are defined on."""
        return self.phenotype_names or (self.phenotype_name,)


@dataclass(frozen=True)
class Plan:
    """A validated plan. ``folder`` is where relative paths start."""

    folder: Path
    consortium: Consortium = field(default_factory=Consortium)
    engine: EngineSettings = field(default_factory=EngineSettings)
    qc: QcSettings = field(default_factory=QcSettings)
    association: AssociationSettings = field(default_factory=AssociationSettings)
    meta: MetaSettings = field(default_factory=MetaSettings)
    ldsc: LdscSettings = field(default_factory=LdscSettings)
    loci: LociSettings = field(default_factory=LociSettings)
    finemap: FinemapSettings = field(default_factory=FinemapSettings)
    annotate: AnnotateSettings = field(default_factory=AnnotateSettings)
    subtypes: SubtypeSettings = field(default_factory=SubtypeSettings)
    cohorts: tuple[Cohort, ...] = ()

    def path(self, relative: str) -> Path:
        """A plan path resolved against the plan's folder."""
        return (self.folder / relative).resolve()

    @property
    def out(self) -> Path:
        return self.path(self.consortium.out)

    def cohorts_with(self, role: str) -> tuple[Cohort, ...]:
        return tuple(c for c in self.cohorts if c.role == role)


_SECTIONS = {
    "consortium": Consortium,
    "engine": EngineSettings,
    "qc": QcSettings,
    "association": AssociationSettings,
    "meta": MetaSettings,
    "ldsc": LdscSettings,
    "loci": LociSettings,
    "finemap": FinemapSettings,
    "annotate": AnnotateSettings,
    "subtypes": SubtypeSettings,
}
_CHOICES = {
    ("consortium", "build"): BUILDS,
    ("association", "model"): MODELS,
    ("association", "test"): TESTS,
    ("meta", "method"): META_METHODS,
    ("cohort", "role"): ("discovery", "replication"),
    ("finemap", "method"): (*FINEMAP_METHODS, "none"),
    ("finemap", "z_check"): Z_CHECKS,
}


#: Numeric settings and the range they must lie in: (low, high, low inclusive, high inclusive).
_RANGES: dict[tuple[str, str], tuple[float, float, bool, bool]] = {
    ("consortium", "prevalence"): (0.0, 1.0, False, False),
    ("engine", "threads"): (1, math.inf, True, False),
    ("qc", "geno"): (0.0, 1.0, True, True),
    ("qc", "mind"): (0.0, 1.0, True, True),
    ("qc", "maf"): (0.0, 0.5, True, True),
    ("qc", "hwe"): (0.0, 1.0, True, True),
    ("qc", "king_cutoff"): (0.0, 0.5, False, True),
    ("qc", "het_sd"): (0.0, math.inf, False, False),
    ("association", "pcs"): (0, 100, True, True),
    ("meta", "palindromic_maf"): (0.0, 0.5, True, True),
    ("loci", "p"): (0.0, 1.0, False, True),
    ("ldsc", "window_kb"): (0.0, 1e6, False, True),
    ("loci", "window_kb"): (0.0, 1e6, True, True),
    ("loci", "clump_r2"): (0.0, 1.0, False, True),
}

#: What a cohort name may be: it becomes a folder name (``OUT/STAGE/NAME``) and a study name
#: (``NAME=FILE``), so letters, digits, ``_``, ``-`` and ``.``, starting with a letter or digit.
COHORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def read_plan(path: str | Path) -> Plan:
    """Read and validate a plan file; every mistake is an :class:`InputError` naming the key."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "plan file not found; `gwaskit init PLAN.toml` writes an example.")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"is not valid TOML ({exc}).") from None
    return parse_plan(data, source=path)


def parse_plan(data: dict[str, Any], *, source: Path) -> Plan:
    """Validate the parsed TOML of a plan (see :func:`read_plan`)."""
    _reject_unknown(data, [*_SECTIONS, "cohort"], "", source)
    sections = {
        name: _parse_section(data.get(name, {}), cls, name, source)
        for name, cls in _SECTIONS.items()
    }
    raw_cohorts = data.get("cohort", [])
    if not isinstance(raw_cohorts, list) or not raw_cohorts:
        raise InputError(source, "expected at least one [[cohort]] table.")
    cohorts = tuple(
        _parse_section(c, Cohort, f"cohort[{i}]", source) for i, c in enumerate(raw_cohorts)
    )
    plan = Plan(folder=source.resolve().parent, cohorts=cohorts, **sections)
    _check_cohorts(plan, source)
    return plan


def _parse_section(raw: Any, cls: type, where: str, source: Path) -> Any:
    if not isinstance(raw, dict):
        raise InputError(source, f"[{where}] must be a table, got {type(raw).__name__}.")
    known = {f.name: f for f in fields(cls)}
    _reject_unknown(raw, list(known), where, source)
    values = {}
    hints = typing.get_type_hints(cls)
    for name, value in raw.items():
        values[name] = _coerce(value, hints[name], f"{where}.{name}", source)
        choices = _CHOICES.get((where.split("[")[0], name))
        if choices and values[name] not in choices:
            raise InputError(
                source, f"{where}.{name} must be one of {', '.join(choices)}, got {value!r}."
            )
        _check_range(values[name], (where, name), source)
    try:
        return cls(**values)
    except TypeError:
        missing = [n for n, f in known.items() if n not in values and _required(f)]
        raise InputError(source, f"[{where}] needs key(s) {', '.join(missing)}.") from None


def _check_range(value: Any, key: tuple[str, str], source: Path) -> None:
    bounds = _RANGES.get(key)
    if bounds is None or value is None:
        return
    low, high, low_in, high_in = bounds
    ok = (
        math.isfinite(value)
        and (value >= low if low_in else value > low)
        and (value <= high if high_in else value < high)
    )
    if not ok:
        lo = f"[{low:g}" if low_in else f"({low:g}"
        hi = f"{high:g}]" if high_in else f"{high:g})"
        raise InputError(source, f"{key[0]}.{key[1]} must be in {lo}, {hi}, got {value!r}.")


def _required(f: Any) -> bool:
    from dataclasses import MISSING

    return f.default is MISSING and f.default_factory is MISSING


def _coerce(value: Any, hint: Any, key: str, source: Path) -> Any:
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if type(None) in allowed and (value is None or value == "none"):
        return None  # TOML has no null: "none" switches an optional setting off
    for kind in allowed:
        origin = typing.get_origin(kind)
        if origin is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind in (str, bool) and type(value) is kind:
            return value
    names = " or ".join(_type_name(k) for k in allowed if k is not type(None))
    if type(None) in allowed:
        names += ' or "none"'
    raise InputError(source, f"{key} must be {names}, got {value!r}.")


def _type_name(kind: Any) -> str:
    if typing.get_origin(kind) is tuple:
        return "a list of strings"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}[kind]


def _reject_unknown(raw: dict[str, Any], known: list[str], where: str, source: Path) -> None:
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" Known keys: {', '.join(known)}."
            place = f"[{where}] " if where else ""
            raise InputError(source, f"{place}unknown key {key!r}.{hint}")


def _check_cohorts(plan: Plan, source: Path) -> None:
    for i, cohort in enumerate(plan.cohorts):
        if not COHORT_NAME.fullmatch(cohort.name) or ".." in cohort.name:
            raise InputError(
                source,
                f"cohort[{i}].name must be 1-64 letters, digits, '_', '-' or '.', starting with "
                f"a letter or digit (it names the cohort's folders), got {cohort.name!r}.",
            )
    names = [c.name.lower() for c in plan.cohorts]
    for cohort, name in zip(plan.cohorts, names, strict=True):
        if names.count(name) > 1:
            raise InputError(
                source, f"cohort name {cohort.name!r} is used more than once (case ignored)."
            )
    try:
        check_scheduler(plan.engine.scheduler, "engine.scheduler")
    except GwaskitError as exc:
        raise InputError(source, str(exc)) from None
    for cohort in plan.cohorts:
        has_genotypes = cohort.genotypes is not None
        if has_genotypes == (cohort.sumstats is not None):
            raise InputError(
                source,
                f"cohort {cohort.name!r} must give either genotypes (+ phenotypes) or sumstats, "
                "not both and not neither.",
            )
        if has_genotypes and cohort.phenotypes is None:
            raise InputError(source, f"cohort {cohort.name!r} has genotypes but no phenotypes.")
        for key in ("genotypes", "phenotypes", "covariates", "sumstats"):
            value = getattr(cohort, key)
            if value is not None and not _exists(plan.path(value), key):
                raise InputError(
                    source, f"cohort {cohort.name!r}: {key} file {value!r} does not exist."
                )
    _check_cohort_builds(plan, source)
    if not plan.consortium.allow_duplicate_studies:
        _check_distinct_cohorts(plan, source)
    if not plan.cohorts_with("discovery"):
        raise InputError(source, "at least one cohort must have role = 'discovery'.")
    _check_phenotypes(plan, source)
    for key in ("ld_reference", "known"):
        value = getattr(plan.loci, key)
        if value is not None and not _exists(plan.path(value), key):
            raise InputError(source, f"loci.{key} file {value!r} does not exist.")
    _check_out(plan, source)


def _check_out(plan: Plan, source: Path) -> None:
    """The output folder must be a folder of its own: not a file, not the plan's folder or
    one above it, and holding none of the inputs (the runner replaces what it writes there)."""
    value = plan.consortium.out
    if not value.strip():
        raise InputError(source, "consortium.out must name a folder, got ''.")
    out = plan.out
    if out.exists() and not out.is_dir():
        raise InputError(
            source, f"consortium.out {value!r} is an existing file; name a folder for the results."
        )
    inputs = [source.resolve()]
    for cohort in plan.cohorts:
        for key in ("genotypes", "phenotypes", "covariates", "sumstats"):
            if getattr(cohort, key) is not None:
                inputs.append(plan.path(getattr(cohort, key)))
    for key in ("ld_reference", "known"):
        if getattr(plan.loci, key) is not None:
            inputs.append(plan.path(getattr(plan.loci, key)))
    for path in inputs:
        if path == out or out in path.parents:
            raise InputError(
                source,
                f"consortium.out {value!r} would hold the input {path.name!r} (the plan or a "
                'cohort\'s file); give the results a folder of their own, e.g. out = "results".',
            )


def _check_cohort_builds(plan: Plan, source: Path) -> None:
    """A cohort's summary statistics whose own metadata (sidecar or Parquet footer) names
    another build than ``consortium.build`` would be relabelled: an error naming both."""
    from gwaskit.build.check import resolve_build
    from gwaskit.io.sumstats import declared_build

    build = plan.consortium.build
    for cohort in plan.cohorts:
        if cohort.sumstats is None:
            continue
        which = f"cohort {cohort.name!r}: sumstats {cohort.sumstats!r}"
        resolve_build(
            build,
            declared_build(plan.path(cohort.sumstats)),
            str(source),
            message="{source}: " + which.replace("{", "{{").replace("}", "}}") + " says genome "
            "build {found} (its metadata) but consortium.build is {declared}; lift the file "
            "over to {declared} (`gwaskit liftover`) or correct its metadata.",
        )


def _check_distinct_cohorts(plan: Plan, source: Path) -> None:
    """Two cohorts whose genotypes or summary statistics are the same file, or files with
    identical bytes, are one study counted twice: an error naming both."""
    from gwaskit.io.duplicates import identical_files

    for key in ("genotypes", "sumstats"):
        files = {
            c.name: plan.path(getattr(c, key)) for c in plan.cohorts if getattr(c, key) is not None
        }
        for first, second, _ in identical_files(files):
            raise InputError(
                source,
                f"cohorts {first!r} and {second!r} give the same {key} (identical content: "
                f"{getattr(_cohort(plan, first), key)!r} and "
                f"{getattr(_cohort(plan, second), key)!r}); one study counted twice looks twice "
                "as precise as it is. Remove one, or set consortium.allow_duplicate_studies = "
                "true if these really are two studies.",
            )


def _cohort(plan: Plan, name: str) -> Cohort:
    return next(c for c in plan.cohorts if c.name == name)


#: A phenotype name of a plan names folders (meta/NAME): letters, digits, ``_``, ``-``, ``.``.
_PHENOTYPE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _check_phenotypes(plan: Plan, source: Path) -> None:
    """Several phenotypes per cohort (``phenotype_names``) and the subtype settings."""
    for cohort in plan.cohorts:
        names = cohort.phenotype_names
        if not names:
            continue
        if cohort.phenotype_name is not None:
            raise InputError(
                source,
                f"cohort {cohort.name!r}: give phenotype_name or phenotype_names, not both.",
            )
        if cohort.genotypes is None:
            raise InputError(
                source, f"cohort {cohort.name!r}: phenotype_names needs genotypes (not sumstats)."
            )
        if len(set(names)) != len(names):
            raise InputError(source, f"cohort {cohort.name!r}: phenotype_names repeats a name.")
        bad = [n for n in names if not _PHENOTYPE_NAME.match(n) or n in ("discovery", "all")]
        if bad:
            raise InputError(
                source,
                f"cohort {cohort.name!r}: phenotype name {bad[0]!r} must be letters, digits, "
                "'_', '-' or '.' (and not 'discovery' or 'all').",
            )
    settings = plan.subtypes
    if (settings.a is None) != (settings.b is None):
        raise InputError(source, "[subtypes] needs both a and b (two phenotype names), or neither.")
    if settings.a is None:
        return
    if settings.a == settings.b:
        raise InputError(source, f"[subtypes] a and b must differ, got {settings.a!r} twice.")
    discovery = plan.cohorts_with("discovery")
    for name in (settings.a, settings.b):
        if not any(name in c.traits[1:] for c in discovery):
            raise InputError(
                source,
                f"[subtypes] {name!r} is not among the discovery cohorts' phenotype_names after "
                "the first (the first is the trait the loci are defined on).",
            )


def _exists(path: Path, key: str) -> bool:
    if path.exists():
        return True
    # a PLINK prefix names a fileset
    return key in ("genotypes", "ld_reference") and any(
        path.with_name(path.name + s).exists() for s in (".bed", ".pgen")
    )
