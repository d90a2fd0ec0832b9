"""PLINK 1 binary filesets (``.bed``/``.bim``/``.fam``).

Effect allele = A1, ``.bim`` column 5 (bed-reader's ``count_A1=True``); other allele = A2.
The ``.bim`` and ``.fam`` are parsed here (with line-level error messages) and the ``.bed`` is
checked against their counts before any genotype is read. As PLINK reads them:

* a ``.fam`` may carry extra columns after the sixth (GEMMA's several phenotypes; they are read
  as phenotypes by :mod:`gwaskit.io.phenotypes`, not here);
* variants whose ``.bim`` position is negative (``-9``, PLINK's mark of a variant to skip) are
  skipped, with a count in the log and in :attr:`~gwaskit.io.genotypes.GenotypeSource.notes`;
* an old sample-major ``.bed`` (PLINK 0.99, third byte ``00``) is transposed in memory;
* EIGENSOFT's packedped set, ``.bed`` with ``.pedsnp`` and ``.pedind`` (the ``.bim`` and
  ``.fam`` layouts under other names), is read when no ``.bim``/``.fam`` lies beside the ``.bed``.

Genotypes are decoded from a memory map of the ``.bed`` by the compiled kernels of
:mod:`gwaskit.io.bed_decode` (tested to give bed-reader's output exactly).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.build.check import detect_build, resolve_build
from gwaskit.errors import InputError
from gwaskit.io.bed_decode import decode_bed
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.source import SAMPLE_SCHEMA, VARIANT_SCHEMA, GenotypeSource
from gwaskit.io.text import parse_positions, read_text_lines, split_fields

log = logging.getLogger(__name__)

BED_MAGIC = b"\x6c\x1b\x01"


class PlinkBedSource(GenotypeSource):
    """A PLINK 1 ``.bed`` with its ``.bim`` and ``.fam``."""

    def __init__(self, bed: Path, *, build: str | None = None, threads: int = 1) -> None:
        self.path = Path(bed)
        #: The sample and variant files read: ``.fam``/``.bim``, or EIGENSOFT's packedped
        #: ``.pedind``/``.pedsnp`` (the same layouts) when those are what lies beside the .bed.
        self.fam_path = companion(self.path, (".fam", ".pedind"))
        self.bim_path = companion(self.path, (".bim", ".pedsnp"))
        self.samples = read_fam(self.fam_path)
        records, kept = read_bim_records(self.bim_path)
        sample_major = check_bed(self.path, self.n_samples, records.height)
        self.variants = records.filter(pl.Series(kept)) if not kept.all() else records
        #: The ``.bim`` line (0-based) and ``.bed`` row of each variant of :attr:`variants`.
        self.record_index = np.flatnonzero(kept).astype(np.int64)
        self._n_records = records.height
        self._skipping = not kept.all()
        if self._skipping:
            self._notes = {"variants skipped (negative .bim position)": int((~kept).sum())}
        self.build = resolve_build(build, detect_build(self.variants), str(self.path))
        self._threads = threads
        self._packed: np.ndarray | None = None
        self._fd: int | None = None
        self._fd_lock = threading.Lock()
        self._sample_major = sample_major

    def _read(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        if self._skipping:
            variants = self.record_index[variants]
        if variants.size > 1 and not self._sample_major and _consecutive(variants):
            # a run of rows: read into a buffer of the block's size, so that memory stays one
            # block however much of the file a scan reads (a memory map's pages of a 1 GB .bed
            # would all count in the process's resident memory)
            rows = self._read_rows(int(variants[0]), variants.size)
            variants = np.arange(variants.size, dtype=np.int64)
        else:
            rows = self._rows()
        return decode_bed(rows, self.n_samples, variants, samples, threads=self._threads)

    def _read_rows(self, first: int, count: int) -> np.ndarray:
        """``count`` consecutive ``.bed`` rows from row ``first``, ``uint8 (count, width)``."""
        width = (self.n_samples + 3) // 4
        with self._fd_lock:  # blocks are read from several threads
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY)
        data = os.pread(self._fd, count * width, 3 + first * width)
        if len(data) != count * width:
            raise InputError(self.path, "was truncated while being read.")
        return np.frombuffer(data, dtype=np.uint8).reshape(count, width)

    def _rows(self) -> np.ndarray:
        """The memory map of the ``.bed`` rows, ``uint8 (n_variants, (n_samples + 3) // 4)``."""
        if self._packed is None and self._sample_major:
            # PLINK 0.99 and older: transposed once, in memory, as PLINK 1.9 reads it
            body = np.fromfile(self.path, dtype=np.uint8, offset=3)
            self._packed = sample_major_to_variant_major(body, self.n_samples, self._n_records)
        if self._packed is None:
            self._packed = np.memmap(
                self.path,
                dtype=np.uint8,
                mode="r",
                offset=3,
                shape=(self._n_records, (self.n_samples + 3) // 4),
            )
        return self._packed

    def read_packed(self, variant_range: range | None = None) -> np.ndarray:
        """The raw ``.bed`` bytes of a block of consecutive variants, without decoding.

        Returns a read-only ``uint8`` array of shape ``(len(variant_range), (n_samples + 3) // 4)``
        (a view of a memory map of the file). Each byte holds four samples, the first in the two
        low bits; codes ``0b00`` = two copies of A1 (the effect allele), ``0b01`` = missing,
        ``0b10`` = heterozygous, ``0b11`` = two copies of A2. Counting kernels (``gwaskit.qc``)
        work on these bytes directly.
        """
        if variant_range is None:
            variant_range = range(self.n_variants)
        if variant_range.step != 1 or not (
            0 <= variant_range.start <= variant_range.stop <= self.n_variants
        ):
            raise ValueError(f"variant_range must be a consecutive range, got {variant_range!r}.")
        if self._skipping:  # rows of skipped variants lie between: gather (a copy)
            return self._rows()[self.record_index[variant_range.start : variant_range.stop]]
        return self._rows()[variant_range.start : variant_range.stop]

    def close(self) -> None:
        self._packed = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _consecutive(index: np.ndarray) -> bool:
    """Whether ``index`` is ``a, a + 1, ..., b``."""
    return bool(index[-1] - index[0] + 1 == index.size and (np.diff(index) == 1).all())


def companion(bed: Path, suffixes: tuple[str, ...]) -> Path:
    """The first of ``PREFIX.suffix`` that exists (the first one, to name in the error, if
    none does)."""
    for suffix in suffixes:
        candidate = bed.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return bed.with_suffix(suffixes[0])


def read_fam(path: Path) -> pl.DataFrame:
    """Read a ``.fam``: FID IID father mother sex phenotype (whitespace separated).

    Extra columns after the sixth (more phenotypes, as GEMMA reads them) are allowed when every
    line has the same number of fields.
    """
    layout = "a .fam line: FID IID PAT MAT SEX PHENO [more phenotypes]"
    lines = read_text_lines(path, f"{layout} per line")
    n_fields = max(6, len(lines[0].split()))
    if n_fields > 6:
        layout = f"the first line: FID IID PAT MAT SEX and {n_fields - 5} phenotypes"
    table = split_fields(path, lines, first=0, n_fields=n_fields, layout=layout, what="sample")
    samples = pl.DataFrame(
        {"fid": table["f0"], "iid": table["f1"], "sex": sex_codes(table["f4"])},
        schema=SAMPLE_SCHEMA,
    )
    check_unique_samples(samples, path, first_line=1)
    return samples


def read_bim(path: Path) -> pl.DataFrame:
    """Read a ``.bim``: chromosome, ID, cM, position, A1, A2 (whitespace separated).

    Variants with a negative position (``-9``) are left out, as PLINK skips them (see
    :func:`read_bim_records`).
    """
    records, kept = read_bim_records(path)
    return records if kept.all() else records.filter(pl.Series(kept))


def read_bim_records(path: Path) -> tuple[pl.DataFrame, np.ndarray]:
    """Every line of a ``.bim`` as a variant table, and which variants to keep: those whose
    position is not negative. PLINK 1.9 and 2 skip a variant with a negative position (the
    ``-9`` of ``--exclude``-by-position tools); the skipped count is logged."""
    layout = "a .bim line: CHR ID CM POS A1 A2"
    lines = read_text_lines(path, f"{layout} per line")
    table = split_fields(path, lines, first=0, n_fields=6, layout=layout, what="variant")
    raw = table["f3"]
    negative = raw.str.contains(r"^-[0-9]{1,12}$").to_numpy()
    if negative.any():  # their positions are never used: parse the others
        raw = pl.Series(np.where(negative, "0", raw.to_numpy()), dtype=pl.String)
    positions = parse_positions(path, raw, first_line=1, column="POS")
    if negative.any():
        log.warning(
            "%s: %d of %d variants have a negative position and are skipped, as PLINK does",
            path,
            int(negative.sum()),
            negative.size,
        )
    variants = pl.DataFrame(
        {
            "chromosome": normalise_chromosomes(table["f0"]),
            "base_pair_location": positions,
            "variant_id": table["f1"],
            "effect_allele": table["f4"],
            "other_allele": table["f5"],
        },
        schema=VARIANT_SCHEMA,
    )
    return variants, ~negative


def sex_codes(values: pl.Series) -> pl.Series:
    """Sex codes of a ``.fam``/``.psam`` column as ``Int8``: 1 male (``1``, ``M``), 2 female
    (``2``, ``F``), 0 unknown (anything else, as PLINK reads ``0``, ``-9`` or ``NA``)."""
    male = values.is_in(["1", "M", "m"])
    female = values.is_in(["2", "F", "f"])
    return (male.cast(pl.Int8) + 2 * female.cast(pl.Int8)).alias("sex")


def check_unique_samples(samples: pl.DataFrame, path: Path, *, first_line: int) -> None:
    """Raise :class:`InputError` naming the line of the first repeated (FID, IID) pair;
    ``first_line`` is the 1-based file line of the first sample."""
    repeated = samples.select(pl.struct("fid", "iid").is_first_distinct().not_()).to_series()
    if repeated.any():
        i = int(repeated.arg_true()[0])
        fid, iid = samples.row(i)[:2]
        raise InputError(
            path, f"sample FID={fid!r} IID={iid!r} appears more than once.", line=first_line + i
        )


def check_bed(path: Path, n_samples: int, n_variants: int) -> bool:
    """Check the magic bytes and that the size matches the ``.fam`` and ``.bim`` counts; return
    whether the file is in the old sample-major mode (third byte ``00``, PLINK 0.99 and older)."""
    with open(path, "rb") as handle:
        magic = handle.read(3)
    if magic[:2] != BED_MAGIC[:2]:
        raise InputError(path, "not a PLINK 1 .bed file (its first two bytes are not 6c 1b).")
    if magic[2:3] not in (b"\x01", b"\x00"):
        raise InputError(
            path,
            f"has mode byte {magic[2]:#04x}; expected 01 (variant-major) or 00 (sample-major).",
        )
    sample_major = magic[2:3] == b"\x00"
    if sample_major:
        expected = 3 + ((n_variants + 3) // 4) * n_samples
    else:
        expected = 3 + ((n_samples + 3) // 4) * n_variants
    size = path.stat().st_size
    if size != expected:
        raise InputError(
            path,
            f"has {size} bytes but {n_samples} samples (.fam) and {n_variants} variants (.bim) "
            f"need {expected}; the file is truncated or does not belong to this .bim/.fam.",
        )
    return sample_major


def sample_major_to_variant_major(data: np.ndarray, n_samples: int, n_variants: int) -> np.ndarray:
    """Transpose the 2-bit codes of a sample-major ``.bed`` body (``n_samples`` rows of
    ``(n_variants + 3) // 4`` bytes) into variant-major rows of ``(n_samples + 3) // 4`` bytes.

    The codes mean the same in both modes (``00`` two A1, ``01`` missing, ``10`` het, ``11`` two
    A2); padding codes are 0 and never read.
    """
    rows = data.reshape(n_samples, (n_variants + 3) // 4)
    shifts = np.array([0, 2, 4, 6], dtype=np.uint8)
    codes = ((rows[:, :, None] >> shifts) & 3).reshape(n_samples, -1)[:, :n_variants]
    width = (n_samples + 3) // 4
    padded = np.zeros((n_variants, width * 4), dtype=np.uint8)
    padded[:, :n_samples] = codes.T
    quads = padded.reshape(n_variants, width, 4) << shifts
    return np.bitwise_or.reduce(quads, axis=2).astype(np.uint8)
