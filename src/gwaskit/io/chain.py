"""UCSC chain files (liftOver's ``*.over.chain``, plain or gzip'd) read into one block table.

A chain file is a series of chains, each a header line

    chain score tName tSize tStrand tStart tEnd qName qSize qStrand qStart qEnd id

followed by lines ``size dt dq`` (an aligned block of ``size`` bases, then ``dt`` unaligned
bases on the target and ``dq`` on the query) and a last line ``size``. Coordinates are 0-based,
half-open; the *target* is the build lifted from, the *query* the build lifted to, and query
coordinates of a ``-`` strand chain count from the end of the query chromosome
(https://genome.ucsc.edu/goldenPath/help/chain.html).

:func:`read_chain` returns every aligned block as one row of a table (target chromosome and
start, query chromosome, strand and start in the query strand's coordinates, block size), which
:mod:`gwaskit.build.liftover` searches with ``np.searchsorted``.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError

#: Columns of :attr:`ChainBlocks.blocks`.
BLOCK_COLUMNS = ("t_chrom", "t_start", "size", "q_chrom", "q_strand", "q_start", "q_size", "chain")


@dataclass(frozen=True)
class ChainBlocks:
    """The aligned blocks of a chain file.

    Attributes
    ----------
    blocks
        One row per aligned block: ``t_chrom`` (str), ``t_start`` (0-based), ``size``,
        ``q_chrom``, ``q_strand`` (``"+"``/``"-"``), ``q_start`` (0-based on the query strand:
        from the chromosome's end for ``-``), ``q_size`` (query chromosome length) and
        ``chain`` (the chain's id).
    target_sizes, query_sizes
        Chromosome lengths named in the chain headers (UCSC names, e.g. ``chr1``).
    n_chains
        Number of chains read.
    source
        The file read (for messages).
    """

    blocks: pl.DataFrame
    target_sizes: dict[str, int]
    query_sizes: dict[str, int]
    n_chains: int
    source: str


def _open_text(path: Path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="ascii", errors="replace")
    return open(path, encoding="ascii", errors="replace")


def read_chain(path: str | Path) -> ChainBlocks:
    """Read a UCSC chain file (plain or gzip/bgzip) into its aligned blocks.

    Every header and block line is checked: a header must have 13 fields with integer sizes and
    coordinates and ``+``/``-`` strands, a block line 3 integers (1 for a chain's last block),
    and each chain's blocks and gaps must add up to its ``tEnd - tStart`` and
    ``qEnd - qStart``; anything else raises :class:`~gwaskit.errors.InputError` naming the file
    and line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "chain file not found.")
    t_chrom: list[str] = []
    q_chrom: list[str] = []
    q_strand: list[str] = []
    q_size: list[int] = []
    chain_id: list[int] = []
    # per block: chain index, size, dt, dq (gaps after the block)
    rows: list[tuple[int, int, int]] = []
    owner: list[int] = []
    heads: list[tuple[int, int, int, int, int, int]] = []  # tStart, tEnd, qStart, qEnd, line, n
    target_sizes: dict[str, int] = {}
    query_sizes: dict[str, int] = {}
    open_chain = False
    line_no = 0
    try:
        with _open_text(path) as fh:
            for line_no, line in enumerate(fh, start=1):
                fields = line.split()
                if not fields:
                    continue
                if fields[0] == "chain":
                    if open_chain:
                        raise InputError(
                            path, "chain header before the previous chain's last block.",
                            line=line_no,
                        )  # fmt: skip
                    t_name, t_size, q_name, q_size_, strand, span = _parse_header(
                        path, line_no, fields
                    )
                    target_sizes[t_name] = t_size
                    query_sizes[q_name] = q_size_
                    t_chrom.append(t_name)
                    q_chrom.append(q_name)
                    q_strand.append(strand)
                    q_size.append(q_size_)
                    chain_id.append(span[-1])
                    heads.append((*span[:4], line_no, 0))
                    open_chain = True
                    continue
                if not open_chain:
                    raise InputError(
                        path,
                        f"expected a 'chain' header line, found {line.strip()[:40]!r}; "
                        "not a UCSC chain file.",
                        line=line_no,
                    )
                try:
                    numbers = [int(f) for f in fields]
                except ValueError:
                    numbers = []
                if len(numbers) == 3 and min(numbers) >= 0 and numbers[0] > 0:
                    rows.append((numbers[0], numbers[1], numbers[2]))
                elif len(numbers) == 1 and numbers[0] > 0:
                    rows.append((numbers[0], 0, 0))
                    open_chain = False
                else:
                    raise InputError(
                        path,
                        f"a block line must be 'size dt dq' (3 non-negative integers, size > 0)"
                        f" or a chain's last 'size', found {line.strip()[:40]!r}.",
                        line=line_no,
                    )
                owner.append(len(heads) - 1)
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
        raise InputError(path, f"not a readable chain file ({exc}).") from None
    if open_chain:
        raise InputError(path, "the file ends inside a chain (no last block line).", line=line_no)
    if not heads:
        raise InputError(path, "no 'chain' header line: not a UCSC chain file.")
    blocks = _block_table(path, rows, owner, heads)
    index = blocks["owner"]
    table = pl.DataFrame(
        {
            "t_chrom": np.asarray(t_chrom, dtype=object)[index],
            "t_start": blocks["t_start"],
            "size": blocks["size"],
            "q_chrom": np.asarray(q_chrom, dtype=object)[index],
            "q_strand": np.asarray(q_strand, dtype=object)[index],
            "q_start": blocks["q_start"],
            "q_size": np.asarray(q_size, dtype=np.int64)[index],
            "chain": np.asarray(chain_id, dtype=np.int64)[index],
        },
        schema={
            "t_chrom": pl.String, "t_start": pl.Int64, "size": pl.Int64, "q_chrom": pl.String,
            "q_strand": pl.String, "q_start": pl.Int64, "q_size": pl.Int64, "chain": pl.Int64,
        },
    )  # fmt: skip
    return ChainBlocks(table, target_sizes, query_sizes, len(heads), str(path))


def _parse_header(path: Path, line_no: int, fields: list[str]) -> tuple:
    if len(fields) != 13:
        raise InputError(
            path,
            "a chain header must have 13 fields (chain score tName tSize tStrand tStart tEnd "
            f"qName qSize qStrand qStart qEnd id), found {len(fields)}.",
            line=line_no,
        )
    try:
        t_size, t_start, t_end = int(fields[3]), int(fields[5]), int(fields[6])
        q_size, q_start, q_end = int(fields[8]), int(fields[10]), int(fields[11])
        ident = int(fields[12])
    except ValueError:
        raise InputError(
            path, "chain header sizes, starts, ends and id must be integers.", line=line_no
        ) from None
    if fields[4] != "+" or fields[9] not in ("+", "-"):
        raise InputError(
            path,
            f"chain strands must be tStrand '+' and qStrand '+' or '-', found {fields[4]!r} "
            f"and {fields[9]!r}.",
            line=line_no,
        )
    if not (0 <= t_start <= t_end <= t_size and 0 <= q_start <= q_end <= q_size):
        raise InputError(
            path, "chain header needs 0 <= start <= end <= size on both sides.", line=line_no
        )
    return fields[2], t_size, fields[7], q_size, fields[9], (t_start, t_end, q_start, q_end, ident)


def _block_table(
    path: Path,
    rows: list[tuple[int, int, int]],
    owner: list[int],
    heads: list[tuple[int, int, int, int, int, int]],
) -> dict[str, np.ndarray]:
    """Block starts from the chain starts and the running sums of sizes and gaps."""
    values = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    own = np.asarray(owner, dtype=np.int64)
    size, dt, dq = values[:, 0], values[:, 1], values[:, 2]
    head = np.asarray(heads, dtype=np.int64).reshape(-1, 6)
    first = np.r_[True, own[1:] != own[:-1]]
    # offset of each block from its chain's start: cumulative sum restarted at each chain
    step_t, step_q = size + dt, size + dq
    cum_t, cum_q = np.cumsum(step_t), np.cumsum(step_q)
    start_idx = np.flatnonzero(first)
    base_t = np.repeat(cum_t[start_idx] - step_t[start_idx], np.diff(np.r_[start_idx, own.size]))
    base_q = np.repeat(cum_q[start_idx] - step_q[start_idx], np.diff(np.r_[start_idx, own.size]))
    off_t = cum_t - step_t - base_t
    off_q = cum_q - step_q - base_q
    t_start = head[own, 0] + off_t
    q_start = head[own, 2] + off_q
    # each chain's extent must equal its header's
    last = np.r_[start_idx[1:] - 1, own.size - 1]
    span_t = off_t[last] + size[last]
    span_q = off_q[last] + size[last]
    chains = own[last]
    bad = (span_t != head[chains, 1] - head[chains, 0]) | (
        span_q != head[chains, 3] - head[chains, 2]
    )
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            path,
            f"the chain's blocks and gaps add up to {int(span_t[k])} target / "
            f"{int(span_q[k])} query bases, not the header's tEnd - tStart / qEnd - qStart.",
            line=int(head[chains[k], 4]),
        )
    return {"owner": own, "t_start": t_start, "q_start": q_start, "size": size}
