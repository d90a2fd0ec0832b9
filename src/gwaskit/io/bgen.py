"""BGEN v1.1, v1.2 and v1.3: the index through cbgen (layout 2) or a walk of the file (layout 1),
genotypes by gwaskit's decoder.

Effect allele = the *second* allele of each variant, other allele = the first. That is ALT when
the first allele is REF, as UK Biobank and ``plink2 --export bgen-1.2 ref-first`` write it.
Note: plink2's default (``ref-last``, for PLINK 1.9 compatibility) writes ALT first, so the
effect allele of such a file is REF; the variant table always says which allele is counted.
A variant of ``K > 2`` alleles is split into ``K - 1`` biallelic records (first allele and allele
``k``), as ``bcftools norm -m-`` splits a VCF record.

Dosage of the second allele: unphased diploid ``p(het) + 2 p(hom second)``; phased diploid
``p(haplotype 1 = second) + p(haplotype 2 = second)``; haploid ``2 p(second)`` (0..2, as plink2
counts chrX in males). A missing call is NaN, whatever probabilities are stored under the missing
bit; a call of ploidy above 2 is NaN too (no 0..2 dosage).

Samples: a ``.sample`` file given as ``sample=``, else one beside the ``.bgen``
(``PREFIX.sample``, ``FILE.bgen.sample`` or ``FILE.bgen.samples``; it wins over the identifiers
embedded in the file, as in sgkit and plink2), else the embedded identifiers (fid = iid, sex
unknown). See :mod:`gwaskit.io.oxford` for the ``.sample`` layouts read.

Genotype blocks compressed with zlib (BGEN v1.2, and v1.3 files written so) or not compressed
are inflated with zlib-ng (several times faster than the standard zlib) and decoded by a compiled
kernel straight to dosages, at any bit depth (1 to 32 bits); zstd blocks (v1.3) are read through
cbgen. Both give the same float32 dosages (tested). Layout 1 (v1.1) and complex records
(multi-allelic, ploidy above 2) take slower paths (:mod:`gwaskit.io.bgen_layouts`). The variant
index and its cache: :mod:`gwaskit.io.bgen_index`.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
from pathlib import Path

import numba
import numpy as np
import polars as pl
from zlib_ng import zlib_ng

from gwaskit.build.check import detect_build, resolve_build
from gwaskit.errors import InputError
from gwaskit.io.bed_decode import is_all_samples
from gwaskit.io.bgen_index import cache_dir, metafile_for
from gwaskit.io.bgen_layouts import allele_dosage, decode_layout1, walk_layout1
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.oxford import read_sample_file
from gwaskit.io.source import SAMPLE_SCHEMA, VARIANT_SCHEMA, GenotypeSource, split_alleles

__all__ = ["BgenSource", "cache_dir", "probabilities_to_dosage", "read_sample_file"]

log = logging.getLogger(__name__)


class BgenSource(GenotypeSource):
    """A ``.bgen`` (BGEN v1.1, v1.2 or v1.3), with its ``.sample`` when one is given or beside it."""

    def __init__(self, path: Path, *, build: str | None = None, sample: Path | None = None) -> None:
        import cbgen

        self._cbgen = cbgen
        self.path = Path(path)
        header = _read_header(self.path)
        self._compression, self._layout = header["compression"], header["layout"]
        n_samples, n_variants = header["n_samples"], header["n_variants"]
        if self._layout == 1:
            embedded = _embedded_samples(self.path, n_samples) if header["samples"] else None
            fields, self._offsets, self._lengths = walk_layout1(
                self.path, header["first"], n_variants, n_samples, self._compression == 1
            )
            fields["n_alleles"] = np.full(n_variants, 2)
        else:
            bgen = self._open()
            try:
                n_samples, n_variants = bgen.nsamples, bgen.nvariants
                embedded = (
                    [s.decode("utf-8", "replace") for s in bgen.read_samples()]
                    if bgen.contain_samples
                    else None
                )
                _, fields = metafile_for(self.path, bgen)
            finally:
                bgen.close()
            self._offsets = fields["offset"].astype(np.uint64)
        #: The .sample file given to open it (None: beside the .bgen or embedded), to reopen it.
        self.sample_path = sample
        self.samples = _bgen_samples(self.path, n_samples, embedded, sample)
        records = _variant_table(self.path, fields, n_variants)
        self.variants, self._record, self._allele, n_alleles = split_alleles(records)
        self._n_alleles = n_alleles
        self._complex = n_alleles != 2
        if self._complex.any():
            self._notes = {"multi-allelic records split": int(self._complex.sum())}
            log.info(
                "%s: %d multi-allelic variants split into %d biallelic records",
                self.path,
                int(self._complex.sum()),
                int((n_alleles[self._complex] - 1).sum()),
            )
        self.build = resolve_build(build, detect_build(self.variants), str(self.path))
        self._local = threading.local()
        self._handles: list[object] = []
        self._lock = threading.Lock()
        self._fd: int | None = None

    def _open(self):
        try:
            return self._cbgen.bgen_file(self.path)
        except RuntimeError:
            raise InputError(
                self.path, "cannot be opened as a BGEN file (corrupt, truncated or not BGEN)."
            ) from None

    def _handle(self):
        bgen = getattr(self._local, "bgen", None)
        if bgen is None:
            bgen = self._local.bgen = self._open()
            with self._lock:
                self._handles.append(bgen)
        return bgen

    @property
    def holds_probabilities(self) -> bool:  # type: ignore[override]
        return self._layout == 2  # layout 1 is read to dosages only

    def _read(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        return self._read_blocks(variants, samples, None)

    def _read_with_variance(
        self, variants: np.ndarray, samples: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        variance = np.empty((self.n_samples, variants.size), dtype=np.float32, order="F")
        g = self._read_blocks(variants, samples, variance)
        if is_all_samples(samples, self.n_samples):
            return g, variance
        return g, np.asfortranarray(variance[samples])

    def _read_blocks(
        self, variants: np.ndarray, samples: np.ndarray, variance: np.ndarray | None
    ) -> np.ndarray:
        """Dosages; with ``variance`` ``(n_samples, variants)``, also the genotype variances
        under the probabilities into it (layout 2)."""
        records = self._record[variants]
        if self._layout == 1:
            out = decode_layout1(
                self.path,
                self._file(),
                self._offsets[records],
                self._lengths[records],
                self.n_samples,
                self._compression == 1,
            )
            return (
                out if is_all_samples(samples, self.n_samples) else np.asfortranarray(out[samples])
            )
        if self._compression == 2:  # zstd (BGEN v1.3): cbgen decompresses
            out = self._read_cbgen(variants, None, variance)
            return (
                out
                if is_all_samples(samples, self.n_samples)
                else np.ascontiguousarray(out[samples])
            )
        simple = ~self._complex[records]
        fast = variants if simple.all() else variants[simple]
        blocks = [self._probability_block(int(index)) for index in self._record[fast]]
        starts = np.zeros(len(blocks) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in blocks], out=starts[1:])
        out = np.empty((self.n_samples, variants.size), dtype=np.float32, order="F")
        decoded = out if simple.all() else np.empty_like(out[:, : fast.size], order="F")
        spread = (
            np.empty((0, 0), dtype=np.float32)
            if variance is None
            else variance
            if simple.all()
            else np.empty_like(decoded, order="F")
        )
        status = np.zeros(fast.size, dtype=np.int64)
        data = np.frombuffer(b"".join(blocks), dtype=np.uint8)
        _decode_layout2(data, starts, decoded, spread, status)
        if status.any():
            k = (
                int(np.flatnonzero((status != 0) & (status != 4))[0])
                if ((status != 0) & (status != 4)).any()
                else None
            )
            if k is not None:
                raise InputError(
                    self.path,
                    f"variant {self._record[fast[k]] + 1}: {_BLOCK_ERRORS[int(status[k])]}",
                )
            polyploid = np.flatnonzero(status == 4)  # a sample above ploidy 2: the slow path
            slow = spread[:, polyploid] if spread.size else None
            decoded[:, polyploid] = self._read_cbgen(fast[polyploid], None, slow)
            if slow is not None:
                spread[:, polyploid] = slow
        if not simple.all():
            out[:, simple] = decoded
            slow = None if variance is None else np.empty_like(out[:, ~simple], order="F")
            out[:, ~simple] = self._read_cbgen(variants[~simple], None, slow)
            if variance is not None:
                variance[:, simple] = spread
                variance[:, ~simple] = slow
        # variant columns stay contiguous, as the .bed decoder gives them
        return out if is_all_samples(samples, self.n_samples) else np.asfortranarray(out[samples])

    def _file(self) -> int:
        if self._fd is None:
            with self._lock:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDONLY)
        return self._fd

    def _probability_block(self, index: int) -> bytes:
        """The uncompressed probability data of one variant (layout 2)."""
        fd = self._file()
        at = int(self._offsets[index])
        head = os.pread(fd, 8, at)
        length = int.from_bytes(head[:4], "little")
        payload = os.pread(fd, length, at + 4)
        if len(head) < 8 or len(payload) < length:
            raise InputError(self.path, f"is truncated inside variant {index + 1}.")
        if self._compression == 0:
            return payload
        try:
            return zlib_ng.decompress(payload[4:], bufsize=int.from_bytes(payload[:4], "little"))
        except zlib_ng.error:
            raise InputError(
                self.path, f"variant {index + 1} cannot be read (corrupt compressed data)."
            ) from None

    def _read_cbgen(
        self,
        variants: np.ndarray,
        samples: np.ndarray | None,
        variance: np.ndarray | None = None,
    ) -> np.ndarray:
        """Dosages through cbgen's probabilities (zstd blocks, complex records); ``samples``
        None means all, in a Fortran array. With ``variance`` (all samples x variants), the
        genotype variances into it: of the probabilities for a biallelic record, of the
        dosage's two nearest genotypes for a split multi-allelic or polyploid one."""
        bgen = self._handle()
        out = np.empty((self.n_samples, variants.size), dtype=np.float32, order="F")
        previous, genotype = -1, None
        for k, index in enumerate(variants):
            record = int(self._record[index])
            if record != previous:
                try:
                    genotype = bgen.read_genotype(int(self._offsets[record]), precision=64)
                except RuntimeError:
                    raise InputError(
                        self.path,
                        f"variant {record + 1} cannot be read (truncated or corrupt file).",
                    ) from None
                previous = record
            if self._complex[record] or (genotype.ploidy > 2).any():
                out[:, k] = allele_dosage(
                    genotype.probability,
                    genotype.ploidy,
                    genotype.phased,
                    genotype.missing,
                    int(self._n_alleles[record]),
                    int(self._allele[index]),
                )
                if variance is not None:
                    frac = out[:, k] - np.floor(np.minimum(out[:, k], 1.0))
                    variance[:, k] = frac * (1.0 - frac)
            else:
                out[:, k] = probabilities_to_dosage(
                    genotype.probability, genotype.ploidy, genotype.phased, genotype.missing
                )
                if variance is not None:
                    variance[:, k] = probabilities_to_variance(
                        genotype.probability, genotype.ploidy, genotype.phased, genotype.missing
                    )
        return out if samples is None else np.ascontiguousarray(out[samples])

    def close(self) -> None:
        with self._lock:
            for bgen in self._handles:
                bgen.close()
            self._handles.clear()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        self._local = threading.local()


