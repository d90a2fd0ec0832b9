"""LDSC's own files: ``.l2.ldscore[.gz]``, ``.l2.M``, ``.l2.M_5_50`` and ``.sumstats[.gz]``.

Layouts as the ``ldsc`` package reads and writes them (``docs/file_formats_ld.txt``): an LD-score
file is whitespace-separated with a header ``CHR SNP BP`` (older files also ``CM MAF``) and one
column per annotation (``L2`` or ``<name>L2``); ``.M``/``.M_5_50`` hold one line with one number
per annotation. A prefix may name one file, or, with ``@`` in it, one file per chromosome
(``eur_w_ld_chr/@`` reads ``eur_w_ld_chr/1.l2.ldscore.gz`` ... ``22``), as ``--ref-ld-chr``.
A munged ``.sumstats`` file has ``SNP A1 A2 Z N``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.compression import head_lines, read_text
from gwaskit.io.tables import atomic_path
from gwaskit.io.text import split_fields

#: Columns of an LD-score table besides the scores themselves.
ID_COLUMNS = ("CHR", "SNP", "BP")

_CHROMOSOMES = [str(c) for c in range(1, 23)]


def _existing(path: str) -> Path | None:
    for suffix in ("", ".gz", ".bz2"):
        candidate = Path(path + suffix)
        if candidate.is_file():
            return candidate
    return None


def _prefixes(prefix: str | Path) -> list[str]:
    text = str(prefix)
    if "@" not in text:
        return [text]
    found = [text.replace("@", c) for c in _CHROMOSOMES]
    found = [p for p in found if _existing(p + ".l2.ldscore")]
    if not found:
        raise InputError(text, "no per-chromosome LD-score file (1..22) matches this prefix.")
    return found


def _read_text_table(path: Path) -> pl.DataFrame:
    # plain, gzip, bgzip, zstd or bzip2, decided by content; a damaged stream is one error
    lines = read_text(path, "an LDSC table (whitespace-separated, with a header)").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InputError(path, "the file is empty; expected a header line.")
    header = lines[0].split()
    if len(lines) == 1:
        return pl.DataFrame(schema={h: pl.String for h in header})
    tabs = pl.Series(lines[1:], dtype=pl.String).str.count_matches("\t", literal=True)
    if lines[0].split("\t") == header and bool((tabs == len(header) - 1).all()):
        # tab-separated, as ldsc writes: polars' reader (several times faster than splitting)
        return pl.read_csv(
            "\n".join(lines).encode(), separator="\t", infer_schema=False,
            quote_char=None, null_values=None,
        )  # fmt: skip
    fields = split_fields(
        path, lines, first=1, n_fields=len(header), layout="the header", what="data"
    )
    return fields.rename({f"f{i}": h for i, h in enumerate(header)})


def _numbers(path: Path, table: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    out = []
    for name in names:
        column = table[name].replace(".", None)
        cast = column.cast(pl.Float64, strict=False)
        bad = cast.is_null() & column.is_not_null()
        if bad.any():
            i = int(bad.arg_true()[0])
            raise InputError(
                path, f"expected a number, found {column[i]!r}.", line=i + 2, column=name
            )
        out.append(cast)
    return table.with_columns(out)


def read_ldscore_file(path: Path) -> pl.DataFrame:
    """One ``.l2.ldscore[.gz]`` file as ``CHR, SNP, BP, <scores...>`` (Float64 scores)."""
    table = _read_text_table(path)
    missing = [c for c in ID_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            path,
            f"not an LD-score file: no column {', '.join(missing)} in the "
            f"header {' '.join(table.columns)}.",
        )
    table = table.drop([c for c in ("CM", "MAF") if c in table.columns])
    scores = [c for c in table.columns if c not in ID_COLUMNS]
    if not scores:
        raise InputError(path, "no LD-score column after CHR SNP BP.")
    table = _numbers(path, table, scores)
    bp = table["BP"].cast(pl.Int64, strict=False)
    if bp.is_null().any():
        i = int(bp.is_null().arg_true()[0])
        raise InputError(
            path, f"expected a position, found {table['BP'][i]!r}.", line=i + 2, column="BP"
        )
    return table.with_columns(bp)


def read_ld_scores(
    prefix: str | Path, *, m_suffix: str | None = "M_5_50"
) -> tuple[pl.DataFrame, np.ndarray]:
    """LD scores and their ``M`` (summed over files) from a prefix (``@`` for one file per
    chromosome), sorted by chromosome and position with repeated SNP IDs dropped (first kept),
    as LDSC reads them. ``m_suffix=None`` reads no ``M`` (regression-weight LD scores) and
    returns an empty array for it."""
    tables, ms = [], []
    for p in _prefixes(prefix):
        path = _existing(p + ".l2.ldscore")
        if path is None:
            raise InputError(p + ".l2.ldscore.gz", "LD-score file not found.")
        tables.append(read_ldscore_file(path))
        if m_suffix is None:
            continue
        m_path = Path(f"{p}.l2.{m_suffix}")
        if not m_path.is_file():
            raise InputError(m_path, f"the .l2.{m_suffix} file beside the LD scores is missing.")
        text = m_path.read_text().split()
        try:
            ms.append(np.array([float(v) for v in text]))
        except ValueError:
            raise InputError(m_path, f"expected numbers, found {' '.join(text)!r}.") from None
    names = tables[0].columns
    for p, t in zip(_prefixes(prefix), tables, strict=True):
        if t.columns != names:
            raise InputError(p, f"LD-score columns {t.columns} differ from {names}.")
    n_scores = len(names) - 3
    if m_suffix is None:
        ms = [np.zeros(0)]
    for p, mm in zip(_prefixes(prefix), ms, strict=True):
        if m_suffix is not None and mm.size != n_scores:
            raise InputError(
                f"{p}.l2.{m_suffix}",
                f"expected {n_scores} numbers (one per LD-score column), found {mm.size}.",
            )
    table = pl.concat(tables)
    chrom = table["CHR"].cast(pl.Int64, strict=False)
    table = (
        table.with_columns(chrom.fill_null(99).alias("_chr"))
        .sort(["_chr", "BP"], maintain_order=True)
        .drop("_chr")
        .unique(subset="SNP", keep="first", maintain_order=True)
    )
    return table, np.sum(ms, axis=0)


def write_ld_scores(
    table: pl.DataFrame, m: np.ndarray, m_5_50: np.ndarray, prefix: str | Path
) -> list[Path]:
    """Write ``PREFIX.l2.ldscore.gz`` (``CHR SNP BP`` and the scores to 3 decimals, as ldsc),
    ``PREFIX.l2.M`` and ``PREFIX.l2.M_5_50``; return the paths written."""
    prefix = str(prefix)
    text = table.write_csv(separator="\t", float_precision=3)
    paths = [Path(prefix + ".l2.ldscore.gz"), Path(prefix + ".l2.M"), Path(prefix + ".l2.M_5_50")]
    with atomic_path(paths[0]) as tmp:
        tmp.write_bytes(gzip.compress(text.encode(), mtime=0))
    for path, values in zip(paths[1:], (m, m_5_50), strict=True):
        with atomic_path(path) as tmp:
            tmp.write_text("\t".join(_number(v) for v in values) + "\n")
    return paths


def write_ldsc_sumstats(table: pl.DataFrame, path: str | Path) -> Path:
    """Write ``SNP A1 A2 Z N`` as LDSC's munged ``.sumstats.gz`` (tab-separated, gzip)."""
    path = Path(path)
    text = table.select("SNP", "A1", "A2", "Z", "N").write_csv(
        separator="\t", float_precision=None, null_value=""
    )
    with atomic_path(path) as tmp:
        tmp.write_bytes(gzip.compress(text.encode(), mtime=0))
    return path


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def read_ldsc_sumstats(path: str | Path) -> pl.DataFrame:
    """A munged ``.sumstats[.gz]`` file: ``SNP, A1, A2, Z, N`` (A1/A2 optional)."""
    path = Path(path)
    table = _read_text_table(path)
    missing = [c for c in ("SNP", "Z", "N") if c not in table.columns]
    if missing:
        raise InputError(
            path,
            f"not an LDSC .sumstats file: no column {', '.join(missing)} in "
            f"the header {' '.join(table.columns)}.",
        )
    keep = [c for c in ("SNP", "A1", "A2", "Z", "N") if c in table.columns]
    table = table.select(keep).with_columns(
        [table[c].replace(["NA", "", "."], None).alias(c) for c in ("Z", "N")]
    )
    return _numbers(path, table, ["Z", "N"])


def is_ldsc_sumstats(path: str | Path) -> bool:
    """Whether the file's header is LDSC's munged layout (``SNP A1 A2 Z N``, any order)."""
    path = Path(path)
    try:
        header = head_lines(path, 1)[0].split()
    except (InputError, IndexError):
        return False
    return {"SNP", "Z", "N"} <= set(header) and "BETA" not in {h.upper() for h in header}
