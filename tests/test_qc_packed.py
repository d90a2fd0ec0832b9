"""Counting kernels on packed genotypes: the whole-byte histogram path against counts of the
decoded dosages (bed-reader, the reference decoder) and against the per-sample path."""

from __future__ import annotations

import numpy as np
import pytest
from bed_reader import open_bed

from gwaskit.io import open_genotypes
from gwaskit.qc.packed import (
    HET,
    HOM_A1,
    HOM_A2,
    MISSING,
    allele_counts,
    count_codes,
    count_genotypes,
)
from gwaskit.qc.summary import summarise_genotypes
from packed_helpers import write_random_bed


@pytest.mark.parametrize("n_samples", [1, 3, 4, 15, 16, 17, 203])
def test_count_codes__match_decoded_dosages(tmp_path, n_samples):
    # random padding bits in the last byte must not be counted; 15/16/17 straddle the
    # four-bytes-at-a-time loop
    packed = write_random_bed(tmp_path / "x", n_samples, 29, seed=n_samples)
    with open_bed(tmp_path / "x.bed", count_A1=True, num_threads=1) as reader:
        g = reader.read(dtype=np.float32)
    counts = count_codes(packed, n_samples)
    np.testing.assert_array_equal(counts[:, HOM_A1], (g == 2).sum(0))
    np.testing.assert_array_equal(counts[:, HET], (g == 1).sum(0))
    np.testing.assert_array_equal(counts[:, HOM_A2], (g == 0).sum(0))
    np.testing.assert_array_equal(counts[:, MISSING], np.isnan(g).sum(0))
    a1, called = allele_counts(counts)
    np.testing.assert_array_equal(a1, np.nansum(g, axis=0))
    np.testing.assert_array_equal(called, 2 * (~np.isnan(g)).sum(0))


def test_count_genotypes__one_group_equals_per_sample_counting(tmp_path):
    packed = write_random_bed(tmp_path / "x", 37, 11)
    one = np.zeros(37, dtype=np.int8)
    fast = count_genotypes(packed, one + 1, 3)  # every sample in group 1: whole bytes
    split = one.copy()
    split[::2] = 2  # two groups: sample by sample
    slow = count_genotypes(packed, split, 3)
    np.testing.assert_array_equal(fast[:, 1], slow[:, 0] + slow[:, 2])
    assert not fast[:, [0, 2]].any()
    assert not count_genotypes(packed, one - 1, 3).any()  # all skipped


def test_summarise_genotypes__missing_rate_from_packed_counts(tmp_path):
    write_random_bed(tmp_path / "x", 30, 400)
    with open_genotypes(tmp_path / "x.bed") as source:
        rate = summarise_genotypes(source, threads=2)["missing call rate"]
        expected = np.isnan(source.read()).mean()
    assert rate == pytest.approx(expected, rel=1e-12)  # both exact counts over 12,000 calls
