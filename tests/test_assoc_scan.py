"""The scan driver and `gwaskit assoc`: outputs, invariances, user errors, real data."""

from __future__ import annotations

import gzip

import numpy as np
import polars as pl
import polars.selectors
import pytest
import yaml

from assoc_helpers import simulate_genotypes, write_bed, write_table
from gwaskit.assoc.scan import ScanOptions, run_scan, split_where_changes
from gwaskit.cli import main
from gwaskit.io.chromosomes import haploid_x
from gwaskit.io.sumstats import read_sumstats_parquet


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    rng = np.random.default_rng(7)
    folder = tmp_path_factory.mktemp("scan")
    n = 600
    mafs = rng.uniform(0.02, 0.5, 120)
    mafs[3] = 0.3
    g = simulate_genotypes(rng, n, mafs, missing_rate=0.01)
    pcs = rng.normal(size=(n, 3))
    case = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 1.0 * np.nan_to_num(g[:, 3]) + pcs[:, 0])))
    iid = write_bed(folder / "c", g)
    write_table(folder / "pheno.txt", iid, {"CC": case + 1.0, "Q": pcs[:, 1] + rng.normal(size=n)})
    # a covariate file in plink2 --pca's .eigenvec layout
    with open(folder / "c.eigenvec", "w") as out:
        out.write("#FID\tIID\tPC1\tPC2\tPC3\n")
        for i, s in enumerate(iid):
            out.write(f"{s}\t{s}\t" + "\t".join(f"{v:.8f}" for v in pcs[i]) + "\n")
    return folder, g, case


def _scan(folder, **kwargs):
    kwargs.setdefault("covar", folder / "c.eigenvec")
    options = ScanOptions(**kwargs.pop("options", {}))
    return run_scan(
        folder / "c", folder / "pheno.txt", options=options, progress=False, **kwargs
    ).sumstats


