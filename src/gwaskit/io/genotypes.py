"""Opening a genotype file by its name: :func:`open_genotypes`.

The contract every reader implements, :class:`GenotypeSource`, lives in
:mod:`gwaskit.io.source` (re-exported here, so ``from gwaskit.io.genotypes import
GenotypeSource`` keeps working); the readers import it from there, not from this module, which
imports them.
"""

from __future__ import annotations

from pathlib import Path

from gwaskit.build.check import normalise_build as check_build
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.source import (
    SAMPLE_SCHEMA,
    VARIANT_SCHEMA,
    GenotypeSource,
    Index,
    split_alleles,
)

__all__ = [
    "BUILDS",
    "SAMPLE_SCHEMA",
    "VARIANT_SCHEMA",
    "GenotypeSource",
    "Index",
    "check_build",
    "open_genotypes",
    "split_alleles",
]

BUILDS = ("GRCh37", "GRCh38")


def open_genotypes(
    path: str | Path,
    *,
    build: str | None = None,
    field: str | None = None,
    sample: str | Path | None = None,
) -> GenotypeSource:
    """Open a genotype file by its name.

    Parameters
    ----------
    path
        A PLINK 1 ``.bed`` (or the prefix of ``.bed/.bim/.fam``), a PLINK 2 ``.pgen`` (or prefix
        of ``.pgen/.pvar/.psam``), a ``.vcf``, ``.vcf.gz`` or ``.bcf``, a ``.bgen``, or an
        Oxford ``.gen``/``.haps``/``.hap`` (plain or ``.gz``, :mod:`gwaskit.io.oxford`).
    build
        The genome build, when the file does not say it; a declared build wins over detection.
    field
        VCF/BCF only: the FORMAT field to read, ``"GT"`` (hard calls), ``"DS"`` (dosages) or
        ``"GP"`` (genotype probabilities); by default the first of them the header declares.
    sample
        BGEN only: the Oxford ``.sample`` file of its samples (plink2's ``--sample``), when it
        is not beside the ``.bgen`` under the same name.
    """
    path = Path(path)
    build = check_build(build)
    kind, resolved = _resolve_format(path)
    if field is not None and kind != "vcf":
        raise ParameterError(
            f"field applies to VCF/BCF files only, got field={field!r} for {path}."
        )
    if sample is not None and kind not in ("bgen", "oxford"):
        raise ParameterError(
            f"sample applies to BGEN and Oxford files only, got sample={sample!r}."
        )
    if kind == "oxford":
        from gwaskit.io.oxford import OxfordSource

        return OxfordSource(resolved, build=build, sample=None if sample is None else Path(sample))
    if kind == "bed":
        from gwaskit.io.plink1 import PlinkBedSource

        return PlinkBedSource(resolved, build=build)
    if kind == "pgen":
        from gwaskit.io.plink2 import PgenSource

        return PgenSource(resolved, build=build)
    if kind == "vcf":
        from gwaskit.io.vcf import VcfSource

        return VcfSource(resolved, build=build, field=field)
    from gwaskit.io.bgen import BgenSource

    return BgenSource(resolved, build=build, sample=None if sample is None else Path(sample))


def _resolve_format(path: Path) -> tuple[str, Path]:
    name = path.name.lower()
    for suffix, kind in (
        (".bed", "bed"),
        (".pgen", "pgen"),
        (".bgen", "bgen"),
        (".bcf", "vcf"),
        (".vcf", "vcf"),
        (".vcf.gz", "vcf"),
        (".vcf.bgz", "vcf"),
        (".gen", "oxford"),
        (".gen.gz", "oxford"),
        (".haps", "oxford"),
        (".haps.gz", "oxford"),
        (".hap", "oxford"),
        (".hap.gz", "oxford"),
    ):
        if name.endswith(suffix):
            if not path.is_file():
                raise InputError(path, "file not found.")
            return kind, path
    for suffix, kind in ((".bed", "bed"), (".pgen", "pgen")):
        candidate = path.with_name(path.name + suffix)
        if candidate.is_file():
            return kind, candidate
    raise InputError(
        path,
        "not a genotype file: expected a .bed/.pgen path or prefix, a .vcf[.gz]/.bcf, a .bgen or "
        "an Oxford .gen/.haps/.hap[.gz] that exists.",
    )
