"""A corpus of bad inputs, run through the command line: one clear line, exit 2, nothing written.

Each case is a name, a function that writes the bad file(s) into a folder and returns the CLI
arguments, and the fragments the one-line message must hold (the file name at fault is always
checked too). The command runs in-process through ``gwaskit.cli.main``; a few cases also run as a
real ``python -m gwaskit`` subprocess to check the exit code and stderr of the real process.
After each case the output folder must be empty: a user's mistake writes nothing.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from bed_reader import to_bed

from gwaskit.cli import main
from gwaskit.io.sumstats import write_sumstats

REPO = Path(__file__).resolve().parents[1]

# -- writers of good inputs, to break -----------------------------------------------------------

SSF_HEADER = (
    "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
    "effect_allele_frequency\tp_value\tvariant_id"
)


def ssf_rows(n: int = 30) -> list[list[str]]:
    """Rows of a valid GWAS-SSF table on chromosome 1 (two variants genome-wide significant)."""
    rows = []
    for i in range(n):
        p = "1e-12" if i in (5, 20) else f"{0.01 + i / 100:.2f}"
        beta = "0.3" if i in (5, 20) else "0.01"
        rows.append(
            ["1", str(1_000_000 + 10_000 * i), "A", "G", beta, "0.04", "0.3", p, f"rs{i + 1}"]
        )
    return rows


def write_ssf(
    folder: Path,
    rows: list[list[str]] | None = None,
    *,
    header: str = SSF_HEADER,
    name: str = "study.tsv",
    build: str | None = "GRCh37",
) -> Path:
    rows = ssf_rows() if rows is None else rows
    text = header + "\n" + "".join("\t".join(r) + "\n" for r in rows)
    path = folder / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text)
    if build is not None:
        path.with_name(path.name + "-meta.yaml").write_text(f"genome_assembly: {build}\n")
    return path


def with_cell(row: int, column: str, value: str) -> list[list[str]]:
    """Valid rows with one cell replaced (``row`` is 0-based among data rows)."""
    rows = ssf_rows()
    rows[row][SSF_HEADER.split("\t").index(column)] = value
    return rows


def write_bed(folder: Path, name: str = "ref", n_samples: int = 21, n_variants: int = 12) -> Path:
    """A small PLINK 1 fileset (21 samples: the last .bed byte of each variant is padded)."""
    rng = np.random.default_rng(1)
    dosage = rng.integers(0, 3, (n_samples, n_variants)).astype(np.float32)
    bed = folder / f"{name}.bed"
    to_bed(
        bed,
        dosage,
        properties={
            "chromosome": ["1"] * n_variants,
            "bp_position": 1_000_000 + 10_000 * np.arange(n_variants),
            "sid": [f"rs{j + 1}" for j in range(n_variants)],
            "allele_1": ["A"] * n_variants,
            "allele_2": ["G"] * n_variants,
        },
    )
    return bed


def edit_lines(path: Path, edit: Callable[[list[str]], list[str]]) -> None:
    path.write_text("".join(edit(path.read_text().splitlines(keepends=True))))


VCF_HEAD = (
    "##fileformat=VCFv4.2\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\n"
)
VCF_BODY = "".join(
    f"1\t{1_000_000 + 10_000 * i}\trs{i + 1}\tG\tA\t.\t.\t.\tGT\t0/0\t0/1\t1/1\n" for i in range(6)
)


def bgzf(data: bytes) -> bytes:
    """BGZF (blocked gzip, what bgzip writes): gzip members with the BC extra field, + EOF."""
    out = bytearray()
    for start in range(0, max(len(data), 1), 60_000):
        block = data[start : start + 60_000]
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        deflated = comp.compress(block) + comp.flush()
        size = 18 + len(deflated) + 8  # header with extra field + data + crc/isize
        header = b"\x1f\x8b\x08\x04" + b"\x00" * 4 + b"\x00\xff" + struct.pack("<H", 6)
        out += header + b"BC" + struct.pack("<HH", 2, size - 1) + deflated
        out += struct.pack("<II", zlib.crc32(block), len(block))
    eof = "1f8b08040000000000ff0600424302001b0003000000000000000000"
    return bytes(out) + bytes.fromhex(eof)


# -- the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad input: ``make(folder, out)`` writes it and returns the argv (``out`` is the
    output prefix/file, in an empty folder); the message must hold every fragment and the name
    of ``culprit`` (a file name), and the output folder must stay empty."""

    name: str
    make: Callable[[Path, Path], list[str]]
    fragments: tuple[str, ...]
    culprit: str | None


CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str | None):
    def register(make: Callable[[Path, Path], list[str]]) -> Callable[[Path, Path], list[str]]:
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


# ---- genotype files (as the LD reference of `gwaskit loci`, which would write a table) ----


def loci_with_ref(folder: Path, out: Path, ref: Path | str) -> list[str]:
    ss = write_ssf(folder)
    return ["loci", str(ss), "--ld-ref", str(ref), "--out", str(out / "loci")]


@case("bed_wrong_magic", "first two bytes", "6c 1b", culprit="ref.bed")
def _(d, out):
    bed = write_bed(d)
    bed.write_bytes(b"BM" + bed.read_bytes()[2:])
    return loci_with_ref(d, out, bed)


@case("bed_sample_major", "sample-major", "--make-bed", culprit="ref.bed")
def _(d, out):
    bed = write_bed(d)
    bed.write_bytes(bed.read_bytes()[:2] + b"\x00" + bed.read_bytes()[3:])
    return loci_with_ref(d, out, bed)


@case("bed_truncated", "truncated", "21 samples", "12 variants", culprit="ref.bed")
def _(d, out):
    bed = write_bed(d)
    bed.write_bytes(bed.read_bytes()[:-5])
    return loci_with_ref(d, out, bed)


@case("bed_empty", "not a PLINK 1 .bed", culprit="ref.bed")
def _(d, out):
    bed = write_bed(d)
    bed.write_bytes(b"")
    return loci_with_ref(d, out, bed)


@case("bim_missing_line", "11 variants", "does not belong", culprit="ref.bed")
def _(d, out):
    bed = write_bed(d)
    edit_lines(bed.with_suffix(".bim"), lambda lines: lines[:-1])
    return loci_with_ref(d, out, d / "ref")  # prefix, not .bed


@case("fam_fewer_samples", "16 samples", "does not belong", culprit="ref.bed")
def _(d, out):
    bed = write_bed(d)
    edit_lines(bed.with_suffix(".fam"), lambda lines: lines[:-5])
    return loci_with_ref(d, out, bed)


@case("bim_empty", "empty", culprit="ref.bim")
def _(d, out):
    bed = write_bed(d)
    bed.with_suffix(".bim").write_text("")
    return loci_with_ref(d, out, bed)


@case("fam_missing", "not found", culprit="ref.fam")
def _(d, out):
    bed = write_bed(d)
    bed.with_suffix(".fam").unlink()
    return loci_with_ref(d, out, bed)


@case("bim_text_position", "line 3", "POS", culprit="ref.bim")
def _(d, out):
    bed = write_bed(d)

    def edit(lines):
        fields = lines[2].split("\t")
        fields[3] = "12kb"
        lines[2] = "\t".join(fields)
        return lines

    edit_lines(bed.with_suffix(".bim"), edit)
    return loci_with_ref(d, out, bed)


@case("bim_short_line", "line 4", "CHR ID CM POS A1 A2", culprit="ref.bim")
def _(d, out):
    bed = write_bed(d)

    def edit(lines):
        lines[3] = "\t".join(lines[3].split("\t")[:4]) + "\n"
        return lines

    edit_lines(bed.with_suffix(".bim"), edit)
    return loci_with_ref(d, out, bed)


@case("fam_duplicate_sample", "more than once", culprit="ref.fam")
def _(d, out):
    bed = write_bed(d)

    def edit(lines):
        lines[4] = lines[3]
        return lines

    edit_lines(bed.with_suffix(".fam"), edit)
    return loci_with_ref(d, out, bed)


@case("genotypes_not_found", "not a genotype file", culprit="nothing")
def _(d, out):
    return loci_with_ref(d, out, d / "nothing")


@case("vcf_empty", "empty", culprit="ref.vcf")
def _(d, out):
    (d / "ref.vcf").write_text("")
    return loci_with_ref(d, out, d / "ref.vcf")


