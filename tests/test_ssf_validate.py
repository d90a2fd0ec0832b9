"""Every GWAS-SSF file gwaskit writes passes the GWAS Catalog's own validator.

``gwas-ssf validate`` (gwas-sumstats-tools 1.0.25, installed in ``.venv-ssf`` by
``scripts/setup test``) runs on the ``.tsv.gz`` that ``assoc`` (binary and quantitative),
``meta`` and ``gwaskit run`` write, and its metadata model on their YAML sidecars. The
validator needs every autosome in a file, so the data are simulated on 22 chromosomes.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.cli import main
from gwaskit.io.ssf import UNTESTED_COLUMNS, ssf_tables
from gwaskit.io.sumstats import conform, read_sumstats, write_sumstats
from ssf_helpers import validate_ssf


def _simulate(folder: Path, *extra: str) -> Path:
    code = main(
        [
            "simulate", "--out", str(folder), "--cohorts", "2", "--samples", "400",
            "--variants", "2200", "--chromosomes", "22", "--seed", "5", "--no-progress", "-q",
            *extra,
        ]
    )  # fmt: skip
    assert code == 0
    return folder


@pytest.fixture(scope="module")
def assoc_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``gwaskit assoc`` of cohort1 and cohort2, for a binary and a quantitative trait."""
    out: dict[str, Path] = {}
    for trait, extra in (("binary", ()), ("quantitative", ("--quantitative",))):
        data = _simulate(tmp_path_factory.mktemp(trait), *extra)
        for cohort in ("cohort1", "cohort2"):
            prefix = data / f"{cohort}.assoc"
            code = main(
                [
                    "assoc", str(data / cohort), "--pheno", str(data / f"{cohort}.pheno"),
                    "--covar", str(data / f"{cohort}.covar"), "--out", str(prefix),
                    "--no-progress", "-q",
                ]
            )  # fmt: skip
            assert code == 0
            out[f"{trait}/{cohort}"] = prefix
    return out


@pytest.mark.parametrize("trait", ["binary", "quantitative"])
def test_assoc__gwas_ssf_validates_and_untested_rows_in_side_table(assoc_runs, gwas_ssf, trait):
    prefix = assoc_runs[f"{trait}/cohort1"]
    validate_ssf(gwas_ssf, Path(f"{prefix}.tsv.gz"))
    full = pl.read_parquet(f"{prefix}.parquet")
    ssf = pl.read_csv(f"{prefix}.tsv.gz", separator="\t", null_values="NA", infer_schema=False)
    side = pl.read_csv(f"{prefix}.untested.tsv.gz", separator="\t", null_values="NA")
    # every variant is in the GWAS-SSF file or in the side table, once
    assert full.height == 2200 and ssf.height + side.height == full.height
    assert side.columns == list(UNTESTED_COLUMNS) and side["reason"].null_count() == 0
    assert side.height == full["reason"].is_not_null().sum()
    assert ssf["n"].str.contains(r"^[0-9]+$").all()  # integers, not "399.0"
    assert ssf["variant_id"].str.contains(r"^[0-9]+_[0-9]+_[ACGT]+_[ACGT]+$").all()
    sidecar = yaml.safe_load(Path(f"{prefix}.tsv.gz-meta.yaml").read_text())
    assert sidecar["genome_assembly"] == "NR"  # simulated: no build given
    assert sidecar["genotyping_technology"] == ["genotyped or imputed dosages"]
    assert sidecar["samples"][0]["sample_size"] == 400


def test_meta__gwas_ssf_validates_both_input_forms_same_result(assoc_runs, gwas_ssf, tmp_path):
    tables = {}
    for form in ("parquet", "tsv.gz"):
        out = tmp_path / f"meta_{form.split('.')[0]}"
        code = main(
            [
                "meta",
                *(f"--study=C{i}={assoc_runs[f'binary/cohort{i}']}.{form}" for i in (1, 2)),
                "--build", "GRCh37", "--population", "none", "--out", str(out),
                "--no-progress", "-q",
            ]
        )  # fmt: skip
        assert code == 0
        validate_ssf(gwas_ssf, Path(f"{out}.tsv.gz"))
        tables[form] = pl.read_parquet(f"{out}.parquet")
    a, b = tables["parquet"], tables["tsv.gz"]
    joined = a.join(b, on=["chromosome", "base_pair_location"], suffix="_b")
    assert a.height == b.height == joined.height and a.height > 2000
    # the same numbers from either input form (the .tsv.gz holds 17 significant digits)
    assert (joined["beta"] - joined["beta_b"]).abs().max() < 1e-12
    assert (joined["n"] == joined["n_b"]).all()


