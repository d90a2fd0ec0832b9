"""A minimal BGEN v1.2 (layout 2) writer for tests: any bit depth, phased or not, haploid and
diploid samples, missing calls, zlib or no compression; biallelic variants, no sample block (a ``.sample`` file beside it).

Written from the format specification (https://www.well.ox.ac.uk/~gav/bgen_format/) so that
gwaskit's decoder can be checked against cbgen on files plink2 does not write (plink2 writes
only unphased 8/16-bit or zstd-compressed BGEN).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np


def write_bgen(
    path: Path,
    values: np.ndarray,
    ploidy: np.ndarray,
    missing: np.ndarray,
    *,
    phased: bool,
    bits: int,
    compressed: bool,
) -> None:
    """``values`` ``(m, n, 2)`` integers in ``[0, 2^bits - 1]``: per variant and sample the
    stored probabilities (unphased diploid: P(AA), P(AB); haploid: P(A); phased: P(first
    allele) of each haplotype), of which the first ``ploidy[j, i]`` are written."""
    m, n, _ = values.shape
    flags = (1 if compressed else 0) | (2 << 2)
    header = struct.pack("<IIII", 20, m, n, 0x6E656762) + struct.pack("<I", flags)
    out = [struct.pack("<I", 20), header]
    for j in range(m):
        name = f"v{j}".encode()
        ident = struct.pack("<H", len(name)) + name + struct.pack("<H", len(name)) + name
        ident += struct.pack("<H", 1) + b"1" + struct.pack("<IH", 1000 + j, 2)
        ident += struct.pack("<I", 1) + b"A" + struct.pack("<I", 1) + b"G"
        codes = ploidy[j].astype(np.uint8) | (missing[j].astype(np.uint8) << 7)
        packed = 0
        width = 0
        for i in range(n):
            for v in range(int(ploidy[j, i])):
                packed |= int(values[j, i, v]) << width
                width += bits
        data = struct.pack("<IHBB", n, 2, int(ploidy[j].min()), int(ploidy[j].max()))
        data += codes.tobytes() + struct.pack("<BB", int(phased), bits)
        data += packed.to_bytes((width + 7) // 8, "little")
        if compressed:
            body = zlib.compress(data)
            genotype = struct.pack("<II", len(body) + 4, len(data)) + body
        else:
            genotype = struct.pack("<I", len(data)) + data
        out.append(ident + genotype)
    path.write_bytes(b"".join(out))
    samples = "".join(f"s{i} s{i} 0 NA\n" for i in range(n))
    path.with_suffix(".sample").write_text("ID_1 ID_2 missing sex\n0 0 0 D\n" + samples)


def expected_dosages(
    values: np.ndarray, ploidy: np.ndarray, missing: np.ndarray, *, phased: bool, bits: int
) -> np.ndarray:
    """Dosage of the second allele ``(n, m)`` float32, straight from the stored integers."""
    p = values.astype(np.float64) / (2**bits - 1)
    if phased:
        diploid = (1 - p[:, :, 0]) + (1 - p[:, :, 1])
    else:
        diploid = p[:, :, 1] + 2 * (1 - (p[:, :, 0] + p[:, :, 1]))
    dosage = np.where(ploidy == 1, 2 * (1 - p[:, :, 0]), diploid)
    dosage = np.where(missing | (ploidy == 0), np.nan, dosage)
    return dosage.T.astype(np.float32)