@case("vcf_no_gt_nor_ds", "neither a GT nor a DS", culprit="ref.vcf")
def _(d, out):
    head = VCF_HEAD.replace("ID=GT", "ID=AD")
    (d / "ref.vcf").write_text(head + VCF_BODY.replace("\tGT\t", "\tAD\t"))
    return loci_with_ref(d, out, d / "ref.vcf")


@case("vcf_multiallelic", "line 6", "bcftools norm -m-", culprit="ref.vcf")
def _(d, out):
    body = VCF_BODY.splitlines(keepends=True)
    body[2] = body[2].replace("\tG\tA\t", "\tG\tA,T\t")
    (d / "ref.vcf").write_text(VCF_HEAD + "".join(body))
    return loci_with_ref(d, out, d / "ref.vcf")


@case("vcf_no_records", "no variant records", culprit="ref.vcf")
def _(d, out):
    (d / "ref.vcf").write_text(VCF_HEAD)
    return loci_with_ref(d, out, d / "ref.vcf")


@case("vcf_duplicate_sample", "'s1'", "more than once", culprit="ref.vcf")
def _(d, out):
    (d / "ref.vcf").write_text(VCF_HEAD.replace("s2", "s1") + VCF_BODY)
    return loci_with_ref(d, out, d / "ref.vcf")


@case("vcf_no_chrom_line", "#CHROM", culprit="ref.vcf")
def _(d, out):
    head = "".join(line for line in VCF_HEAD.splitlines(True) if not line.startswith("#CHROM"))
    (d / "ref.vcf").write_text(head + VCF_BODY)
    return loci_with_ref(d, out, d / "ref.vcf")


@case("bgzf_corrupt_block", "corrupt", culprit="ref.vcf.gz")
def _(d, out):
    data = bytearray(bgzf((VCF_HEAD + VCF_BODY * 40).encode()))
    data[40:80] = b"\xa5" * 40  # inside the first block's deflate stream
    (d / "ref.vcf.gz").write_bytes(bytes(data))
    return loci_with_ref(d, out, d / "ref.vcf.gz")


