"""The plan file (TOML): what a consortium analysis runs, validated with messages naming the key.

Paths in a plan are relative to the plan file's folder. Unknown keys are errors (with a
suggestion for a likely typo), so a misspelt threshold is never silently ignored.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gwaskit.errors import InputError


@dataclass(frozen=True)
class Consortium:
    """Who and what: the study's name, trait and genome build."""

    name: str = "gwaskit study"
    trait: str = "trait"
    build: str = "GRCh37"
    prevalence: float | None = None
    out: str = "results"


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
    pcs: int = 4
    covariates: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetaSettings:
    """Meta-analysis method and genomic control."""

    method: str = "fixed"
    gc: bool = False
    palindromic_maf: float = 0.4


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
    loci: LociSettings = field(default_factory=LociSettings)
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
    "loci": LociSettings,
    "annotate": AnnotateSettings,
    "subtypes": SubtypeSettings,
}
_CHOICES = {
    ("consortium", "build"): ("GRCh37", "GRCh38"),
    ("association", "model"): ("linear", "logistic"),
    ("association", "test"): ("wald", "firth", "score", "trend"),
    ("meta", "method"): ("fixed", "random", "samplesize"),
    ("cohort", "role"): ("discovery", "replication"),
}


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
    try:
        return cls(**values)
    except TypeError:
        missing = [n for n, f in known.items() if n not in values and _required(f)]
        raise InputError(source, f"[{where}] needs key(s) {', '.join(missing)}.") from None


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
    names = [c.name for c in plan.cohorts]
    for name in names:
        if names.count(name) > 1:
            raise InputError(source, f"cohort name {name!r} is used more than once.")
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
    if not plan.cohorts_with("discovery"):
        raise InputError(source, "at least one cohort must have role = 'discovery'.")
    _check_phenotypes(plan, source)
    for key in ("ld_reference", "known"):
        value = getattr(plan.loci, key)
        if value is not None and not _exists(plan.path(value), key):
            raise InputError(source, f"loci.{key} file {value!r} does not exist.")


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
