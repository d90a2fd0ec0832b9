"""The genotype contract: :class:`GenotypeSource`, the tables it describes and how it reads.

A source describes its samples and variants as tables and reads dosages of the *effect allele*
(0..2, float32, NaN for a missing call) for any block of variants and subset of samples. Which
allele is the effect allele is fixed per format (DESIGN.md): PLINK 1, A1 (``.bim`` column 5);
PLINK 2, VCF and BGEN, ALT (the second allele). Readers stream: only the requested block is
decoded. The format readers (:mod:`gwaskit.io.plink1`, :mod:`gwaskit.io.vcf`, ...) implement
this contract; :func:`gwaskit.io.genotypes.open_genotypes` picks one by file name.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError

#: Column names and types of ``GenotypeSource.samples``.
SAMPLE_SCHEMA = {"fid": pl.String, "iid": pl.String, "sex": pl.Int8}
#: Column names and types of ``GenotypeSource.variants``.
VARIANT_SCHEMA = {
    "chromosome": pl.String,
    "base_pair_location": pl.Int64,
    "variant_id": pl.String,
    "effect_allele": pl.String,
    "other_allele": pl.String,
}

Index = np.ndarray | slice | range | None


class GenotypeSource(abc.ABC):
    """Genotypes of ``n_samples`` people at ``n_variants`` variants, read in blocks.

    Attributes
    ----------
    path
        The file the source reads (for a PLINK fileset, the ``.bed``/``.pgen``).
    samples
        Table ``fid, iid, sex`` (sex: 1 male, 2 female, 0 unknown), in file order.
    variants
        Table ``chromosome, base_pair_location, variant_id, effect_allele, other_allele``.
    build
        ``"GRCh37"``, ``"GRCh38"`` or ``None`` when neither declared nor detectable.
    """

    path: Path
    samples: pl.DataFrame
    variants: pl.DataFrame
    build: str | None

    @property
    def notes(self) -> dict[str, int]:
        """What the reader did that a user should know, with counts (e.g. multi-allelic records
        split, variants skipped as PLINK skips them); empty when nothing."""
        return dict(getattr(self, "_notes", {}))

    @property
    def n_samples(self) -> int:
        return self.samples.height

    @property
    def n_variants(self) -> int:
        return self.variants.height

    def read(self, variant_index: Index = None, sample_index: Index = None) -> np.ndarray:
        """Effect-allele dosages, float32, shape ``(n_selected_samples, n_selected_variants)``.

        Parameters
        ----------
        variant_index, sample_index
            Integer arrays, ranges or slices into :attr:`variants` / :attr:`samples`; ``None``
            means all. Order is kept as given.
        """
        variants = _as_indices(variant_index, self.n_variants, "variant_index")
        samples = _as_indices(sample_index, self.n_samples, "sample_index")
        out = self._read(variants, samples)
        assert out.shape == (samples.size, variants.size) and out.dtype == np.float32
        return out

    @abc.abstractmethod
    def _read(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        """Read validated int64 index arrays; return float32 (samples, variants)."""

    #: Whether :meth:`read_with_variance` gives variances: the file holds genotype
    #: probabilities (BGEN layout 2, VCF ``GP``), not only dosages or hard calls.
    holds_probabilities: bool = False

    def read_with_variance(
        self, variant_index: Index = None, sample_index: Index = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Dosages as :meth:`read` gives them and, when the file holds genotype probabilities
        (:attr:`holds_probabilities`), each sample's genotype variance ``E[g²] - E[g]²`` under
        them (float32, same shape, NaN where the dosage is); else ``None``. The variances make
        the IMPUTE2 info of :mod:`gwaskit.assoc.imputation` the probability-based one."""
        if not self.holds_probabilities:
            return self.read(variant_index, sample_index), None
        variants = _as_indices(variant_index, self.n_variants, "variant_index")
        samples = _as_indices(sample_index, self.n_samples, "sample_index")
        g, variance = self._read_with_variance(variants, samples)
        assert g.shape == variance.shape == (samples.size, variants.size)
        return g, variance

    def _read_with_variance(
        self, variants: np.ndarray, samples: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Dosages and genotype variances of validated index arrays (readers that hold
        probabilities override it)."""
        raise NotImplementedError

    def iter_blocks(
        self, *, block_bytes: int = 256 * 2**20, sample_index: Index = None
    ) -> Iterator[tuple[range, np.ndarray]]:
        """Yield ``(variant_range, dosages)`` for consecutive blocks of about ``block_bytes``."""
        for block in self.variant_blocks(block_bytes=block_bytes, n_samples=None):
            yield block, self.read(block, sample_index)

    def variant_blocks(
        self, *, block_bytes: int = 256 * 2**20, n_samples: int | None = None
    ) -> list[range]:
        """Consecutive variant ranges whose float32 dosages take about ``block_bytes`` each."""
        n = self.n_samples if n_samples is None else n_samples
        size = max(1, block_bytes // (4 * max(n, 1)))
        return [range(s, min(s + size, self.n_variants)) for s in range(0, self.n_variants, size)]

    def close(self) -> None:  # noqa: B027 - optional hook for readers holding handles
        """Release file handles; reading afterwards is an error."""

    def __enter__(self) -> GenotypeSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.path)!r}, samples={self.n_samples}, "
            f"variants={self.n_variants}, build={self.build!r})"
        )


def _as_indices(index: Index, n: int, name: str) -> np.ndarray:
    if index is None:
        return np.arange(n, dtype=np.int64)
    if isinstance(index, slice | range):
        return (
            np.arange(n, dtype=np.int64)[index]
            if isinstance(index, slice)
            else np.asarray(index, dtype=np.int64)
        )
    out = np.asarray(index)
    if out.dtype == bool:
        if out.shape != (n,):
            raise ParameterError(f"{name}: a boolean mask must have length {n}, got {out.shape}.")
        return np.flatnonzero(out).astype(np.int64)
    out = out.astype(np.int64, copy=False).ravel()
    if out.size and (out.min() < 0 or out.max() >= n):
        raise ParameterError(
            f"{name} must lie in [0, {n}), got values from {out.min()} to {out.max()}."
        )
    return out


def split_alleles(
    records: pl.DataFrame,
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Split records whose ``effect_allele`` lists several ALT alleles (``A,C``), as
    ``bcftools norm -m-`` does.

    Returns the split table, and per split row the index of its record (int64) and of its ALT
    allele (int64, 1-based as in a VCF GT); and per record its number of alleles (REF included).
    """
    alts = records["effect_allele"].str.split(",")
    n_alt = alts.list.len().to_numpy().astype(np.int64)
    n_alleles = n_alt + 1
    if np.all(n_alt == 1):
        index = np.arange(records.height, dtype=np.int64)
        return records, index, np.ones(records.height, dtype=np.int64), n_alleles
    record = np.repeat(np.arange(records.height, dtype=np.int64), n_alt)
    starts = np.cumsum(n_alt) - n_alt
    allele = np.arange(record.size, dtype=np.int64) - starts[record] + 1
    split = records.with_columns(pl.Series("effect_allele", alts, dtype=pl.List(pl.String)))
    split = split.explode("effect_allele")
    return split, record, allele, n_alleles