@case("bgzf_truncated", "truncated", culprit="ref.vcf.gz")
def _(d, out):
    data = bgzf((VCF_HEAD + VCF_BODY).encode())
    (d / "ref.vcf.gz").write_bytes(data[: len(data) // 2])
    return loci_with_ref(d, out, d / "ref.vcf.gz")


@case("gzip_not_gzip", "ref.vcf.gz", culprit="ref.vcf.gz")
def _(d, out):
    (d / "ref.vcf.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 60)
    return loci_with_ref(d, out, d / "ref.vcf.gz")


@case("pgen_garbage", "ref.pgen", culprit="ref.pgen")
def _(d, out):
    (d / "ref.pgen").write_bytes(b"\x00" * 64)
    (d / "ref.pvar").write_text("#CHROM\tPOS\tID\tREF\tALT\n1\t5\trs1\tA\tG\n")
    (d / "ref.psam").write_text("#IID\ns1\ns2\n")
    return loci_with_ref(d, out, d / "ref.pgen")


@case("bgen_garbage", "not a BGEN", culprit="ref.bgen")
def _(d, out):
    # offset, header length, variants, samples, then the magic "bgen" (here "nope"), flags
    header = struct.pack("<IIII", 20, 20, 1, 3) + b"nope" + struct.pack("<I", 2 | 8)
    (d / "ref.bgen").write_bytes(header + b"\0" * 40)
    return loci_with_ref(d, out, d / "ref.bgen")


@case("info_truncated_bed", "truncated", culprit="ref.bed")
def _(d, out):
    bed = write_bed(d)
    bed.write_bytes(bed.read_bytes()[:-1])
    return ["info", str(bed)]


# ---- phenotype and covariate tables (`gwaskit assoc`) ----

N_REF = 21  # samples of write_bed: FID 0, IID iid1..iid21


def pheno_text(values: list[str] | None = None, *, header: str = "FID\tIID\tT", ids=None) -> str:
    ids = ids or [f"iid{i + 1}" for i in range(N_REF)]
    values = values or ["1" if i % 2 else "2" for i in range(N_REF)]
    return header + "\n" + "".join(f"0\t{i}\t{v}\n" for i, v in zip(ids, values, strict=True))


def assoc_on(d: Path, out: Path, pheno: str | None, *extra: str, covar: str | None = None):
    bed = write_bed(d)
    argv = ["assoc", str(bed), "--pheno", str(d / "pheno.txt"), "--out", str(out / "assoc")]
    if pheno is not None:
        (d / "pheno.txt").write_text(pheno)
    if covar is not None:
        (d / "covar.txt").write_text(covar)
        argv += ["--covar", str(d / "covar.txt")]
    return [*argv, *extra]


def covar_text(values: list[str] | None = None, header: str = "FID\tIID\tAGE") -> str:
    return pheno_text(values or [str(40 + i) for i in range(N_REF)], header=header)


@case("pheno_no_iid_column", "line 1", "'FID IID' or 'IID'", culprit="pheno.txt")
def _(d, out):
    return assoc_on(d, out, pheno_text(header="FAMILY\tID\tT"))


@case("pheno_duplicate_id", "line 6", "more than once", "line 3", culprit="pheno.txt")
def _(d, out):
    ids = [f"iid{i + 1}" for i in range(N_REF)]
    ids[4] = ids[1]
    return assoc_on(d, out, pheno_text(ids=ids))


@case("pheno_text_value", "line 8", "'T'", "'case'", culprit="pheno.txt")
def _(d, out):
    values = ["1" if i % 2 else "2" for i in range(N_REF)]
    values[6] = "case"
    return assoc_on(d, out, pheno_text(values))


@case("pheno_all_cases", "only cases", "'T'", culprit="pheno.txt")
def _(d, out):
    return assoc_on(d, out, pheno_text(["2"] * N_REF), "--pheno-type", "binary")


@case("pheno_all_controls", "only controls", culprit="pheno.txt")
def _(d, out):
    values = ["1"] * N_REF
    values[3] = "NA"
    return assoc_on(d, out, pheno_text(values), "--pheno-type", "binary")


@case("pheno_no_overlap", "no sample is left", "IID", culprit="pheno.txt")
def _(d, out):
    return assoc_on(d, out, pheno_text(ids=[f"other{i}" for i in range(N_REF)]))


@case("pheno_ragged_line", "line 5", "expected 3 fields", culprit="pheno.txt")
def _(d, out):
    lines = pheno_text().splitlines(keepends=True)
    lines[4] = "0\tiid3\n"
    return assoc_on(d, out, "".join(lines))


@case("pheno_empty", "empty", culprit="pheno.txt")
def _(d, out):
    return assoc_on(d, out, "")


@case("pheno_header_only", "no sample rows", culprit="pheno.txt")
def _(d, out):
    return assoc_on(d, out, "FID\tIID\tT\n")


@case("pheno_name_unknown", "'BMI'", culprit="pheno.txt")
def _(d, out):
    return assoc_on(d, out, pheno_text(), "--pheno-name", "BMI")


@case("pheno_binary_bad_code", "'T'", "binary", culprit="pheno.txt")
def _(d, out):
    values = ["1" if i % 2 else "2" for i in range(N_REF)]
    values[2] = "3"
    return assoc_on(d, out, pheno_text(values), "--pheno-type", "binary")


@case("pheno_not_text", "not a text file", culprit="pheno.txt")
def _(d, out):
    (d / "pheno.txt").write_bytes(b"\xff\xfe\x00\x81" * 30)
    return assoc_on(d, out, None)


@case("covar_text_value", "line 11", "'AGE'", "'forty'", culprit="covar.txt")
def _(d, out):
    values = [str(40 + i) for i in range(N_REF)]
    values[9] = "forty"
    return assoc_on(d, out, pheno_text(), "--covar-name", "AGE", covar=covar_text(values))


@case("covar_duplicate_id", "more than once", culprit="covar.txt")
def _(d, out):
    text = covar_text()
    lines = text.splitlines(keepends=True)
    lines[7] = lines[6]
    return assoc_on(d, out, pheno_text(), covar="".join(lines))


@case("covar_name_unknown", "'SEX'", culprit="covar.txt")
def _(d, out):
    return assoc_on(d, out, pheno_text(), "--covar-name", "AGE,SEX", covar=covar_text())


# ---- `gwaskit qc` and `gwaskit pca` ----


@case("qc_pheno_only_cases", "phenotype is constant", "'T'", culprit="pheno.txt")
def _(d, out):
    (d / "pheno.txt").write_text(pheno_text(["2"] * N_REF))
    return ["qc", str(write_bed(d)), "--pheno", str(d / "pheno.txt"), "--out", str(out / "qc")]


@case("qc_threshold_out_of_range", "mind must be in [0, 1]", "1.5", culprit=None)
def _(d, out):
    return ["qc", str(write_bed(d)), "--mind", "1.5", "--out", str(out / "qc")]


@case("qc_truncated_bed", "truncated", culprit="ref.bed")
def _(d, out):
    bed = write_bed(d)
    bed.write_bytes(bed.read_bytes()[:-3])
    return ["qc", str(bed), "--out", str(out / "qc")]


@case("pca_too_many_pcs", "pcs must be", "(21)", culprit=None)
def _(d, out):
    return ["pca", str(write_bed(d)), "--pcs", "50", "--out", str(out / "pca")]


@case("pca_keep_no_match", "none of the listed samples", culprit="keep.txt")
def _(d, out):
    (d / "keep.txt").write_text("0 nobody\n0 other\n")
    return ["pca", str(write_bed(d)), "--keep", str(d / "keep.txt"), "--out", str(out / "pca")]


@case("pca_extract_no_match", "none of the listed variants", culprit="extract.txt")
def _(d, out):
    (d / "extract.txt").write_text("rsX\nrsY\n")
    return ["pca", str(write_bed(d)), "--extract", str(d / "extract.txt"),
            "--out", str(out / "pca")]  # fmt: skip


# ---- summary statistics (`gwaskit loci`) ----


def loci_on(ss: Path, out: Path, *extra: str) -> list[str]:
    return ["loci", str(ss), *extra, "--out", str(out / "loci")]


def drop_column(name: str) -> tuple[str, list[list[str]]]:
    names = SSF_HEADER.split("\t")
    i = names.index(name)
    return "\t".join(names[:i] + names[i + 1 :]), [r[:i] + r[i + 1 :] for r in ssf_rows()]


@case("ss_missing_effect_allele", "effect_allele", culprit="study.tsv")
def _(d, out):
    header, rows = drop_column("effect_allele")
    return loci_on(write_ssf(d, rows, header=header), out)


@case("ss_no_p_nor_se", "p-value", "standard error", culprit="study.tsv")
def _(d, out):
    header, rows = drop_column("p_value")
    names = header.split("\t")
    i = names.index("standard_error")
    header = "\t".join(names[:i] + names[i + 1 :])
    return loci_on(write_ssf(d, [r[:i] + r[i + 1 :] for r in rows], header=header), out)


@case("ss_se_zero", "line 8", "standard_error", "> 0", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(6, "standard_error", "0")), out)


@case("ss_se_negative", "line 3", "standard_error", "-0.04", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(1, "standard_error", "-0.04")), out)


@case("ss_p_above_one", "line 11", "p_value", "[0, 1]", "1.5", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(9, "p_value", "1.5")), out)