@pytest.mark.slow
def test_run__every_gwas_ssf_file_of_a_plan_validates(tmp_path, gwas_ssf):
    data = _simulate(tmp_path / "data")
    cohorts = "".join(
        f'[[cohort]]\nname = "{c}"\nrole = "discovery"\ngenotypes = "data/{c}"\n'
        f'phenotypes = "data/{c}.pheno"\nphenotype_name = "trait"\n'
        f'covariates = "data/{c}.covar"\n\n'
        for c in ("cohort1", "cohort2")
    )
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[consortium]\nname = "ssf"\ntrait = "trait"\nbuild = "GRCh37"\nout = "results"\n\n'
        '[qc]\nking_cutoff = "none"\n\n[association]\nmodel = "logistic"\npcs = 0\n'
        'covariates = ["sex", "age"]\n\n[annotate]\ntissues = false\n\n' + cohorts
    )
    assert data.is_dir()
    assert main(["run", str(plan), "--no-progress", "-q"]) == 0
    files = sorted(
        p.with_name(p.name.removesuffix("-meta.yaml"))
        for p in (tmp_path / "results").rglob("*.tsv.gz-meta.yaml")
        if "GWAS-SSF" in p.read_text()
    )
    stages = {p.relative_to(tmp_path / "results").parts[0] for p in files}
    assert {"assoc", "sumstats", "meta"} <= stages, stages
    for path in files:
        validate_ssf(gwas_ssf, path)
    assert len(files) >= 5  # 2 assoc + 2 sumstats + 1 meta


def _edge_table() -> pl.DataFrame:
    """One variant per autosome, X, MT, and the rows GWAS-SSF cannot hold."""
    chroms = [str(c) for c in range(1, 23)] + ["X", "MT", "GL000192.1", "3", "4"]
    k = len(chroms)
    return pl.DataFrame(
        {
            "chromosome": chroms,
            "base_pair_location": [1000 + i for i in range(k)],
            "effect_allele": ["A"] * (k - 2) + ["0", "A"],
            "other_allele": ["G"] * k,
            "beta": [0.1] * (k - 1) + [None],
            "standard_error": [0.02] * k,
            "effect_allele_frequency": [0.3] * k,
            "p_value": [1e-3] * 5 + [0.0] + [1e-3] * (k - 6),
            "neg_log_10_p_value": [3.0] * 5 + [400.25] + [3.0] * (k - 6),
            "n": [1000.0] * k,
            "variant_id": ["rs5;rs6", *(f"v{i}" for i in range(1, k))],
            "rsid": ["rs5;rs6", *([None] * (k - 1))],
            "reason": [None] * (k - 1) + ["CONST_GENO"],
        }
    )


def test_ssf_tables__rules(tmp_path):
    split = ssf_tables(_edge_table())
    data, side = split.data, split.untested
    assert data.height == 24 and side.height == 3
    assert side["reason"].to_list() == [
        "chromosome_not_in_ssf",
        "allele_not_nucleotides",
        "CONST_GENO",  # the writer's own reason wins
    ]
    assert data["chromosome"][-2:].to_list() == ["23", "25"]
    assert data["rsid"][0] == "rs5"  # one rsid of the VCF multi-ID
    assert data["variant_id"][0] == "1_1000_G_A"
    assert data["p_value"][5] == "5.623413e-401"  # 10^-400.25, beyond a double
    assert data["n"].dtype == pl.Int64 and "reason" not in data.columns


def test_write_sumstats__edge_rows_validate_and_read_back(tmp_path, gwas_ssf):
    write_sumstats(_edge_table(), tmp_path / "edge", metadata={"genome_assembly": "GRCh38"})
    validate_ssf(gwas_ssf, tmp_path / "edge.tsv.gz")
    back, _ = read_sumstats(tmp_path / "edge.tsv.gz")
    assert back.height == 24
    # GWAS-SSF's 23 and 25 come back as X and MT
    assert back["chromosome"][-2:].to_list() == ["X", "MT"]
    assert back["neg_log_10_p_value"][5] == pytest.approx(400.25, abs=1e-6)


