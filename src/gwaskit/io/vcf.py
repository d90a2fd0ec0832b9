"""VCF, bgzipped VCF and BCF through cyvcf2 (htslib).

Effect allele = ALT; other allele = REF. Samples come from the header (``fid`` = ``iid`` = the
VCF sample name, sex unknown). Dosages come from one FORMAT field:

- ``GT``: hard calls, phased or not: number of ALT alleles, 0/1/2; a haploid call (chrX in
  males) counts 0 or 2, as plink2 imports it; a missing or half-missing call (``./.``, ``./1``)
  is NaN (plink2's ``--vcf-half-call missing``).
- ``DS``: the ALT dosage as written (0..2), NaN where missing; where the record's GT is
  haploid, DS (0..1) is doubled, as plink2 imports it; a sample without DS but with a called GT
  gets the GT's count (plink2 writes no DS where the dosage equals the hard call).

- ``GP``: genotype probabilities (``P(0/0), P(0/1), P(1/1)``; haploid ``P(0), P(1)``), read as
  the expected ALT count ``P(0/1) + 2 P(1/1)`` (haploid ``2 P(1)``). A GP written as Phred-scaled
  (its values do not sum to 1) is converted with ``10^(-GP/10)`` first.

The default is ``GT`` when the header declares it, else ``DS``, else ``GP``. A record with several
ALT alleles is split into one biallelic record per ALT, as ``bcftools norm -m-`` splits it: same
position and ID, REF as other allele, and the dosage of that ALT (the other ALTs count as REF).
A GWAS-VCF (summary statistics in FORMAT ES/SE/LP) is not genotypes: it is refused with a clear
message (the summary-statistics verbs read it).

Streaming design: opening makes one pass over the records for the variant table (genotype fields
are not unpacked: htslib parses lazily). ``read(block)`` keeps a cursor per thread: a block at or
after the cursor continues sequentially; a block before it (or far ahead, when the file has a
``.csi``/``.tbi`` index) seeks with an indexed region query to the block's first variant. Without
an index a backward block reopens the file and skips forward. So reading consecutive blocks
decodes every record once, and no call decodes the whole file.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.build.check import build_from_contig_lengths, detect_build, resolve_build
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.source import SAMPLE_SCHEMA, VARIANT_SCHEMA, GenotypeSource
from gwaskit.io.vcf_dosage import gp_dosage, gp_variance, gt_dosage

log = logging.getLogger(__name__)

FIELDS = ("GT", "DS", "GP")
#: Skip at most this many records sequentially before seeking through the index instead.
_SEEK_AFTER = 2000


class VcfSource(GenotypeSource):
    """A ``.vcf``, ``.vcf.gz`` or ``.bcf`` file, read in blocks of variants.

    Parameters
    ----------
    path
        The file; an index (``.csi`` or ``.tbi`` beside it) speeds up out-of-order blocks.
    build
        The genome build, when the header does not say it.
    field
        ``"GT"`` (hard calls), ``"DS"`` (dosages) or ``"GP"`` (probabilities); ``None`` picks the
        first of them the header declares.
    """

    def __init__(self, path: Path, *, build: str | None = None, field: str | None = None) -> None:
        self.path = Path(path)
        if field is not None and field not in FIELDS:
            raise ParameterError(f"field must be one of GT, DS, GP, got {field!r}.")
        vcf = self._open()
        try:
            declared = [f for f in FIELDS if _has_format(vcf, f)]
            if not declared and _has_format(vcf, "ES") and _has_format(vcf, "SE"):
                raise InputError(
                    self.path,
                    "is a GWAS-VCF of summary statistics (FORMAT ES/SE), not genotypes; give it "
                    "to the summary-statistics commands (e.g. gwaskit meta) instead.",
                )
            if not declared:
                raise InputError(
                    self.path,
                    "the header declares no GT, DS or GP FORMAT field; gwaskit reads genotypes "
                    "from GT (hard calls), DS (dosages) or GP (genotype probabilities).",
                )
            if field is not None and field not in declared:
                raise InputError(
                    self.path,
                    f"field {field!r} was asked for but the header declares only "
                    f"{', '.join(declared)}.",
                )
            self.field = field or declared[0]
            self._has_gt = "GT" in declared
            self.samples = _samples(self.path, list(vcf.samples))
            raw_chrom, positions, records, self._record, self._allele = _scan_variants(
                self.path, vcf
            )
            self._contig_build = _header_build(vcf)
        finally:
            vcf.close()
        self.variants = records
        #: Per record of the file (before splitting): raw CHROM and POS, for seeking.
        self._raw_chrom = raw_chrom
        self._positions = positions
        self._n_records = positions.size
        n_split = self.n_variants - self._n_records
        if n_split:
            self._notes = {
                "multi-allelic records split": int(np.unique(self._record[self._allele > 1]).size)
            }
            log.info(
                "%s: %d multi-allelic records split into biallelic ones (%d records added)",
                self.path,
                int(np.unique(self._record[self._allele > 1]).size),
                n_split,
            )
        self.build = resolve_build(
            build, self._contig_build or detect_build(self.variants), str(self.path)
        )
        self._indexed = any(
            self.path.with_name(self.path.name + ext).is_file() for ext in (".csi", ".tbi")
        )
        self._local = threading.local()
        self._handles: list[object] = []
        self._lock = threading.Lock()

    # -- opening and cursors -------------------------------------------------------------------

    def _open(self):
        from cyvcf2 import VCF

        if not self.path.is_file():
            raise InputError(self.path, "file not found.")
        if self.path.stat().st_size == 0:
            raise InputError(self.path, "is empty; expected a VCF or BCF file.")
        from cyvcf2.cyvcf2 import set_htslib_log_level

        set_htslib_log_level(0)  # htslib's own warnings and errors: gwaskit reports its own
        try:
            return VCF(str(self.path), lazy=True, threads=None)
        except Exception as exc:  # cyvcf2 raises bare Exception for bad headers
            _diagnose_header(self.path)
            raise InputError(
                self.path,
                f"cannot be opened as VCF/BCF (corrupt, truncated or not a VCF): "
                f"{_first_line(exc)}.",
            ) from None

    def _track(self, vcf):
        with self._lock:
            self._handles.append(vcf)
        return vcf

    def close(self) -> None:
        with self._lock:
            for vcf in self._handles:
                vcf.close()
            self._handles.clear()
        self._local = threading.local()

    def _cursor(self, start: int):
        """A record iterator positioned at variant ``start`` for this thread."""
        state = self._local
        at = getattr(state, "at", None)
        ahead = None if at is None else start - at
        if at is not None and ahead >= 0 and (ahead <= _SEEK_AFTER or not self._indexed):
            for _ in range(ahead):
                self._next(state)
            return state
        if self._indexed:
            self._seek(state, start)
        else:
            self._restart(state)
            for _ in range(start):
                self._next(state)
        return state

    def _restart(self, state) -> None:
        old = getattr(state, "vcf", None)
        if old is not None:
            with self._lock:
                self._handles.remove(old)
            old.close()
        state.vcf = self._track(self._open())
        state.iter = iter(state.vcf)
        state.chrom = None
        state.at = 0

    def _seek(self, state, start: int) -> None:
        """Seek through the index to the first record of ``start``'s chromosome and position."""
        if getattr(state, "vcf", None) is None:
            state.vcf = self._track(self._open())
        chrom, pos = self._raw_chrom[start], int(self._positions[start])
        first = start
        while (
            first > 0 and self._raw_chrom[first - 1] == chrom and self._positions[first - 1] == pos
        ):
            first -= 1
        try:
            records = state.vcf(f"{chrom}:{pos}")
        except Exception as exc:
            raise InputError(
                self.path, f"the index cannot be used ({_first_line(exc)}); re-index it."
            ) from None

        def from_position():
            for record in records:  # the region also returns earlier records that overlap pos
                if pos <= record.POS:
                    yield record
                    break
            yield from records

        state.iter = iter(from_position())
        state.chrom = chrom
        state.at = first
        for _ in range(start - first):
            self._next(state)

    def _next(self, state):
        """The record at ``state.at``; advances. Crosses chromosome ends when seeking by region."""
        try:
            record = next(state.iter, None)
        except Exception as exc:  # htslib read errors surface as bare Exceptions
            raise InputError(
                self.path,
                f"cannot be read at record {state.at + 1} (truncated or corrupt): "
                f"{_first_line(exc)}.",
            ) from None
        if record is None or (
            getattr(state, "chrom", None) is not None and state.chrom != record.CHROM
        ):
            if state.at >= self._n_records:
                raise InputError(self.path, "has more records than on the first pass.")
            if not self._indexed:
                raise InputError(
                    self.path, f"ended early at record {state.at + 1} (truncated or changed)."
                )
            at = state.at
            self._seek(state, at)
            record = next(state.iter, None)
            if record is None:
                raise InputError(self.path, f"record {at + 1} cannot be found through the index.")
        state.at += 1
        return record

    # -- decoding --------------------------------------------------------------------------------

    @property
    def holds_probabilities(self) -> bool:  # type: ignore[override]
        return self.field == "GP"

    def _read(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        return self._read_records(variants, samples, None)

    def _read_with_variance(
        self, variants: np.ndarray, samples: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        variance = np.empty((variants.size, self.n_samples), dtype=np.float32)
        g = self._read_records(variants, samples, variance)
        return g, np.ascontiguousarray(variance.T[samples])

    def _read_records(
        self, variants: np.ndarray, samples: np.ndarray, variance: np.ndarray | None
    ) -> np.ndarray:
        """Dosages ``(samples, variants)``; with ``variance`` ``(variants, n_samples)``, also
        the GP genotype variances into it."""
        out = np.empty((variants.size, self.n_samples), dtype=np.float32)
        if variants.size:
            records = self._record[variants]
            alleles = self._allele[variants]
            order = np.argsort(records, kind="stable")
            sorted_idx = records[order]
            state = self._cursor(int(sorted_idx[0]))
            previous, record = -1, None
            for k, index in zip(order, sorted_idx, strict=True):
                if index != previous:
                    if index - state.at > _SEEK_AFTER and self._indexed:
                        state = self._cursor(int(index))
                    while state.at < index:
                        self._next(state)
                    record = self._next(state)
                    self._check_position(record, int(index))
                    previous = index
                out[k] = self._decode(record, int(alleles[k]))
                if variance is not None:
                    gp = record.format("GP")
                    variance[k] = (
                        np.nan
                        if gp is None
                        else gp_variance(gp, len(record.ALT) + 1, int(alleles[k]))
                    )
        return np.ascontiguousarray(out.T[samples])

    def _check_position(self, record, index: int) -> None:
        if self._positions[index] != record.POS:
            raise InputError(
                self.path,
                f"record {index + 1} is at {record.CHROM}:{record.POS}, not at "
                f"{self._raw_chrom[index]}:{self._positions[index]} as on the first pass; the file "
                "changed while open, or its index does not belong to it.",
            )

    def _decode(self, record, allele: int) -> np.ndarray:
        """Dosages of ALT allele number ``allele`` (1-based) of a record."""
        if self.field == "DS":
            ds = record.format("DS")
            if ds is None or ds.shape[1] < allele:
                return np.full(self.n_samples, np.nan, dtype=np.float32)
            dosage = ds[:, allele - 1].astype(np.float32)
            if self._has_gt:  # a haploid DS is 0..1: put it on the 0..2 scale, as plink2 does
                genotype = record.genotype
                if genotype is not None:
                    array = genotype.array()
                    alleles = array[:, :-1]
                    dosage[(alleles != -2).sum(axis=1) == 1] *= 2
                    # no DS beside a called GT (plink2 writes none where the dosage is the
                    # hard call): the GT's count, as plink2 imports it
                    absent = np.isnan(dosage)
                    if absent.any():
                        dosage[absent] = gt_dosage(array, allele)[absent]
            return dosage
        if self.field == "GP":
            gp = record.format("GP")
            if gp is None:
                return np.full(self.n_samples, np.nan, dtype=np.float32)
            return gp_dosage(gp, len(record.ALT) + 1, allele)
        return gt_dosage(record.genotype.array(), allele)


def _read_text_header(path: Path) -> tuple[list[str], bool]:
    """The ``#`` lines at the top of a text VCF, and whether a record line followed them (else
    the file ended, or could not be decompressed, inside the header)."""
    import gzip
    import zlib

    lines: list[str] = []
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rt", errors="replace") as handle:
            for line in handle:
                if not line.startswith("#"):
                    return lines, True
                lines.append(line.rstrip("\n"))
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error):
        pass  # a damaged file: the caller reports it
    return lines, False


def _diagnose_header(path: Path) -> None:
    """Explain a header htslib rejected, where the reason is a common one."""
    if path.name.lower().endswith(".bcf"):
        return
    header, complete = _read_text_header(path)
    if header and header[0].startswith("#CHROM"):
        raise InputError(
            path,
            "the header has no ##fileformat=VCFv4.x line, which htslib needs to read the file; "
            "add `##fileformat=VCFv4.2` as its first line.",
            line=1,
        )
    chrom_lines = [line for line in header if line.startswith("#CHROM")]
    if not chrom_lines:
        if complete and header and header[0].startswith("##fileformat=VCF"):
            raise InputError(
                path,
                "the header has no #CHROM line (expected #CHROM POS ID REF ALT QUAL FILTER INFO "
                "FORMAT and the sample names, tab-separated, after the ## lines).",
                line=len(header) + 1,
            )
        return
    names = chrom_lines[0].split("\t")[9:]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(
                path,
                f"sample {name!r} appears more than once in the #CHROM line.",
                line=len(header),
            )
        seen.add(name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__


def _has_format(vcf, field: str) -> bool:
    try:
        info = vcf.get_header_type(field)
    except KeyError:
        return False
    return info.get("HeaderType", "FORMAT") == "FORMAT" if isinstance(info, dict) else True


def _samples(path: Path, names: list[str]) -> pl.DataFrame:
    if not names:
        raise InputError(path, "has no samples (no columns after FORMAT in the #CHROM line).")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(path, f"sample {name!r} appears more than once in the #CHROM line.")
        seen.add(name)
    return pl.DataFrame(
        {"fid": names, "iid": names, "sex": np.zeros(len(names), dtype=np.int8)},
        schema=SAMPLE_SCHEMA,
    )


def _scan_variants(path: Path, vcf):
    """One pass over the records: per record its raw CHROM and POS; the variant table with
    multi-allelic records split; per variant its record index and ALT number (1-based)."""
    chrom: list[str] = []
    pos: list[int] = []
    ids: list[str] = []
    ref: list[str] = []
    alt: list[str] = []
    n_alt: list[int] = []
    try:
        for record in vcf:
            alts = record.ALT or ["."]
            chrom.append(record.CHROM)
            pos.append(record.POS)
            ref.append(record.REF)
            alt.extend(alts)
            n_alt.append(len(alts))
            ids.append(record.ID or f"{record.CHROM}:{record.POS}:{record.REF}:{alts[0]}")
    except Exception as exc:  # htslib read errors surface as bare Exceptions / OSError
        raise InputError(
            path,
            f"cannot be read after record {len(chrom)} (truncated or corrupt): {_first_line(exc)}.",
        ) from None
    if not chrom:
        raise InputError(path, "has no variant records.")
    counts = np.array(n_alt, dtype=np.int64)
    record = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    allele = np.arange(record.size, dtype=np.int64) - (np.cumsum(counts) - counts)[record] + 1
    raw_chrom = np.array(chrom, dtype=object)
    variants = pl.DataFrame(
        {
            "chromosome": normalise_chromosomes(pl.Series(chrom, dtype=pl.String)),
            "base_pair_location": np.array(pos, dtype=np.int64),
            "variant_id": ids,
            "other_allele": ref,
        }
    )[record]
    variants = variants.with_columns(pl.Series("effect_allele", alt, dtype=pl.String)).select(
        list(VARIANT_SCHEMA)
    )
    return raw_chrom, np.array(pos, dtype=np.int64), variants, record, allele


_REFERENCE_PATTERNS = (
    (re.compile(r"grch37|hg19|hs37|b37|human_g1k_v37", re.I), "GRCh37"),
    (re.compile(r"grch38|hg38|hs38|b38", re.I), "GRCh38"),
)


def _header_build(vcf) -> str | None:
    """Build from ``##contig`` lengths, else from ``##reference`` or a contig's ``assembly=``."""
    try:
        names, lengths = list(vcf.seqnames), list(vcf.seqlens)
    except Exception:  # no contig lengths in the header
        names, lengths = [], []
    if names and len(names) == len(lengths):
        normal = normalise_chromosomes(pl.Series(names, dtype=pl.String)).to_list()
        found = build_from_contig_lengths(
            {n: int(length) for n, length in zip(normal, lengths, strict=True) if length > 0}
        )
        if found:
            return found
    for line in vcf.raw_header.splitlines():
        if line.startswith(("##reference=", "##assembly=")) or (
            line.startswith("##contig=") and "assembly=" in line
        ):
            for pattern, build in _REFERENCE_PATTERNS:
                if pattern.search(line):
                    return build
    return None
