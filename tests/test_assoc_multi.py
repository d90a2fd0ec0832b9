"""Several phenotypes in one pass over the genotypes (`run_scans`) give what one scan per
phenotype gives (`run_scan`), including subsets of the samples and haploid X, at one read."""

from __future__ import annotations

import numpy as np
import polars as pl
import polars.selectors
import pytest

from assoc_helpers import write_table
from gwaskit.assoc.multi import run_scans
from gwaskit.assoc.scan import ScanOptions, run_scan
from gwaskit.io import open_genotypes
from test_assoc_plink2 import N_X, x_cohort  # noqa: F401 - the chromosome X cohort fixture


@pytest.fixture(scope="module")
def subtype_pheno(x_cohort):  # noqa: F811
    """CC, Q, and two case subsets of CC sharing its controls (A, B: the other's cases NA)."""
    pheno = pl.read_csv(x_cohort / "pheno.txt", separator=" ")
    rng = np.random.default_rng(3)
    cc = pheno["CC"].to_numpy()
    subset = rng.random(N_X) < 0.5
    a = np.where(cc == 2, np.where(subset, 2.0, np.nan), 1.0)
    b = np.where(cc == 2, np.where(subset, np.nan, 2.0), 1.0)
    path = x_cohort / "subtypes.txt"
    write_table(
        path, pheno["IID"].to_list(), {"CC": cc, "Q": pheno["Q"].to_numpy(), "A": a, "B": b}
    )
    return path


@pytest.mark.parametrize("test", ["wald", "score"])
def test_run_scans__equal_one_scan_per_phenotype(x_cohort, subtype_pheno, test):  # noqa: F811
    names = ["CC", "Q", "A", "B"] if test == "wald" else ["CC", "A", "B"]  # score: binary
    kwargs = dict(covar=x_cohort / "covar.txt", options=ScanOptions(test=test), progress=False)
    together = run_scans(x_cohort / "x.bed", subtype_pheno, pheno_names=names, **kwargs)
    assert len(together) == len(names)
    for name, result in zip(names, together, strict=True):
        alone = run_scan(x_cohort / "x.bed", subtype_pheno, pheno_name=name, **kwargs)
        assert result.sumstats.height == alone.sumstats.height == 50
        assert result.phenotypes.n == alone.phenotypes.n
        floats = polars.selectors.float()
        assert result.sumstats.drop(floats).equals(alone.sumstats.drop(floats)), name
        # the same per-variant fits; blocks of other shapes may sum in another order
        for column in ("beta", "standard_error", "neg_log_10_p_value"):
            np.testing.assert_allclose(
                result.sumstats[column].to_numpy(), alone.sumstats[column].to_numpy(), rtol=1e-9
            )
        assert result.metadata == alone.metadata
    # the subsets: each analyses its own cases and every control
    n = {name: r.phenotypes for name, r in zip(names, together, strict=True)}
    assert n["A"].n_controls == n["B"].n_controls == n["CC"].n_controls
    assert n["A"].n_cases + n["B"].n_cases == n["CC"].n_cases
    assert "chrX" in together[-1].metadata["gwaskit"]


def test_run_scans__reads_each_block_once(x_cohort, subtype_pheno):  # noqa: F811
    reads = []

    def count(source):
        read = source.read

        def counted(variants, sample_index=None):
            reads.append(len(variants))
            return read(variants, sample_index)

        source.read = counted
        return source

    kwargs = dict(covar=x_cohort / "covar.txt", progress=False, threads=1)
    with open_genotypes(x_cohort / "x.bed") as source:
        run_scans(count(source), subtype_pheno, pheno_names=["CC", "Q", "A", "B"], **kwargs)
    together = list(reads)
    reads.clear()
    with open_genotypes(x_cohort / "x.bed") as source:
        for name in ("CC", "Q", "A", "B"):
            run_scan(count(source), subtype_pheno, pheno_name=name, **kwargs)
    assert sum(together) == 50  # every variant read once
    assert sum(reads) >= 4 * 50  # at least once per phenotype


def test_scan_blocks__tasks_pickle_for_a_cluster(x_cohort, subtype_pheno):  # noqa: F811
    import pickle

    from gwaskit.assoc import multi

    captured = []
    real = multi.scan_blocks

    def keep(context, task):
        captured.append((context, task))
        return real(context, task)

    multi.scan_blocks = keep
    try:
        run_scans(
            x_cohort / "x.bed", subtype_pheno, pheno_names=["A", "B"],
            covar=x_cohort / "covar.txt", progress=False, threads=1,
        )  # fmt: skip
    finally:
        multi.scan_blocks = real
    assert len(captured) == 2  # XY and X (no build: all haploid), then chromosome 1
    for context, task in captured:
        here = real(context, task)
        # a copy of the scan's context (a Dask worker's) opens the genotype file itself
        there = real(pickle.loads(pickle.dumps(context)), pickle.loads(pickle.dumps(task)))
        assert len(here) == len(there) == 2
        for a, b in zip(here, there, strict=True):
            np.testing.assert_array_equal(a.beta, b.beta)
