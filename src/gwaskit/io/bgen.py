"""BGEN v1.2/v1.3: the index and identifiers through cbgen, genotypes by gwaskit's decoder.

Effect allele = the *second* allele of each variant, other allele = the first. That is ALT when
the first allele is REF, as UK Biobank and ``plink2 --export bgen-1.2 ref-first`` write it.
Note: plink2's default (``ref-last``, for PLINK 1.9 compatibility) writes ALT first, so the
effect allele of such a file is REF; the variant table always says which allele is counted.

Dosage of the second allele: unphased diploid ``p(het) + 2 p(hom second)``; phased diploid
``p(haplotype 1 = second) + p(haplotype 2 = second)``; haploid ``2 p(second)`` (0..2, as plink2
counts chrX in males). A missing call is NaN.

Samples: a ``.sample`` file beside the ``.bgen`` (``ID_1`` = fid, ``ID_2`` = iid, ``sex``) when
present, else the identifiers embedded in the ``.bgen`` (fid = iid, sex unknown).

Genotype blocks compressed with zlib (BGEN v1.2, and v1.3 files written so) or not compressed
are inflated with zlib-ng (several times faster than the standard zlib) and decoded by a compiled
kernel straight to dosages, at any bit depth; zstd blocks (v1.3) are read through cbgen. Both give
the same float32 dosages (tested).

cbgen needs a "metafile" (variant offsets). An up-to-date ``FILE.bgen.metafile`` beside the file is
used when present; otherwise one is built in gwaskit's cache folder (``$GWASKIT_CACHE``, else
``$XDG_CACHE_HOME/gwaskit``, else ``~/.cache/gwaskit``; the system temp folder if none is
writable), so nothing is written beside the user's files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

import numba
import numpy as np
import polars as pl
from zlib_ng import zlib_ng

from gwaskit.errors import InputError
from gwaskit.io.bed_decode import is_all_samples
from gwaskit.io.build import build_from_positions, resolve_build
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.genotypes import SAMPLE_SCHEMA, VARIANT_SCHEMA, GenotypeSource


class BgenSource(GenotypeSource):
    """A ``.bgen`` (layout 2: BGEN v1.2/v1.3), with an optional ``.sample`` beside it."""

    def __init__(self, path: Path, *, build: str | None = None) -> None:
        import cbgen

        self._cbgen = cbgen
        self.path = Path(path)
        self._compression = _check_bgen_header(self.path)
        bgen = self._open()
        try:
            n_samples, n_variants = bgen.nsamples, bgen.nvariants
            embedded = (
                [s.decode("utf-8", "replace") for s in bgen.read_samples()]
                if bgen.contain_samples
                else None
            )
            metafile = _metafile(self.path, bgen)
        finally:
            bgen.close()
        self.samples = _bgen_samples(self.path, n_samples, embedded)
        self.variants, self._offsets = _read_variants(self.path, metafile, n_variants, cbgen)
        self.build = resolve_build(build, build_from_positions(self.variants), str(self.path))
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

    def _read(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        if self._compression == 2:  # zstd (BGEN v1.3): cbgen decompresses
            return self._read_cbgen(variants, samples)
        blocks = [self._probability_block(int(index)) for index in variants]
        starts = np.zeros(len(blocks) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in blocks], out=starts[1:])
        out = np.empty((self.n_samples, variants.size), dtype=np.float32, order="F")
        status = np.zeros(variants.size, dtype=np.int64)
        _decode_layout2(np.frombuffer(b"".join(blocks), dtype=np.uint8), starts, out, status)
        if status.any():
            k = int(np.flatnonzero(status)[0])
            raise InputError(
                self.path, f"variant {variants[k] + 1}: {_BLOCK_ERRORS[int(status[k])]}"
            )
        # variant columns stay contiguous, as the .bed decoder gives them
        return out if is_all_samples(samples, self.n_samples) else np.asfortranarray(out[samples])

    def _probability_block(self, index: int) -> bytes:
        """The uncompressed probability data of one variant (layout 2)."""
        if self._fd is None:
            with self._lock:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDONLY)
        at = int(self._offsets[index])
        head = os.pread(self._fd, 8, at)
        length = int.from_bytes(head[:4], "little")
        payload = os.pread(self._fd, length, at + 4)
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

    def _read_cbgen(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        bgen = self._handle()
        out = np.empty((self.n_samples, variants.size), dtype=np.float32)
        for k, index in enumerate(variants):
            try:
                genotype = bgen.read_genotype(int(self._offsets[index]), precision=64)
            except RuntimeError:
                raise InputError(
                    self.path,
                    f"variant {index + 1} cannot be read (truncated or corrupt file).",
                ) from None
            out[:, k] = probabilities_to_dosage(
                genotype.probability, genotype.ploidy, genotype.phased, genotype.missing
            )
        return np.ascontiguousarray(out[samples])

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
def _decode_layout2(data, starts, out, status):  # pragma: no cover - compiled
    """Dosages of the second allele from uncompressed layout-2 probability blocks.

    Block ``j`` is ``data[starts[j]:starts[j + 1]]``: N (4 bytes), K (2), min and max ploidy,
    N ploidy/missing bytes, phased (1), B (1), then B-bit little-endian packed probabilities,
    ``ploidy`` values per sample for two alleles (the last probability is implied). Computed as
    :func:`probabilities_to_dosage` computes them from cbgen's output (same float64 steps).
    ``status[j]`` gets an error code (see ``_BLOCK_ERRORS``) instead of raising.
    """
    n = out.shape[0]
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
            if code >= 128 or ploidy == 0:
                out[i, j] = np.nan
            elif ploidy == 1:  # P(first allele) stored; dosage 2 P(second)
                out[i, j] = np.float32(2.0 * (1.0 - v0))
            elif phased:  # P(first allele) of each haplotype
                out[i, j] = np.float32((1.0 - v0) + (1.0 - v1))
            else:  # P(AA), P(AB) stored; P(BB) implied
                out[i, j] = np.float32(v1 + 2.0 * (1.0 - (v0 + v1)))


def _check_bgen_header(path: Path) -> int:
    """Check the header block; return the compression of the genotype blocks (0 none, 1 zlib,
    2 zstd)."""
    if not path.is_file():
        raise InputError(path, "file not found.")
    with open(path, "rb") as handle:
        head = handle.read(20)
        if len(head) < 20:
            raise InputError(path, "is empty or truncated; expected a BGEN file.")
        offset = int.from_bytes(head[0:4], "little")
        header_length = int.from_bytes(head[4:8], "little")
        magic = head[16:20]
        if magic not in (b"bgen", b"\0\0\0\0") or header_length < 20 or offset < header_length:
            raise InputError(path, "not a BGEN file (bad header block or magic number).")
        handle.seek(header_length)  # the flags are the header block's last 4 bytes
        raw_flags = handle.read(4)
    if len(raw_flags) < 4:
        raise InputError(path, "is truncated inside its header block.")
    flags = int.from_bytes(raw_flags, "little")
    layout = (flags >> 2) & 0xF
    if layout != 2:
        raise InputError(
            path,
            f"is BGEN layout {layout} (v1.1 or older); gwaskit reads BGEN v1.2/v1.3 (layout 2). "
            "Convert it with `qctool -g IN.bgen -og OUT.bgen -bgen-bits 16`.",
        )
    if path.stat().st_size < offset + 4:
        raise InputError(path, "is truncated: it ends before its first variant.")
    return flags & 3


def cache_dir() -> Path:
    """gwaskit's cache folder (see the module docstring); created if needed."""
    candidates = []
    if os.environ.get("GWASKIT_CACHE"):
        candidates.append(Path(os.environ["GWASKIT_CACHE"]))
    if os.environ.get("XDG_CACHE_HOME"):
        candidates.append(Path(os.environ["XDG_CACHE_HOME"]) / "gwaskit")
    candidates.append(Path.home() / ".cache" / "gwaskit")
    candidates.append(Path(tempfile.gettempdir()) / f"gwaskit-{os.getuid()}")
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise InputError(candidates[-1], "no writable cache folder for the BGEN metafile.")