def probabilities_to_dosage(
    prob: np.ndarray, ploidy: np.ndarray, phased: bool, missing: np.ndarray
) -> np.ndarray:
    """Expected count (0..2) of the second allele of a biallelic variant, per sample.

    ``prob`` is cbgen's ``(n_samples, n_combinations)`` array: unphased, genotype probabilities
    in allele-count order (``AA, AB, BB`` for a diploid, ``A, B`` for a haploid); phased, per
    haplotype allele probabilities (``h1:A, h1:B, h2:A, h2:B``). Shorter rows are NaN-padded.
    """
    p = np.nan_to_num(prob, nan=0.0)
    if phased:
        dosage = p[:, 1::2].sum(axis=1)
    else:
        dosage = p[:, 1] + (2 * p[:, 2] if p.shape[1] > 2 else 0.0)
    dosage = np.where(ploidy == 1, 2 * p[:, 1], dosage)
    dosage = dosage.astype(np.float32)
    dosage[missing | (ploidy == 0)] = np.nan
    return dosage


def probabilities_to_variance(
    prob: np.ndarray, ploidy: np.ndarray, phased: bool, missing: np.ndarray
) -> np.ndarray:
    """Variance ``E[c²] - E[c]²`` of the count ``c`` (0..2) of the second allele under cbgen's
    probabilities (see :func:`probabilities_to_dosage`), per sample: unphased diploid
    ``p1 + 4 p2 - (p1 + 2 p2)²``; phased, the sum of the haplotypes' ``q (1 - q)``; haploid
    (counted 0 or 2) ``4 q (1 - q)``."""
    p = np.nan_to_num(prob, nan=0.0)
    if phased:
        q = p[:, 1::2]
        variance = (q * (1.0 - q)).sum(axis=1)
    else:
        p2 = p[:, 2] if p.shape[1] > 2 else 0.0
        variance = p[:, 1] + 4 * p2 - (p[:, 1] + 2 * p2) ** 2
    variance = np.where(ploidy == 1, 4 * p[:, 1] * (1.0 - p[:, 1]), variance)
    variance = np.maximum(variance, 0.0).astype(np.float32)
    variance[missing | (ploidy == 0)] = np.nan
    return variance


