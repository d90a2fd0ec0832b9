"""Oxford files as the field's tools write them: sample files (``.sample``, IMPUTE2
``.samples``) and genotype files (``.gen``, ``.haps``, ``.hap`` + ``.legend``;
:class:`OxfordSource`).

Layouts read (all seen in files of qctool, bcftools, SAIGE, sgkit and the BGEN examples):

* ``ID_1 ID_2 missing [sex ...]`` then a types row ``0 0 0 [D ...]`` (Oxford v1/v2; ``ID_1`` is
  the FID, ``ID_2`` the IID, as plink2 ``--sample`` reads them);
* ``ID_1 ID_2`` only (SAIGE), or one ID column named ``ID_1``, ``ID`` or ``id`` (the BGEN
  examples, sgkit), with its types row ``0``;
* an IMPUTE2 ``.samples`` list (``sample population group sex``, no types row).

A one-column file gives ``fid = iid``. Sex: ``1``/``M`` male, ``2``/``F`` female, else unknown.
A byte-order mark is dropped.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.source import SAMPLE_SCHEMA, VARIANT_SCHEMA, GenotypeSource
from gwaskit.io.text import decode_text, parse_positions, read_text_lines, split_fields

#: Column types of an Oxford types row (``0`` for the ID and missing columns).
_TYPES = frozenset({"0", "D", "C", "P", "B"})
_ID_NAMES = ("ID_1", "ID", "SAMPLE")


def read_sample_file(path: Path) -> pl.DataFrame:
    """Read an Oxford ``.sample`` (or IMPUTE2 ``.samples``) file into ``fid, iid, sex``."""
    path = Path(path)
    lines = read_text_lines(path, "an Oxford .sample file (ID_1 [ID_2 ...] and a types row)")
    header = lines[0].split()
    if not header or header[0].upper() not in _ID_NAMES:
        raise InputError(
            path,
            f"the header must start with ID_1 (or ID, id, sample), found {lines[0][:40]!r}.",
            line=1,
        )
    second = lines[1].split() if len(lines) > 1 else []
    typed = bool(second) and len(second) == len(header) and set(second) <= _TYPES
    first = 2 if typed else 1
    two_ids = len(header) > 1 and header[1].upper() == "ID_2"
    if header[0].upper() == "SAMPLE" and not typed:  # IMPUTE2: sample population group sex
        two_ids = False
    rows = [line.split() for line in lines[first:]]
    for number, fields in enumerate(rows, start=first + 1):
        if len(fields) != len(header):
            raise InputError(
                path,
                f"expected {len(header)} fields (as the header), found {len(fields)}.",
                line=number,
            )
    if not rows:
        raise InputError(path, "lists no samples.")
    iid = [r[1] if two_ids else r[0] for r in rows]
    fid = [r[0] for r in rows]
    i_sex = next((i for i, h in enumerate(header) if h.lower() == "sex"), None)
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
            path,
            f"sample {fid[i]!r} {iid[i]!r} appears more than once.",
            line=i + first + 1,
        )
    return samples


class OxfordSource(GenotypeSource):
    """An Oxford ``.gen`` (IMPUTE2/qctool/bcftools), a SHAPEIT ``.haps``, or an IMPUTE2
    ``.hap`` with its ``.legend``, plain or gzip-compressed, with the ``.sample``/``.samples``
    beside it (or given as ``sample``).

    * ``.gen``: per variant ``[CHR] SNPID RSID POS A B`` then ``P(AA) P(AB) P(BB)`` per sample;
      the leading 5 or 6 columns are told apart by the sample count. Dosage of B:
      ``P(AB) + 2 P(BB)``; ``0 0 0`` is missing. Without a chromosome column, the chromosome is
      the text before ``:`` of the SNP ID (``X:2698560_G_A``, as bcftools writes it), else ``0``.
    * ``.haps``: ``CHR SNPID [RSID] POS A B`` then two 0/1 haplotypes per sample; dosage of B =
      their sum.
    * ``.hap`` + ``.legend`` (``id position a0 a1`` header): two 0/1 columns per sample, no
      leading columns; chromosome from the ``id`` as for ``.gen``. As bcftools writes them, ``?``
      is a missing allele (the call is NaN), ``-`` an absent second haplotype (a haploid call,
      counted twice as plink2 counts chrX in males) and a ``*`` suffix marks an unphased call.

    Effect allele = B (``a1``), as for BGEN. These text formats are read whole into memory
    when opened (they are exports of small sets; convert large ones to BGEN or PGEN).
    """

    def __init__(self, path: Path, *, build: str | None = None, sample: Path | None = None):
        from gwaskit.build.check import detect_build, resolve_build

        self.path = Path(path)
        name = self.path.name.lower().removesuffix(".gz")
        self.sample_path = sample  # the .sample given, to reopen the file as it was opened
        self.samples = _oxford_samples(self.path, sample)
        n = self.samples.height
        legend = _companion(self.path, ".legend")
        if legend is not None:  # IMPUTE2 .hap + .legend
            lead = 0
            variants = _read_legend(legend)
            per_sample = 2
        else:
            per_sample = 3 if name.endswith(".gen") else 2
            variants = None
        text = _read_maybe_gzip(self.path)
        lines = text.splitlines()
        if not lines:
            raise InputError(self.path, "has no variant lines.")
        n_fields = len(lines[0].split())
        if legend is None:
            lead = n_fields - per_sample * n
            if lead not in (5, 6):
                raise InputError(
                    self.path,
                    f"expected 5 or 6 leading columns and {per_sample} values for each of the "
                    f"{n} samples, found {n_fields} fields.",
                    line=1,
                )
        elif n_fields != per_sample * n:
            raise InputError(
                self.path, f"expected {per_sample * n} haplotype columns, found {n_fields}.", line=1
            )
        table = split_fields(
            self.path, lines, first=0, n_fields=n_fields, layout="the first line", what="variant"
        )
        if per_sample == 2:  # bcftools: ? missing, - absent (haploid), * unphased
            text = text.replace("*", "").replace("?", "nan").replace("-", "-1")
        try:
            values = np.loadtxt(
                io.StringIO(text), usecols=range(lead, n_fields), ndmin=2, dtype=np.float64
            )
        except ValueError as exc:
            raise InputError(self.path, f"holds a value that is not a number ({exc}).") from None
        if legend is None:
            # columns of chromosome, ID, position, A, B (chromosome None: from the ID)
            chrom, vid, pos, a, b = (
                (0, 2, 3, 4, 5)
                if lead == 6
                else (0, 1, 2, 3, 4)
                if per_sample == 2
                else (None, 1, 2, 3, 4)
            )
            chrom_col = _chromosome_from_id(table["f0"]) if chrom is None else table[f"f{chrom}"]
            variants = pl.DataFrame(
                {
                    "chromosome": normalise_chromosomes(chrom_col),
                    "base_pair_location": parse_positions(
                        self.path, table[f"f{pos}"], first_line=1, column="POS"
                    ),
                    "variant_id": table[f"f{vid}"],
                    "effect_allele": table[f"f{b}"],
                    "other_allele": table[f"f{a}"],
                },
                schema=VARIANT_SCHEMA,
            )
        elif variants.height != len(lines):
            raise InputError(
                self.path, f"has {len(lines)} lines but {legend.name} lists {variants.height}."
            )
        self.variants = variants
        per = values.reshape(values.shape[0], n, per_sample)
        if per_sample == 3:
            dosage = per[:, :, 1] + 2.0 * per[:, :, 2]
            dosage[~per.any(axis=2)] = np.nan
        else:
            haploid = per[:, :, 1] == -1  # a male's X: one haplotype, counted twice (plink2)
            dosage = np.where(haploid, 2.0 * per[:, :, 0], per.sum(axis=2))
        self._dosage = np.asfortranarray(dosage.T.astype(np.float32))
        self.build = resolve_build(build, detect_build(self.variants), str(self.path))

    def _read(self, variants: np.ndarray, samples: np.ndarray) -> np.ndarray:
        return np.asfortranarray(self._dosage[np.ix_(samples, variants)])


def _companion(path: Path, suffix: str) -> Path | None:
    """``PREFIX.suffix`` beside ``PREFIX.ext[.gz]``, if it exists."""
    name = path.name.removesuffix(".gz")
    candidate = path.with_name(name[: name.rfind(".")] + suffix) if "." in name else None
    return candidate if candidate is not None and candidate.is_file() else None


def _oxford_samples(path: Path, sample: Path | None) -> pl.DataFrame:
    if sample is not None:
        return read_sample_file(Path(sample))
    for suffix in (".sample", ".samples"):
        found = _companion(path, suffix)
        if found is not None:
            return read_sample_file(found)
    raise InputError(
        path, "has no .sample (or .samples) file beside it; Oxford files need one for sample IDs."
    )


def _read_legend(path: Path) -> pl.DataFrame:
    lines = read_text_lines(path, "an IMPUTE2 .legend (id position a0 a1)")
    header = lines[0].split()
    if header[:4] != ["id", "position", "a0", "a1"]:
        raise InputError(path, "expected the header 'id position a0 a1'.", line=1)
    table = split_fields(
        path, lines, first=1, n_fields=len(header), layout="the header", what="variant"
    )
    return pl.DataFrame(
        {
            "chromosome": normalise_chromosomes(_chromosome_from_id(table["f0"])),
            "base_pair_location": parse_positions(
                path, table["f1"], first_line=2, column="position"
            ),
            "variant_id": table["f0"],
            "effect_allele": table["f3"],
            "other_allele": table["f2"],
        },
        schema=VARIANT_SCHEMA,
    )


def _chromosome_from_id(ids: pl.Series) -> pl.Series:
    """The text before ``:`` of IDs like ``X:2698560_G_A``; ``0`` (unknown) otherwise."""
    return ids.str.extract(r"^([^:]+):[0-9]", 1).fill_null("0")


def _read_maybe_gzip(path: Path) -> str:
    import gzip
    import zlib

    if not path.is_file():
        raise InputError(path, "file not found.")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise InputError(path, "is a truncated or corrupt gzip file.") from None
    return decode_text(path, raw, "an Oxford .gen/.haps file")
