"""Property tests of the frequency comparison and the reference-table reader."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.errors import InputError
from gwaskit.io.eaf_reference import read_eaf_reference
from gwaskit.qc.frequency import compare_with_reference

COMP = {"A": "T", "T": "A", "C": "G", "G": "C"}
pairs = st.sampled_from(["AC", "AG", "CA", "CT", "GA", "GT", "TC", "TG", "AT", "CG"])


@given(
    rows=st.lists(
        st.tuples(pairs, st.floats(0.01, 0.99), st.booleans(), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_compare_with_reference__swaps_and_strands(rows) -> None:
    """A study row whose alleles are the reference's, swapped and/or on the other strand gets
    the reference frequency of its own effect allele; strand flips of non-palindromic SNPs are
    flagged; palindromic SNPs are read on the forward strand."""
    ref = pl.DataFrame(
        {
            "chromosome": ["1"] * len(rows),
            "base_pair_location": np.arange(len(rows), dtype=np.int64) + 1,
            "ref_ea": [p[0] for p, *_ in rows],
            "ref_oa": [p[1] for p, *_ in rows],
            "ref_eaf": [f for _, f, *_ in rows],
        }
    )
    ea, oa, expected, flip_expected = [], [], [], []
    for p, f, swap, flip in rows:
        a, b = (p[1], p[0]) if swap else (p[0], p[1])
        palindromic = COMP[p[0]] == p[1]
        if flip:
            a, b = COMP[a], COMP[b]
        ea.append(a)
        oa.append(b)
        if palindromic:  # forward strand assumed: the flip reads as a swap
            expected.append(f if a == p[0] else 1 - f)
        else:
            expected.append(1 - f if swap else f)
        flip_expected.append(flip and not palindromic)
    table = ref.select("chromosome", "base_pair_location").with_columns(
        effect_allele=pl.Series(ea), other_allele=pl.Series(oa)
    )
    cmp = compare_with_reference(table, ref)
    np.testing.assert_allclose(cmp.reference_eaf, expected, rtol=1e-12)
    assert cmp.strand_flipped.tolist() == flip_expected
    assert not cmp.indel.any()


@settings(max_examples=40, deadline=None)
@given(
    header=st.lists(
        st.sampled_from(["CHR", "POS", "A1", "A2", "AF", "ref", "alt", "x", "#CHROM", "freq"]),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    cells=st.lists(st.text(alphabet="ACGT0123456789.-e ", max_size=5), min_size=6, max_size=6),
)
def test_read_eaf_reference__junk_is_input_error(header, cells) -> None:
    with TemporaryDirectory() as folder:
        path = Path(folder) / "ref.tsv"
        path.write_text("\t".join(header) + "\n" + "\t".join(cells[: len(header)]) + "\n")
        try:
            table = read_eaf_reference(path)
        except InputError as exc:
            assert "ref.tsv" in str(exc)
        else:
            assert table.columns == [
                "chromosome", "base_pair_location", "ref_ea", "ref_oa", "ref_eaf"
            ]  # fmt: skip