#: Messages of the status codes of :func:`_decode_layout2`.
_BLOCK_ERRORS = {
    1: "its sample count differs from the file's (corrupt file).",
    2: "has more than two alleles; gwaskit reads biallelic variants only.",
    3: "stores probabilities with 0 or more than 32 bits (corrupt file).",
    4: "has a sample of ploidy above 2; gwaskit reads haploid and diploid calls only.",
    5: "its probability data end early (corrupt file).",
}


@numba.njit(cache=True, nogil=True, inline="always")
def _packed_value(data, position, bits, mask):  # pragma: no cover - compiled
    """The ``bits``-wide little-endian unsigned integer starting at bit ``position``."""
    byte = position >> 3
    if bits == 8:  # the usual depths, byte-aligned: no bit arithmetic
        return np.int64(data[byte])
    if bits == 16:
        return np.int64(data[byte]) | (np.int64(data[byte + 1]) << 8)
    word = np.int64(0)
    for b in range(((position & 7) + bits + 7) >> 3):
        word |= np.int64(data[byte + b]) << (8 * b)
    return (word >> (position & 7)) & mask


@numba.njit(cache=True, nogil=True)
def _decode_layout2(data, starts, out, variance, status):  # pragma: no cover - compiled
    """Dosages of the second allele from uncompressed layout-2 probability blocks.

    Block ``j`` is ``data[starts[j]:starts[j + 1]]``: N (4 bytes), K (2), min and max ploidy,
    N ploidy/missing bytes, phased (1), B (1), then B-bit little-endian packed probabilities,
    ``ploidy`` values per sample for two alleles (the last probability is implied). Computed as
    :func:`probabilities_to_dosage` computes them from cbgen's output (same float64 steps).
    ``status[j]`` gets an error code (see ``_BLOCK_ERRORS``) instead of raising. ``variance``,
    unless of size 0, gets the genotype variances of :func:`probabilities_to_variance`.
    """
    n = out.shape[0]
    want = variance.size > 0
    for j in range(starts.size - 1):
        at = starts[j]
        end = starts[j + 1]
        if end - at < 10 + n:
            status[j] = 5
            continue
        count = (
            np.int64(data[at])
            | (np.int64(data[at + 1]) << 8)
            | (np.int64(data[at + 2]) << 16)
            | (np.int64(data[at + 3]) << 24)
        )
        if count != n:
            status[j] = 1
            continue
        if data[at + 4] != 2 or data[at + 5] != 0:
            status[j] = 2
            continue
        phased = data[at + 8 + n] != 0
        bits = np.int64(data[at + 9 + n])
        if bits < 1 or bits > 32:
            status[j] = 3
            continue
        mask = (np.int64(1) << bits) - 1
        scale = 1.0 / mask
        position = (at + 10 + n) * 8  # bit position of the next value
        limit = end * 8
        for i in range(n):
            code = data[at + 8 + i]
            ploidy = code & 63
            if ploidy > 2:
                status[j] = 4
                break
            if position + ploidy * bits > limit:
                status[j] = 5
                break
            v0 = 0.0
            v1 = 0.0
            if ploidy >= 1:
                v0 = _packed_value(data, position, bits, mask) * scale
                position += bits
            if ploidy == 2:
                v1 = _packed_value(data, position, bits, mask) * scale
                position += bits
            spread = np.nan
            if code >= 128 or ploidy == 0:
                out[i, j] = np.nan
            elif ploidy == 1:  # P(first allele) stored; dosage 2 P(second)
                out[i, j] = np.float32(2.0 * (1.0 - v0))
                spread = 4.0 * v0 * (1.0 - v0)
            elif phased:  # P(first allele) of each haplotype
                out[i, j] = np.float32((1.0 - v0) + (1.0 - v1))
                spread = v0 * (1.0 - v0) + v1 * (1.0 - v1)
            else:  # P(AA), P(AB) stored; P(BB) implied
                p2 = 1.0 - (v0 + v1)
                out[i, j] = np.float32(v1 + 2.0 * p2)
                mean = v1 + 2.0 * p2
                spread = max(v1 + 4.0 * p2 - mean * mean, 0.0)
            if want:
                variance[i, j] = np.float32(spread)


