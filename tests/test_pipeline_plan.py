"""Plan files: valid plans parse; every mistake names the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gwaskit.errors import InputError
from gwaskit.pipeline.plan import read_plan

VALID = """
[consortium]
name = "Test consortium"
build = "GRCh38"

[association]
model = "logistic"
covariates = ["sex", "age"]
pcs = 2

[meta]
method = "random"

[[cohort]]
name = "c1"
genotypes = "c1"
phenotypes = "c1.pheno"

[[cohort]]
name = "s1"
role = "replication"
sumstats = "s1.tsv.gz"
"""


def _write(tmp_path: Path, text: str) -> Path:
    for name in ("c1.bed", "c1.bim", "c1.fam", "c1.pheno", "s1.tsv.gz"):
        (tmp_path / name).write_text("")
    plan = tmp_path / "plan.toml"
    plan.write_text(text)
    return plan


def test_read_plan__valid(tmp_path):
    plan = read_plan(_write(tmp_path, VALID))
    assert plan.consortium.build == "GRCh38"
    assert plan.association.covariates == ("sex", "age")
    assert plan.meta.method == "random"
    assert [c.name for c in plan.cohorts_with("replication")] == ["s1"]
    assert plan.path("c1.pheno") == (tmp_path / "c1.pheno").resolve()
    assert plan.qc.hwe == 1e-6  # default kept


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[meta]", "[meat]"), "unknown key 'meat'. Did you mean 'meta'?"),
        (('method = "random"', 'methd = "random"'), "unknown key 'methd'. Did you mean 'method'?"),
        (('method = "random"', 'method = "bayes"'), "meta.method must be one of fixed, random"),
        (("pcs = 2", 'pcs = "two"'), "association.pcs must be an integer, got 'two'"),
        (('phenotypes = "c1.pheno"', 'phenotypes = "absent.pheno"'), "does not exist"),
        (('sumstats = "s1.tsv.gz"', ""), "must give either genotypes"),
        (('build = "GRCh38"', 'build = "hg19"'), "consortium.build must be one of GRCh37"),
        (('name = "c1"', 'name = "s1"'), "used more than once"),
        (("[association]", "[association"), "is not valid TOML"),
    ],
)
def test_read_plan__mistakes_name_the_key(tmp_path, edit, message):
    plan = _write(tmp_path, VALID.replace(*edit, 1))
    with pytest.raises(InputError) as info:
        read_plan(plan)
    assert message in str(info.value)
    assert str(plan) in str(info.value)


def test_read_plan__missing_file(tmp_path):
    with pytest.raises(InputError, match="gwaskit init"):
        read_plan(tmp_path / "none.toml")


def test_init__example_plan_parses_once_its_files_exist(tmp_path):
    from gwaskit.cli import main

    plan = tmp_path / "plan.toml"
    assert main(["init", str(plan)]) == 0
    assert main(["init", str(plan)]) == 2  # refuses to overwrite
    data = tmp_path / "data"
    data.mkdir()
    for name in ("cohort1.bed", "cohort1.bim", "cohort1.fam", "cohort1.pheno", "cohort1.covar"):
        (data / name).write_text("")
    (data / "shared_summaries.tsv.gz").write_text("")
    parsed = read_plan(plan)
    assert [c.name for c in parsed.cohorts] == ["cohort1", "shared_summaries"]
    assert parsed.association.covariates == ("sex", "age")


def test_read_plan__none_switches_an_optional_setting_off(tmp_path):
    text = VALID.replace("[meta]", '[qc]\nking_cutoff = "none"\n\n[meta]')
    assert read_plan(_write(tmp_path, text)).qc.king_cutoff is None
    bad = VALID.replace("[meta]", '[qc]\nking_cutoff = "off"\n\n[meta]')
    with pytest.raises(InputError, match=r'qc\.king_cutoff must be a number or "none"'):
        read_plan(_write(tmp_path, bad))


def test_run_meta__single_study_gets_the_meta_analysis_qc(tmp_path):
    import polars as pl

    from gwaskit.pipeline.stages import VerbRunner, run_meta

    study = tmp_path / "a.tsv"
    study.write_text(
        "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error"
        "\teffect_allele_frequency\tp_value\tn\n"
        "1\t1000\tA\tG\t0.1\t0.02\t0.3\t5.7e-7\t5000\n"
        "1\t2000\tC\tT\t0.2\t-0.05\t0.2\t0.01\t5000\n"  # SE <= 0: dropped with its reason
        "2\t3000\tA\tC\t-0.05\t0.02\t0.4\t0.012\t5000\n"
    )
    out = tmp_path / "meta"
    out.mkdir()
    run_meta(
        out, studies={"a": str(study)}, method="fixed", gc=False, maf_threshold=0.4,
        build="GRCh37", verbs=VerbRunner(),
    )  # fmt: skip
    kept = pl.read_parquet(out / "meta.parquet")
    assert kept["base_pair_location"].to_list() == [1000, 3000]
    dropped = pl.read_parquet(out / "meta.dropped.parquet")
    assert dropped["base_pair_location"].to_list() == [2000]
    assert dropped["reason"].to_list() == ["se_not_positive"]
