"""The compiled .bed decoder against bed-reader (``count_A1=True``), the reference decoder.

Files are written here as raw 2-bit codes drawn uniformly from all four codes (so missing calls
are 25%), with random padding bits in the last byte of each row (PLINK writes zeros there; a
reader must ignore them). Comparisons are exact: both sides map each code to one of 2, 1, 0, NaN.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from bed_reader import open_bed
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.io import bed_decode, open_genotypes
from gwaskit.io.bed_decode import BYTE_DOSAGE, CODE_DOSAGE, decode_bed
from packed_helpers import write_random_bed


def bed_reader_dosages(bed: Path, samples=None, variants=None) -> np.ndarray:
    """bed-reader's float32 A1 dosages (its own index arguments; None = all)."""
    with open_bed(bed, count_A1=True, num_threads=1) as reader:
        index = (
            slice(None) if samples is None else samples,
            slice(None) if variants is None else variants,
        )
        return reader.read(index=index, dtype=np.float32, order="F", num_threads=1)


def test_byte_dosage__table_matches_the_codes():
    # 0b10_11_01_00: samples 0..3 have codes 00, 01, 11, 10 -> 2, NaN, 0, 1
    np.testing.assert_array_equal(BYTE_DOSAGE[0b10110100], [2, np.nan, 0, 1])
    np.testing.assert_array_equal(CODE_DOSAGE, [2, np.nan, 1, 0])


@pytest.mark.parametrize("n_samples", [1, 2, 3, 4, 5, 7, 8, 13, 101])
def test_decode_bed__whole_file_matches_bed_reader(tmp_path, n_samples):
    packed = write_random_bed(tmp_path / "x", n_samples, 37, seed=n_samples)
    expected = bed_reader_dosages(tmp_path / "x.bed")
    ours = decode_bed(packed, n_samples)
    assert ours.dtype == np.float32 and ours.flags.f_contiguous
    np.testing.assert_array_equal(ours, expected)
    assert np.isnan(ours).any()  # the data do hold missing calls


@pytest.mark.parametrize("n_samples", [6, 9, 64])
def test_plink_bed_source__unsorted_repeated_indices_match_bed_reader(tmp_path, n_samples):
    write_random_bed(tmp_path / "x", n_samples, 50, seed=7)
    rng = np.random.default_rng(n_samples)
    samples = rng.integers(0, n_samples, 2 * n_samples)  # unsorted, with repeats
    variants = rng.integers(0, 50, 80)
    with open_genotypes(tmp_path / "x.bed") as source:
        ours = source.read(variants, samples)
        reversed_all = source.read(variants[::-1], np.arange(n_samples)[::-1])
    np.testing.assert_array_equal(ours, bed_reader_dosages(tmp_path / "x.bed", samples, variants))
    expected = bed_reader_dosages(tmp_path / "x.bed", np.arange(n_samples)[::-1], variants[::-1])
    np.testing.assert_array_equal(reversed_all, expected)
    assert ours.flags.f_contiguous and reversed_all.flags.f_contiguous


def test_plink_bed_source__empty_selections(tmp_path):
    write_random_bed(tmp_path / "x", 9, 5)
    none = np.array([], dtype=np.int64)
    with open_genotypes(tmp_path / "x.bed") as source:
        for variants, samples, shape in (
            (none, None, (9, 0)),
            (None, none, (0, 5)),
            (none, none, (0, 0)),
            (range(2, 2), np.array([3, 3]), (2, 0)),
        ):
            out = source.read(variants, samples)
            assert out.shape == shape and out.dtype == np.float32


def test_decode_bed__threads_give_the_same_dosages(tmp_path, monkeypatch):
    packed = write_random_bed(tmp_path / "x", 23, 41)
    monkeypatch.setattr(bed_decode, "_MIN_PARALLEL", 1)  # split even this small block
    subset = np.array([22, 0, 5, 5, 11])
    for samples in (None, subset):
        one = decode_bed(packed, 23, None, samples, threads=1)
        two = decode_bed(packed, 23, None, samples, threads=2)
        np.testing.assert_array_equal(one, two)
        np.testing.assert_array_equal(two, bed_reader_dosages(tmp_path / "x.bed", samples))


def test_decode_bed__row_width_and_bounds_are_checked():
    with pytest.raises(ValueError, match="bytes"):
        decode_bed(np.zeros((2, 3), dtype=np.uint8), 13)
    rows = np.zeros((2, 4), dtype=np.uint8)
    for variants, samples in (([2], None), ([-1], None), (None, [13]), (None, [0, -1])):
        with pytest.raises(IndexError):
            decode_bed(rows, 13, None if variants is None else np.array(variants), samples)


@settings(max_examples=40, deadline=None)
@given(
    n_samples=st.integers(1, 40),
    n_variants=st.integers(1, 12),
    data=st.data(),
)
def test_decode_bed__any_shape_and_selection_matches_bed_reader(n_samples, n_variants, data):
    seed = data.draw(st.integers(0, 2**32 - 1))
    samples = data.draw(st.none() | st.lists(st.integers(0, n_samples - 1), max_size=2 * n_samples))
    variants = data.draw(
        st.none() | st.lists(st.integers(0, n_variants - 1), max_size=2 * n_variants)
    )
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder) / "x"
        write_random_bed(prefix, n_samples, n_variants, seed=seed)
        with open_genotypes(prefix.with_suffix(".bed")) as source:
            ours = source.read(variants, samples)
        s = None if samples is None else np.asarray(samples, dtype=np.int64)
        v = None if variants is None else np.asarray(variants, dtype=np.int64)
        if (s is not None and s.size == 0) or (v is not None and v.size == 0):
            # bed-reader needs at least one index; the shape is all there is to compare
            shape = (n_samples if s is None else s.size, n_variants if v is None else v.size)
            assert ours.shape == shape
            return
        expected = bed_reader_dosages(prefix.with_suffix(".bed"), s, v)
    np.testing.assert_array_equal(ours, expected)
    assert ours.flags.f_contiguous
