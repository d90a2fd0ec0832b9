"""Liftover of summary statistics between genome builds with a UCSC chain file.

Positions are mapped through the chain's aligned blocks (:func:`gwaskit.io.chain.read_chain`)
with one ``np.searchsorted`` per chromosome over all variants. A position on a ``-`` strand
block lands on the reverse strand of the new build: its position counts from the chromosome's
end and its alleles are complemented. Nothing is dropped silently: every row that cannot be
placed is returned with its reason (:data:`REASONS`), as UCSC ``liftOver`` writes its
``unMapped`` file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.build.check import build_from_contig_lengths, normalise_build
from gwaskit.errors import InputError
from gwaskit.io.chain import ChainBlocks
from gwaskit.io.chromosomes import STANDARD, normalise_chromosomes

#: Why a row was not lifted over.
REASONS = {
    "no_position": "no chromosome or base-pair position to lift",
    "chromosome_not_in_chain": "the chain file has no chain from this chromosome",
    "gap": "in a gap of the chain: the position is deleted or changed in the new build",
    "multiple_targets": "the position maps to more than one place in the new build",
    "other_chromosome": "the position maps to another chromosome in the new build",
    "non_primary_contig": "the position maps to an alternate or unplaced contig",
    "indel_minus_strand": (
        "an allele longer than one base on a reverse-strand block: re-anchoring it needs the "
        "new build's sequence"
    ),
}
#: Integer code of each reason (0: mapped).
_CODE = {key: i for i, key in enumerate(REASONS, start=1)}


@dataclass(frozen=True)
class ChainIndex:
    """Aligned blocks per source chromosome (normalised name), sorted by start, split into
    layers of non-overlapping blocks (one layer for a UCSC ``over.chain`` file)."""

    layers: dict[str, list[dict[str, np.ndarray]]]
    query_names: np.ndarray  # query chromosome names (normalised), indexed by ``q_id``
    chain: ChainBlocks = field(repr=False)


@dataclass(frozen=True)
class MappedPositions:
    """Where each input position lands: arrays of the input's length.

    ``chromosome`` (a string Series of normalised names, null where unmapped), ``position`` (1-based, 0 where
    unmapped), ``minus`` (on a reverse-strand block), ``n_hits`` (blocks covering the position),
    ``reason`` (0 when mapped, else the code of a :data:`REASONS` key: its place counted
    from 1).
    """

    chromosome: pl.Series
    position: np.ndarray
    minus: np.ndarray
    n_hits: np.ndarray
    reason: np.ndarray


@dataclass(frozen=True)
class LiftoverResult:
    """The lifted table (input order, unmapped rows removed), the unmapped rows with their
    ``reason`` and ``reason_text``, and counts per reason (``mapped``: rows lifted)."""

    table: pl.DataFrame
    unmapped: pl.DataFrame
    counts: dict[str, int]


def index_chain(chain: ChainBlocks) -> ChainIndex:
    """Index a chain's blocks for :func:`map_positions` (once per chain file)."""
    blocks = chain.blocks.with_columns(
        normalise_chromosomes(chain.blocks["t_chrom"]).alias("t_norm"),
        normalise_chromosomes(chain.blocks["q_chrom"]).alias("q_norm"),
    )
    names, q_id = np.unique(blocks["q_norm"].to_numpy().astype(str), return_inverse=True)
    blocks = blocks.with_columns(pl.Series("q_id", q_id.astype(np.int64)))
    layers: dict[str, list[dict[str, np.ndarray]]] = {}
    for (chrom,), part in blocks.sort("t_start").group_by(["t_norm"], maintain_order=True):
        start = part["t_start"].to_numpy()
        end = start + part["size"].to_numpy()
        layer = _layers(start, end)
        arrays = {
            "t_start": start,
            "end": end,
            "q_start": part["q_start"].to_numpy(),
            "q_size": part["q_size"].to_numpy(),
            "minus": (part["q_strand"] == "-").to_numpy(),
            "q_id": part["q_id"].to_numpy(),
        }
        layers[str(chrom)] = [
            {k: v[layer == i] for k, v in arrays.items()} for i in range(int(layer.max()) + 1)
        ]
    return ChainIndex(layers, names.astype(object), chain)