@case("ss_p_negative", "line 2", "p_value", "-0.2", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(0, "p_value", "-0.2")), out)


@case("ss_allele_not_acgt", "line 5", "effect_allele", "'Z'", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(3, "effect_allele", "Z")), out)


@case("ss_allele_missing", "line 4", "other_allele", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(2, "other_allele", "NA")), out)


@case("ss_build_mismatch_flag", "GRCh38", "GRCh37", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, build="GRCh38"), out, "--build", "GRCh37")


@case("ss_build_unknown", "GRCh37, GRCh38", "hg17", culprit="study.tsv-meta.yaml")
def _(d, out):
    return loci_on(write_ssf(d, build="hg17"), out)


@case("ss_build_mismatch_known", "known loci are on GRCh38", "GRCh37", culprit=None)
def _(d, out):
    (d / "known.tsv").write_text("CHR\tPOS\tSNP\n1\t1050000\trs6\n")
    ss = write_ssf(d)
    return loci_on(ss, out, "--known", str(d / "known.tsv"), "--known-build", "GRCh38")


@case("ss_infinite_beta", "line 7", "beta", "finite", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(5, "beta", "inf")), out)


@case("ss_infinite_se", "line 2", "standard_error", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(0, "standard_error", "-Inf")), out)


@case("ss_text_in_beta", "line 6", "beta", "'0.0l'", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(4, "beta", "0.0l")), out)


