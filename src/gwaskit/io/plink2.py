"""PLINK 2 filesets (``.pgen``/``.pvar``/``.psam``) through pgenlib.

Effect allele = ALT (the second allele), other allele = REF. A ``.pvar`` may carry ``##`` header
lines and a ``#CHROM`` header with optional ``QUAL``/``FILTER``/``INFO``/``CM`` columns, or be a
headerless ``.bim``-style file (``CHROM ID CM POS ALT REF``, as plink2 reads it: column 5 is ALT).
A ``.psam`` starts with a ``#FID``/``#IID`` header (``SEX`` optional) or is ``.fam``-style.
A fileset with a ``.bim``/``.fam`` instead of the ``.pvar``/``.psam`` is read too.

The ``.pvar`` may be zstd-compressed (``.pvar.zst``, as plink2 writes with ``--make-pgen
pvar-zs``).

Multi-allelic variants (ALT ``A,C``) are split into one biallelic record per ALT allele, as
``bcftools norm -m-`` splits them: record ``k`` has the same position and ID, REF as its other
allele and the ``k``-th ALT as its effect allele, whose dosage is the count of that allele (the
other ALT alleles count as REF). Every analysis here counts one effect allele per record.

Reading: ``PgenReader.read_dosages_list`` of each record's ALT allele (``allele_idx``, one call per
allele index in the block), whose missing value ``-9`` is turned into NaN. Hard calls read as
0/1/2; explicit dosages keep plink2's 1/16384 resolution.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.build.check import detect_build, resolve_build
from gwaskit.errors import InputError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.plink1 import check_unique_samples, read_bim_records, read_fam, sex_codes
from gwaskit.io.source import SAMPLE_SCHEMA, VARIANT_SCHEMA, GenotypeSource, split_alleles
from gwaskit.io.text import parse_positions, read_text_lines, split_fields

PGEN_MAGIC = b"\x6c\x1b"


class PgenSource(GenotypeSource):
    """A PLINK 2 ``.pgen`` with its ``.pvar`` (or ``.bim``) and ``.psam`` (or ``.fam``)."""

    def __init__(self, pgen: Path, *, build: str | None = None) -> None:
        import pgenlib

        self.path = Path(pgen)
        if not self.path.is_file():
            raise InputError(self.path, "file not found.")
        self.samples = _read_companion(self.path, (".psam", ".fam"), read_psam, "sample")
        records, kept = _read_companion(
            self.path, (".pvar", ".pvar.zst", ".bim"), _read_records, "variant"
        )
        self.variants, self._record, self._allele, n_alleles = split_alleles(records)
        self._notes = {}
        if self.variants.height > records.height:
            self._notes["multi-allelic records split"] = int((n_alleles > 2).sum())
        if not kept.all():  # a .bim's variants at negative positions: skipped, as plink2 does
            self._notes["variants skipped (negative .bim position)"] = int((~kept).sum())
            keep = kept[self._record]
            self.variants = self.variants.filter(pl.Series(keep))
            self._record, self._allele = self._record[keep], self._allele[keep]
        self._n_records = records.height
        self._allele_offsets = None
        if n_alleles.max(initial=2) > 2:  # pgenlib needs every record's allele count then
            self._allele_offsets = np.zeros(records.height + 1, dtype=np.uintp)
            np.cumsum(n_alleles, out=self._allele_offsets[1:])
        _check_pgen_header(self.path)
        self.build = resolve_build(build, detect_build(self.variants), str(self.path))
        self._pgenlib = pgenlib
        self._local = threading.local()
        self._readers: list[object] = []
        self._lock = threading.Lock()
        self._reader()  # open once now, so a count mismatch is reported at open time

    def _reader(self) -> object:
        """One pgenlib reader per thread (a reader holds a file position and buffers)."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            try:
                reader = self._pgenlib.PgenReader(
                    bytes(self.path),
                    raw_sample_ct=self.n_samples,
                    variant_ct=self._n_records,
                    allele_idx_offsets=self._allele_offsets,
                )
            except RuntimeError as exc:
                raise InputError(
                    self.path,
                    f"does not match its {self.n_samples} samples and {self._n_records} variants "
                    f"or is damaged (pgenlib: {_first_line(exc)}).",
                ) from None
            self._local.reader = reader
            self._local.subset = None
            with self._lock:
                self._readers.append(reader)
        return reader

    def _read(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        if variants.size == 0 or samples.size == 0:
            return np.empty((samples.size, variants.size), dtype=np.float32)
        reader = self._reader()
        # pgenlib takes an increasing sample subset; read the sorted unique set, then reorder.
        if samples.size == self.n_samples and np.array_equal(samples, np.arange(self.n_samples)):
            subset, order = None, None
        else:
            subset, order = np.unique(samples, return_inverse=True)
            subset = subset.astype(np.uint32)
        key = None if subset is None else subset.tobytes()
        if key != self._local.subset:
            reader.change_sample_subset(subset)
            self._local.subset = key
        n = self.n_samples if subset is None else subset.size
        out = np.empty((variants.size, n), dtype=np.float32)
        records = self._record[variants].astype(np.uint32)
        alleles = self._allele[variants]
        try:
            if self._allele_offsets is None or np.all(alleles == 1):
                reader.read_dosages_list(records, out, allele_idx=1)
            else:  # one call per ALT index: a handful of calls, not one per variant
                for allele in np.unique(alleles):
                    rows = np.flatnonzero(alleles == allele)
                    part = np.empty((rows.size, n), dtype=np.float32)
                    reader.read_dosages_list(records[rows], part, allele_idx=int(allele))
                    out[rows] = part
        except RuntimeError as exc:
            raise InputError(
                self.path, f"cannot be read (truncated or damaged): {_first_line(exc)}."
            ) from None
        out[out == -9] = np.nan
        out = out.T
        if order is not None:
            out = out[order]
        return np.ascontiguousarray(out) if order is None else out

    def close(self) -> None:
        with self._lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
        self._local = threading.local()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__


def _read_companion(pgen: Path, suffixes: tuple[str, ...], parser, what: str):
    for suffix in suffixes:
        candidate = pgen.with_suffix(suffix)
        if candidate.is_file():
            return parser(candidate)
    names = " or ".join(pgen.with_suffix(s).name for s in suffixes)
    raise InputError(pgen, f"its {what} file is missing: expected {names} beside it.")


def _check_pgen_header(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(3)
    if len(head) < 3:
        raise InputError(path, "is empty or truncated; expected a PLINK 2 .pgen file.")
    if head[:2] != PGEN_MAGIC:
        raise InputError(path, "not a PLINK 2 .pgen file (its first two bytes are not 6c 1b).")


def read_pvar(path: Path) -> pl.DataFrame:
    """Read a ``.pvar`` (plain or ``.zst``, or a ``.bim``) into the variant table; ALT is the
    effect allele, multi-allelic records split into biallelic ones (see the module docstring).

    Raises
    ------
    InputError
        Naming the line of the first malformed record or a missing required column.
    """
    records, kept = _read_records(Path(path))
    return split_alleles(records.filter(pl.Series(kept)))[0]


def _read_records(path: Path) -> tuple[pl.DataFrame, np.ndarray]:
    """The records of a ``.pvar``/``.bim`` as written (ALT lists unsplit), and which to keep
    (a ``.bim``'s variants at negative positions are skipped, as plink2 skips them)."""
    path = Path(path)
    if path.suffix.lower() == ".bim":
        return read_bim_records(path)
    lines = read_text_lines(path, "a .pvar (a #CHROM header and one line per variant)")
    start = 0
    while start < len(lines) and lines[start].startswith("##"):
        start += 1
    if start < len(lines) and lines[start].startswith("#CHROM"):
        header = lines[start][1:].split()
        missing = [c for c in ("CHROM", "POS", "ID", "REF", "ALT") if c not in header]
        if missing:
            raise InputError(
                path, f"the #CHROM header lacks the column(s) {', '.join(missing)}.", line=start + 1
            )
        if len(set(header)) != len(header):
            raise InputError(path, "the #CHROM header repeats a column name.", line=start + 1)
        cols = [header.index(c) for c in ("CHROM", "POS", "ID", "REF", "ALT")]
        n_fields, first = len(header), start + 1
        layout = "the #CHROM header"
    elif start == 0:  # headerless: .bim-style CHROM ID [CM] POS ALT REF
        if any(line.startswith("#") for line in lines[:1]):
            raise InputError(path, "expected a #CHROM header line, found another # line.", line=1)
        n_fields = len(lines[0].split())
        if n_fields == 6:
            cols = [0, 3, 1, 5, 4]
        elif n_fields == 5:
            cols = [0, 2, 1, 4, 3]
        else:
            raise InputError(
                path,
                f"a headerless .pvar line must have 5 or 6 fields (CHROM ID [CM] POS ALT REF), "
                f"found {n_fields}.",
                line=1,
            )
        first, layout = 0, "the first line"
    else:
        raise InputError(path, "expected a #CHROM header line after the ## lines.", line=start + 1)
    table = split_fields(path, lines, first=first, n_fields=n_fields, layout=layout, what="variant")
    chrom, pos, vid, ref, alt = (table[f"f{i}"] for i in cols)
    positions = parse_positions(path, pos, first_line=first + 1, column="POS")
    records = pl.DataFrame(
        {
            "chromosome": normalise_chromosomes(chrom),
            "base_pair_location": positions,
            "variant_id": vid,
            "effect_allele": alt,
            "other_allele": ref,
        },
        schema=VARIANT_SCHEMA,
    )
    return records, np.ones(records.height, dtype=bool)


def read_psam(path: Path) -> pl.DataFrame:
    """Read a ``.psam`` (or a ``.fam``) into the sample table ``fid, iid, sex``.

    Without a FID column, ``fid`` is the IID (as for VCF samples). Sex: 1/M male, 2/F female,
    anything else unknown (0).
    """
    path = Path(path)
    if path.suffix.lower() == ".fam":
        return read_fam(path)
    lines = read_text_lines(path, "a .psam (a #FID or #IID header and one line per sample)")
    head = lines[0]
    if head.split()[:1] in (["#FID"], ["#IID"], ["FID"], ["IID"]):
        header = head.lstrip("#").split()
        if "IID" not in header:
            raise InputError(path, "the header has no IID column.", line=1)
        if len(set(header)) != len(header):
            raise InputError(path, "the header repeats a column name.", line=1)
        first = 1
        i_iid = header.index("IID")
        i_fid = header.index("FID") if "FID" in header else None
        i_sex = header.index("SEX") if "SEX" in header else None
        n_fields = len(header)
        layout = "the header"
    elif head.startswith("#"):
        raise InputError(path, "expected a #FID or #IID header line.", line=1)
    else:  # .fam-style: FID IID PAT MAT SEX PHENO
        first, i_fid, i_iid, i_sex, n_fields = 0, 0, 1, 4, 6
        layout = "a headerless .psam/.fam (FID IID PAT MAT SEX PHENO)"
    table = split_fields(path, lines, first=first, n_fields=n_fields, layout=layout, what="sample")
    iid = table[f"f{i_iid}"]
    fid = table[f"f{i_fid}"] if i_fid is not None else iid
    if i_sex is None:
        sex = pl.Series("sex", np.zeros(len(iid), dtype=np.int8))
    else:
        sex = sex_codes(table[f"f{i_sex}"])
    samples = pl.DataFrame({"fid": fid, "iid": iid, "sex": sex}, schema=SAMPLE_SCHEMA)
    check_unique_samples(samples, path, first_line=first + 1)
    return samples
