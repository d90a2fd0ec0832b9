"""Opening input files whatever their compression, decided by content (magic bytes), not name.

Every reader of a text table calls :func:`text_source` (or :func:`read_text`): a plain file is
returned as its path (polars maps it), a gzip, BGZF (bgzip, the blocked gzip of htslib),
zstd or bzip2 file is inflated whole and checked to its end, so a truncated or damaged stream is
one :class:`~gwaskit.errors.InputError` naming the file instead of a short table or a
library's exception. :func:`sniff` says what a file holds, which also tells a gwaskit Parquet
table from its ``.tsv.gz`` twin whatever the file is called.

Magic numbers: gzip ``1f 8b`` (RFC 1952, https://doi.org/10.17487/RFC1952); BGZF is a gzip
member with the ``BC`` extra subfield (SAM/BAM specification, section 4.1); zstd frame
``28 b5 2f fd`` (RFC 8878, https://doi.org/10.17487/RFC8878); bzip2 ``BZh``; xz
``fd 37 7a 58 5a 00``; Parquet ``PAR1`` at both ends.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal, NoReturn

from gwaskit.errors import InputError

Kind = Literal["plain", "empty", "gzip", "bgzip", "zstd", "bzip2", "xz", "parquet"]

#: The compressions gwaskit inflates, and the name pyarrow's codec has for each.
_CODECS = {"gzip": "gzip", "bgzip": "gzip", "zstd": "zstd", "bzip2": "bz2"}
#: What each kind is called in messages.
_NAMES = {
    "gzip": "gzip",
    "bgzip": "bgzip (BGZF)",
    "zstd": "zstd",
    "bzip2": "bzip2",
    "xz": "xz",
    "parquet": "Parquet",
}


def sniff(path: str | Path) -> Kind:
    """What ``path`` holds, from its first bytes: ``"gzip"``, ``"bgzip"``, ``"zstd"``,
    ``"bzip2"``, ``"xz"``, ``"parquet"``, ``"empty"`` (no bytes) or ``"plain"`` (anything else).

    Raises :class:`InputError` when the file does not exist or is not a regular file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    with open(path, "rb") as fh:
        head = fh.read(18)
    if not head:
        return "empty"
    if head[:2] == b"\x1f\x8b":
        # BGZF: FLG.FEXTRA set, the first extra subfield is "BC" (SI1=66, SI2=67)
        if len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC":
            return "bgzip"
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"PAR1":
        return "parquet"
    return "plain"


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` is a Parquet file (by its magic bytes, whatever its name)."""
    return sniff(path) == "parquet"


def read_bytes(path: str | Path, what: str = "a text table") -> bytes:
    """The content of ``path``, inflated when it is compressed (gzip, bgzip, zstd, bzip2).

    The whole stream is read and checked (gzip's CRC and length, zstd's frame ends), so a
    truncated or corrupt file raises :class:`InputError` naming the file, its compression and
    ``what`` it should hold; an xz file and a Parquet file where text is expected are errors
    of their own.
    """
    path = Path(path)
    kind = sniff(path)
    if kind in ("plain", "empty"):
        return path.read_bytes()
    if kind not in _CODECS:
        _refuse(path, kind, what)
    import pyarrow as pa

    if kind == "bgzip" and not _ends_with_bgzf_eof(path):
        # a BGZF file cut at a block boundary is still valid gzip: only its end-of-file block
        # (htslib's own check) tells that blocks are missing
        raise InputError(
            path,
            "the bgzip stream is truncated or corrupt (no BGZF end-of-file block); expected "
            f"{what} in a complete bgzip file (check the copy, e.g. with `bgzip -t`).",
        )
    try:
        with pa.input_stream(str(path), compression=_CODECS[kind]) as stream:
            data = stream.read()
    except (OSError, pa.ArrowException) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            path,
            f"the {_NAMES[kind]} stream is truncated or corrupt ({reason}); expected {what} "
            f"in a complete {_NAMES[kind]} file (check the copy, e.g. with `gzip -t` or "
            "`zstd -t`).",
        ) from None
    return data


#: The empty block that ends every BGZF file (SAM/BAM specification, section 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def _ends_with_bgzf_eof(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        if handle.tell() < len(BGZF_EOF):
            return False
        handle.seek(-len(BGZF_EOF), 2)
        return handle.read() == BGZF_EOF


def _refuse(path: Path, kind: Kind, what: str) -> NoReturn:
    """The error for a file that is not text in a compression gwaskit reads."""
    if kind == "parquet":
        raise InputError(path, f"is a Parquet file; expected {what} as text.")
    raise InputError(
        path,
        f"is {_NAMES[kind]}-compressed, which gwaskit does not read; expected {what}, "
        "plain or compressed with gzip, bgzip or zstd.",
    )


def read_text(path: str | Path, what: str = "a text table") -> str:
    """The UTF-8 text of ``path`` (inflated as :func:`read_bytes` does); a byte-order mark
    is dropped. Raises :class:`InputError` for a file that is not UTF-8 text."""
    data = read_bytes(path, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"is not a readable text table: not a text file (no UTF-8 at byte {exc.start}); "
            f"expected {what}.",
        ) from None
    return text.removeprefix("\ufeff")


def text_source(path: str | Path, what: str = "a text table") -> Path | io.BytesIO:
    """What a text reader (``pl.read_csv``) should be given for ``path``: the path itself for a
    plain file, else its inflated, checked content (see :func:`read_bytes`)."""
    path = Path(path)
    kind = sniff(path)
    if kind in ("plain", "empty"):
        return path
    return io.BytesIO(read_bytes(path, what))


def head_lines(path: str | Path, n_lines: int = 200, what: str = "a text table") -> list[str]:
    """The first ``n_lines`` lines of ``path`` (inflated when compressed, without reading the
    whole stream), line ends and a byte-order mark removed.

    Raises :class:`InputError` for a stream damaged within those lines, an xz or Parquet file,
    or content that is not UTF-8 text.
    """
    path = Path(path)
    kind = sniff(path)
    chunk = 1 << 20
    if kind in ("plain", "empty"):
        with open(path, "rb") as fh:
            data = fh.read(chunk)
    elif kind in _CODECS:
        import pyarrow as pa

        try:
            with pa.input_stream(str(path), compression=_CODECS[kind]) as stream:
                data = stream.read(chunk)
        except (OSError, pa.ArrowException) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(
                path,
                f"the {_NAMES[kind]} stream is truncated or corrupt ({reason}); expected "
                f"{what} in a complete {_NAMES[kind]} file.",
            ) from None
    else:
        _refuse(path, kind, what)
    if len(data) == chunk and b"\n" in data:
        data = data[: data.rindex(b"\n")]  # a character cut at the chunk end is not an error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"is not a readable text table: not a text file (no UTF-8 at byte {exc.start}); "
            f"expected {what}.",
        ) from None
    lines = text.removeprefix("\ufeff").splitlines()
    return [line.rstrip("\r\n") for line in lines[:n_lines]]
