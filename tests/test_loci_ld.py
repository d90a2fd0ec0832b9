"""Matching summary statistics to a reference panel's variants."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.loci.ld import match_to_reference

ALLELES = st.sampled_from(["A", "C", "G", "T", "AT", "a", "c"])


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 5), ALLELES, ALLELES, st.booleans()), min_size=1, max_size=12
    )
)
def test_match_to_reference__swaps_give_minus_one_and_unknown_positions_minus_one(rows):
    ref = pl.DataFrame(
        {
            "chromosome": ["1"] * len(rows),
            "base_pair_location": [10 * (i + 1) for i in range(len(rows))],
            "effect_allele": [r[1].upper() for r in rows],
            "other_allele": [r[2].upper() for r in rows],
        }
    )
    table = pl.DataFrame(
        {
            "chromosome": ["1"] * len(rows) + ["2"],
            "base_pair_location": [10 * (i + 1) for i in range(len(rows))] + [10],
            "effect_allele": [r[2] if r[3] else r[1] for r in rows] + ["A"],
            "other_allele": [r[1] if r[3] else r[2] for r in rows] + ["G"],
        }
    )
    index, sign = match_to_reference(table, ref)
    assert index[-1] == -1 and sign[-1] == 0  # chromosome 2 is not in the panel
    for i, (_, a, b, swapped) in enumerate(rows):
        assert index[i] == i
        if a.upper() != b.upper():
            assert sign[i] == (-1.0 if swapped else 1.0)
        else:
            assert sign[i] == 1.0  # A/A: both codings count the same allele
    assert np.all(np.isin(sign, [-1.0, 0.0, 1.0]))


def test_match_to_reference__different_alleles_do_not_match():
    ref = pl.DataFrame(
        {
            "chromosome": ["1"],
            "base_pair_location": [10],
            "effect_allele": ["A"],
            "other_allele": ["G"],
        }
    )
    table = ref.with_columns(pl.lit("T").alias("other_allele"))
    index, sign = match_to_reference(table, ref)
    assert index.tolist() == [-1] and sign.tolist() == [0.0]