def _read_header(path: Path) -> dict[str, int]:
    """The header block: ``layout`` (1 or 2), ``compression`` (0 none, 1 zlib, 2 zstd),
    ``n_variants``, ``n_samples``, ``samples`` (whether a sample block is present) and ``first``
    (the byte offset of the first variant block)."""
    if not path.is_file():
        raise InputError(path, "file not found.")
    with open(path, "rb") as handle:
        head = handle.read(20)
        if len(head) < 20:
            raise InputError(path, "is empty or truncated; expected a BGEN file.")
        offset, header_length, n_variants, n_samples = struct.unpack("<IIII", head[:16])
        magic = head[16:20]
        if magic not in (b"bgen", b"\0\0\0\0") or header_length < 20 or offset < header_length:
            raise InputError(path, "not a BGEN file (bad header block or magic number).")
        handle.seek(header_length)  # the flags are the header block's last 4 bytes
        raw_flags = handle.read(4)
    if len(raw_flags) < 4:
        raise InputError(path, "is truncated inside its header block.")
    flags = int.from_bytes(raw_flags, "little")
    layout, compression = (flags >> 2) & 0xF, flags & 3
    if layout not in (1, 2) or (layout == 1 and compression == 2):
        raise InputError(
            path,
            f"has BGEN layout {layout} with compression {compression}; gwaskit reads layout 1 "
            "(v1.1, zlib or none) and layout 2 (v1.2/v1.3, zlib, zstd or none).",
        )
    if path.stat().st_size < offset + 4:
        raise InputError(path, "is truncated: it ends before its first variant.")
    return {
        "layout": layout,
        "compression": compression,
        "n_variants": n_variants,
        "n_samples": n_samples,
        "samples": flags >> 31,
        "first": offset + 4,
    }


