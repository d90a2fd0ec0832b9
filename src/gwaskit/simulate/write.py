"""Writing a simulated consortium: PLINK 1 filesets, phenotype and covariate tables, the truth."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.io.packed import pack_dosages
from gwaskit.io.tables import atomic_path
from gwaskit.simulate.spec import Cohort, Consortium

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsortiumPaths:
    """Files written by :func:`write_consortium`."""

    out_dir: Path
    truth: Path
    cohorts_table: Path
    genotypes: dict[str, Path]  # cohort -> .bed
    phenotypes: dict[str, Path]
    covariates: dict[str, Path]


def write_consortium(
    consortium: Consortium, out_dir: str | Path, *, subpop_covariate: bool = False
) -> ConsortiumPaths:
    """Write every cohort's PLINK 1 fileset, phenotype and covariate files, and the tables.

    Files, for each cohort ``C``: ``C.bed/.bim/.fam`` (A1 = the effect allele, the allele
    counted), ``C.pheno`` (``FID IID <trait>``: 1 control, 2 case, or the value; ``-9`` missing)
    and ``C.covar`` (``FID IID sex age``, plus ``subpop`` with ``subpop_covariate``); and
    ``truth.tsv`` and ``cohorts.tsv`` (cohort, path, n_samples, n_cases, n_controls, trait,
    missing_rate). Every file is written under a temporary name and renamed when complete.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"out_dir must be a folder, got the file {str(out_dir)!r}.")
    out_dir.mkdir(parents=True, exist_ok=True)
    trait_name = consortium.spec.trait_name
    bed_paths, pheno_paths, covar_paths = {}, {}, {}
    rows = []
    for cohort in consortium.cohorts:
        prefix = out_dir / cohort.name
        bed = prefix.with_name(cohort.name + ".bed")
        tmp_prefix = out_dir / f".{cohort.name}.{os.getpid()}.tmp"
        tmp_files = [
            tmp_prefix.with_name(tmp_prefix.name + ext) for ext in (".bed", ".bim", ".fam")
        ]
        try:
            _write_plink1(tmp_files, cohort)
            for tmp, ext in zip(tmp_files, (".bed", ".bim", ".fam"), strict=True):
                os.replace(tmp, prefix.with_name(cohort.name + ext))
        finally:
            for tmp in tmp_files:
                tmp.unlink(missing_ok=True)
        pheno = prefix.with_name(cohort.name + ".pheno")
        lines = [f"FID\tIID\t{trait_name}"]
        for fid, iid, value in zip(
            cohort.samples["fid"], cohort.samples["iid"], cohort.phenotype, strict=True
        ):
            lines.append(f"{fid}\t{iid}\t{_format_pheno(value, cohort.trait)}")
        _write_text(pheno, "\n".join(lines) + "\n")
        covar = prefix.with_name(cohort.name + ".covar")
        cov = cohort.covariates if subpop_covariate else cohort.covariates.drop("subpop")
        _write_text(covar, _tsv(cov.rename({"fid": "FID", "iid": "IID"})))
        bed_paths[cohort.name], pheno_paths[cohort.name], covar_paths[cohort.name] = (
            bed,
            pheno,
            covar,
        )
        rows.append(
            {
                "cohort": cohort.name,
                "path": bed.name,
                "n_samples": cohort.n_samples,
                "n_cases": cohort.n_cases,
                "n_controls": cohort.n_controls,
                "trait": cohort.trait,
                "missing_rate": cohort.missing_rate,
            }
        )
    truth = out_dir / "truth.tsv"
    _write_text(truth, _tsv(consortium.truth))
    cohorts_table = out_dir / "cohorts.tsv"
    _write_text(cohorts_table, _tsv(pl.DataFrame(rows)))
    return ConsortiumPaths(out_dir, truth, cohorts_table, bed_paths, pheno_paths, covar_paths)


#: PLINK 1 two-bit codes by copies of A1 (0, 1, 2; 3 = missing): 11, 10, 00, 01.
def _write_plink1(paths: list[Path], cohort: Cohort, block_bytes: int = 64 * 2**20) -> None:
    """Write ``.bed`` (variant-major, A1 counted), ``.bim`` and ``.fam`` to ``paths``, packing
    blocks of variants with :func:`gwaskit.io.packed.pack_dosages` (bed-reader's ``to_bed`` took
    10 s for 4,000 x 6,000 calls here); bed-reader and plink2 read the result (tests).
    """
    n, m = cohort.genotypes.shape
    step = max(1, block_bytes // (4 * max(n, 1)))
    with open(paths[0], "wb") as bed:
        bed.write(b"\x6c\x1b\x01")
        for lo in range(0, m, step):
            block = np.ascontiguousarray(cohort.dosages(slice(lo, lo + step)).T)
            bed.write(pack_dosages(block).tobytes())
    v = cohort.variants
    bim = pl.DataFrame(
        {
            "chromosome": v["chromosome"],
            "variant_id": v["variant_id"],
            "cm": pl.Series([0] * v.height, dtype=pl.Int64),
            "position": v["base_pair_location"],
            "a1": v["effect_allele"],
            "a2": v["other_allele"],
        }
    )
    paths[1].write_text(bim.write_csv(separator="\t", include_header=False))
    pheno = [_format_pheno(x, cohort.trait) for x in cohort.phenotype]
    fam = pl.DataFrame(
        {
            "fid": cohort.samples["fid"],
            "iid": cohort.samples["iid"],
            "father": ["0"] * n,
            "mother": ["0"] * n,
            "sex": cohort.samples["sex"],
            "pheno": pheno,
        }
    )
    paths[2].write_text(fam.write_csv(separator="\t", include_header=False))


def _format_pheno(value: float, trait: str) -> str:
    if not np.isfinite(value) or value == -9:
        return "-9"
    return str(int(value)) if trait == "binary" else f"{value:.6f}"


def _tsv(table: pl.DataFrame) -> str:
    return table.write_csv(separator="\t", null_value="NA", float_precision=6)


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
