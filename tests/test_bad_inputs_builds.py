"""A declared genome build that contradicts a file's own metadata (GWAS-SSF sidecar, gwaskit
Parquet footer) or its positions is an error, never a silent relabelling (issue 13, item 5):
``meta --build`` and ``gwaskit run`` (``consortium.build``) stop with one line naming the file
and the declared build, exit 2, nothing written.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from gwaskit.io.sumstats import declared_build, read_sumstats, write_sumstats
from test_bad_inputs import (
    PLAN,
    Case,
    _check_message,
    invoke,
    meta_on,
    with_cell,
    write_plan,
    write_ssf,
)

CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str | None):
    def register(make):
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


def _other(d: Path, build: str | None = "GRCh37") -> Path:
    return write_ssf(d, with_cell(3, "beta", "0.02"), name="b.tsv", build=build)


@case("meta_build_contradicts_sidecar", "a.tsv-meta.yaml says genome build GRCh37",
      "GRCh38 was declared", culprit="a.tsv")  # fmt: skip
def _(d, out):
    return meta_on(out, write_ssf(d, name="a.tsv"), _other(d, None), extra=("--build", "GRCh38"))


@case("meta_build_contradicts_parquet", "Parquet metadata says genome build GRCh37",
      "GRCh38 was declared", culprit="a.parquet")  # fmt: skip
def _(d, out):
    table, _ = read_sumstats(write_ssf(d, name="a.tsv"))
    write_sumstats(table, d / "a", metadata={"genome_assembly": "GRCh37"}, tsv=False)
    return meta_on(out, d / "a.parquet", _other(d, None), extra=("--build", "GRCh38"))


@case("plan_build_contradicts_sidecar", "cohort 'A'", "'a.tsv' says genome build GRCh37",
      "consortium.build is GRCh38", culprit="plan.toml")  # fmt: skip
def _(d, out):
    return ["run", str(write_plan(d, PLAN.replace('"GRCh37"', '"GRCh38"')))]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli__build_contradiction_exit_2_nothing_written(case: Case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    argv = case.make(inputs, out)
    code = invoke(argv)
    captured = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {captured.err}"
    _check_message(captured.err, case, out)
    assert not (inputs / "results").exists()


def _hapmap3_study(folder: Path, build: str, n: int = 60) -> Path:
    """A GWAS-SSF table (no sidecar) at the ``build`` positions of ``n`` HapMap3 SNPs shipped
    with gwaskit: positions are all that tells its build."""
    ref = (
        pl.read_parquet(resources.files("gwaskit.data") / "hapmap3_build_sample.parquet")
        .filter(pl.col("chromosome") == "1")
        .head(n)
    )
    lines = ["chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
             "p_value\n"]  # fmt: skip
    for i, pos in enumerate(ref[f"pos_{build.lower()}"]):
        lines.append(f"1\t{pos}\tA\tG\t{0.01 * (i % 7 - 3)}\t0.05\t{0.1 + i / 100:.2f}\n")
    path = folder / "hm3.tsv"
    path.write_text("".join(lines))
    return path


def test_run__plan_build_contradicts_positions(tmp_path: Path, capsys) -> None:
    """60 HapMap3 SNPs at their GRCh37 positions, no sidecar, plan says GRCh38: the sumstats
    stage stops naming the file and consortium.build; no sumstats table is written."""
    _hapmap3_study(tmp_path, "GRCh37")
    plan = tmp_path / "plan.toml"
    plan.write_text(
        PLAN.replace('"GRCh37"', '"GRCh38"').replace('"a.tsv"', '"hm3.tsv"')
        + "\n[engine]\nthreads = 1\n"
    )
    code = invoke(["run", str(plan)])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "hm3.tsv" in lines[0] and "positions are on genome build GRCh37" in lines[0]
    assert "consortium.build is GRCh38" in lines[0]
    assert not list(tmp_path.glob("results/sumstats/*/sumstats.parquet"))


def test_run__positions_agreeing_with_plan_pass(tmp_path: Path) -> None:
    """The same SNPs at GRCh38 positions under a GRCh38 plan: the sumstats stage runs."""
    _hapmap3_study(tmp_path, "GRCh38")
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.replace('"GRCh37"', '"GRCh38"').replace('"a.tsv"', '"hm3.tsv"'))
    assert invoke(["run", str(plan), "--only", "sumstats"]) == 0
    table = pl.read_parquet(tmp_path / "results/sumstats/A/sumstats.parquet")
    assert table.height == 60


def test_declared_build__sidecar_and_parquet(tmp_path: Path) -> None:
    a = write_ssf(tmp_path, name="a.tsv", build="hg38")
    assert declared_build(a) == "GRCh38"
    assert declared_build(write_ssf(tmp_path, name="b.tsv", build=None)) is None
    table, _ = read_sumstats(a)
    write_sumstats(table, tmp_path / "c", metadata={"genome_assembly": "GRCh37"}, tsv=False)
    assert declared_build(tmp_path / "c.parquet") == "GRCh37"
    # agreeing declarations pass, with the alias resolved
    assert read_sumstats(a, build="GRCh38")[1]["genome_assembly"] == "GRCh38"
    assert read_sumstats(tmp_path / "c.parquet", build="b37")[1]["genome_assembly"] == "GRCh37"