def test_assoc__vcf_multi_id_gives_one_rsid(tmp_path):
    """A VCF ID column ``rs1;rs2`` (bcftools merge writes such) gives the rsid ``rs1``, in the
    Parquet and in the GWAS-SSF file; an ID that is not an rs number gives no rsid."""
    import numpy as np

    rng = np.random.default_rng(3)
    n = 60
    ids = ["rs1;rs2", "rs3", "1:3000:G:A"]
    geno = rng.integers(0, 3, (3, n))
    calls = {0: "0/0", 1: "0/1", 2: "1/1"}
    lines = [
        "##fileformat=VCFv4.2",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "##contig=<ID=1>",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
        + "\t".join(f"s{i}" for i in range(n)),
    ]
    for j, vid in enumerate(ids):
        gts = "\t".join(calls[int(g)] for g in geno[j])
        lines.append(f"1\t{1000 * (j + 1)}\t{vid}\tG\tA\t.\tPASS\t.\tGT\t{gts}")
    (tmp_path / "g.vcf").write_text("\n".join(lines) + "\n")
    y = geno[0] * 0.5 + rng.standard_normal(n)
    (tmp_path / "p.tsv").write_text(
        "IID\ty\n" + "".join(f"s{i}\t{v:.6f}\n" for i, v in enumerate(y))
    )
    out = tmp_path / "a"
    code = main(
        ["assoc", str(tmp_path / "g.vcf"), "--pheno", str(tmp_path / "p.tsv"), "--out",
         str(out), "--no-progress", "-q"]
    )  # fmt: skip
    assert code == 0
    parquet = pl.read_parquet(f"{out}.parquet")
    ssf = pl.read_csv(f"{out}.tsv.gz", separator="\t", null_values="NA", infer_schema=False)
    assert parquet.height == ssf.height == 3
    assert parquet["rsid"].to_list() == ssf["rsid"].to_list() == ["rs1", "rs3", None]
    assert ssf["variant_id"].to_list() == ["1_1000_G_A", "1_2000_G_A", "1_3000_G_A"]


_CHROMS = st.sampled_from(["1", "7", "22", "X", "Y", "MT", "0", "GL000192.1"])
_ALLELES = st.sampled_from(["A", "C", "GT", "0", "*", "<DEL>", "TTAC"])
_MAYBE = st.one_of(st.none(), st.just(float("nan")), st.floats(-5, 5))


@st.composite
def _sumstats(draw) -> pl.DataFrame:
    n = draw(st.integers(1, 12))

    def col(strategy):
        return draw(st.lists(strategy, min_size=n, max_size=n))

    return pl.DataFrame(
        {
            "chromosome": col(_CHROMS),
            "base_pair_location": col(st.integers(1, 10**9)),
            "effect_allele": col(_ALLELES),
            "other_allele": col(_ALLELES),
            "beta": col(_MAYBE),
            "standard_error": col(_MAYBE),
            "effect_allele_frequency": col(st.one_of(st.none(), st.floats(0, 1))),
            "p_value": col(st.one_of(st.none(), st.just(0.0), st.floats(1e-300, 1))),
            "neg_log_10_p_value": col(st.one_of(st.none(), st.floats(0, 2000))),
            "n": col(st.one_of(st.none(), st.just(float("nan")), st.floats(0, 1e6))),
            "variant_id": col(st.text("rs0123456789;:_AG", max_size=12)),
            "rsid": col(st.one_of(st.none(), st.text("rs0123456789;,", max_size=12))),
        },
        schema_overrides={"n": pl.Float64, "p_value": pl.Float64, "beta": pl.Float64},
    )


@settings(max_examples=150, deadline=None)
@given(table=_sumstats())
def test_ssf_tables__every_row_kept_or_explained_and_ssf_patterns_hold(table):
    """Property: each row lands in the GWAS-SSF table or in the side table with a reason, and
    the GWAS-SSF rows satisfy the validator's column rules (checked here without running it)."""
    split = ssf_tables(conform(table))
    data, side = split.data, split.untested
    assert data.height + side.height == table.height
    assert side["reason"].null_count() == 0
    if data.height == 0:
        return
    assert data["chromosome"].cast(pl.Int64).is_between(1, 25).all()
    for c in ("effect_allele", "other_allele"):
        assert data[c].str.contains(r"^[ACGTacgt]+$").all()
    for c in ("beta", "standard_error", "effect_allele_frequency"):
        assert data[c].null_count() == 0 and not data[c].is_nan().any()
    p = data["p_value"].str.extract(r"^([0-9.]+(?:e-?[0-9]+)?)$", 1)
    assert p.null_count() == 0, data["p_value"].to_list()
    mantissa = data["p_value"].str.split("e").list.first().cast(pl.Float64)
    assert (mantissa > 0).all()
    assert data["variant_id"].str.contains(r"^[A-Za-z0-9_]+$").all()
    assert data["rsid"].drop_nulls().str.contains(r"^rs[0-9]+$").all()
    assert data["n"].dtype == pl.Int64
