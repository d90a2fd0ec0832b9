"""`association_scan` on tables in memory (polars, pandas) gives the numbers of `gwaskit assoc`
on the same data in files; the scan owns its genotype handle (a Dask worker never serves a file
rewritten since an earlier scan); the verb closes the genotype file it opens."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import polars as pl
import pytest

import gwaskit
from assoc_helpers import write_bed, write_table
from gwaskit.cli import main
from gwaskit.io.sumstats import read_sumstats_parquet
from test_engine_dask import scheduler  # noqa: F401 - the cluster fixture

COLUMNS = ("beta", "standard_error", "neg_log_10_p_value", "effect_allele_frequency", "n")


def _cohort(rng: np.random.Generator, n: int = 400, m: int = 60) -> dict:
    maf = rng.uniform(0.02, 0.5, m)
    g = rng.binomial(2, maf, size=(n, m)).astype(float)
    g[rng.random(g.shape) < 0.02] = np.nan
    covar = {"AGE": rng.normal(50, 8, n), "PC1": rng.normal(size=n)}
    eta = -1.0 + 0.5 * np.nan_to_num(g[:, 0]) + 0.4 * covar["PC1"]
    pheno = {
        "CC": (rng.random(n) < 1 / (1 + np.exp(-eta))) + 1.0,  # PLINK 1/2 coding
        "Q": 0.3 * np.nan_to_num(g[:, 1]) + covar["PC1"] + rng.normal(size=n),
    }
    pheno["Q"][3] = np.nan
    return {"g": g, "pheno": pheno, "covar": covar}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    data = _cohort(np.random.default_rng(5))
    iid = write_bed(folder / "c", data["g"])
    # every digit, so the file holds the same numbers as the tables in memory
    write_table(folder / "pheno.txt", iid, data["pheno"], fmt="{:.17g}")
    write_table(folder / "covar.txt", iid, data["covar"], fmt="{:.17g}")
    return folder, iid, data


def _tables(iid, data, order):
    """Phenotype and covariate tables in memory, rows in ``order`` (matching is by ID)."""
    pheno = pl.DataFrame({"FID": iid, "IID": iid, **data["pheno"]})[order]
    covar = pl.DataFrame({"IID": iid, **data["covar"]})[order[::-1]]
    return pheno, covar


@pytest.mark.parametrize(
    ("name", "verb_options", "options"),
    [
        ("CC", ["--test", "score"], {"test": "score"}),
        ("CC", [], {}),
        ("Q", [], {}),
    ],
)
def test_association_scan__tables_equal_the_verb_on_files(
    files, tmp_path, name, verb_options, options
):
    folder, iid, data = files
    code = main(
        [
            "assoc", str(folder / "c"), "--pheno", str(folder / "pheno.txt"), "--pheno-name", name,
            "--covar", str(folder / "covar.txt"), "--out", str(tmp_path / "v"), "--no-progress",
            "--threads", "1", *verb_options,
        ]
    )  # fmt: skip
    assert code == 0
    verb, meta = read_sumstats_parquet(tmp_path / "v.parquet")
    pheno, covar = _tables(iid, data, np.random.default_rng(1).permutation(len(iid)))
    with gwaskit.open_genotypes(folder / "c") as source:
        polars_run = gwaskit.association_scan(
            source, pheno, pheno_name=name, covariates=covar, threads=2, **options
        )
        pandas_run = gwaskit.association_scan(
            source, pheno.to_pandas(), pheno_name=name, covariates=covar.to_pandas(), **options
        )
    for result in (polars_run, pandas_run):
        table = result.sumstats
        assert table.height == verb.height == 60  # rows compared
        assert table["variant_id"].to_list() == verb["variant_id"].to_list()
        assert table["method"].to_list() == verb["method"].to_list()
        for column in COLUMNS:
            # same inputs, same arithmetic: equal up to the order of reassociated sums
            np.testing.assert_allclose(
                table[column].to_numpy(), verb[column].to_numpy(), rtol=1e-12, atol=0
            )
        assert result.metadata["sample_size"] == meta["sample_size"] == 399 + (name == "CC")
        assert result.metadata["gwaskit"]["covariates"] == ["AGE", "PC1"]


def test_align_phenotypes__pandas_index_and_text_covariates(files):
    folder, iid, data = files
    frame = pd.DataFrame({"IID": iid, "T": data["pheno"]["Q"]}, index=np.arange(len(iid)) * 7)
    covar = pd.DataFrame({"IID": iid, "SITE": np.where(np.arange(len(iid)) % 3, "a", "b")})
    with gwaskit.open_genotypes(folder / "c") as source:
        aligned = gwaskit.align_phenotypes(source, frame, covariates=covar)
    assert aligned.n == len(iid) - 1 and aligned.covariate_names == ("SITE=b",)
    assert aligned.dropped["reason"].to_list() == ["missing phenotype"]
    assert aligned.covariates[:, 0].sum() == sum(1 for i in range(len(iid)) if i % 3 == 0) - (
        3 % 3 == 0
    )


def test_assoc_verb__closes_the_genotype_file(files, tmp_path, monkeypatch):
    import gwaskit.io

    folder, _, _ = files
    opened = []
    real = gwaskit.io.open_genotypes

    def recording(*args, **kwargs):
        source = real(*args, **kwargs)
        close = source.close

        def closing():
            opened.append("closed")
            close()

        source.close = closing
        opened.append("opened")
        return source

    monkeypatch.setattr(gwaskit.io, "open_genotypes", recording)
    code = main(
        ["assoc", str(folder / "c"), "--pheno", str(folder / "pheno.txt"), "--out",
         str(tmp_path / "v"), "--no-progress", "--threads", "1"]
    )  # fmt: skip
    assert code == 0 and opened == ["opened", "closed"]


def test_association_scan__dask_workers_read_the_file_of_each_scan(
    tmp_path,
    scheduler,  # noqa: F811
):
    """Two scans on one cluster, the genotype file replaced between them: the second scan's
    workers read the new file (the process-wide cache of old served the first one's)."""
    rng = np.random.default_rng(8)
    first, second = _cohort(rng, n=200, m=40), _cohort(rng, n=200, m=40)
    iid = write_bed(tmp_path / "c", first["g"])
    pheno = pl.DataFrame({"IID": iid, "Q": second["pheno"]["Q"]})
    covar = pl.DataFrame({"IID": iid, "PC1": second["covar"]["PC1"]})

    def scan(engine):
        with gwaskit.open_genotypes(tmp_path / "c") as source:
            result = gwaskit.association_scan(
                source, pheno, covariates=covar, engine=engine, threads=1
            )
            return result.sumstats

    assert scan(scheduler)["beta"].to_numpy() == pytest.approx(
        scan("local")["beta"].to_numpy(), rel=1e-12, nan_ok=True
    )
    write_bed(tmp_path / "new", second["g"])
    for suffix in (".bed", ".bim", ".fam"):  # a new file under the old name (a new inode)
        os.replace((tmp_path / "new").with_suffix(suffix), (tmp_path / "c").with_suffix(suffix))
    remote, local = scan(scheduler), scan("local")
    assert remote.height == local.height == 40  # rows compared
    np.testing.assert_allclose(
        remote["beta"].to_numpy(), local["beta"].to_numpy(), rtol=1e-12, equal_nan=True
    )