def _embedded_samples(path: Path, n: int) -> list[str]:
    """The sample identifiers of the sample block (read here for layout 1; cbgen reads them for
    layout 2)."""
    with open(path, "rb") as handle:
        handle.seek(4)
        handle.seek(4 + int.from_bytes(handle.read(4), "little"))
        try:
            _length, count = struct.unpack("<II", handle.read(8))
            names = []
            for _ in range(count):
                (size,) = struct.unpack("<H", handle.read(2))
                names.append(handle.read(size).decode("utf-8", "replace"))
        except struct.error:
            raise InputError(path, "is truncated inside its sample block.") from None
    if count != n:
        raise InputError(path, f"its sample block lists {count} samples, not {n}.")
    return names


def _variant_table(path: Path, fields: dict, n_variants: int) -> pl.DataFrame:
    """The variant table of the records (multi-allelic ones still joined: ``A,G,T``)."""

    def text(values) -> list[str]:
        return [x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in values]

    n_alleles = np.asarray(fields["n_alleles"])
    if n_alleles.size != n_variants:
        raise InputError(path, f"declares {n_variants} variants but holds {n_alleles.size}.")
    if n_variants == 0:
        raise InputError(path, "has no variants.")
    if (n_alleles < 2).any():
        i = int(np.flatnonzero(n_alleles < 2)[0])
        raise InputError(path, f"variant {i + 1} has {n_alleles[i]} allele(s); expected 2 or more.")
    alleles = pl.Series(text(fields["alleles"]), dtype=pl.String)
    parts = alleles.str.splitn(",", 2)
    first, rest = parts.struct.field("field_0"), parts.struct.field("field_1")
    ids, rsids = text(fields["id"]), text(fields["rsid"])
    return pl.DataFrame(
        {
            "chromosome": normalise_chromosomes(
                pl.Series(text(fields["chromosome"]), dtype=pl.String)
            ),
            "base_pair_location": np.asarray(fields["position"]).astype(np.int64),
            "variant_id": [r or i for r, i in zip(rsids, ids, strict=True)],
            "effect_allele": rest,
            "other_allele": first,
        },
        schema=VARIANT_SCHEMA,
    )


