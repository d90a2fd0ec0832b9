"""Bad inputs of ``gwaskit liftover`` and ``gwaskit meta --liftover-chain`` (issue 18, item 4):
a chain file missing, damaged, or of the wrong build (an hg38 -> hg19 chain used to go to
GRCh38, told by the chromosome sizes of its headers), a study of unknown build. Each stops with
one line naming the file, exit code 2, nothing written."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from gwaskit.build.check import CHROMOSOME_LENGTHS
from test_bad_inputs import Case, _check_message, invoke, meta_on, with_cell, write_ssf

CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str | None):
    def register(make):
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


def _chain(folder: Path, source: str, target: str, *, name: str, body: str = "1000\n") -> Path:
    """A one-chain file over chr1 with the chromosome sizes of ``source`` -> ``target``."""
    t, q = CHROMOSOME_LENGTHS[source]["1"], CHROMOSOME_LENGTHS[target]["1"]
    text = f"chain 1000 chr1 {t} + 0 1000 chr1 {q} + 0 1000 1\n{body}\n"
    path = folder / name
    path.write_bytes(gzip.compress(text.encode(), mtime=0))
    return path


def _lift(d: Path, out: Path, chain: Path | str, *, to: str = "GRCh38", build=None) -> list[str]:
    study = write_ssf(d, name="a.tsv", build=build or "GRCh37")
    return ["liftover", "--sumstats", str(study), "--chain", str(chain), "--to", to,
            "--out", str(out / "lifted")]  # fmt: skip


@case("liftover_chain_missing", "chain file not found", culprit="nope.chain.gz")
def _(d, out):
    return _lift(d, out, d / "nope.chain.gz")


@case("liftover_hg38_to_hg19_chain_to_grch38", "lifts GRCh38 to GRCh37",
      "not to GRCh38", "hg19ToHg38", culprit="hg38ToHg19.over.chain.gz")  # fmt: skip
def _(d, out):
    return _lift(d, out, _chain(d, "GRCh38", "GRCh37", name="hg38ToHg19.over.chain.gz"))


@case("liftover_chain_of_no_known_build", "no known build", "between GRCh37 and GRCh38",
      culprit="mm10ToHg38.over.chain.gz")  # fmt: skip
def _(d, out):
    text = "chain 1 chr1 195471971 + 0 10 chr1 248956422 + 0 10 1\n10\n"
    path = d / "mm10ToHg38.over.chain.gz"
    path.write_bytes(gzip.compress(text.encode(), mtime=0))
    return _lift(d, out, path)


@case("liftover_chain_header_short", "line 1", "13 fields", culprit="bad.chain.gz")
def _(d, out):
    path = d / "bad.chain.gz"
    path.write_bytes(gzip.compress(b"chain 1 chr1 249250621 + 0 10 chr1 248956422 + 0 10\n10\n"))
    return _lift(d, out, path)


@case("liftover_chain_blocks_do_not_add_up", "line 1", "add up", culprit="sum.chain.gz")
def _(d, out):
    return _lift(d, out, _chain(d, "GRCh37", "GRCh38", name="sum.chain.gz", body="900\n"))


@case("liftover_chain_truncated_gzip", "not a readable chain file", culprit="cut.chain.gz")
def _(d, out):
    whole = _chain(d, "GRCh37", "GRCh38", name="cut.chain.gz").read_bytes()
    (d / "cut.chain.gz").write_bytes(whole[:-12])
    return _lift(d, out, d / "cut.chain.gz")


@case("liftover_chain_is_a_sumstats_file", "expected a 'chain' header", culprit="b.tsv")
def _(d, out):
    return _lift(d, out, write_ssf(d, name="b.tsv"))


@case("liftover_study_build_unknown", "genome build is unknown", "--build GRCh37",
      culprit="u.tsv")  # fmt: skip
def _(d, out):
    study = write_ssf(d, name="u.tsv", build=None)
    chain = _chain(d, "GRCh37", "GRCh38", name="hg19ToHg38.over.chain.gz")
    return ["liftover", "--sumstats", str(study), "--chain", str(chain), "--to", "GRCh38",
            "--out", str(out / "lifted")]  # fmt: skip


@case("meta_liftover_chain_of_wrong_build", "lifts GRCh38 to GRCh37", "not to GRCh38",
      culprit="hg38ToHg19.over.chain.gz")  # fmt: skip
def _(d, out):
    chain = _chain(d, "GRCh38", "GRCh37", name="hg38ToHg19.over.chain.gz")
    b = write_ssf(d, with_cell(3, "beta", "0.02"), name="b.tsv", build="GRCh38")
    extra = ("--liftover-chain", str(chain), "--target-build", "GRCh38")
    return meta_on(out, write_ssf(d, name="a.tsv"), b, extra=extra)


@case("meta_target_build_without_chain", "--target-build needs --liftover-chain", culprit=None)
def _(d, out):
    b = write_ssf(d, with_cell(3, "beta", "0.02"), name="b.tsv")
    return meta_on(out, write_ssf(d, name="a.tsv"), b, extra=("--target-build", "GRCh38"))


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli__bad_liftover_input_exit_2_nothing_written(case: Case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    code = invoke(case.make(inputs, out))
    captured = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {captured.err}"
    _check_message(captured.err, case, out)