def _layers(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Assign blocks (sorted by start) to layers in which no two blocks overlap; all in layer 0
    when none overlaps (UCSC ``over.chain`` files). The loop runs per block and only for
    chain files whose blocks overlap."""
    layer = np.zeros(start.size, dtype=np.int64)
    if start.size < 2 or (start[1:] >= np.maximum.accumulate(end)[:-1]).all():
        return layer
    ends: list[int] = []
    for i in range(start.size):
        for k, e in enumerate(ends):
            if e <= start[i]:
                layer[i], ends[k] = k, int(end[i])
                break
        else:
            layer[i] = len(ends)
            ends.append(int(end[i]))
    return layer


def map_positions(
    index: ChainIndex, chromosome: pl.Series, position: np.ndarray
) -> MappedPositions:
    """Map 1-based ``position`` on ``chromosome`` (any naming; normalised here) through a chain.

    Vectorised: one ``np.searchsorted`` per chromosome and layer of blocks. A position covered
    by several blocks is ``multiple_targets``; one falling between blocks is ``gap``.
    """
    n = len(position)
    norm = normalise_chromosomes(chromosome)
    pos = np.asarray(position, dtype=np.float64)
    q_id = np.full(n, -1, dtype=np.int64)
    out_pos = np.zeros(n, dtype=np.int64)
    minus = np.zeros(n, dtype=bool)
    hits = np.zeros(n, dtype=np.int64)
    reason = np.zeros(n, dtype=np.int8)
    valid = np.isfinite(pos) & (pos >= 1) & norm.is_not_null().to_numpy()
    reason[~valid] = _CODE["no_position"]
    t0 = np.where(valid, pos, 1).astype(np.int64) - 1
    groups = (
        pl.DataFrame({"c": norm, "ok": valid})
        .with_row_index("row")
        .filter(pl.col("ok"))
        .group_by("c")
        .agg("row")
    )
    for name, row_list in groups.iter_rows():
        rows = np.asarray(row_list, dtype=np.int64)
        layers = index.layers.get(name)
        if layers is None:
            reason[rows] = _CODE["chromosome_not_in_chain"]
            continue
        x = t0[rows]
        for layer in layers:
            k = np.searchsorted(layer["t_start"], x, side="right") - 1
            kk = np.maximum(k, 0)
            inside = (k >= 0) & (x < layer["end"][kk])
            first = inside & (hits[rows] == 0)
            hits[rows] += inside
            sel, kf = rows[first], kk[first]
            q0 = layer["q_start"][kf] + (x[first] - layer["t_start"][kf])
            strand = layer["minus"][kf]
            out_pos[sel] = np.where(strand, layer["q_size"][kf] - q0, q0 + 1)
            minus[sel] = strand
            q_id[sel] = layer["q_id"][kf]
        reason[rows[hits[rows] == 0]] = _CODE["gap"]
        reason[rows[hits[rows] > 1]] = _CODE["multiple_targets"]
    names = pl.Series([*index.query_names, None], dtype=pl.String)
    out_chrom = names.gather(np.where(q_id >= 0, q_id, len(names) - 1))
    mapped = (reason == 0) & (q_id >= 0)
    standard = np.isin(index.query_names.astype(str), STANDARD)[np.maximum(q_id, 0)]
    reason[mapped & ~standard] = _CODE["non_primary_contig"]
    mapped &= standard
    moved = (out_chrom != norm).fill_null(True).to_numpy()
    reason[mapped & moved] = _CODE["other_chromosome"]
    return MappedPositions(out_chrom, out_pos, minus, hits, reason)


def _complement(values: pl.Expr, *, reverse: bool = True) -> pl.Expr:
    """Complement of allele strings (A<->T, C<->G; upper case), read backwards by default."""
    out = values.str.to_uppercase()
    out = out.str.reverse() if reverse else out
    for base, other in (("A", "t"), ("T", "a"), ("C", "g"), ("G", "c")):
        out = out.str.replace_all(base, other, literal=True)
    return out.str.to_uppercase()


def liftover_sumstats(
    table: pl.DataFrame,
    index: ChainIndex,
    *,
    allow_chromosome_change: bool = False,
) -> LiftoverResult:
    """Lift a SumStats table (GWAS-SSF columns) to the chain's query build.

    Parameters
    ----------
    table
        Needs ``chromosome`` and ``base_pair_location`` (1-based); ``effect_allele`` and
        ``other_allele`` are complemented on reverse-strand blocks, and a ``variant_id`` of the
        form ``CHR:POS...`` is rewritten with the new position.
    index
        :func:`index_chain` of the chain file (source build to target build).
    allow_chromosome_change
        Keep positions mapped to another primary chromosome (default: report them as
        ``other_chromosome``; a GWAS usually keeps the chromosome).

    Returns
    -------
    LiftoverResult
        ``table`` keeps the input's row order and columns, mapped rows only; ``unmapped``
        holds every other row with ``reason`` and ``reason_text`` (and where it would have gone).
    """
    mapped = map_positions(index, table["chromosome"], table["base_pair_location"].to_numpy())
    reason = mapped.reason.copy()
    if allow_chromosome_change:
        reason[reason == _CODE["other_chromosome"]] = 0
    allele_cols = [c for c in ("effect_allele", "other_allele") if c in table.columns]
    if allele_cols:
        long = np.zeros(table.height, dtype=bool)
        for col in allele_cols:
            long |= (table[col].str.len_chars().fill_null(1) > 1).to_numpy()
        reason[(reason == 0) & mapped.minus & long] = _CODE["indel_minus_strand"]
    ok = reason == 0
    work = table.with_columns(
        mapped.chromosome.alias("_new_chrom"),
        pl.Series("_new_pos", mapped.position, dtype=pl.Int64),
        pl.Series("_minus", mapped.minus),
        pl.Series("_reason", reason),
    )
    keep = pl.Series(ok)
    lifted = _apply(work.filter(keep), table, allele_cols)
    labels = {code: key for key, code in _CODE.items()}
    unmapped = (
        work.filter(~keep)
        .with_columns(
            pl.col("_reason").replace_strict(labels, return_dtype=pl.String).alias("reason"),
            pl.col("_reason")
            .replace_strict({c: REASONS[k] for c, k in labels.items()}, return_dtype=pl.String)
            .alias("reason_text"),
            pl.when(pl.col("_new_pos") > 0).then(pl.col("_new_chrom")).alias("target_chromosome"),
            pl.when(pl.col("_new_pos") > 0).then(pl.col("_new_pos")).alias("target_position"),
        )
        .drop("_new_chrom", "_new_pos", "_minus", "_reason")
    )
    counts = {"mapped": lifted.height, "unmapped": unmapped.height}
    tally = np.bincount(reason, minlength=len(REASONS) + 1)
    for key, code in _CODE.items():
        counts[key] = int(tally[code])
    return LiftoverResult(lifted, unmapped, counts)


def _apply(work: pl.DataFrame, table: pl.DataFrame, allele_cols: list[str]) -> pl.DataFrame:
    minus = pl.col("_minus")
    updates = [
        pl.col("_new_chrom").cast(table["chromosome"].dtype).alias("chromosome"),
        pl.col("_new_pos").cast(table["base_pair_location"].dtype).alias("base_pair_location"),
    ]
    for col in allele_cols:
        updates.append(pl.when(minus).then(_complement(pl.col(col))).otherwise(pl.col(col)))
    if "variant_id" in table.columns:
        pattern = r"^(?i:chr)?([0-9XYMT]+)[:_]([0-9]+)(.*)$"
        old = pl.col("variant_id").str.extract_groups(pattern)
        rest = old.struct.field("3")
        rest = pl.when(minus).then(_complement(rest, reverse=False)).otherwise(rest)
        updates.append(
            pl.when(old.struct.field("2").is_not_null())
            .then(pl.format("{}:{}{}", "_new_chrom", "_new_pos", rest))
            .otherwise(pl.col("variant_id"))
            .alias("variant_id")
        )
    return work.with_columns(updates).select(table.columns)


@dataclass(frozen=True)
class Liftover:
    """A chain file ready to lift tables from ``source_build`` to ``target_build``."""

    index: ChainIndex
    source_build: str
    target_build: str
    source: str


def chain_builds(chain: ChainBlocks) -> tuple[str | None, str | None]:
    """The builds a chain lifts from and to, told by the chromosome sizes of its headers."""
    sides = []
    for sizes in (chain.target_sizes, chain.query_sizes):
        names = normalise_chromosomes(pl.Series(list(sizes), dtype=pl.String)).to_list()
        sides.append(build_from_contig_lengths(dict(zip(names, sizes.values(), strict=True))))
    return sides[0], sides[1]


def prepare_liftover(chain: ChainBlocks, *, target_build: str | None = None) -> Liftover:
    """Index a chain and check its builds: its chromosome sizes must be those of GRCh37 on one
    side and GRCh38 on the other, and its target ``target_build`` when that is given; else an
    :class:`~gwaskit.errors.InputError` naming the chain file."""
    target_build = normalise_build(target_build)
    source, target = chain_builds(chain)
    if source is None or target is None or source == target:
        raise InputError(
            chain.source,
            f"the chain's chromosome sizes are those of {source or 'no known build'} -> "
            f"{target or 'no known build'}; expected a chain between GRCh37 and GRCh38 (UCSC "
            "hg19ToHg38.over.chain.gz or hg38ToHg19.over.chain.gz).",
        )
    if target_build is not None and target != target_build:
        raise InputError(
            chain.source,
            f"this chain lifts {source} to {target} (its chromosome sizes), not to "
            f"{target_build}; give the {_ucsc(target)}To{_ucsc(target_build).title()} chain.",
        )
    return Liftover(index_chain(chain), source, target, chain.source)


def _ucsc(build: str) -> str:
    return {"GRCh37": "hg19", "GRCh38": "hg38"}[build]


def lift_study(
    table: pl.DataFrame,
    build: str | None,
    liftover: Liftover,
    *,
    source: str,
    allow_chromosome_change: bool = False,
) -> LiftoverResult | None:
    """Lift a study on ``build`` to ``liftover.target_build``; ``None`` when it is already on
    it. A study on another build than the chain's source (an hg38 -> hg19 chain for a GRCh37
    study) is an :class:`~gwaskit.errors.InputError` naming the chain and the study."""
    if build == liftover.target_build:
        return None
    if build != liftover.source_build:
        raise InputError(
            liftover.source,
            f"the chain lifts {liftover.source_build} to {liftover.target_build} (its "
            f"chromosome sizes) but {source} is on {build or 'an unknown build'}; give the chain "
            f"from the study's build (declare it with --build if it is not detected).",
        )
    return liftover_sumstats(table, liftover.index, allow_chromosome_change=allow_chromosome_change)


def lift_sumstats_to(
    table: pl.DataFrame,
    metadata: dict,
    liftover: Liftover | None,
    *,
    source: str,
) -> tuple[pl.DataFrame, dict, pl.DataFrame | None]:
    """A study read with :func:`gwaskit.io.sumstats.read_sumstats`, lifted to the chain's
    target build when it is on the chain's source build: ``(table, metadata, unmapped)``, the
    metadata's ``genome_assembly`` set to the target and a ``liftover`` record (chain, builds,
    counts) added; ``unmapped`` is ``None`` when nothing was lifted."""
    if liftover is None:
        return table, metadata, None
    result = lift_study(table, metadata.get("genome_assembly"), liftover, source=source)
    if result is None:
        return table, metadata, None
    record = {
        "chain": Path(liftover.source).name,
        "from": liftover.source_build,
        "to": liftover.target_build,
        **result.counts,
    }
    meta = {**metadata, "genome_assembly": liftover.target_build, "liftover": record}
    return result.table, meta, result.unmapped