def _bgen_samples(
    path: Path, n: int, embedded: list[str] | None, sample: Path | None
) -> pl.DataFrame:
    candidates = (
        [Path(sample)]
        if sample is not None
        else [
            path.with_suffix(".sample"),
            path.with_name(path.name + ".sample"),
            path.with_name(path.name + ".samples"),
        ]
    )
    sample_file = next((c for c in candidates if c.is_file()), None)
    if sample is not None and sample_file is None:
        raise InputError(sample, "file not found.")
    if sample_file is not None:
        samples = read_sample_file(sample_file)
        if samples.height != n:
            raise InputError(
                sample_file, f"lists {samples.height} samples but {path.name} holds {n}."
            )
        return samples
    if embedded is None:
        raise InputError(
            path,
            f"has no embedded sample identifiers and no {candidates[0].name} beside it; "
            "put the .sample file next to the .bgen (or give it, as plink2 --sample takes it).",
        )
    if len(set(embedded)) != len(embedded):
        dup = next(s for i, s in enumerate(embedded) if s in embedded[:i])
        raise InputError(path, f"sample {dup!r} appears more than once.")
    return pl.DataFrame(
        {"fid": embedded, "iid": embedded, "sex": np.zeros(n, dtype=np.int8)},
        schema=SAMPLE_SCHEMA,
    )