def test_cli_assoc__writes_parquet_tsv_and_sidecar(small, tmp_path):
    folder, _, case = small
    prefix = tmp_path / "out"
    code = main(
        [
            "assoc", str(folder / "c"), "--pheno", str(folder / "pheno.txt"), "--pheno-name",
            "CC", "--covar", str(folder / "c.eigenvec"), "--pcs", "2",
            "--out", str(prefix), "--no-progress", "--threads", "2",
        ]
    )  # fmt: skip
    assert code == 0
    table, meta = read_sumstats_parquet(tmp_path / "out.parquet")
    assert table.height == 120 and meta["case_count"] == int(case.sum())
    assert meta["gwaskit"]["covariates"] == ["PC1", "PC2"]
    assert meta["gwaskit"]["dropped_samples"] == {}
    sidecar = yaml.safe_load((tmp_path / "out.tsv.gz-meta.yaml").read_text())
    # GWAS-SSF metadata: the counts under samples (the GWAS Catalog's metadata model)
    assert sidecar["samples"][0]["control_count"] == int((~case).sum())
    assert sidecar["analysis_software"].startswith("gwaskit")
    with gzip.open(tmp_path / "out.tsv.gz", "rt") as handle:
        header = handle.readline().rstrip("\n").split("\t")
    for column in ("beta", "neg_log_10_p_value", "n_cases", "method", "odds_ratio", "z"):
        assert column in header
    assert "reason" in table.columns  # the reasons: in the Parquet and the side table
    assert (tmp_path / "out.untested.tsv.gz").is_file()
    assert table.filter(pl.col("variant_id") == "v3")["neg_log_10_p_value"][0] > 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--pheno-name", "NOPE"], "no phenotype column 'NOPE'"),
        (["--pheno-name", "CC,NOPE"], "no phenotype column 'NOPE'"),  # after CC's scan
        (["--pheno-name", "CC,CC"], "repeats a column"),
        (["--extract", "/nonexistent/list.txt"], "variant list not found"),
        (["--keep", "/nonexistent/list.txt"], "sample list not found"),
        (["--covar-name", "PC9"], "no covariate column 'PC9'"),
        (["--pcs", "4"], "no covariate column 'PC4'"),
        (["--pheno-name", "Q", "--model", "logistic"], "needs a case/control phenotype"),
        (["--test", "score", "--pheno-name", "Q"], "needs --model logistic"),
    ],
)
def test_cli_assoc__user_errors_exit_2_and_leave_nothing(small, tmp_path, capsys, extra, message):
    folder, _, _ = small
    argv = ["assoc", str(folder / "c"), "--pheno", str(folder / "pheno.txt")]
    argv += ["--covar", str(folder / "c.eigenvec"), "--out", str(tmp_path / "o"), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_cli_assoc__several_phenotypes_one_output_each(small, tmp_path):
    folder, _, _ = small
    argv = ["assoc", str(folder / "c"), "--pheno", str(folder / "pheno.txt"), "--no-progress"]
    argv += ["--covar", str(folder / "c.eigenvec"), "--out", str(tmp_path / "o")]
    assert main([*argv, "--pheno-name", "CC,Q"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    outputs = sorted(
        f"o.{pheno}.{suffix}"
        for pheno in ("CC", "Q")
        for suffix in ("parquet", "tsv.gz", "tsv.gz-meta.yaml", "untested.tsv.gz")
    )
    assert names == [*outputs, "o.log"]
    for pheno, method in (("CC", "logistic"), ("Q", "linear")):
        table, meta = read_sumstats_parquet(tmp_path / f"o.{pheno}.parquet")
        assert meta["gwaskit"]["phenotype"] == pheno
        assert table.equals(_scan(folder, pheno_name=pheno)), pheno
        assert table["method"][0] == method


def test_run_scan__blocks_and_threads_do_not_change_results(small):
    folder, _, _ = small
    whole = _scan(folder, pheno_name="CC", threads=1)
    chunked = _scan(folder, pheno_name="CC", threads=2, block_bytes=600 * 8 * 2 * 7)
    # the same per-variant fits; BLAS may sum in another order for another block shape
    assert chunked.drop(pl.selectors.float()).equals(whole.drop(pl.selectors.float()))
    for column in ("beta", "standard_error", "neg_log_10_p_value"):
        np.testing.assert_allclose(chunked[column].to_numpy(), whole[column].to_numpy(), rtol=1e-9)


def test_run_scan__sample_order_and_allele_flip(small, tmp_path):
    folder, g, _case = small
    rng = np.random.default_rng(3)
    order = rng.permutation(g.shape[0])
    # the same people in another order, with the alleles swapped (dosage 2 - g)
    iid = [f"s{i}" for i in order]
    from bed_reader import to_bed

    to_bed(
        tmp_path / "c.bed",
        (2.0 - g[order]).astype(np.float32),
        properties={
            "fid": iid, "iid": iid, "sid": [f"v{j}" for j in range(g.shape[1])],
            "chromosome": ["1"] * g.shape[1], "bp_position": np.arange(1, g.shape[1] + 1) * 100,
            "allele_1": ["G"] * g.shape[1], "allele_2": ["A"] * g.shape[1],
        },
        count_A1=True,
    )  # fmt: skip
    ours = _scan(folder, pheno_name="CC")
    flipped = run_scan(
        tmp_path / "c",
        folder / "pheno.txt",
        pheno_name="CC",
        covar=folder / "c.eigenvec",
        progress=False,
    ).sumstats
    ok = ours["reason"].is_null().to_numpy()
    # the same fits, each stopped when its Newton step is below 1e-6 (the SE comes from the
    # information one step before the estimate): 1e-5 relative
    np.testing.assert_allclose(
        flipped["beta"].to_numpy()[ok], -ours["beta"].to_numpy()[ok], rtol=1e-7, atol=1e-10
    )
    np.testing.assert_allclose(
        flipped["neg_log_10_p_value"].to_numpy()[ok],
        ours["neg_log_10_p_value"].to_numpy()[ok],
        rtol=1e-5,
    )
    assert flipped["effect_allele"].unique().to_list() == ["G"]


@pytest.mark.parametrize(
    ("options", "methods"),
    [
        ({"test": "score"}, {"score", "score-spa"}),
        ({"test": "score", "spa": False}, {"score"}),
        ({"test": "trend"}, {"trend"}),
        ({"test": "allelic"}, {"allelic"}),
        ({"test": "firth"}, {"firth"}),
        ({"test": "wald", "firth_fallback": False}, {"logistic"}),
    ],
)
def test_run_scan__every_test_records_its_method(small, options, methods):
    folder, _, _ = small
    table = _scan(folder, pheno_name="CC", options=options)
    # every variant tested (none left without a method) and only by the methods of this test
    assert table.height == 120 and table["method"].null_count() == 0
    assert set(table["method"].unique()) <= methods
    top = table.sort("neg_log_10_p_value", descending=True, nulls_last=True)["variant_id"][0]
    assert top == "v3"  # the planted variant leads whatever the test


def test_cli_assoc__declared_quantitative_01_trait_runs_linear(small, tmp_path):
    folder, _, _ = small
    argv = ["assoc", str(folder / "c"), "--pheno", str(folder / "pheno.txt"), "--pheno-name"]
    argv += ["CC", "--pheno-type", "quantitative", "--out", str(tmp_path / "q"), "-q"]
    assert main(argv) == 0
    table, meta = read_sumstats_parquet(tmp_path / "q.parquet")
    assert meta["gwaskit"]["model"] == "linear" and meta["case_count"] is None
    assert set(table["method"].unique()) == {"linear"}


def test_run_scan__maf_filter_and_linear(small):
    folder, _, _ = small
    table = _scan(folder, pheno_name="Q", options={"maf": 0.1})
    maf = np.minimum(table["effect_allele_frequency"], 1 - table["effect_allele_frequency"])
    assert (maf >= 0.1).all() and 0 < table.height < 120
    assert set(table["method"].unique()) == {"linear"} and "n_cases" not in table.columns


def test_run_scan__asthma_rs1422993_dominant_matches_published(test_data, tmp_path):
    """SNPassoc vignette: dominant model (GT+TT vs GG), unadjusted, OR 1.39, P = 0.0078;
    PROVENANCE.md verified OR 1.387 (95% CI 1.09-1.77), Wald P 0.00775 on 1,578 people."""
    asthma = pl.read_csv(
        test_data / "snpassoc_asthma_hapmap" / "asthma.tsv", separator="\t", null_values="NA"
    )
    genotype = asthma["rs1422993"]
    dominant = np.where(genotype.is_null(), np.nan, (genotype != "GG").cast(pl.Float64))
    iid = write_bed(tmp_path / "asthma", dominant[:, None])
    write_table(
        tmp_path / "pheno.txt", iid, {"asthma": asthma["casecontrol"].to_numpy().astype(float)}
    )
    table = run_scan(tmp_path / "asthma", tmp_path / "pheno.txt", progress=False).sumstats
    row = table.row(0, named=True)
    assert row["n"] == 1578 and row["n_cases"] == 340 and row["method"] == "logistic"
    # the published values are given to 3-4 digits
    assert row["odds_ratio"] == pytest.approx(1.387, abs=0.0015)
    assert row["p_value"] == pytest.approx(0.00775, abs=0.00005)


def test_haploid_x__pseudo_autosomal_regions_by_build():
    chromosome = np.array(["X"] * 6 + ["1"])
    position = np.array([60_000, 60_001, 2_699_520, 2_699_521, 154_931_043, 154_931_044, 5])
    assert haploid_x(chromosome, position, "GRCh37").tolist() == [1, 0, 0, 1, 1, 0, 0]
    # GRCh38's PAR1 is 10,001-2,781,479: 60,000 and 2,699,521 are in it
    assert haploid_x(chromosome, position, "GRCh38").tolist() == [0, 0, 0, 0, 1, 1, 0]
    assert haploid_x(chromosome, position, None).tolist() == [1, 1, 1, 1, 1, 1, 0]


@pytest.mark.parametrize(
    ("variants", "flag", "parts"),
    [
        (range(1, 5), [0, 0, 1, 1, 0, 0], [(1, 2, False), (2, 4, True), (4, 5, False)]),
        (range(0, 3), [1, 1, 1], [(0, 3, True)]),
        (range(2, 4), [1, 0, 1, 0], [(2, 3, True), (3, 4, False)]),
    ],
)
def test_split_where_changes__cuts_where_the_flag_changes(variants, flag, parts):
    got = split_where_changes(variants, np.array(flag, dtype=bool))
    assert [(r.start, r.stop, on) for r, on in got] == parts


def test_cli_assoc__sample_and_variant_lists_equal_a_subset_fileset(small, tmp_path):
    """--keep/--remove/--extract/--exclude give the numbers of a scan of the subset written
    as its own fileset (as `plink2 --keep --extract --make-bed` would write it)."""
    from bed_reader import to_bed

    folder, g, _ = small
    n, m = g.shape
    iid = [f"s{i}" for i in range(n)]
    (tmp_path / "keep.txt").write_text("".join(f"s{i} s{i}\n" for i in range(450)))
    (tmp_path / "remove.txt").write_text("s3\ns7\n")  # IID only
    (tmp_path / "extract.txt").write_text("".join(f"v{j}\n" for j in range(0, m, 2)))
    (tmp_path / "exclude.txt").write_text("v4\n")
    rows = [i for i in range(450) if i not in (3, 7)]
    cols = [j for j in range(0, m, 2) if j != 4]
    to_bed(
        tmp_path / "sub.bed",
        g[np.ix_(rows, cols)].astype(np.float32),
        properties={
            "fid": [iid[i] for i in rows],
            "iid": [iid[i] for i in rows],
            "sid": [f"v{j}" for j in cols],
            "chromosome": ["1"] * len(cols),
            "bp_position": (np.array(cols) + 1) * 100,
            "allele_1": ["A"] * len(cols),
            "allele_2": ["G"] * len(cols),
        },
        count_A1=True,
    )
    argv = ["assoc", "--pheno", str(folder / "pheno.txt"), "--pheno-name", "CC"]
    argv += ["--covar", str(folder / "c.eigenvec"), "--no-progress"]
    lists = ["--keep", "keep.txt", "--remove", "remove.txt"]
    lists += ["--extract", "extract.txt", "--exclude", "exclude.txt"]
    lists = [str(tmp_path / a) if a.endswith(".txt") else a for a in lists]
    assert main([*argv, str(folder / "c"), *lists, "--out", str(tmp_path / "a")]) == 0
    assert main([*argv, str(tmp_path / "sub"), "--out", str(tmp_path / "b")]) == 0
    a, meta = read_sumstats_parquet(tmp_path / "a.parquet")
    b, _ = read_sumstats_parquet(tmp_path / "b.parquet")
    assert a.height == len(cols) and a["variant_id"].to_list() == b["variant_id"].to_list()
    assert a.drop(pl.selectors.float()).equals(b.drop(pl.selectors.float()))
    for column in ("beta", "standard_error", "neg_log_10_p_value"):
        np.testing.assert_allclose(a[column], b[column], rtol=1e-10, atol=1e-12)
    assert meta["gwaskit"]["dropped_samples"]["excluded by sample list"] == n - len(rows)
    assert meta["gwaskit"]["variants_excluded_by_list"] == m - len(cols)
