"""REGENIE ``.loco`` files: gwaskit's writer and reader round-trip any values and sample IDs,
and the reader turns any junk into an InputError (never a crash)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwaskit.errors import InputError
from gwaskit.io.loco import read_loco, read_pred_list, write_loco_files

ids = st.text(alphabet="abcXYZ019-.", min_size=1, max_size=6)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    samples=st.lists(st.tuples(ids, ids), min_size=1, max_size=8, unique=True),
    n_chrom=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_write_read_loco__round_trip(tmp_path: Path, samples, n_chrom, seed) -> None:
    rng = np.random.default_rng(seed)
    table = pl.DataFrame({"fid": [s[0] for s in samples], "iid": [s[1] for s in samples]})
    loco = rng.normal(size=(n_chrom, len(samples), 2)) * 10.0 ** rng.integers(-8, 3)
    chroms = tuple(["1", "2", "X", "22"][:n_chrom])
    write_loco_files(tmp_path / "fit", table, ("A", "B"), chroms, loco)
    back = read_pred_list(tmp_path / "fit_pred.list")
    assert list(back) == ["A", "B"]
    for j, name in enumerate(("A", "B")):
        assert back[name].chromosomes == tuple(["1", "2", "23", "22"][:n_chrom])
        assert back[name].sample_ids == tuple(f"{f}_{i}" for f, i in samples)
        np.testing.assert_allclose(back[name].values, loco[:, :, j], rtol=1e-14)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet="FID_IID 0123456789.-eNnaX\n\t", max_size=120))
def test_read_loco__junk_is_an_input_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "junk.loco"
    path.write_text(text)
    try:
        loco = read_loco(path)
    except InputError:
        return
    assert loco.values.shape == (len(loco.chromosomes), len(loco.sample_ids))
    assert np.isfinite(loco.values).all()