@case("ss_text_in_position", "line 13", "base_pair_location", "'1.2e6x'", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(11, "base_pair_location", "1.2e6x")), out)


@case("ss_negative_position", "line 2", "base_pair_location", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, with_cell(0, "base_pair_location", "-5")), out)


@case("ss_empty_file", "empty", culprit="study.tsv")
def _(d, out):
    (d / "study.tsv").write_text("")
    return loci_on(d / "study.tsv", out)


@case("ss_header_only", "no variants", culprit="study.tsv")
def _(d, out):
    return loci_on(write_ssf(d, []), out)


@case("ss_ragged_row", "line 4", culprit="study.tsv")
def _(d, out):
    rows = ssf_rows()
    rows[2] = rows[2][:5]
    return loci_on(write_ssf(d, rows), out)


@case("ss_corrupt_gzip", "study.tsv.gz", culprit="study.tsv.gz")
def _(d, out):
    path = write_ssf(d, name="study.tsv.gz")
    data = bytearray(path.read_bytes())
    data[30:60] = b"\xff" * 30
    path.write_bytes(bytes(data))
    return loci_on(path, out)


@case("ss_binary_junk", "not a readable text table", culprit="study.txt")
def _(d, out):
    (d / "study.txt").write_bytes(b"\x00\xff\xfe\x80binary" * 20)
    return loci_on(d / "study.txt", out)


@case("ss_parquet_junk", "Parquet", culprit="study.parquet")
def _(d, out):
    (d / "study.parquet").write_bytes(b"PAR1 this is not parquet")
    return loci_on(d / "study.parquet", out)


@case("ss_sidecar_bad_yaml", "YAML", culprit="study.tsv-meta.yaml")
def _(d, out):
    path = write_ssf(d, build=None)
    path.with_name(path.name + "-meta.yaml").write_text("genome_assembly: [GRCh37\n")
    return loci_on(path, out)


@case("ss_not_found", "not found", culprit="absent.tsv")
def _(d, out):
    return loci_on(d / "absent.tsv", out)


@case("known_no_columns", "chromosome and position, or rsid", culprit="known.tsv")
def _(d, out):
    (d / "known.tsv").write_text("gene\tnote\nIL23R\tx\n")
    return loci_on(write_ssf(d), out, "--known", str(d / "known.tsv"))


@case("known_text_position", "base_pair_location", "integer", culprit="known.tsv")
def _(d, out):
    (d / "known.tsv").write_text("CHR\tPOS\n1\t1,050,000\n")
    return loci_on(write_ssf(d), out, "--known", str(d / "known.tsv"))


# ---- summary statistics in `gwaskit meta` (impossible values in some rows are dropped with a
# counted reason code there, EasyQC-style; a file with nothing usable, or unreadable, is an error)


def meta_on(out: Path, *studies: Path, extra: tuple[str, ...] = ()) -> list[str]:
    argv = ["meta", *extra, "--population", "none", "--out", str(out / "meta")]
    for i, path in enumerate(studies):
        argv += ["--study", f"S{i + 1}={path}"]
    return argv


@case("meta_all_se_zero", "no variant passed QC", "se_not_positive: 30", culprit="b.tsv")
def _(d, out):
    rows = [[*r[:5], "0", *r[6:]] for r in ssf_rows()]
    return meta_on(out, write_ssf(d, name="a.tsv"), write_ssf(d, rows, name="b.tsv"))


@case("meta_all_p_above_one", "no variant passed QC", "p_out_of_range", culprit="b.tsv")
def _(d, out):
    rows = [[*r[:7], "1.5", *r[8:]] for r in ssf_rows()]
    return meta_on(out, write_ssf(d, name="a.tsv"), write_ssf(d, rows, name="b.tsv"))


@case("meta_builds_differ", "different genome builds", "S1: GRCh37", "S2: GRCh38", culprit=None)
def _(d, out):
    return meta_on(out, write_ssf(d, name="a.tsv"), write_ssf(d, name="b.tsv", build="GRCh38"))


