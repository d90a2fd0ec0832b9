"""Bad genotype-side inputs of the field formats: one clear line, exit 2, nothing written.

Follows ``tests/test_bad_inputs.py``: each case writes its files into a folder and returns the
CLI arguments; the one error line must hold the fragments and name the file at fault.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from bed_reader import to_bed

from gwaskit.cli import main

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path, Path], list[str]]
    fragments: tuple[str, ...]
    culprit: str


CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str):
    def register(make):
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


def write_bed(folder: Path, n_samples: int = 21, n_variants: int = 12) -> Path:
    rng = np.random.default_rng(1)
    dosage = rng.integers(0, 3, (n_samples, n_variants)).astype(np.float32)
    bed = folder / "g.bed"
    to_bed(bed, dosage)
    pheno = "".join(f"{i} {i} {rng.normal():.3f}\n" for i in range(n_samples))
    (folder / "pheno.txt").write_text("FID IID T\n" + pheno)
    fam = "".join(
        f"{i} {i} 0 0 1 {rng.normal():.3f} {rng.normal():.3f}\n" for i in range(n_samples)
    )
    (folder / "g.fam").write_text(fam)
    return bed


def assoc(folder: Path, out: Path, bed: Path, *extra: str) -> list[str]:
    pheno = extra[0] if extra and not extra[0].startswith("--") else str(folder / "pheno.txt")
    rest = list(extra[1:] if extra and not extra[0].startswith("--") else extra)
    return ["assoc", str(bed), "--pheno", pheno, "--out", str(out / "a"), *rest]


@case("fam_extra_columns_ragged", "expected 7 fields", "line 3", culprit="g.fam")
def _(d, out):
    bed = write_bed(d)
    lines = (d / "g.fam").read_text().splitlines()
    lines[2] = " ".join(lines[2].split()[:6])
    (d / "g.fam").write_text("\n".join(lines) + "\n")
    return assoc(d, out, bed)


@case("pheno_col_nums_not_a_phenotype", "no phenotype column number 5", culprit="g.fam")
def _(d, out):
    bed = write_bed(d)
    return assoc(d, out, bed, str(d / "g.fam"), "--pheno-col-nums", "5")


@case("pheno_col_nums_past_the_end", "no phenotype column number 9", culprit="g.fam")
def _(d, out):
    bed = write_bed(d)
    return assoc(d, out, bed, str(d / "g.fam"), "--pheno-col-nums", "6,9")


@case("pvar_zst_truncated", "truncated zstd", culprit="p.pvar.zst")
def _(d, out):
    src = DATA / "field_formats/plink2/chr21_phase3_start"
    shutil.copy(src.with_suffix(".pgen"), d / "p.pgen")
    shutil.copy(src.with_suffix(".psam"), d / "p.psam")
    (d / "p.pvar.zst").write_bytes(src.with_suffix(".pvar.zst").read_bytes()[:4000])
    return ["info", str(d / "p.pgen")]


@case("bgen_no_sample_ids", "no embedded sample identifiers", "--sample", culprit="x.bgen")
def _(d, out):
    shutil.copy(DATA / "field_formats_extra/sgkit/example-no-samples.bgen", d / "x.bgen")
    return ["info", str(d / "x.bgen")]


@case("bgen_sample_file_count", "lists 500 samples", culprit="example.sample")
def _(d, out):
    shutil.copy(DATA / "field_formats_extra/sgkit/example-no-samples.bgen", d / "x.bgen")
    return ["info", str(d / "x.bgen"), "--sample", str(DATA / "field_formats/bgen/example.sample")]


@case("gen_without_sample_file", "no .sample", culprit="x.gen")
def _(d, out):
    shutil.copy(DATA / "field_formats/bcftools/convert.gs.gt.gen", d / "x.gen")
    return ["info", str(d / "x.gen")]


@case("gen_wrong_sample_count", "5 or 6 leading columns", culprit="x.gen")
def _(d, out):
    shutil.copy(DATA / "field_formats/bcftools/convert.gs.gt.gen", d / "x.gen")
    shutil.copy(DATA / "field_formats/bgen/complex.sample", d / "x.sample")
    return ["info", str(d / "x.gen")]


@case("vcf_without_fileformat", "##fileformat", culprit="x.vcf")
def _(d, out):
    shutil.copy(DATA / "field_formats/bcftools/convert.gs.vcf", d / "x.vcf")
    return ["info", str(d / "x.vcf")]


@case("vcf_gwas_summary_statistics", "GWAS-VCF", "not genotypes", culprit="x.vcf")
def _(d, out):
    text = (
        "##fileformat=VCFv4.2\n"
        '##FORMAT=<ID=ES,Number=A,Type=Float,Description="Effect size">\n'
        '##FORMAT=<ID=SE,Number=A,Type=Float,Description="Standard error">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tstudy\n"
        "1\t10583\trs58108140\tG\tA\t.\tPASS\t.\tES:SE\t0.0312:0.0393\n"
    )
    (d / "x.vcf").write_text(text)
    return ["info", str(d / "x.vcf")]


@case("bed_bad_mode_byte", "mode byte 0x02", culprit="g.bed")
def _(d, out):
    bed = write_bed(d)
    bed.write_bytes(bed.read_bytes()[:2] + b"\x02" + bed.read_bytes()[3:])
    return assoc(d, out, bed)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli__bad_field_input_one_line_exit_2_nothing_written(case: Case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    code = main([*case.make(inputs, out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, f"exit {code}; stderr: {err}"
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in lines[0]
    for fragment in case.fragments:
        assert fragment in lines[0], f"{fragment!r} not in: {lines[0]}"
    assert case.culprit in lines[0]
    assert not list(out.iterdir())


def test_corpus__field_cases_counted():
    assert len(CASES) == 11
