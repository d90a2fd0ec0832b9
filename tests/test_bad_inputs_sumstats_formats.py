"""Bad summary-statistics inputs of the field's layouts, through the command line (as in
``test_bad_inputs.py``): one line naming the file (and the line, column and value, or the format
tried and the header found), exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from gwaskit.errors import InputError
from gwaskit.io.sumstats import read_sumstats
from test_bad_inputs import Case, _check_message, invoke, write_ssf

CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str | None):
    def register(make):
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


def meta_of(folder: Path, out: Path, bad: Path) -> list[str]:
    good = write_ssf(folder)
    return ["meta", "--study", f"A={good}", "--study", f"B={bad}", "--out", str(out / "m")]


@case("ss_unrecognised_header", "read as table format", "header found: 'foo bar baz'",
      culprit="odd.txt")  # fmt: skip
def _(d, out):
    bad = d / "odd.txt"
    bad.write_text("foo bar baz\n1 2 3\n")
    return meta_of(d, out, bad)


@case("ss_two_columns_one_field", "'SNP' and 'ID' both mean variant_id", "line 1",
      culprit="dup.txt")  # fmt: skip
def _(d, out):
    bad = d / "dup.txt"
    bad.write_text("SNP\tID\tCHR\tPOS\tA1\tA2\tBETA\tSE\nrs1\trs1\t1\t10\tA\tG\t0.1\t0.1\n")
    return meta_of(d, out, bad)


@case("ss_regenie_value_after_filtered_rows", "line 4", "'BETA'", "found 'abc'",
      culprit="s.regenie")  # fmt: skip
def _(d, out):
    bad = d / "s.regenie"
    bad.write_text(
        "CHROM GENPOS ID ALLELE0 ALLELE1 A1FREQ N TEST BETA SE CHISQ LOG10P\n"
        "1 10 rs1 G A 0.2 500 ADD 0.1 0.05 4 1.3\n"
        "1 10 rs1 G A 0.2 500 DOM 0.2 0.05 4 1.3\n"
        "1 20 rs2 G A 0.2 500 ADD abc 0.05 4 1.3\n"
    )
    return meta_of(d, out, bad)


@case("ss_plink1_fixed_width_bad_p", "line 3", "'P'", "found 'x'", culprit="r.assoc.logistic")
def _(d, out):
    bad = d / "r.assoc.logistic"
    bad.write_text(
        " CHR   SNP    BP  A1  TEST NMISS     OR   STAT     P \n"
        "   1   rs1    10   A   ADD   400  1.10  0.95  0.34\n"
        "   1   rs2    20   T   ADD   400  0.90 -0.95     x\n"
    )
    return meta_of(d, out, bad)


@case("ss_epacts_marker", "line 2", "'MARKER_ID'", "CHR:POS_REF/ALT", culprit="e.epacts")
def _(d, out):
    bad = d / "e.epacts"
    bad.write_text(
        "#CHROM\tBEG\tEND\tMARKER_ID\tNS\tPVALUE\tBETA\tSEBETA\n"
        "1\t10\t10\trs10\t500\t0.5\t0.1\t0.1\n"
    )
    return meta_of(d, out, bad)


@case("ss_gwas_vcf_multiallelic", "line 3", "one ALT allele", culprit="g.vcf")
def _(d, out):
    bad = d / "g.vcf"
    bad.write_text(
        "##fileformat=VCFv4.2\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        "1\t10\trs1\tG\tA,T\t.\tPASS\t.\tES:SE:LP\t0.1:0.05:1.3\n"
    )
    return meta_of(d, out, bad)


@case("ss_gwas_vcf_fields", "line 3", "expected 10 tab-separated fields", culprit="g.vcf")
def _(d, out):
    bad = d / "g.vcf"
    bad.write_text(
        "##fileformat=VCFv4.2\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        "1\t10\trs1\tG\tA\t.\tPASS\t.\tES:SE:LP\n"
    )
    return meta_of(d, out, bad)


@case("ss_gwama_binary_bad_ci", "line 2", "'OR_95U'", "found '1,2'", culprit="g.txt")
def _(d, out):
    bad = d / "g.txt"
    bad.write_text("MARKERNAME\tEA\tNEA\tOR\tOR_95L\tOR_95U\nrs1\tA\tG\t1.1\t0.9\t1,2\n")
    return meta_of(d, out, bad)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli__bad_sumstats_layout_one_line_exit_2_nothing_written(case: Case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    code = invoke(case.make(inputs, out))
    captured = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {captured.err}"
    _check_message(captured.err, case, out)


def test_corpus__sumstats_layout_cases() -> None:
    assert len(CASES) == 8


def test_read_sumstats__explicit_mapping_two_columns_one_field(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("SNP\tID\tA1\tA2\tP\nrs1\trs1\tA\tG\t0.5\n")
    columns = {"SNP": "variant_id", "ID": "variant_id", "A1": "effect_allele",
               "A2": "other_allele", "P": "p_value"}  # fmt: skip
    with pytest.raises(InputError, match="gives variant_id from 'SNP' and 'ID'; map one"):
        read_sumstats(path, columns=columns)
    table, _ = read_sumstats(path, columns={**columns, "ID": "ignore"})
    assert table["variant_id"].to_list() == ["rs1"]


def test_read_sumstats__only_comment_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.snptest"
    path.write_text("# Analysis: x\n#\n# Completed successfully.\n")
    with pytest.raises(InputError, match="holds only comment lines"):
        read_sumstats(path)
