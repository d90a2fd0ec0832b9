"""Bad compressed inputs, in every verb that reads a table: exit 2, one line, nothing written.

Truncated, corrupt and mislabelled gzip, bgzip (BGZF) and zstd files given to loci, meta,
replicate, annotate and assoc (phenotypes, covariates, sample lists) must each give one line
naming the file (and its compression) instead of an ``EOFError`` traceback or a short table.
Cases follow ``tests/test_bad_inputs.py`` and run through its checks.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from gwaskit.cli import main
from test_bad_inputs import (
    Case,
    _check_message,
    assoc_on,
    bgzf,
    covar_text,
    invoke,
    pheno_text,
    write_ssf,
)

CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str | None):
    def register(make: Callable[[Path, Path], list[str]]) -> Callable[[Path, Path], list[str]]:
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


# -- compressors and breakers ---------------------------------------------------------------------


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zst(data: bytes) -> bytes:
    return pa.Codec("zstd").compress(data, asbytes=True)


def truncated(data: bytes) -> bytes:
    """The first half of a compressed stream (a copy cut short)."""
    return data[: len(data) // 2]


def flipped(data: bytes) -> bytes:
    """One byte inverted in the middle of the stream (a damaged copy)."""
    out = bytearray(data)
    out[len(out) // 2] ^= 0xFF
    return bytes(out)


def big_ssf_text(n: int = 3000) -> bytes:
    """A valid GWAS-SSF table long enough that half its compressed stream holds whole lines."""
    header = (
        "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
        "effect_allele_frequency\tp_value\tvariant_id\n"
    )
    rows = "".join(
        f"1\t{1_000_000 + 100 * i}\tA\tG\t{0.3 if i == 7 else 0.01}\t0.04\t0.3\t"
        f"{1e-12 if i == 7 else 0.5}\trs{i + 1}\n"
        for i in range(n)
    )
    return (header + rows).encode()


def ssf_file(d: Path, name: str, content: bytes) -> Path:
    path = d / name
    path.write_bytes(content)
    path.with_name(path.name + "-meta.yaml").write_text("genome_assembly: GRCh37\n")
    return path


def loci_on(d: Path, out: Path, content: bytes, name: str = "study.tsv.gz") -> list[str]:
    return ["loci", str(ssf_file(d, name, content)), "--out", str(out / "loci")]


def good_loci_table(d: Path) -> Path:
    """A Loci table (``.parquet`` and ``.tsv.gz``) written by ``gwaskit loci`` in ``d``."""
    ss = write_ssf(d, name="disc.tsv")
    assert main(["loci", str(ss), "--out", str(d / "loci"), "--no-progress", "-q"]) == 0
    return d / "loci"


# -- summary statistics (loci, meta, replicate, annotate --sumstats) -----------------------------


@case("gz_ss_truncated", "gzip", "truncated or corrupt", culprit="study.tsv.gz")
def _(d, out):
    return loci_on(d, out, truncated(gz(big_ssf_text())))


@case("gz_ss_corrupt", "gzip", "truncated or corrupt", culprit="study.tsv.gz")
def _(d, out):
    return loci_on(d, out, flipped(gz(big_ssf_text())))


@case("gz_ss_trailing_garbage", "gzip", "truncated or corrupt", culprit="study.tsv.gz")
def _(d, out):
    return loci_on(d, out, gz(big_ssf_text()) + b"not gzip at all")


@case("bgzf_ss_truncated", "bgzip", "truncated or corrupt", culprit="study.tsv.gz")
def _(d, out):
    return loci_on(d, out, truncated(bgzf(big_ssf_text(6000))))


@case("zst_ss_truncated", "zstd", "truncated or corrupt", culprit="study.tsv.zst")
def _(d, out):
    return loci_on(d, out, truncated(zst(big_ssf_text())), name="study.tsv.zst")


@case("zst_ss_corrupt", "zstd", "truncated or corrupt", culprit="study.tsv.zst")
def _(d, out):
    data = bytearray(zst(big_ssf_text()))
    data[8] ^= 0xFF  # the first block's header: zstd itself sees the damage
    return loci_on(d, out, bytes(data), name="study.tsv.zst")


@case("gz_ss_xz_named_gz", "xz", "does not read", "gzip, bgzip or zstd", culprit="study.tsv.gz")
def _(d, out):
    return loci_on(d, out, lzma.compress(big_ssf_text()))


@case("gz_ss_binary_inside", "not a text file", culprit="study.tsv.gz")
def _(d, out):
    return loci_on(d, out, gz(bytes(range(256)) * 50))


@case("gz_ss_parquet_damaged_named_tsv", "not a readable Parquet file", culprit="study.tsv.gz")
def _(d, out):
    import polars as pl

    pl.DataFrame({"chromosome": ["1"], "base_pair_location": [1]}).write_parquet(d / "x.parquet")
    return loci_on(d, out, (d / "x.parquet").read_bytes()[:-20])


@case("gz_ss_empty_stream", "header line is empty", culprit="study.tsv.gz")
def _(d, out):
    return loci_on(d, out, gz(b""))


@case("gz_meta_study_truncated", "gzip", "truncated or corrupt", culprit="b.tsv.gz")
def _(d, out):
    a = ssf_file(d, "a.tsv.gz", gz(big_ssf_text()))
    b = ssf_file(d, "b.tsv.gz", truncated(gz(big_ssf_text())))
    return ["meta", "--study", f"A={a}", "--study", f"B={b}", "--population", "none",
            "--out", str(out / "meta")]  # fmt: skip


@case("gz_replicate_study_truncated", "gzip", "truncated or corrupt", culprit="rep.tsv.gz")
def _(d, out):
    loci = good_loci_table(d)
    rep = ssf_file(d, "rep.tsv.gz", truncated(gz(big_ssf_text())))
    return ["replicate", f"{loci}.parquet", "--study", f"R={rep}", "--out", str(out / "rep")]


@case("gz_annotate_loci_truncated", "gzip", "truncated or corrupt", culprit="cut.tsv.gz")
def _(d, out):
    loci = good_loci_table(d)
    (d / "cut.tsv.gz").write_bytes(
        truncated(gz(gzip.decompress(Path(f"{loci}.tsv.gz").read_bytes()) * 40))
    )
    return ["annotate", str(d / "cut.tsv.gz"), "--build", "GRCh37", "--out", str(out / "ann")]


# A zstd frame written without its optional checksum (pyarrow's; the zstd command line adds
# one) cannot tell a flipped byte inside a block: the damage then shows as a table that does not
# parse, still one line naming the file.
@case("zst_annotate_loci_corrupt_block", "tab-separated", culprit="loci.tsv.zst")
def _(d, out):
    loci = good_loci_table(d)
    text = gzip.decompress(Path(f"{loci}.tsv.gz").read_bytes())
    (d / "loci.tsv.zst").write_bytes(flipped(zst(text * 40)))
    return ["annotate", str(d / "loci.tsv.zst"), "--build", "GRCh37", "--out", str(out / "ann")]


@case("gz_loci_known_truncated", "gzip", "truncated or corrupt", culprit="known.tsv.gz")
def _(d, out):
    ss = write_ssf(d)
    known = "CHR\tPOS\tSNP\n" + "".join(f"1\t{1000 + i}\trs{i}\n" for i in range(3000))
    (d / "known.tsv.gz").write_bytes(truncated(gz(known.encode())))
    return ["loci", str(ss), "--known", str(d / "known.tsv.gz"), "--known-build", "GRCh37",
            "--out", str(out / "loci")]  # fmt: skip


# -- phenotypes, covariates and sample lists (`gwaskit assoc`) -----------------------------------


@case("gz_pheno_truncated", "gzip", "truncated or corrupt", culprit="pheno.txt.gz")
def _(d, out):
    argv = assoc_on(d, out, None)
    (d / "pheno.txt.gz").write_bytes(truncated(gz(pheno_text().encode() * 30)))
    return [str(d / "pheno.txt.gz") if a == str(d / "pheno.txt") else a for a in argv]


@case("bgzf_pheno_corrupt", "bgzip", "truncated or corrupt", culprit="pheno.txt.gz")
def _(d, out):
    argv = assoc_on(d, out, None)
    (d / "pheno.txt.gz").write_bytes(flipped(bgzf(pheno_text().encode() * 30)))
    return [str(d / "pheno.txt.gz") if a == str(d / "pheno.txt") else a for a in argv]


@case("zst_covar_truncated", "zstd", "truncated or corrupt", culprit="covar.zst")
def _(d, out):
    argv = assoc_on(d, out, pheno_text())
    (d / "covar.zst").write_bytes(truncated(zst(covar_text().encode() * 30)))
    return [*argv, "--covar", str(d / "covar.zst")]


@case("bz2_keep_truncated", "bzip2", "truncated or corrupt", culprit="keep.txt.bz2")
def _(d, out):
    argv = assoc_on(d, out, pheno_text())
    keep = "".join(f"0\tiid{i + 1}\n" for i in range(21)).encode() * 40
    (d / "keep.txt.bz2").write_bytes(truncated(bz2.compress(keep)))
    return [*argv, "--keep", str(d / "keep.txt.bz2")]


# -- LD score regression (`gwaskit ldsc`) ----------------------------------------------------------

LDSC_DATA = Path(__file__).resolve().parent / "data" / "ldsc_simulate_test"


def ldsc_h2(d: Path, out: Path, sumstats: Path, ldscore: Path | None = None) -> list[str]:
    ref = LDSC_DATA / "ldscore" / "oneld_onefile"
    if ldscore is not None:
        ref = ldscore
    return ["ldsc", "h2", str(sumstats), "--ref-ld", str(ref), "--w-ld",
            str(LDSC_DATA / "ldscore" / "w"), "--out", str(out / "h2")]  # fmt: skip


@case("gz_ldsc_sumstats_truncated", "gzip", "truncated or corrupt", culprit="t.sumstats.gz")
def _(d, out):
    text = "SNP\tA1\tA2\tZ\tN\n" + "".join(f"rs{i}\tA\tG\t0.5\t1000\n" for i in range(3000))
    (d / "t.sumstats.gz").write_bytes(truncated(gz(text.encode())))
    return ldsc_h2(d, out, d / "t.sumstats.gz")


@case("bz2_ldsc_ldscore_truncated", "bzip2", "truncated or corrupt", culprit="r.l2.ldscore.bz2")
def _(d, out):
    source = LDSC_DATA / "ldscore" / "oneld_onefile"
    (d / "r.l2.ldscore.bz2").write_bytes(
        truncated(bz2.compress(Path(f"{source}.l2.ldscore").read_bytes()))
    )
    (d / "r.l2.M_5_50").write_bytes(Path(f"{source}.l2.M_5_50").read_bytes())
    sumstats = LDSC_DATA / "sumstats" / "0.gz"
    return ldsc_h2(d, out, sumstats, ldscore=d / "r")


# -- running the cases ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli__bad_compressed_input_one_line_exit_2_nothing_written(case: Case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    argv = case.make(inputs, out)
    capsys.readouterr()  # the good tables made by `make`
    code = invoke(argv)
    captured = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {captured.err}"
    _check_message(captured.err, case, out)


def test_corpus__covers_every_compression_and_verb():
    names = [c.name for c in CASES]
    assert len(CASES) == 21
    assert {n.split("_")[0] for n in names} == {"gz", "bgzf", "zst", "bz2"}
    verbs = {n.split("_")[1] for n in names}
    assert {
        "ss",
        "meta",
        "replicate",
        "annotate",
        "loci",
        "pheno",
        "covar",
        "keep",
        "ldsc",
    } <= verbs
