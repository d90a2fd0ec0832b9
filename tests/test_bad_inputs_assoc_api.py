"""Bad tables given to `association_scan`/`align_phenotypes`: one clear error naming the table,
the row and what was expected; never a traceback from deep inside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gwaskit
from gwaskit.errors import GwaskitError, InputError, ParameterError

SAMPLES = pl.DataFrame(
    {"fid": [f"s{i}" for i in range(6)], "iid": [f"s{i}" for i in range(6)], "sex": [0] * 6}
)
IID = [f"s{i}" for i in range(6)]


@pytest.mark.parametrize(
    ("phenotypes", "kwargs", "error", "match"),
    [
        (pl.DataFrame({"ID": IID, "T": [1.0] * 6}), {}, InputError, "needs an IID column"),
        (
            pl.DataFrame({"IID": ["s0", "s1", "s1", "s3", "s4", "s5"], "T": np.arange(6.0)}),
            {},
            InputError,
            r"phenotypes table, line 3: sample 's1' appears more than once \(first on line 2\)",
        ),
        (
            pl.DataFrame({"IID": ["s0", None, "s2", "s3", "s4", "s5"], "T": np.arange(6.0)}),
            {},
            InputError,
            "line 2: sample ID is empty",
        ),
        (pl.DataFrame({"IID": IID, "T": np.arange(6.0)}), {"pheno_name": "U"}, InputError,
         "no phenotype column 'U'"),
        (
            pl.DataFrame({"IID": IID, "T": ["1", "2", "x", "1", "2", "1"]}),
            {},
            InputError,
            r"line 3, column 'T': expected a number",
        ),
        (pl.DataFrame({"IID": IID, "T": [1.0] * 6}), {}, InputError, "constant"),
        (pl.DataFrame({"IID": [f"z{i}" for i in range(6)], "T": np.arange(6.0)}), {}, InputError,
         "no sample is left"),
        (pl.DataFrame({"IID": IID, "FID": IID, "fid": IID, "T": np.arange(6.0)}), {}, InputError,
         "more than one FID or IID column"),
        ({"IID": IID, "T": np.arange(6.0)}, {}, ParameterError, "polars or pandas DataFrame"),
        (pl.DataFrame({"IID": [], "T": []}, schema={"IID": pl.String, "T": pl.Float64}), {},
         InputError, "has no rows"),
    ],
)  # fmt: skip
def test_align_phenotypes__bad_tables(phenotypes, kwargs, error, match):
    with pytest.raises(error, match=match):
        gwaskit.align_phenotypes(SAMPLES, phenotypes, **kwargs)


def test_align_phenotypes__bad_covariate_table_is_named():
    pheno = pd.DataFrame({"IID": IID, "T": np.arange(6.0)})
    covar = pd.DataFrame({"IID": IID, "PC1": [0.1, 0.2, "oops", 0.4, 0.5, 0.6]}, dtype=object)
    with pytest.raises(InputError, match=r"covariates table, line 3, column 'PC1'"):
        gwaskit.align_phenotypes(SAMPLES, pheno, covariates=covar)


def test_association_scan__open_source_required(tmp_path):
    with pytest.raises(ParameterError, match=r"open genotype source, got str\. Open the file"):
        gwaskit.association_scan(str(tmp_path / "c.bed"), pl.DataFrame({"IID": IID}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ids=st.lists(st.sampled_from(["s0", "s1", "s2", "s3", "x", "", " s4"]), min_size=1, max_size=8),
    values=st.lists(
        st.one_of(st.none(), st.floats(allow_nan=True), st.sampled_from(["1", "2", "a", "-9"])),
        min_size=8,
        max_size=8,
    ),
)
def test_align_phenotypes__junk_tables_align_or_raise_gwaskit_error(ids, values):
    """Any table of IDs and values (numbers, text, NaN, nulls) aligns or raises one
    GwaskitError; the samples kept are those with a value, in genotype order."""
    column = values[: len(ids)]
    frame = pl.DataFrame(
        {"IID": ids, "T": pl.Series([None if v is None else str(v) for v in column])}
    )
    try:
        aligned = gwaskit.align_phenotypes(SAMPLES, frame)
    except GwaskitError:
        return
    assert np.all(np.diff(aligned.sample_index) > 0)
    assert aligned.n + aligned.dropped.height >= aligned.n
    assert np.isfinite(aligned.y).all()
