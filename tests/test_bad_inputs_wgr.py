"""Bad inputs of whole-genome regression (``gwaskit wgr``) and of its step 2
(``gwaskit assoc --pred``): one error line naming the file, exit 2, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_bad_inputs import Case, _check_message, invoke

CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str | None):
    def register(make):
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


@pytest.fixture(autouse=True)
def _example(test_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    global EXAMPLE
    EXAMPLE = test_data / "regenie_example"


EXAMPLE = Path()


def _wgr(out: Path, *extra: str, pheno: Path | None = None, covar: Path | None = None):
    return [
        "wgr", str(EXAMPLE / "example"),
        "--pheno", str(pheno or EXAMPLE / "phenotype_bin.txt"),
        "--covar", str(covar or EXAMPLE / "covariates.txt"),
        "--block-size", "100", *extra, "--out", str(out / "fit"),
    ]  # fmt: skip


@case("wgr_too_few_samples_for_folds", "only 8 samples", "5-fold", culprit="few.txt")
def _few(d: Path, out: Path) -> list[str]:
    lines = (EXAMPLE / "phenotype_bin.txt").read_text().splitlines()
    rows = [lines[0], *lines[1:9], *(" ".join([*ln.split()[:2], "NA", "NA"]) for ln in lines[9:])]
    (d / "few.txt").write_text("\n".join(rows) + "\n")
    return _wgr(out, pheno=d / "few.txt")


@case("wgr_monomorphic_block", "monomorphic", "(first: 545)", culprit="example.bed")
def _monomorphic(d: Path, out: Path) -> list[str]:
    # among the first 20 samples, 5 variants carry no copy of one allele
    (d / "keep.txt").write_text("".join(f"{i} {i}\n" for i in range(1, 21)))
    (d / "extract.txt").write_text("545\n591\n611\n918\n928\n")
    return _wgr(out, "--keep", str(d / "keep.txt"), "--extract", str(d / "extract.txt"))


@case("wgr_singular_covariates", "collinear", culprit="covar.txt")
def _singular(d: Path, out: Path) -> list[str]:
    lines = (EXAMPLE / "covariates.txt").read_text().splitlines()
    rows = [lines[0] + " V4"]
    for ln in lines[1:]:
        f = ln.split()
        rows.append(ln + f" {float(f[2]) + 2 * float(f[3]):.12g}")  # V4 = V1 + 2 V2
    (d / "covar.txt").write_text("\n".join(rows) + "\n")
    return _wgr(out, covar=d / "covar.txt")


@case("wgr_pred_list_without_phenotype", "no LOCO predictions for phenotype 'Y1'", culprit="p.list")
def _no_pheno(d: Path, out: Path) -> list[str]:
    (d / "a.loco").write_text("FID_IID 1_1 2_2\n1 0.1 0.2\n")
    (d / "p.list").write_text(f"Y2 {d / 'a.loco'}\n")
    return _assoc(d, out)


@case("wgr_loco_short_row", "line 2", "expected a chromosome and 2 values", culprit="a.loco")
def _short_row(d: Path, out: Path) -> list[str]:
    (d / "a.loco").write_text("FID_IID 1_1 2_2\n1 0.1\n")
    (d / "p.list").write_text(f"Y1 {d / 'a.loco'}\n")
    return _assoc(d, out)


@case("wgr_loco_missing_chromosome", "no LOCO prediction for chromosome 1", culprit="p.list")
def _no_chrom(d: Path, out: Path) -> list[str]:
    ids = " ".join(f"{i}_{i}" for i in range(1, 501))
    (d / "a.loco").write_text(f"FID_IID {ids}\n2 " + " ".join(["0.1"] * 500) + "\n")
    (d / "p.list").write_text(f"Y1 {d / 'a.loco'}\n")
    return _assoc(d, out)


def _assoc(d: Path, out: Path) -> list[str]:
    shutil.copy(EXAMPLE / "phenotype_bin.txt", d / "pheno.txt")
    return [
        "assoc", str(EXAMPLE / "example"), "--pheno", str(d / "pheno.txt"),
        "--pheno-name", "Y1", "--pred", str(d / "p.list"), "--out", str(out / "res"),
    ]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_wgr_cli__bad_input_one_line_exit_2_nothing_written(case: Case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    code = invoke(case.make(inputs, out))
    captured = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {captured.err}"
    _check_message(captured.err, case, out)