def check_variant_blocks(path: Path, n_variants: int) -> None:
    """Walk the variant blocks (layout 2) and check each lies inside the file.

    cbgen does not check this itself and crashes on a truncated file, so a metafile is only
    built after this walk. It reads each block's identifiers and skips its genotype data.
    """
    import struct

    size = path.stat().st_size
    with open(path, "rb", buffering=1 << 20) as handle:
        at = 4 + int.from_bytes(handle.read(4), "little")
        handle.seek(at)
        for index in range(n_variants):
            try:
                for _ in range(3):  # id, rsid, chromosome
                    (length,) = struct.unpack("<H", handle.read(2))
                    handle.seek(length, 1)
                _position, n_alleles = struct.unpack("<IH", handle.read(6))
                for _ in range(n_alleles):
                    (length,) = struct.unpack("<I", handle.read(4))
                    handle.seek(length, 1)
                (length,) = struct.unpack("<I", handle.read(4))
            except struct.error:
                length, at = 0, size + 1
            else:
                at = handle.seek(length, 1)
            if at > size:
                raise InputError(
                    path,
                    f"is truncated: variant {index + 1} of {n_variants} ends beyond the end of "
                    "the file.",
                )


def _metafile(path: Path, bgen) -> Path:
    """An up-to-date metafile: beside the ``.bgen`` if one is there, else in the cache."""
    stat = path.stat()
    beside = path.with_name(path.name + ".metafile")
    if beside.is_file() and beside.stat().st_mtime_ns >= stat.st_mtime_ns:
        return beside
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    target = cache_dir() / "bgen" / f"{hashlib.sha1(key).hexdigest()}.metafile"
    if target.is_file():
        return target
    check_variant_blocks(path, bgen.nvariants)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    os.unlink(tmp)  # cbgen creates the file itself
    try:
        bgen.create_metafile(Path(tmp), verbose=False)
    except RuntimeError:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(
            path, "its variant index cannot be built (truncated or corrupt)."
        ) from None
    os.replace(tmp, target)
    return target


