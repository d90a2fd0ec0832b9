"""What a report is made of (:class:`ReportInputs`) and how it is read from a results folder.

The folder layout is documented in ``docs/results-layout.md``; the pipeline writes it, and
:func:`load_report_inputs` reads it. Every table is optional except the genome-wide results
(``meta.parquet``, or a single ``per_study/<name>.parquet``); a section whose inputs are absent
says so in the report.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.sumstats import conform

#: Table files of a results folder (besides ``per_study/`` and ``ld/``), by ReportInputs field.
TABLE_FILES = {
    "meta": "meta.parquet",
    "loci": "loci.parquet",
    "studies": "studies.parquet",
    "tissues": "tissues.parquet",
    "genes": "genes.parquet",
    "reference": "reference.parquet",
    "heritability": "ldsc_h2.parquet",
    "genetic_correlation": "ldsc_rg.parquet",
    "finemap": "finemap.parquet",
    "credible_sets": "credible_sets.parquet",
    "coloc": "coloc.parquet",
    "subtypes": "subtypes.parquet",
    "subtype_correlations": "subtypes.correlation.parquet",
    "genetic_map": "genetic_map.parquet",
}
#: Names a verb writes a table under when it is not written by the pipeline: read when the
#: layout's own name is absent (``gwaskit annotate --out RESULTS/loci`` writes the tissues).
TABLE_FALLBACKS = {"tissues": ("loci.tissues.parquet",)}
_SUMSTATS_REQUIRED = (
    "chromosome",
    "base_pair_location",
    "effect_allele",
    "other_allele",
    "neg_log_10_p_value",
)
#: Columns each table must have when present (others are optional).
REQUIRED_COLUMNS = {
    "meta": _SUMSTATS_REQUIRED,
    "loci": ("locus_id", "chromosome", "base_pair_location", "neg_log_10_p_value"),
    "studies": ("study",),
    "tissues": ("tissue", "neg_log_10_p_value"),
    "genes": ("chromosome", "start", "end", "gene_name"),
    "reference": ("variant_id", "effect_allele", "effect_allele_frequency"),
    "heritability": ("study", "h2", "intercept"),
    "genetic_correlation": ("study1", "study2", "rg"),
    "per_study": _SUMSTATS_REQUIRED,
    "ld": ("variant_id", "r2"),
    "finemap": ("locus_id", "base_pair_location", "pip"),
    "credible_sets": ("locus_id", "n_variants", "coverage", "variant_ids"),
    "coloc": ("locus_id", "pp_h3", "pp_h4"),
    "subtypes": (
        "locus_id", "subtype_a", "subtype_b", "beta_a", "standard_error_a", "beta_b",
        "standard_error_b", "posterior_null", "posterior_both", "posterior_a_only",
        "posterior_b_only", "equal_effects_neg_log_10_p", "call",
    ),
    "subtype_correlations": ("subtype_a", "subtype_b", "r"),
    "sample_qc": ("reason",),
    "variant_qc": ("reason",),
    "pca": ("PC1",),
    "genetic_map": ("chromosome", "base_pair_location", "rate"),
}  # fmt: skip
#: Per-cohort folders of a results folder: ``<folder>/<cohort>.parquet``, by ReportInputs field.
COHORT_FOLDERS = {"sample_qc": "qc_samples", "variant_qc": "qc_variants", "pca": "pca"}


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report shows, as tables in memory.

    Attributes
    ----------
    meta
        Genome-wide results: a MetaStats table, or the SumStats of a single study.
    loci
        Loci table (:data:`gwaskit.loci.schema.LOCI_SCHEMA`).
    studies
        One row per study, in plan order: ``study`` and, where known, ``n_cases``,
        ``n_controls``, ``n``, ``n_variants``, ``n_dropped_qc``, ``lambda_gc``.
    per_study
        SumStats of each study after QC, by study name (for forest plots, lambda GC, QC plots).
    tissues
        Tissue enrichment: ``tissue``, ``neg_log_10_p_value`` and, where known, ``beta``,
        ``standard_error``, ``n_genes``.
    ld
        Per locus_id, a table ``variant_id``, ``r2`` (r² with the locus lead) for regional plots.
    genes
        Gene table ``chromosome``, ``start``, ``end``, ``strand``, ``gene_name`` for gene tracks.
    finemap, credible_sets
        Fine-mapping (``gwaskit finemap``): per variant ``locus_id``, ``pip`` (and
        ``credible_set``); per credible set ``locus_id``, ``n_variants``, ``coverage``,
        ``variant_ids``.
    coloc
        Colocalisation with a second trait (``gwaskit coloc``): per locus ``pp_h3``, ``pp_h4``.
    reference
        Reference-panel allele frequencies ``variant_id``, ``effect_allele``, ``other_allele``,
        ``effect_allele_frequency`` (of that effect allele), for the EAF QC plot.
    heritability
        LD score regression per study and for the meta-analysis (``gwaskit ldsc h2``): ``study``,
        ``h2``, ``intercept`` and, where known, their SEs, ``ratio``, ``lambda_gc``,
        ``mean_chisq``, ``h2_liability``.
    genetic_correlation
        ``study1, study2, rg`` and, where known, ``rg_se``, ``gencov_intercept`` (and its SE).
    subtypes, subtype_correlations
        Per-locus subtype analysis (``gwaskit subtypes``) and the correlation of each pair of
        subtypes' estimates.
    genetic_map
        Recombination rates (:func:`gwaskit.io.genetic_map.read_genetic_map`):
        ``chromosome``, ``base_pair_location``, ``rate`` (cM/Mb), for the regional plots'
        recombination track.
    sample_qc, variant_qc
        Per cohort (by study name), the samples and variants removed by ``gwaskit qc``, one row
        each with its ``reason`` (``PREFIX.removed_samples`` / ``PREFIX.removed_variants``).
    pca
        Per cohort, ``PC1`` (and ``PC2`` when computed) of each sample (``gwaskit pca``) and, where known,
        ``status``: ``case``, ``control`` or null.
    manifest
        Provenance: ``title``, ``trait``, ``build``, ``gwaskit_version``, ``created``,
        ``parameters`` (mapping), ``software`` (name -> version), ``inputs`` (list of
        ``{"path", "sha256"}``).
    checksums
        sha256 of each file the report was built from, by path relative to the results folder.
    """

    meta: pl.DataFrame | None = None
    loci: pl.DataFrame | None = None
    studies: pl.DataFrame | None = None
    per_study: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    tissues: pl.DataFrame | None = None
    ld: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    genes: pl.DataFrame | None = None
    reference: pl.DataFrame | None = None
    heritability: pl.DataFrame | None = None
    genetic_correlation: pl.DataFrame | None = None
    finemap: pl.DataFrame | None = None
    credible_sets: pl.DataFrame | None = None
    coloc: pl.DataFrame | None = None
    subtypes: pl.DataFrame | None = None
    subtype_correlations: pl.DataFrame | None = None
    genetic_map: pl.DataFrame | None = None
    sample_qc: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    variant_qc: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    pca: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    manifest: Mapping[str, Any] = field(default_factory=dict)
    checksums: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("per_study", "ld", "manifest", "checksums", *COHORT_FOLDERS):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        for name, columns in REQUIRED_COLUMNS.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                stem = locus_file_name if name == "ld" else str
                folder = COHORT_FOLDERS.get(name, name)
                tables = [(f"{folder}/{stem(k)}.parquet", t) for k, t in value.items()]
            else:
                tables = [(TABLE_FILES[name], value)]
            for where, table in tables:
                if table is None:
                    continue
                missing = [c for c in columns if c not in table.columns]
                if missing:
                    raise InputError(
                        where,
                        f"missing column(s) {', '.join(missing)}; expected {', '.join(columns)}.",
                    )

    @property
    def genome_wide(self) -> pl.DataFrame | None:
        """The table of the Manhattan and QQ plots: ``meta``, or the only study's SumStats."""
        if self.meta is not None:
            return self.meta
        if len(self.per_study) == 1:
            return next(iter(self.per_study.values()))
        return None

    @property
    def study_names(self) -> list[str]:
        """Study names in plan order: the ``studies`` table's order, then any other study."""
        names = [] if self.studies is None else [str(s) for s in self.studies["study"]]
        return names + [s for s in self.per_study if s not in names]


