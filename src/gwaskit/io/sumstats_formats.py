"""Parsing a summary-statistics text table and typing its columns as SumStats.

The text table (tab, comma or blank separated, runs of blanks as PLINK 1 aligns them; plain or
gzip) is read with its header; the columns mapped to GWAS-SSF names are typed, every value
checked (a value that is not a number names its file, line, column and value), alleles
upper-cased and the derived columns filled (:mod:`gwaskit.io.sumstats_derive`). Which columns a
file's layout maps, and its effect allele and p scale, come from the layout table
(:mod:`gwaskit.io.sumstats_layouts`); :func:`gwaskit.io.sumstats_reader.read_sumstats_file` ties
the two together. METAL's numeric allele codes (1=A, 2=C, 3=G, 4=T) are translated when a file
uses only those (METAL and unrecognised tables only: REGENIE's and SAIGE's ``1``/``2`` are allele
names).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.compression import head_lines, read_text, text_source
from gwaskit.io.field_counts import first_ragged_line
from gwaskit.io.sumstats_derive import (
    Z_975,
    derive_effects,
    fill_p_values,
)
from gwaskit.io.sumstats_layouts import detect_format as detect_format  # re-exported
from gwaskit.io.sumstats_layouts import format_spec
from gwaskit.io.text import map_distinct

log = logging.getLogger(__name__)

#: Tokens read as missing values (``-`` too, except in a STRAND column, where it is the minus
#: strand).
MISSING_TOKENS = ["NA", "na", "NaN", "nan", "", ".", "N/A", "null", "NULL", "None", "-"]
#: The tokens polars sets to null while reading; ``-`` is set to null afterwards, column by column.
_READ_TOKENS = [t for t in MISSING_TOKENS if t != "-"]
NUMERIC = (
    "base_pair_location",
    "beta",
    "odds_ratio",
    "standard_error",
    "effect_allele_frequency",
    "p_value",
    "neg_log_10_p_value",
    "n",
    "n_cases",
    "n_controls",
    "info",
    "z",
    "ci_lower",
    "ci_upper",
    "chisq",
)
_COMPLEMENT = str.maketrans("ACGT", "TGCA")
_NUMERIC_ALLELES = {"1": "A", "2": "C", "3": "G", "4": "T"}


def _head(path: Path, n_lines: int = 200) -> list[str]:
    """The first lines (all with ``n_lines=-1``) of a text file, plain or compressed (decided
    by its content), a UTF-8 byte-order mark removed."""
    if n_lines < 0:
        return [line.rstrip("\r") for line in read_text(path).splitlines()]
    return head_lines(path, n_lines)


def _read_raw(
    path: Path,
    numeric: dict[str, str] | None = None,
    keep: list[str] | None = None,
    literal: tuple[str, ...] = (),
) -> pl.DataFrame:
    """Read the table, the separator detected from the header line.

    With ``numeric`` (header fields to parse as numbers), those columns are parsed as Float64
    directly (fast path); any other column, and every column on the slow path, as strings.
    ``keep`` restricts the columns read. Files aligned with runs of blanks are normalised to
    single spaces first. ``-`` is a missing value except in the ``literal`` columns (a STRAND
    column, where it is the minus strand).
    """
    head = _head(path)
    if not head or not head[0].strip():
        raise InputError(path, "the header line is empty; expected column names.", line=1)
    header_line = head[0]
    if "\t" in header_line:
        sep = "\t"
    elif "," in header_line and " " not in header_line.strip():
        sep = ","
    else:
        sep = " "
    # plain: the path; compressed (by content): the inflated bytes, checked to the stream's end
    source: Path | io.BytesIO | io.StringIO = text_source(path)
    if sep == " " and any(line != " ".join(line.split()) for line in head):
        text = read_text(path)
        source = io.StringIO("\n".join(" ".join(line.split()) for line in text.splitlines()))
    header = _split_header(header_line)
    if keep is not None and len(set(header)) != len(header):
        keep = None  # duplicated names: let polars rename them, read everything
    if numeric and not isinstance(source, io.StringIO):
        fast = _read_fast(source, sep, numeric, keep, literal)
        if fast is not None:
            _check_field_counts(path, _rewound(source), sep, len(header))
            return fast
    try:
        table = pl.read_csv(
            _rewound(source),
            separator=sep,
            infer_schema=False,
            schema_overrides=dict.fromkeys(numeric, pl.Float64) if numeric else None,
            null_values=_READ_TOKENS,
            comment_prefix=None,
            truncate_ragged_lines=False,
            columns=keep,
        )
        _check_field_counts(path, _rewound(source), sep, len(header))
        return _null_dashes(table, literal)
    except OSError as exc:  # polars: a damaged gzip stream
        raise InputError(path, f"is not a readable text table ({exc}).") from None
    except pl.exceptions.ComputeError:
        if numeric:  # a value that is not a number: reread as text to say where
            return _read_raw(path, None, keep, literal)
        raise InputError(path, f"cannot be parsed as a {sep!r}-separated table.") from None
    except pl.exceptions.PolarsError as exc:
        raise InputError(path, f"cannot be parsed as a {sep!r}-separated table: {exc}") from None


def _rewound(source: Path | io.BytesIO | io.StringIO) -> Path | io.BytesIO | io.StringIO:
    """``source`` ready to be read from its start (an in-memory buffer is rewound)."""
    if not isinstance(source, Path):
        source.seek(0)
    return source


_SEPARATOR_NAMES = {"\t": "tab", ",": "comma", " ": "space"}


def _check_field_counts(
    path: Path, source: Path | io.BytesIO | io.StringIO, sep: str, n_columns: int
) -> None:
    """Every line has as many fields as the header: polars pads a short line with nulls, which
    would silently blank the values a truncated line lost."""
    if isinstance(source, io.StringIO):  # already in memory (spaces normalised)
        source = io.BytesIO(source.getvalue().encode())
    ragged = first_ragged_line(source, sep, n_columns)
    if ragged is not None:
        row, found = ragged
        raise InputError(
            path,
            f"expected {n_columns} {_SEPARATOR_NAMES.get(sep, repr(sep))}-separated fields "
            f"(as in the header), found "
            f"{found}.",
            line=row + 1,
        )


def _null_dashes(table: pl.DataFrame, literal: tuple[str, ...]) -> pl.DataFrame:
    """Set ``-`` to null in the text columns other than ``literal``."""
    fixed = [
        pl.when(pl.col(name) == "-").then(None).otherwise(pl.col(name)).alias(name)
        for name, dtype in table.schema.items()
        if dtype == pl.String and name not in literal and (table[name] == "-").any()
    ]
    return table.with_columns(fixed) if fixed else table


def _read_fast(
    path: Path | io.BytesIO,
    sep: str,
    numeric: dict[str, str],
    keep: list[str] | None,
    literal: tuple[str, ...] = (),
) -> pl.DataFrame | None:
    """Multi-threaded read without per-field null-token matching (which halves polars' speed).

    Numeric columns are parsed as Float64 (NaN spellings, which are null tokens, become null);
    in text columns the null tokens are set to null afterwards. Returns ``None`` when a numeric
    field is not a number (e.g. ``NA``), for the token-aware reader to handle.
    """
    try:
        raw = pl.read_csv(
            path,
            separator=sep,
            infer_schema=False,
            schema_overrides=dict.fromkeys(numeric, pl.Float64),
            comment_prefix=None,
            truncate_ragged_lines=False,
            columns=keep,
        )
    except pl.exceptions.PolarsError:
        return None
    fixed = []
    for name, dtype in raw.schema.items():
        tokens = [t for t in MISSING_TOKENS if t and (t != "-" or name not in literal)]
        if dtype == pl.Float64:
            if raw[name].is_nan().any():
                fixed.append(pl.col(name).fill_nan(None))
        elif raw[name].is_in(tokens).any():
            col = pl.col(name)
            fixed.append(pl.when(col.is_in(tokens)).then(None).otherwise(col).alias(name))
    return raw.with_columns(fixed) if fixed else raw


def checked_build(declared: str | None, found: str | None, path: Path) -> str | None:
    """The build of a summary-statistics file: ``declared`` (the caller's: a ``--build``
    option or a plan's ``consortium.build``) must agree with ``found`` (the file's own
    metadata: GWAS-SSF sidecar or gwaskit Parquet footer); a contradiction is an error,
    never a silent relabelling (positions would be read on the wrong build)."""
    from gwaskit.build.check import normalise_build, resolve_build

    where = "its Parquet metadata" if path.suffix == ".parquet" else f"{path.name}-meta.yaml"
    return resolve_build(
        normalise_build(declared) if declared else None,
        found,
        str(path),
        message=f"{{source}}: {where} says genome build {{found}} but {{declared}} was declared; "
        "lift the file over (`gwaskit liftover`), or fix the declared build or the file's "
        "metadata.",
    )


def _split_header(line: str) -> list[str]:
    if "\t" in line:
        return line.split("\t")
    if "," in line and " " not in line.strip():
        return line.split(",")
    return line.split()


def _first_bad(values: pl.Series, cast: pl.Series) -> int | None:
    bad = values.is_not_null() & cast.is_null()
    if not bad.any():
        return None
    return int(bad.arg_true()[0])


def _check_and_type(
    table: pl.DataFrame,
    path: Path,
    fmt: str,
    header: list[str] | None = None,
    sources: dict[str, str] | None = None,
) -> pl.DataFrame:
    spec = format_spec(fmt)
    lines = table["_line"] if "_line" in table.columns else None
    table = table.drop("_line") if lines is not None else table

    def at(row: int) -> int:
        """The file line of a table row (rows may have been filtered)."""
        return int(lines[row]) if lines is not None else row + 2

    found = f"read as {fmt} format, header found: {' '.join(header or table.columns)!r}"
    has = set(table.columns)
    if "other_allele" not in has and spec.get("other_allele") == "absent":
        log.warning("%s: no other-allele column (%s writes only A1); left empty", path, fmt)
        table = table.with_columns(pl.lit(None, pl.String).alias("other_allele"))
        has.add("other_allele")
    for allele in ("effect_allele", "other_allele"):
        if allele not in has:
            raise InputError(path, f"no {allele} column found ({found}).", column=allele)
    if "variant_id" not in has and not {"chromosome", "base_pair_location"} <= has:
        raise InputError(
            path,
            f"needs either chromosome and position columns or a variant id column ({found}).",
        )
    effect = ({"beta", "odds_ratio"} & has) and (
        {"standard_error", "z", "chisq"} & has or {"ci_lower", "ci_upper"} <= has
    )
    if not effect and not (has & {"p_value", "neg_log_10_p_value", "z"}):
        raise InputError(
            path, f"needs beta (or OR) and its standard error, or a p-value or z ({found})."
        )
    out = []
    for name in table.columns:
        col = table[name]
        if name in NUMERIC and col.dtype == pl.Float64:
            pass
        elif name in NUMERIC:
            text = col.str.strip_chars()
            numeric = text.cast(pl.Float64, strict=False)
            bad = _first_bad(text, numeric)
            if bad is not None:
                src = (sources or {}).get(name, name)
                where = f" in the file's column {src!r}" if src != name else ""
                raise InputError(
                    path,
                    f"expected a number{where}, found {text[bad]!r}.",
                    line=at(bad),
                    column=name,
                )
            col = numeric.alias(name)
        out.append(col)
    table = pl.DataFrame(out)
    # alleles: upper case, METAL numeric codes, strand column
    ea = map_distinct(table["effect_allele"], lambda s: s.str.strip_chars().str.to_uppercase())
    oa = map_distinct(table["other_allele"], lambda s: s.str.strip_chars().str.to_uppercase())
    for name, col in (("effect_allele", ea), ("other_allele", oa)):
        if name == "other_allele" and spec.get("other_allele") == "absent":
            continue
        if col.null_count():
            bad = int(col.is_null().arg_true()[0])
            raise InputError(path, "allele is missing.", line=at(bad), column=name)
    codes = list(_NUMERIC_ALLELES)
    numeric_codes = spec.get("numeric_alleles", fmt in ("table", "mapping"))
    if numeric_codes and ea.unique().is_in(codes).all() and oa.unique().is_in(codes).all():
        ea, oa = ea.replace(_NUMERIC_ALLELES), oa.replace(_NUMERIC_ALLELES)
    if "strand" in table.columns:
        minus = (table["strand"] == "-").fill_null(False)
        ea = pl.select(pl.when(minus).then(_complement(ea)).otherwise(ea))[ea.name]
        oa = pl.select(pl.when(minus).then(_complement(oa)).otherwise(oa))[oa.name]
        table = table.drop("strand")
    table = table.with_columns(ea.alias("effect_allele"), oa.alias("other_allele"))
    if "odds_ratio" in table.columns and "beta" not in table.columns:
        orr = table["odds_ratio"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = np.where(orr > 0, np.log(orr), np.nan)
        table = table.with_columns(pl.Series("beta", beta))
    if "chromosome" in table.columns:
        chrom = table["chromosome"]
        if spec.get("chromosome_codes"):  # the format's own numeric codes (GWAS-SSF 25 = MT)
            chrom = chrom.str.strip_chars().replace(spec["chromosome_codes"])
        table = table.with_columns(normalise_chromosomes(chrom))
    else:
        table = table.with_columns(pl.lit(None, pl.String).alias("chromosome"))
    if "base_pair_location" in table.columns:
        pos = table["base_pair_location"]
        whole = pos.is_null() | (pos == pos.round(0))
        if not whole.all():
            bad = int((~whole).arg_true()[0])
            raise InputError(
                path,
                f"expected a whole-number position, found {pos[bad]!r}.",
                line=at(bad),
                column="base_pair_location",
            )
        table = table.with_columns(pl.col("base_pair_location").cast(pl.Int64, strict=False))
    else:
        table = table.with_columns(pl.lit(None, pl.Int64).alias("base_pair_location"))
    if "rsid" not in table.columns and "variant_id" in table.columns:
        vid = table["variant_id"]
        table = table.with_columns(
            pl.when(vid.str.starts_with("rs")).then(vid).otherwise(None).alias("rsid")
        )
    ci_z, ci_width = float(spec.get("ci_z", Z_975)), spec.get("ci_width", "full")
    table = derive_effects(table, ci_z=ci_z, ci_width=ci_width)
    return fill_p_values(table.drop("chisq") if "chisq" in table.columns else table)


def _complement(s: pl.Series) -> pl.Series:
    """The allele on the other strand: reverse complement (a SNP's complement)."""
    return (
        s.str.replace_all("A", "t")
        .str.replace_all("T", "a")
        .str.replace_all("C", "g")
        .str.replace_all("G", "c")
        .str.to_uppercase()
        .str.reverse()
    )