def _read_variants(path: Path, metafile: Path, n_variants: int, cbgen):
    chrom, pos, vid, rsid, alleles, nalleles, offsets = [], [], [], [], [], [], []
    try:
        with cbgen.bgen_metafile(metafile) as meta:
            for part in range(meta.npartitions):
                v = meta.read_partition(part).variants
                chrom.append(v.chromosome)
                pos.append(v.position)
                vid.append(v.id)
                rsid.append(v.rsid)
                alleles.append(v.allele_ids)
                nalleles.append(v.nalleles)
                offsets.append(v.offset)
    except RuntimeError:
        raise InputError(path, "its variant index cannot be read (corrupt file).") from None

    def text(parts: list[np.ndarray]) -> list[str]:
        joined = np.concatenate(parts) if parts else np.array([], dtype="S1")
        return [x.decode("utf-8", "replace") for x in joined]

    n_alleles = np.concatenate(nalleles) if nalleles else np.array([], dtype=np.uint16)
    if n_alleles.size != n_variants:
        raise InputError(path, f"declares {n_variants} variants but holds {n_alleles.size}.")
    if n_variants == 0:
        raise InputError(path, "has no variants.")
    multi = np.flatnonzero(n_alleles != 2)
    pairs = [a.split(",") for a in text(alleles)]
    ids, rsids = text(vid), text(rsid)
    if multi.size:
        i = int(multi[0])
        raise InputError(
            path,
            f"variant {i + 1} ({rsids[i] or ids[i]}) has {n_alleles[i]} alleles; gwaskit reads "
            f"biallelic variants only ({multi.size} are not). Split or drop them first (e.g. "
            "`qctool -g IN.bgen -og OUT.bgen -excl-rsids ...`, or split in the source VCF with "
            "`bcftools norm -m-`).",
        )
    variants = pl.DataFrame(
        {
            "chromosome": normalise_chromosomes(pl.Series(text(chrom), dtype=pl.String)),
            "base_pair_location": np.concatenate(pos).astype(np.int64),
            "variant_id": [r or i for r, i in zip(rsids, ids, strict=True)],
            "effect_allele": [p[1] for p in pairs],
            "other_allele": [p[0] for p in pairs],
        },
        schema=VARIANT_SCHEMA,
    )
    return variants, np.concatenate(offsets).astype(np.uint64)


def _bgen_samples(path: Path, n: int, embedded: list[str] | None) -> pl.DataFrame:
    sample_file = path.with_suffix(".sample")
    if sample_file.is_file():
        samples = read_sample_file(sample_file)
        if samples.height != n:
            raise InputError(
                sample_file, f"lists {samples.height} samples but {path.name} holds {n}."
            )
        return samples
    if embedded is None:
        raise InputError(
            path,
            f"has no embedded sample identifiers and no {sample_file.name} beside it; "
            "put the .sample file next to the .bgen.",
        )
    if len(set(embedded)) != len(embedded):
        dup = next(s for i, s in enumerate(embedded) if s in embedded[:i])
        raise InputError(path, f"sample {dup!r} appears more than once.")
    return pl.DataFrame(
        {"fid": embedded, "iid": embedded, "sex": np.zeros(n, dtype=np.int8)},
        schema=SAMPLE_SCHEMA,
    )


def read_sample_file(path: Path) -> pl.DataFrame:
    """Read an Oxford ``.sample``: a header line, a types line (``0 0 0 D ...``), one line each."""
    try:
        lines = path.read_text().splitlines()
    except UnicodeDecodeError:
        raise InputError(path, "is not a text file; expected an Oxford .sample file.") from None
    if len(lines) < 2:
        raise InputError(path, "expected a header line and a types line (0 0 0 ...).")
    header = lines[0].split()
    if len(header) < 2 or header[0].upper() != "ID_1" or header[1].upper() != "ID_2":
        raise InputError(path, "the header must start with ID_1 ID_2.", line=1)
    i_sex = next((i for i, h in enumerate(header) if h.lower() == "sex"), None)
    rows = [line.split() for line in lines[2:]]
    for number, fields in enumerate(rows, start=3):
        if len(fields) != len(header):
            raise InputError(
                path,
                f"expected {len(header)} fields (as the header), found {len(fields)}.",
                line=number,
            )
    fid = [r[0] for r in rows]
    iid = [r[1] for r in rows]
    sex_raw = [r[i_sex] if i_sex is not None else "0" for r in rows]
    sex = np.array(
        [1 if s in ("1", "M", "m") else 2 if s in ("2", "F", "f") else 0 for s in sex_raw],
        dtype=np.int8,
    )
    samples = pl.DataFrame({"fid": fid, "iid": iid, "sex": sex}, schema=SAMPLE_SCHEMA)
    dup = samples.select(pl.struct("fid", "iid").is_first_distinct().not_()).to_series().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(
            path, f"sample ID_1={fid[i]!r} ID_2={iid[i]!r} appears more than once.", line=i + 3
        )
    return samples
