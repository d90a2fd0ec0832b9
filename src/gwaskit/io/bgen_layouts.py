"""BGEN records cbgen and the fast layout-2 decoder do not read: layout 1 and complex records.

* **Layout 1** (BGEN v1.1, e.g. ``example.v11.bgen`` of the BGEN reference implementation): every
  variant is biallelic and diploid; each sample stores three unsigned 16-bit probabilities
  ``P(AA), P(AB), P(BB)`` scaled by 32768, all three zero for a missing call. The variant index is
  made by walking the file here (cbgen does not read layout 1), and the dosage of the second
  allele is ``P(AB) + 2 P(BB)`` (as stored, not renormalised; plink2 reads v1.1 so).
* **Complex layout-2 records** (more than two alleles, or ploidy above 2, as in ``complex.bgen``):
  read through cbgen's probabilities. A record of ``K`` alleles is split into ``K - 1`` biallelic
  records (see :mod:`gwaskit.io.bgen`), the dosage of allele ``a`` being its expected count:
  haploid ``2 P(a)``, diploid unphased ``sum P(g) count_a(g)`` over the genotypes in BGEN (=VCF)
  order, phased ``sum_h P(haplotype h = a)``. A call of ploidy above 2 has no dosage on the
  0..2 scale of an association test and is missing (NaN).

Both are slower paths (one numpy step per variant), taken only for these rare layouts.

Reference: Band & Marchini (2018), BGEN: a binary file format for imputed genotype and haplotype
data, bioRxiv 308296, https://doi.org/10.1101/308296 (format at https://www.bgenformat.org).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from gwaskit.errors import InputError

#: Scale of layout-1 probabilities (unsigned 16-bit integers).
LAYOUT1_SCALE = 32768.0


def walk_layout1(
    path: Path, first: int, n_variants: int, n_samples: int, compressed: bool
) -> tuple[dict[str, list], np.ndarray, np.ndarray]:
    """Walk the variant blocks of a layout-1 file starting at byte ``first``.

    Returns the identifiers (``id, rsid, chromosome, position, alleles`` lists) and, per variant,
    the file offset and byte length of its genotype data.
    """
    fields: dict[str, list] = {k: [] for k in ("id", "rsid", "chromosome", "position", "alleles")}
    offsets = np.empty(n_variants, dtype=np.int64)
    lengths = np.empty(n_variants, dtype=np.int64)
    size = path.stat().st_size
    with open(path, "rb", buffering=1 << 20) as handle:
        handle.seek(first)
        for index in range(n_variants):
            try:
                (count,) = struct.unpack("<I", handle.read(4))
                texts = []
                for _ in range(3):  # id, rsid, chromosome
                    (length,) = struct.unpack("<H", handle.read(2))
                    texts.append(handle.read(length).decode("utf-8", "replace"))
                (position,) = struct.unpack("<I", handle.read(4))
                alleles = []
                for _ in range(2):
                    (length,) = struct.unpack("<I", handle.read(4))
                    alleles.append(handle.read(length).decode("utf-8", "replace"))
                if compressed:
                    (length,) = struct.unpack("<I", handle.read(4))
                else:
                    length = 6 * n_samples
            except struct.error:
                raise InputError(
                    path, f"is truncated inside variant {index + 1} of {n_variants}."
                ) from None
            if count != n_samples:
                raise InputError(
                    path,
                    f"variant {index + 1} holds {count} samples, not the {n_samples} of the "
                    "header (corrupt file).",
                )
            at = handle.tell()
            if at + length > size:
                raise InputError(
                    path,
                    f"is truncated: variant {index + 1} of {n_variants} ends beyond the end of "
                    "the file.",
                )
            offsets[index], lengths[index] = at, length
            handle.seek(length, 1)
            for key, value in zip(fields, (*texts, position, ",".join(alleles)), strict=True):
                fields[key].append(value)
    return fields, offsets, lengths


def decode_layout1(
    path: Path, fd: int, offsets: np.ndarray, lengths: np.ndarray, n_samples: int, compressed: bool
) -> np.ndarray:
    """Second-allele dosages, float32 ``(n_samples, len(offsets))``, of layout-1 variants."""
    import zlib

    out = np.empty((n_samples, offsets.size), dtype=np.float32, order="F")
    for k, (at, length) in enumerate(zip(offsets.tolist(), lengths.tolist(), strict=True)):
        raw = os.pread(fd, length, at)
        if compressed:
            try:
                raw = zlib.decompress(raw)
            except zlib.error:
                raise InputError(path, "a variant's compressed data are corrupt.") from None
        if len(raw) != 6 * n_samples:
            raise InputError(
                path, f"a variant's genotype data hold {len(raw)} bytes, not {6 * n_samples}."
            )
        p = np.frombuffer(raw, dtype="<u2").reshape(n_samples, 3).astype(np.float64)
        dosage = (p[:, 1] + 2.0 * p[:, 2]) / LAYOUT1_SCALE
        dosage[~p.any(axis=1)] = np.nan
        out[:, k] = dosage
    return out


def allele_dosage(
    prob: np.ndarray,
    ploidy: np.ndarray,
    phased: bool,
    missing: np.ndarray,
    n_alleles: int,
    allele: int,
) -> np.ndarray:
    """Expected count (0..2) of allele ``allele`` (1-based ALT index) from cbgen's probabilities.

    ``prob`` is ``(n_samples, width)``, NaN-padded: unphased, genotype probabilities in BGEN
    order; phased, ``ploidy`` blocks of ``n_alleles`` haplotype probabilities. Haploid calls
    count twice (0 or 2, as plink2 counts chrX in males); ploidy 0 or above 2 is NaN.
    """
    p = np.nan_to_num(prob, nan=0.0)
    if phased:  # haplotype h holds columns h * n_alleles ... (h + 1) * n_alleles - 1
        first = p[:, allele]
        second = p[:, n_alleles + allele] if p.shape[1] > n_alleles + allele else 0.0
        dosage = np.where(ploidy == 1, 2.0 * first, first + second)
    else:
        weights = np.zeros(max(p.shape[1], n_alleles * (n_alleles + 1) // 2))
        for k in range(n_alleles):  # diploid genotypes j/k at k (k + 1) / 2 + j
            for j in range(k + 1):
                weights[k * (k + 1) // 2 + j] = (j == allele) + (k == allele)
        diploid = p @ weights[: p.shape[1]]
        dosage = np.where(ploidy == 1, 2.0 * p[:, allele], diploid)
    dosage = dosage.astype(np.float32)
    dosage[missing | (ploidy == 0) | (ploidy > 2)] = np.nan
    return dosage
