"""Packed 2-bit genotypes (PLINK 1 ``.bed`` encoding) for any source, and writing a subset of
samples and variants as a new PLINK 1 fileset.

Encoding, variant-major: one row of ``(n_samples + 3) // 4`` bytes per variant, four samples
per byte (first sample in the two low bits); codes ``0`` = two copies of the effect allele
(A1), ``1`` = missing, ``2`` = heterozygous, ``3`` = two copies of the other allele.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from gwaskit.io.plink1 import BED_MAGIC, PlinkBedSource
from gwaskit.io.source import GenotypeSource
from gwaskit.io.tables import atomic_path
from gwaskit.io.text import read_text_lines

#: Genotype codes in a packed byte.
HOM_A1, MISSING, HET, HOM_A2 = 0, 1, 2, 3


def read_packed(source: GenotypeSource, variant_range: range) -> np.ndarray:
    """Packed genotypes of a block of consecutive variants, ``uint8 (n_variants, n_bytes)``.

    A PLINK 1 source hands over its file bytes; any other source is read as dosages and packed
    (each dosage rounded to the nearest genotype).
    """
    if isinstance(source, PlinkBedSource):
        return source.read_packed(variant_range)
    dosages = source.read(variant_range)
    return pack_dosages(np.ascontiguousarray(dosages.T))


@njit(cache=True, nogil=True)
def pack_dosages(dosages: np.ndarray) -> np.ndarray:
    """Pack float dosages ``(n_variants, n_samples)`` into ``.bed`` bytes, rounding each
    dosage to the nearest genotype (NaN = missing)."""
    n_variants, n_samples = dosages.shape
    out = np.zeros((n_variants, (n_samples + 3) // 4), dtype=np.uint8)
    for v in range(n_variants):
        for s in range(n_samples):
            d = dosages[v, s]
            if np.isnan(d):
                code = MISSING
            elif d >= 1.5:
                code = HOM_A1
            elif d >= 0.5:
                code = HET
            else:
                code = HOM_A2
            out[v, s >> 2] |= np.uint8(code << ((s & 3) << 1))
    return out


@njit(cache=True, nogil=True)
def subset_packed(packed: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Packed rows restricted to ``samples`` (in that order); padding bits are zero."""
    out = np.zeros((packed.shape[0], (samples.size + 3) // 4), dtype=np.uint8)
    for v in range(packed.shape[0]):
        for i in range(samples.size):
            s = samples[i]
            code = (packed[v, s >> 2] >> ((s & 3) << 1)) & 3
            out[v, i >> 2] |= np.uint8(code << ((i & 3) << 1))
    return out


def write_plink1_subset(
    source: GenotypeSource,
    prefix: str | Path,
    *,
    sample_index: np.ndarray,
    variant_index: np.ndarray,
    block_variants: int = 4096,
) -> list[Path]:
    """Write ``PREFIX.bed/.bim/.fam`` holding the chosen samples and variants (in file order).

    For a PLINK 1 source the ``.bim`` and ``.fam`` lines are copied unchanged; otherwise they
    are made from the source's tables (cM 0, parents 0, phenotype -9). Each file is written
    atomically.
    """
    prefix = Path(prefix)
    samples = np.asarray(sample_index, dtype=np.int64)
    variants = np.asarray(variant_index, dtype=np.int64)
    paths = [prefix.with_name(prefix.name + ext) for ext in (".bed", ".bim", ".fam")]
    with atomic_path(paths[0]) as tmp, open(tmp, "wb") as bed:
        bed.write(BED_MAGIC)
        for start in range(0, variants.size, block_variants):
            chosen = variants[start : start + block_variants]
            span = range(int(chosen.min()), int(chosen.max()) + 1)
            packed = np.ascontiguousarray(read_packed(source, span)[chosen - span.start])
            bed.write(subset_packed(packed, samples).tobytes())
    if isinstance(source, PlinkBedSource):
        bim = read_text_lines(source.bim_path, "a .bim")
        fam = read_text_lines(source.fam_path, "a .fam")
        bim_lines = [bim[v] for v in source.record_index[variants]]
        fam_lines = [fam[s] for s in samples]
    else:
        table = source.variants[variants]
        bim_lines = [
            f"{c}\t{v}\t0\t{p}\t{a1}\t{a2}"
            for c, p, v, a1, a2 in table.select(
                "chromosome", "base_pair_location", "variant_id", "effect_allele", "other_allele"
            ).iter_rows()
        ]
        fam_lines = [f"{f}\t{i}\t0\t0\t{s}\t-9" for f, i, s in source.samples[samples].iter_rows()]
    for path, lines in ((paths[1], bim_lines), (paths[2], fam_lines)):
        with atomic_path(path) as tmp:
            tmp.write_text("".join(line + "\n" for line in lines))
    return paths