def locus_file_name(locus_id: str) -> str:
    """File stem of a locus's LD table: the locus_id with characters other than letters, digits,
    ``.``, ``_`` and ``-`` replaced by ``_`` (``chr8:97666913-98666913`` ->
    ``chr8_97666913-98666913``).

    >>> locus_file_name("chr8:97666913-98666913")
    'chr8_97666913-98666913'
    """
    return re.sub(r"[^A-Za-z0-9._-]", "_", locus_id)


def load_report_inputs(results_dir: str | Path) -> ReportInputs:
    """Read a results folder (layout: ``docs/results-layout.md``) into :class:`ReportInputs`.

    Raises :class:`~gwaskit.errors.InputError` when the folder does not exist, a table cannot be
    read or lacks a required column, or there are no genome-wide results at all.
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise InputError(root, "results folder not found; give the folder the pipeline wrote.")
    checksums: dict[str, str] = {}

    def read(path: Path) -> pl.DataFrame:
        try:
            table = pl.read_parquet(path)
        except Exception as exc:  # polars raises several types for a corrupt file
            raise InputError(path, f"not a readable Parquet table ({exc}).") from None
        checksums[path.relative_to(root).as_posix()] = _sha256(path)
        return table

    tables: dict[str, Any] = {}
    for key, name in TABLE_FILES.items():
        candidates = [root / n for n in (name, *TABLE_FALLBACKS.get(key, ()))]
        path = next((c for c in candidates if c.is_file()), None)
        tables[key] = read(path) if path is not None else None
    if tables["meta"] is not None:
        tables["meta"] = conform(tables["meta"], source=str(root / TABLE_FILES["meta"]))
    per_study = {}
    for path in sorted((root / "per_study").glob("*.parquet")):
        per_study[path.name.removesuffix(".parquet")] = conform(read(path), source=str(path))
    cohorts: dict[str, dict[str, pl.DataFrame]] = {}
    for key, folder in COHORT_FOLDERS.items():
        cohorts[key] = {
            path.name.removesuffix(".parquet"): read(path)
            for path in sorted((root / folder).glob("*.parquet"))
        }
    ld = {}
    if tables["loci"] is not None:
        for lid in tables["loci"]["locus_id"].cast(pl.String).to_list():
            path = root / "ld" / f"{locus_file_name(lid)}.parquet"
            if path.is_file():
                ld[lid] = read(path)
    manifest: dict[str, Any] = {}
    manifest_path = root / "manifest.json"
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(manifest_path, f"not valid JSON ({exc}).") from None
        if not isinstance(manifest, dict):
            raise InputError(manifest_path, "must hold a JSON object.")
        checksums["manifest.json"] = _sha256(manifest_path)
    if tables["meta"] is None and len(per_study) != 1:
        raise InputError(
            root,
            f"no genome-wide results: expected {TABLE_FILES['meta']} (or exactly one "
            f"per_study/*.parquet), found {len(per_study)} study table(s).",
        )
    order = manifest.get("studies")
    if isinstance(order, list):
        per_study = {s: per_study[s] for s in order if s in per_study} | per_study
    try:
        return ReportInputs(
            **tables,
            **cohorts,
            per_study=per_study,
            ld=ld,
            manifest=manifest,
            checksums=checksums,
        )
    except InputError as exc:
        raise InputError(root / exc.path, exc.detail) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