@case("meta_text_in_se", "line 4", "standard_error", "'0,04'", culprit="b.tsv")
def _(d, out):
    rows = with_cell(2, "standard_error", "0,04")
    return meta_on(out, write_ssf(d, name="a.tsv"), write_ssf(d, rows, name="b.tsv"))


@case("meta_missing_other_allele", "other_allele", culprit="a.tsv")
def _(d, out):
    header, rows = drop_column("other_allele")
    return meta_on(out, write_ssf(d, rows, header=header, name="a.tsv"), write_ssf(d))


@case("meta_ragged_row", "line 7", "found 4", culprit="a.tsv")
def _(d, out):
    rows = ssf_rows()
    rows[5] = rows[5][:4]
    return meta_on(out, write_ssf(d, rows, name="a.tsv"), write_ssf(d))


@case("meta_study_twice", "'S1'", "twice", culprit=None)
def _(d, out):
    ss = write_ssf(d)
    return ["meta", "--study", f"S1={ss}", "--study", f"S1={ss}", "--out", str(out / "meta")]


@case("meta_study_not_found", "not found", culprit="gone.tsv")
def _(d, out):
    return meta_on(out, write_ssf(d), d / "gone.tsv")


# ---- loci tables (`gwaskit replicate` / `gwaskit annotate`) and results folders ----


def write_loci(folder: Path, build: str | None = "GRCh37", columns: bool = True) -> Path:
    table = pl.DataFrame(
        {
            "locus_id": ["chr1:1-2"],
            "chromosome": ["1"],
            "base_pair_location": [1_050_000],
            "effect_allele": ["A"],
            "other_allele": ["G"],
            "beta": [0.3],
            "standard_error": [0.04],
            "neg_log_10_p_value": [12.0],
        }
    )
    if not columns:
        table = table.drop("locus_id")
    path = folder / "loci.parquet"
    from gwaskit.io.tables import write_table

    write_table(table, folder / "loci", metadata={"genome_assembly": build}, tsv=False)
    return path


@case("loci_not_a_loci_table", "locus_id", culprit="loci.parquet")
def _(d, out):
    return ["replicate", str(write_loci(d, columns=False)), "--study", f"R={write_ssf(d)}",
            "--out", str(out / "rep")]  # fmt: skip


@case("replicate_build_mismatch", "GRCh38", "GRCh37", culprit="study.tsv")
def _(d, out):
    return ["replicate", str(write_loci(d)), "--study", f"R={write_ssf(d, build='GRCh38')}",
            "--out", str(out / "rep")]  # fmt: skip


@case("replicate_study_bad_p", "p_value", "line 3", culprit="study.tsv")
def _(d, out):
    ss = write_ssf(d, with_cell(1, "p_value", "2"))
    return ["replicate", str(write_loci(d)), "--study", f"R={ss}", "--out", str(out / "rep")]


@case("annotate_no_build", "--build", culprit=None)
def _(d, out):
    return ["annotate", str(write_loci(d, build=None)), "--out", str(out / "ann")]


@case("annotate_sumstats_build", "GRCh38", culprit="study.tsv")
def _(d, out):
    ss = write_ssf(d, build="GRCh38")
    bed = write_bed(d)
    return ["annotate", str(write_loci(d)), "--sumstats", str(ss), "--ld-ref", str(bed),
            "--out", str(out / "ann")]  # fmt: skip


@case("report_no_results", "results folder not found", culprit="absent")
def _(d, out):
    return ["report", str(d / "absent"), "--out", str(out / "report.html")]


@case("report_corrupt_parquet", "Parquet", culprit="meta.parquet")
def _(d, out):
    (d / "res").mkdir()
    (d / "res" / "meta.parquet").write_bytes(b"PAR1 broken PAR1")
    return ["report", str(d / "res"), "--out", str(out / "report.html")]


@case("report_bad_manifest", "JSON", culprit="manifest.json")
def _(d, out):
    (d / "res").mkdir()
    write_sumstats(pl.DataFrame({"chromosome": ["1"], "base_pair_location": [5],
                                 "effect_allele": ["A"], "other_allele": ["G"],
                                 "neg_log_10_p_value": [1.0]}), d / "res" / "meta")  # fmt: skip
    (d / "res" / "manifest.json").write_text('{"title": "x",}')
    return ["report", str(d / "res"), "--out", str(out / "report.html")]


