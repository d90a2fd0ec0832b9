"""Several --covar files merged by sample, and --pcs FILE for an .eigenvec (plink2, plink 1.9,
EIGENSOFT)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from assoc_helpers import simulate_genotypes, write_bed, write_table
from gwaskit.cli import main
from gwaskit.io.covariates import read_eigenvec
from gwaskit.io.sumstats import read_sumstats_parquet

N, M = 300, 40


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(11)
    folder = tmp_path_factory.mktemp("covar")
    g = simulate_genotypes(rng, N, rng.uniform(0.05, 0.5, M))
    iid = write_bed(folder / "g", g)
    age, pcs = rng.normal(50, 10, N), rng.normal(size=(N, 2))
    q = 0.5 * g[:, 1] + 0.02 * age + pcs[:, 0] + rng.normal(size=N)
    write_table(folder / "pheno.txt", iid, {"Q": q})
    sex = rng.integers(1, 3, N).astype(float)
    age_nan, pcs_nan = age.copy(), pcs.copy()
    age_nan[5] = np.nan  # sample s5: no age; s9: not in the PC file
    # one file with every covariate (NA where a file lacks the sample) ...
    pcs_nan[9] = np.nan
    write_table(
        folder / "both.txt",
        iid,
        {"AGE": age_nan, "SEX": sex, "PC1": pcs_nan[:, 0], "PC2": pcs_nan[:, 1]},
    )
    # ... and the same split in two, the second in another order and without s9 (plink2 layout)
    write_table(folder / "a.txt", iid, {"AGE": age_nan, "SEX": sex})
    order = [i for i in rng.permutation(N) if i != 9]
    with open(folder / "b.eigenvec", "w") as out:
        out.write("#FID\tIID\tPC1\tPC2\n")
        for i in order:
            out.write(f"{iid[i]}\t{iid[i]}\t{pcs[i, 0]:.10g}\t{pcs[i, 1]:.10g}\n")
    # the same PCs in plink 1.9's headerless layout and EIGENSOFT's .evec layout
    with open(folder / "b19.eigenvec", "w") as out:
        for i in order:
            out.write(f"{iid[i]} {iid[i]} {pcs[i, 0]:.10g} {pcs[i, 1]:.10g}\n")
    with open(folder / "b.evec", "w") as out:
        out.write("           #eigvals:     3.145     0.479\n")
        for i in order:
            out.write(f"  {iid[i]}:{iid[i]}  {pcs[i, 0]:.10g}  {pcs[i, 1]:.10g}  Control\n")
    return folder


def _assoc(folder, out, *extra):
    argv = ["assoc", str(folder / "g"), "--pheno", str(folder / "pheno.txt"), "--no-progress"]
    assert main([*argv, "--out", str(out), *extra]) == 0
    return read_sumstats_parquet(out.with_name(out.name + ".parquet"))


def test_cli_assoc__two_covar_files_equal_one_file_holding_both(data, tmp_path):
    one, meta1 = _assoc(data, tmp_path / "one", "--covar", str(data / "both.txt"))
    two, meta2 = _assoc(
        data, tmp_path / "two", "--covar", str(data / "a.txt"), "--covar", str(data / "b.eigenvec")
    )
    assert one.height == two.height == M  # every row compared
    assert_frame_equal(one, two)
    assert meta1["gwaskit"]["covariates"] == meta2["gwaskit"]["covariates"]
    assert meta2["gwaskit"]["covariates"] == ["AGE", "SEX", "PC1", "PC2"]
    # s5 (no age) and s9 (not in the PC file) are dropped and counted in both runs
    assert sum(meta1["gwaskit"]["dropped_samples"].values()) == 2
    assert meta2["gwaskit"]["dropped_samples"] == {
        "missing covariate": 1,
        "not in covariate file": 1,
    }
    assert meta2["sample_size"] == N - 2


@pytest.mark.parametrize("pcs_file", ["b.eigenvec", "b19.eigenvec", "b.evec"])
def test_cli_assoc__pcs_file_equals_covar_file(data, tmp_path, pcs_file):
    base, _ = _assoc(
        data, tmp_path / "base", "--covar", str(data / "a.txt"),
        "--covar", str(data / "b.eigenvec"), "--covar-name", "AGE,PC1,PC2",
    )  # fmt: skip
    got, meta = _assoc(
        data, tmp_path / "pcs", "--covar", str(data / "a.txt"), "--covar-name", "AGE",
        "--pcs", str(data / pcs_file),
    )  # fmt: skip
    assert got.height == base.height == M
    assert_frame_equal(got, base)
    assert meta["gwaskit"]["covariates"] == ["AGE", "PC1", "PC2"]


def test_read_eigenvec__eigensoft_smartpca_output(test_data):
    table = read_eigenvec(test_data / "eigensoft_toy" / "example.pca.evec")
    assert table.ids.columns == ["iid"] and table.ids.height == 5
    assert table.values.columns == ["PC1", "PC2"]
    assert table.values.row(0) == ("0.6502", "0.0875")
    assert table.ids["iid"].to_list() == [f"SAMPLE{i}" for i in range(5)]


def test_cli_assoc__covariate_in_two_files_is_an_error_naming_both(data, tmp_path, capsys):
    argv = ["assoc", str(data / "g"), "--pheno", str(data / "pheno.txt"), "--no-progress"]
    argv += ["--covar", str(data / "both.txt"), "--covar", str(data / "a.txt")]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "'AGE'" in err and "both.txt" in err and "a.txt" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_assoc__pcs_n_still_takes_columns_of_covar(data, tmp_path):
    base, _ = _assoc(data, tmp_path / "b", "--covar", str(data / "b.eigenvec"))
    got, _ = _assoc(data, tmp_path / "n", "--covar", str(data / "b.eigenvec"), "--pcs", "2")
    assert got.height == M
    assert_frame_equal(got, base)
    assert pl.Series(got["beta"]).is_not_nan().sum() == M
