"""Two routes, one answer: with LOCO predictions of exactly 0, the LOCO scan equals the plain
scan (linear t; score test with SPA), and a constant offset shift of a quantitative trait's
prediction changes nothing (the covariates, with their intercept, absorb it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gwaskit.assoc.scan import ScanOptions, run_scan
from gwaskit.io import open_genotypes
from gwaskit.io.loco import LocoPredictions, sample_keys
from gwaskit.wgr.step2 import loco_scan


@pytest.fixture(scope="module")
def example(test_data: Path):
    ex = test_data / "regenie_example"
    source = open_genotypes(ex / "example")
    keys = tuple(sample_keys(source.samples))
    return ex, source, keys


@pytest.mark.parametrize("binary", [False, True])
def test_loco_scan__zero_offsets_equal_plain_scan(example, binary: bool) -> None:
    ex, source, keys = example
    # no Firth: the plain score scan has none (the LOCO scan replaces small p by Firth)
    options = ScanOptions(test="score" if binary else "wald", firth_fallback=False)
    common = dict(
        pheno_name="Y1", covar=ex / "covariates.txt", binary=binary, options=options,
        threads=1, progress=False,
    )  # fmt: skip
    plain = run_scan(source, ex / "phenotype_bin.txt", **common)
    zero = {"Y1": LocoPredictions(keys, ("1",), np.zeros((1, len(keys))))}
    loco = loco_scan(source, ex / "phenotype_bin.txt", zero, **common)
    assert plain.sumstats.height == loco.sumstats.height == 1000
    for column in ("z", "neg_log_10_p_value", "effect_allele_frequency", "n"):
        np.testing.assert_allclose(
            loco.sumstats[column].to_numpy(), plain.sumstats[column].to_numpy(), rtol=1e-9
        )
    if binary:  # the SPA rows are the same rows
        assert (loco.sumstats["method"] == plain.sumstats["method"]).all()
        assert (plain.sumstats["method"] == "score-spa").sum() > 0


def test_loco_scan__constant_offset_changes_nothing(example) -> None:
    ex, source, keys = example
    common = dict(pheno_name="Y1", binary=False, threads=1, progress=False)
    zero = {"Y1": LocoPredictions(keys, ("1",), np.zeros((1, len(keys))))}
    shifted = {"Y1": LocoPredictions(keys, ("1",), np.full((1, len(keys)), 0.7))}
    a = loco_scan(source, ex / "phenotype_bin.txt", zero, **common).sumstats
    b = loco_scan(source, ex / "phenotype_bin.txt", shifted, **common).sumstats
    assert a.height == 1000
    np.testing.assert_allclose(b["z"].to_numpy(), a["z"].to_numpy(), rtol=1e-10)