# ---- plan files (`gwaskit run`) ----

PLAN = """\
[consortium]
name = "test"
build = "GRCh37"

[loci]
p = 5e-8

[[cohort]]
name = "A"
sumstats = "a.tsv"
"""


def write_plan(folder: Path, text: str = PLAN) -> Path:
    write_ssf(folder, name="a.tsv")
    (folder / "plan.toml").write_text(text)
    return folder / "plan.toml"


def plan_argv(plan: Path, out: Path) -> list[str]:
    return ["run", str(plan)]


@case("plan_typo_section", "unknown key 'consortum'", "'consortium'", culprit="plan.toml")
def _(d, out):
    return plan_argv(write_plan(d, PLAN.replace("[consortium]", "[consortum]")), out)


@case("plan_typo_key", "[loci] unknown key 'pvalue'", "Known keys: p,", culprit="plan.toml")
def _(d, out):
    return plan_argv(write_plan(d, PLAN.replace("p = 5e-8", "pvalue = 5e-8")), out)


@case("plan_missing_path", "'missing.tsv' does not exist", culprit="plan.toml")
def _(d, out):
    return plan_argv(write_plan(d, PLAN.replace('"a.tsv"', '"missing.tsv"')), out)


@case("plan_not_toml", "not valid TOML", "line 6", culprit="plan.toml")
def _(d, out):
    return plan_argv(write_plan(d, PLAN.replace("p = 5e-8", "p = 5e-8 8")), out)


@case("plan_wrong_type", "loci.p must be a number", "'small'", culprit="plan.toml")
def _(d, out):
    return plan_argv(write_plan(d, PLAN.replace("p = 5e-8", 'p = "small"')), out)


@case("plan_bad_choice", "consortium.build must be one of", "hg17", culprit="plan.toml")
def _(d, out):
    return plan_argv(write_plan(d, PLAN.replace('build = "GRCh37"', 'build = "hg17"')), out)


@case("plan_no_cohort", "[[cohort]]", culprit="plan.toml")
def _(d, out):
    return plan_argv(write_plan(d, PLAN.split("[[cohort]]")[0]), out)


@case("plan_not_found", "gwaskit init", culprit="plan.toml")
def _(d, out):
    return plan_argv(d / "plan.toml", out)


# -- running the cases ----------------------------------------------------------------------------


def invoke(argv: list[str]) -> int:
    return main([*argv, "--no-progress"])


def _check_message(err: str, case: Case, out: Path) -> None:
    # log lines (INFO: a study read before another failed) may precede the one error line
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    message = lines[0]
    assert "Traceback" not in err and "internal error" not in message, message
    for fragment in case.fragments:
        assert fragment in message, f"{fragment!r} not in: {message}"
    if case.culprit is not None:
        assert case.culprit in message, f"file {case.culprit!r} not named in: {message}"
    assert not list(out.iterdir()), f"output left behind: {list(out.iterdir())}"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """BGEN metafiles in the test's folder."""
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli__bad_input_one_line_exit_2_nothing_written(case: Case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    argv = case.make(inputs, out)
    code = invoke(argv)
    captured = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {captured.err}"
    _check_message(captured.err, case, out)
    assert not (inputs / "results").exists()  # a plan's output folder


def test_corpus__covers_every_group():
    groups = {}
    for c in CASES:
        groups.setdefault(c.name.split("_")[0], []).append(c.name)
    assert len(CASES) >= 40
    assert {"bed", "bim", "fam", "vcf", "bgzf", "pheno", "covar", "qc", "pca", "ss", "meta",
            "plan", "report"} <= set(groups)  # fmt: skip


SUBPROCESS_CASES = ["vcf_multiallelic", "ss_se_zero"]  # htslib's own stderr; a sumstats value


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_cli_subprocess__bad_input_exit_2_one_line(name, tmp_path):
    """The real process: exit status 2, one line on stderr, no traceback, nothing written."""
    case = next(c for c in CASES if c.name == name)
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    argv = case.make(inputs, out)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "GWASKIT_CACHE": str(tmp_path / "c")}
    result = subprocess.run(
        [sys.executable, "-m", "gwaskit", *argv, "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    _check_message(result.stderr, case, out)
