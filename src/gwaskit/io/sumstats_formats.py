"""Reading summary-statistics files of the common formats into SumStats tables.

Formats are recognised from the header: GWAS-SSF, PLINK 2 ``.glm.*`` (effect allele = ``A1``),
REGENIE ``.regenie`` (effect allele = ``ALLELE1``), SAIGE (effect allele = ``Allele2``), GWAMA
inputs (``MARKERNAME EA NEA``), and any other table through a synonym table of header names
(``gwaskit/data/sumstats_columns.yaml``, data rather than code) or an explicit column mapping.
Odds ratios become log odds ratios; ``LOG10P`` columns are kept as ``neg_log_10_p_value`` and
``p_value`` is derived from them, never the other way round. Alleles are upper-cased; METAL's
numeric allele codes (1=A, 2=C, 3=G, 4=T) are translated when a file uses only those.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from gwaskit.errors import InputError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.compression import head_lines, read_text, text_source
from gwaskit.io.text import map_distinct
from gwaskit.stats import LN10, neg_log10_p_from_z

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
)
_COMPLEMENT = str.maketrans("ACGT", "TGCA")
_NUMERIC_ALLELES = {"1": "A", "2": "C", "3": "G", "4": "T"}


@cache
def column_table() -> dict[str, Any]:
    """The header-synonym table shipped with gwaskit (formats and synonyms)."""
    text = resources.files("gwaskit.data").joinpath("sumstats_columns.yaml").read_text()
    return yaml.safe_load(text)


def detect_format(header: list[str]) -> str:
    """Name of the format whose signature columns are all in ``header`` (else ``"table"``)."""
    names = {h.lower() for h in header}
    for name, spec in column_table()["formats"].items():
        if all(s.lower() in names for s in spec["signature"]):
            return name
    return "table"


def map_columns(header: list[str], fmt: str) -> dict[str, str]:
    """Map each header field to a SumStats column name (or omit it when unknown)."""
    table = column_table()
    exact = {k.lower(): v for k, v in table["formats"].get(fmt, {}).get("columns", {}).items()}
    synonyms = {s.lower(): name for name, syns in table["synonyms"].items() for s in syns}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for field in header:
        key = field.lower()
        target = exact.get(key)
        if target is None and fmt not in ("plink2",):
            target = synonyms.get(key) or synonyms.get(key.lstrip("#"))
        if target is None and fmt == "gwas-ssf" and field.isidentifier() and field.islower():
            target = field  # GWAS-SSF's extra columns, e.g. MetaStats' het_q, i2, direction
        if target is None or target == "ignore" or target in taken:
            continue
        mapping[field] = target
        taken.add(target)
    return mapping


def _head(path: Path, n_lines: int = 200) -> list[str]:
    """The first lines of a text file, plain or compressed (decided by its content)."""
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
    lines = pl.read_csv(
        source,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        new_columns=["line"],
        schema_overrides={"line": pl.String},
    )["line"]
    counts = lines.fill_null("").str.count_matches(sep, literal=True) + 1
    bad = counts != n_columns
    if bad.any():
        row = int(bad.arg_true()[0])
        raise InputError(
            path,
            f"expected {n_columns} {_SEPARATOR_NAMES.get(sep, repr(sep))}-separated fields "
            f"(as in the header), found "
            f"{counts[row]}.",
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


def read_sumstats_file(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    n: float | None = None,
    build: str | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Read one summary-statistics file into a SumStats table.

    Parameters
    ----------
    path
        A text table, plain or compressed (gzip, bgzip, zstd; decided by content).
    columns
        Explicit mapping ``{file header: SumStats column}``, overriding the detected format.
    n
        Sample size for every variant when the file has no N column (METAL's DEFAULTWEIGHT).
    build
        Genome build, when the file (or its GWAS-SSF YAML sidecar) does not say.

    Returns
    -------
    table, metadata
        The SumStats table (alleles upper-case, ``beta`` per effect allele on the log-odds
        scale for binary traits, ``neg_log_10_p_value`` filled in log space) and a metadata
        dict with ``format``, ``genome_assembly`` and ``source``.

    Raises
    ------
    InputError
        Naming the file, the line and the column, for a missing mandatory column or a value
        that is not a number.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    head = _head(path, 1)
    header = _split_header(head[0] if head else "")
    fmt = detect_format(header) if columns is None else "mapping"
    mapping = dict(columns) if columns is not None else map_columns(header, fmt)
    unknown = [c for c in mapping if c not in header]
    if unknown:
        raise InputError(path, f"column(s) {', '.join(map(repr, unknown))} not in the header.")
    extra = [c for c in ("A1", "REF", "ALT", "OMITTED", "TEST") if c in header]
    keep = list(dict.fromkeys([*mapping, *extra]))
    strand = tuple(src for src, dst in mapping.items() if dst == "strand")
    numeric = {src: dst for src, dst in mapping.items() if dst in NUMERIC}
    raw = _read_raw(path, numeric, keep, strand)
    lost = [c for c in mapping if c not in raw.columns]
    if lost:
        raise InputError(path, f"cannot read column(s) {', '.join(map(repr, lost))}.", line=1)
    table = raw.select([pl.col(src).alias(dst) for src, dst in mapping.items()])
    if fmt == "plink2":
        table = _plink2_other_allele(raw, table)
    metadata = _sidecar(path)
    if fmt == "regenie" and "TEST" in header:
        keep = raw["TEST"] == "ADD"
        table = table.filter(keep)
    table = _check_and_type(table, path, fmt)
    if n is not None and "n" not in table.columns:
        table = table.with_columns(pl.lit(float(n)).alias("n"))
    declared = build or metadata.get("genome_assembly")
    meta = {"format": fmt, "source": str(path), "genome_assembly": declared}
    return table, meta


def _split_header(line: str) -> list[str]:
    if "\t" in line:
        return line.split("\t")
    if "," in line and " " not in line.strip():
        return line.split(",")
    return line.split()


def _sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + "-meta.yaml")
    if not sidecar.is_file():
        return {}
    try:
        data = yaml.safe_load(sidecar.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(sidecar, f"is not valid YAML: {exc}") from None
    build = str(data.get("genome_assembly", "") or "")
    if build.upper() in ("UNKNOWN", "NR"):  # gwaskit assoc on a file of no known build; SSF's NR
        build = ""
    aliases = {"GRCH37": "GRCh37", "HG19": "GRCh37", "GRCH38": "GRCh38", "HG38": "GRCh38"}
    if build and build.upper() not in aliases:  # an unknown build is not "no build"
        raise InputError(
            sidecar,
            f"genome_assembly must be one of GRCh37, GRCh38 (or hg19, hg38), got {build!r}.",
        )
    return {"genome_assembly": aliases.get(build.upper())} if build else {}


def _plink2_other_allele(raw: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """PLINK 2 reports REF and ALT; the other allele is whichever of them is not A1."""
    a1 = raw["A1"]
    other = pl.select(
        pl.when(a1 == raw["ALT"]).then(raw["REF"]).otherwise(raw["ALT"]).alias("other_allele")
    )["other_allele"]
    if "OMITTED" in raw.columns:
        other = raw["OMITTED"].alias("other_allele")
    return table.with_columns(other)


def _first_bad(values: pl.Series, cast: pl.Series) -> int | None:
    bad = values.is_not_null() & cast.is_null()
    if not bad.any():
        return None
    return int(bad.arg_true()[0])


def _check_and_type(table: pl.DataFrame, path: Path, fmt: str) -> pl.DataFrame:
    has = set(table.columns)
    for allele in ("effect_allele", "other_allele"):
        if allele not in has:
            raise InputError(path, f"no {allele} column found ({fmt} format).", column=allele)
    if "variant_id" not in has and not {"chromosome", "base_pair_location"} <= has:
        raise InputError(
            path, "needs either chromosome and position columns or a variant id column."
        )
    if not ({"beta", "standard_error"} <= has or {"odds_ratio", "standard_error"} <= has) and not (
        has & {"p_value", "neg_log_10_p_value", "z"}
    ):
        raise InputError(path, "needs beta (or OR) and its standard error, or a p-value or z.")
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
                raise InputError(
                    path,
                    f"expected a number, found {text[bad]!r}.",
                    line=bad + 2,
                    column=name,
                )
            col = numeric.alias(name)
        out.append(col)
    table = pl.DataFrame(out)
    # alleles: upper case, METAL numeric codes, strand column
    ea = map_distinct(table["effect_allele"], lambda s: s.str.strip_chars().str.to_uppercase())
    oa = map_distinct(table["other_allele"], lambda s: s.str.strip_chars().str.to_uppercase())
    for name, col in (("effect_allele", ea), ("other_allele", oa)):
        if col.null_count():
            bad = int(col.is_null().arg_true()[0])
            raise InputError(path, "allele is missing.", line=bad + 2, column=name)
    codes = list(_NUMERIC_ALLELES)
    if ea.unique().is_in(codes).all() and oa.unique().is_in(codes).all():
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
        if fmt == "gwas-ssf":  # GWAS-SSF codes X, Y, MT as 23, 24, 25 (PLINK: 25 is XY)
            chrom = chrom.cast(pl.String).replace({"25": "MT"})
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
                line=bad + 2,
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
    return _fill_p(table)


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


def _fill_p(table: pl.DataFrame) -> pl.DataFrame:
    """Fill ``neg_log_10_p_value`` (log space) and ``p_value`` from whatever the file gave."""
    n = table.height
    nlp = (
        table["neg_log_10_p_value"].to_numpy().astype(np.float64)
        if "neg_log_10_p_value" in table.columns
        else np.full(n, np.nan)
    )
    z_known = np.full(n, np.nan)
    if "beta" in table.columns and "standard_error" in table.columns:
        with np.errstate(divide="ignore", invalid="ignore"):
            z_known = table["beta"].to_numpy() / table["standard_error"].to_numpy()
    elif "z" in table.columns:
        z_known = table["z"].to_numpy().astype(np.float64)
    if "p_value" in table.columns:
        p = table["p_value"].to_numpy().astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            from_p = np.where((p > 0) & (p <= 1), -np.log10(p), np.nan)
        # p underflowed to 0: the z statistic still knows how small it is
        from_p = np.where((p == 0) & np.isfinite(z_known), neg_log10_p_from_z(z_known), from_p)
        nlp = np.where(np.isnan(nlp), from_p, nlp)
    nlp = np.where(np.isnan(nlp) & np.isfinite(z_known), neg_log10_p_from_z(z_known), nlp)
    with np.errstate(over="ignore"):
        p_out = np.exp(-nlp * LN10)
    if "p_value" in table.columns:
        p_in = table["p_value"].to_numpy().astype(np.float64)
        p_out = np.where(np.isnan(p_in), p_out, p_in)
    return table.with_columns(pl.Series("neg_log_10_p_value", nlp), pl.Series("p_value", p_out))
