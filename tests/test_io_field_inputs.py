"""Genotype-side inputs as users bring them: extra ``.fam`` columns as phenotypes (GEMMA),
headerless phenotype files, ``.bim`` positions of -9, byte-order marks, old sample-major
``.bed``, and a BGEN index cache that a replaced file cannot fool.

References: plink2 run on the same files (``--pheno FILE.fam --pheno-col-nums``, ``--freq``),
and the same data read another way (a phenotype in a separate file, a variant-major ``.bed``).
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from bed_reader import to_bed

from conftest import run_tool
from gwaskit.cli import main
from gwaskit.errors import InputError, ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.bgen_index import _private_folder, cache_dir
from gwaskit.io.oxford import read_sample_file
from gwaskit.io.packed import read_packed
from gwaskit.io.phenotypes import (
    column_names,
    load_phenotypes,
    parse_column_numbers,
    read_sample_table,
)
from gwaskit.io.plink1 import read_bim, read_fam
from gwaskit.io.plink2 import read_psam, read_pvar
from gwaskit.io.text import read_text_lines

BOM = b"\xef\xbb\xbf"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def gemma_set(test_data: Path, tmp_path: Path) -> Path:
    """GEMMA's 7-column ``.fam`` (1,000 samples, two phenotypes) and the first 300 lines of its
    ``.bim``, with a simulated ``.bed`` (the 2.5 MB original is not vendored): two variants carry
    an effect on phenotype 2 so that the scan has signal to agree on."""
    source = test_data / "field_formats/gemma/multivariate_2traits"
    folder = tmp_path / "gemma"
    folder.mkdir()
    rng = np.random.default_rng(3)
    dosage = rng.binomial(2, rng.uniform(0.1, 0.5, 300), size=(1000, 300)).astype(np.float32)
    dosage[rng.random(dosage.shape) < 0.01] = np.nan
    to_bed(folder / "g.bed", dosage)
    shutil.copy(source.with_suffix(".fam"), folder / "g.fam")
    lines = (source.with_suffix(".bim")).read_text().splitlines(keepends=True)[:300]
    (folder / "g.bim").write_text("".join(lines))
    return folder / "g"


# -- phenotypes from a .fam, headerless files ---------------------------------------------------


def test_read_sample_table__fam_columns_as_phenotypes(test_data):
    fam = test_data / "field_formats/gemma/multivariate_2traits.fam"
    table = read_sample_table(fam)
    assert table.values.columns == ["PHENO1", "PHENO2"] and table.numbers == (6, 7)
    assert table.values.height == 1000 and table.lines[0] == 1
    assert table.values.row(0) == ("6.997727488829664", "4.491291386322329")
    assert column_names(fam, [7, 6]) == ["PHENO2", "PHENO1"]
    with pytest.raises(InputError, match="column number 5"):
        column_names(fam, [5])  # SEX is not a phenotype


def test_read_sample_table__headerless_plink_file(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("f1 a 1.5 2\nf2 b -9 1\n")
    table = read_sample_table(path)
    assert table.values.columns == ["PHENO1", "PHENO2"] and table.numbers == (3, 4)
    assert table.ids.rows() == [("f1", "a"), ("f2", "b")]
    assert read_sample_table(path, prefix="COVAR").values.columns == ["COVAR1", "COVAR2"]
    path.write_text("ID pheno\nf1 a\n")  # neither a FID/IID header nor data: still an error
    with pytest.raises(InputError, match="FID IID"):
        read_sample_table(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6", [6]), ("6,7", [6, 7]), ("3-5,8", [3, 4, 5, 8]), ("7,6", [7, 6])],
)
def test_parse_column_numbers__plink2_syntax(text, expected):
    assert parse_column_numbers(text, "--pheno-col-nums") == expected


@pytest.mark.parametrize("text", ["", "0", "a", "6,6", "5-x", "-3", "5-3", "1-999999999"])
def test_parse_column_numbers__bad_values(text):
    with pytest.raises(ParameterError, match="--pheno-col-nums"):
        parse_column_numbers(text, "--pheno-col-nums")


def test_load_phenotypes__regenie_zero_one_coding(test_data):
    samples = read_fam(test_data / "field_formats/regenie/example.fam")
    pheno = load_phenotypes(samples, test_data / "field_formats/regenie/phenotype_bin.txt")
    assert pheno.name == "Y1" and pheno.binary
    assert pheno.n == 500 and pheno.y[0] == 1.0  # row "1 1 1 1": sample 1 a case
    assert pheno.n_cases + pheno.n_controls == 500


def test_assoc__fam_column_equals_separate_file_and_plink2(gemma_set, tmp_path, plink2):
    """A phenotype from the .fam's 7th column gives the numbers of the same phenotype in a
    separate file; both agree with plink2 --pheno FILE.fam --pheno-col-nums 6,7 to its printed
    6 significant digits."""
    fam = gemma_set.with_suffix(".fam")
    sep = tmp_path / "sep.txt"
    rows = [line.split() for line in fam.read_text().splitlines()]
    sep.write_text("FID IID T2\n" + "".join(f"{r[0]} {r[1]} {r[6]}\n" for r in rows))
    base = ["assoc", str(gemma_set), "--no-progress", "--threads", "1"]
    assert (
        main([*base, "--pheno", str(fam), "--pheno-col-nums", "6,7", "--out", str(tmp_path / "f")])
        == 0
    )
    assert main([*base, "--pheno", str(sep), "--out", str(tmp_path / "s")]) == 0
    from_fam = pl.read_parquet(tmp_path / "f.PHENO2.parquet")
    separate = pl.read_parquet(tmp_path / "s.parquet")
    assert from_fam.height == separate.height == 300
    assert from_fam.equals(separate)
    run_tool(
        [plink2, "--bfile", str(gemma_set), "--pheno", str(fam), "--pheno-col-nums", "6,7",
         "--glm", "allow-no-covars", "--threads", "1", "--out", str(tmp_path / "ref")]
    )  # fmt: skip
    for name in ("PHENO1", "PHENO2"):
        ours = pl.read_parquet(tmp_path / f"f.{name}.parquet")
        theirs = pl.read_csv(
            tmp_path / f"ref.{name}.glm.linear", separator="\t", infer_schema=False
        )
        assert ours.height == theirs.height == 300
        sign = np.where(theirs["A1"].to_numpy() == ours["effect_allele"].to_numpy(), 1.0, -1.0)
        beta = sign * theirs["BETA"].cast(pl.Float64).to_numpy()
        np.testing.assert_allclose(ours["beta"].to_numpy(), beta, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            ours["standard_error"].to_numpy(), theirs["SE"].cast(pl.Float64).to_numpy(), rtol=1e-5
        )
        np.testing.assert_allclose(
            ours["p_value"].to_numpy(), theirs["P"].cast(pl.Float64).to_numpy(), rtol=1e-4
        )


# -- .bim positions of -9 ------------------------------------------------------------------------


def test_plink_bed_source__negative_positions_skipped_as_plink2(
    test_data, tmp_path, plink2, caplog
):
    for ext in ("bed", "bim", "fam"):
        shutil.copy(
            test_data / f"field_formats/saige/genotype_100markers.{ext}", tmp_path / f"g.{ext}"
        )
    lines = (tmp_path / "g.bim").read_text().splitlines()
    for i in (2, 49):
        fields = lines[i].split("\t")
        fields[3] = "-9"
        lines[i] = "\t".join(fields)
    (tmp_path / "g.bim").write_text("\n".join(lines) + "\n")
    run_tool([plink2, "--bfile", str(tmp_path / "g"), "--freq", "--out", str(tmp_path / "f")])
    freq = pl.read_csv(tmp_path / "f.afreq", separator="\t")
    with caplog.at_level(logging.WARNING, logger="gwaskit"):
        source = open_genotypes(tmp_path / "g.bed")
    assert "2 of 100 variants have a negative position" in caplog.text
    assert source.n_variants == freq.height == 98  # plink2: "98 out of 100 variants loaded"
    assert source.variants["variant_id"].to_list() == freq["ID"].to_list()
    assert source.variants["effect_allele"].to_list() == freq["ALT"].to_list()
    dosage = source.read()
    np.testing.assert_allclose(np.nanmean(dosage, 0) / 2, freq["ALT_FREQS"].to_numpy(), atol=5e-7)
    full = open_genotypes(test_data / "field_formats/saige/genotype_100markers.bed").read()
    assert np.array_equal(dosage, np.delete(full, [2, 49], axis=1))
    packed = read_packed(source, range(0, 98))
    assert packed.shape == (98, 2500)
    assert read_bim(tmp_path / "g.bim").height == 98


# -- byte-order marks ----------------------------------------------------------------------------


def test_parsers__byte_order_mark_dropped(test_data, tmp_path):
    """A BOM (as Windows editors write) must not become part of the first sample ID or header."""
    cases = {
        "g.fam": (test_data / "field_formats/saige/genotype_100markers.fam", read_fam),
        "g.bim": (test_data / "field_formats/saige/genotype_100markers.bim", read_bim),
        "g.psam": (test_data / "field_formats/regenie/example.psam", read_psam),
        "g.pvar": (test_data / "field_formats/regenie/example.pvar", read_pvar),
        "g.sample": (test_data / "field_formats/bgen/example.sample", read_sample_file),
    }
    for name, (original, reader) in cases.items():
        (tmp_path / name).write_bytes(BOM + original.read_bytes())
        with_bom, without = reader(tmp_path / name), reader(original)
        assert with_bom.height == without.height > 0, name
        assert with_bom.equals(without), name
    pheno = tmp_path / "pheno.txt"
    pheno.write_bytes(BOM + b"FID IID T\n1a1 1a1 1.5\n1a2 1a2 2.5\n1a3 1a3 0.5\n")
    samples = read_fam(test_data / "field_formats/saige/genotype_100markers.fam")
    loaded = load_phenotypes(samples, pheno)
    assert loaded.sample_index.tolist() == [0, 1, 2]  # the first sample is not dropped
    headerless = tmp_path / "h.txt"
    headerless.write_bytes(BOM + b"1a1 1a1 1.5\n1a2 1a2 2.5\n")
    assert read_sample_table(headerless).ids["fid"].to_list() == ["1a1", "1a2"]


def test_read_text_lines__zstd(test_data, tmp_path):
    import zstandard

    path = test_data / "field_formats/plink2/chr21_phase3_start.pvar.zst"
    lines = read_text_lines(path, "a .pvar")
    assert sum(not line.startswith("#") for line in lines) == 485
    frames = [zstandard.ZstdCompressor().compress(t + b"x\n" * 10) for t in (BOM, b"")]
    (tmp_path / "two.zst").write_bytes(b"".join(frames))  # two frames, as zstd -c a b writes
    assert read_text_lines(tmp_path / "two.zst", "x") == ["x"] * 20
    (tmp_path / "cut.zst").write_bytes(path.read_bytes()[:5000])
    with pytest.raises(InputError, match="truncated zstd"):
        read_text_lines(tmp_path / "cut.zst", "a .pvar")


# -- sample-major .bed ---------------------------------------------------------------------------


def test_plink_bed_source__sample_major_equals_variant_major(test_data, tmp_path):
    """PLINK 0.99's sample-major mode, written here by transposing a real .bed's codes with a
    plain loop (independent of the reader's vectorised transpose), reads the same genotypes."""
    prefix = test_data / "field_formats_extra/sgkit/plink_sim_10s_100v_10pmiss"
    n_samples, n_variants = 10, 100
    body = np.fromfile(prefix.with_suffix(".bed"), dtype=np.uint8, offset=3)
    rows = body.reshape(n_variants, (n_samples + 3) // 4)
    out = np.zeros((n_samples, (n_variants + 3) // 4), dtype=np.uint8)
    for v in range(n_variants):
        for s in range(n_samples):
            code = (rows[v, s // 4] >> (2 * (s % 4))) & 3
            out[s, v // 4] |= code << (2 * (v % 4))
    (tmp_path / "sm.bed").write_bytes(b"\x6c\x1b\x00" + out.tobytes())
    for ext in ("bim", "fam"):
        shutil.copy(prefix.with_suffix(f".{ext}"), tmp_path / f"sm.{ext}")
    old, new = open_genotypes(tmp_path / "sm.bed"), open_genotypes(prefix.with_suffix(".bed"))
    assert old.read().shape == (10, 100)
    assert np.array_equal(old.read(), new.read(), equal_nan=True)
    assert np.array_equal(read_packed(old, range(100)), read_packed(new, range(100)))
    old.close()  # a closed reader reopens (and transposes) again
    assert np.array_equal(old.read(range(5), [3, 1]), new.read(range(5), [3, 1]), equal_nan=True)


# -- the BGEN index cache ------------------------------------------------------------------------


def _bgen(test_data: Path, name: str) -> Path:
    return test_data / "field_formats/bgen" / name


def test_bgen_index__stale_metafile_beside_replaced_file_ignored(test_data, tmp_path):
    import cbgen

    path = tmp_path / "x.bgen"
    shutil.copy(test_data / "field_formats/regenie/example.bgen", path)
    with cbgen.bgen_file(path) as bgen:
        bgen.create_metafile(tmp_path / "x.bgen.metafile", verbose=False)
    assert open_genotypes(path).variants["variant_id"][0] == "1"  # the good metafile is used
    shutil.copy(_bgen(test_data, "example.16bits.bgen"), path)  # replaced
    os.utime(tmp_path / "x.bgen.metafile")  # the old index now looks newer than the file
    source = open_genotypes(path)
    assert source.n_variants == 199 and source.variants["variant_id"][0] == "RSID_2"
    truth = open_genotypes(_bgen(test_data, "example.16bits.bgen")).read()
    assert np.array_equal(source.read(), truth, equal_nan=True)


def test_bgen_index__same_size_and_mtime_not_trusted(test_data, tmp_path):
    """A file rewritten in place with the same size and mtime (an ID edited) is re-indexed."""
    path = tmp_path / "x.bgen"
    shutil.copy(_bgen(test_data, "example.16bits.bgen"), path)
    info = path.stat()
    assert open_genotypes(path).variants["variant_id"][0] == "RSID_2"
    data = path.read_bytes()
    at = data.index(b"RSID_2")
    path.write_bytes(data[:at] + b"RSID_9" + data[at + 6 :])
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size
    assert open_genotypes(path).variants["variant_id"][0] == "RSID_9"
    cached = list((tmp_path / "cache" / "bgen").iterdir())
    assert len(cached) == 2 and all(p.suffix == ".metafile" for p in cached)  # no build folders


def test_cache_dir__private(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    monkeypatch.setenv("GWASKIT_CACHE", str(folder))
    assert cache_dir() == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o777)  # a folder of ours opened up is closed again
    assert cache_dir() == folder and stat.S_IMODE(folder.stat().st_mode) == 0o700
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert not _private_folder(link)  # a symlink (anyone could have placed it) is refused
    (tmp_path / "file").write_text("x")
    assert not _private_folder(tmp_path / "file")


# -- EIGENSOFT packedped, notes, --sample -------------------------------------------------------


def test_plink_bed_source__eigensoft_packedped(test_data, tmp_path):
    """EIGENSOFT's packedped: the .bed with .pedsnp (= .bim) and .pedind (= .fam)."""
    prefix = test_data / "field_formats/saige/genotype_100markers"
    shutil.copy(prefix.with_suffix(".bed"), tmp_path / "e.bed")
    shutil.copy(prefix.with_suffix(".bim"), tmp_path / "e.pedsnp")
    shutil.copy(prefix.with_suffix(".fam"), tmp_path / "e.pedind")
    packedped, plink = open_genotypes(tmp_path / "e"), open_genotypes(prefix)
    assert packedped.variants.equals(plink.variants) and packedped.n_variants == 100
    assert packedped.samples.equals(plink.samples) and packedped.n_samples == 10_000
    assert np.array_equal(packedped.read(range(20)), plink.read(range(20)), equal_nan=True)


def test_cli_info__reports_split_and_skipped(test_data, tmp_path, capsys):
    pgen = test_data / "field_formats/plink2/chr21_phase3_start.pgen"
    assert open_genotypes(pgen).notes == {"multi-allelic records split": 3}
    assert main(["info", str(pgen), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "multi-allelic records split" in out and "488" in out.replace(",", "")
    bgen = test_data / "field_formats_extra/sgkit/example-no-samples.bgen"
    sample = test_data / "field_formats_extra/sgkit/example-separate-samples.sample"
    assert main(["info", str(bgen), "--sample", str(sample), "--no-progress"]) == 0
    assert "199" in capsys.readouterr().out


def test_split_alleles__pgen_equals_plink2_exported_vcf_and_bcf(test_data, tmp_path, plink2):
    """plink2 exports the multi-allelic PGEN as VCF and BCF (one record per variant, ALT lists);
    the three readers split them into the same 488 biallelic records with the same dosages."""
    import zstandard

    src = test_data / "field_formats/plink2/chr21_phase3_start"
    for ext in ("pgen", "psam"):
        shutil.copy(src.with_suffix(f".{ext}"), tmp_path / f"c.{ext}")
    raw = src.with_suffix(".pvar.zst").read_bytes()  # this plink2 build reads plain .pvar only
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    (tmp_path / "c.pvar").write_bytes(reader.read())
    prefix = str(tmp_path / "c")
    run_tool([plink2, "--pfile", prefix, "--export", "bcf", "--out", prefix])
    run_tool([plink2, "--pfile", prefix, "--export", "vcf", "bgz", "--out", prefix])
    pgen = open_genotypes(src.with_suffix(".pgen"))
    dosage = pgen.read()
    assert dosage.shape == (2504, 488)
    for name in ("c.bcf", "c.vcf.gz"):
        vcf = open_genotypes(tmp_path / name)
        assert vcf.notes == {"multi-allelic records split": 3}
        assert vcf.variants.equals(pgen.variants), name
        assert np.array_equal(vcf.read(), dosage, equal_nan=True), name


def test_assoc__hs1940_like_fam_with_six_phenotypes(gemma_set, tmp_path):
    """A .fam of 11 columns (GEMMA's hs1940 layout: six phenotypes, NA for missing) is read;
    --pheno-col-nums 11 gives the numbers of the same phenotype in a separate file."""
    fam = gemma_set.with_suffix(".fam")
    rows = [line.split() for line in fam.read_text().splitlines()]
    rng = np.random.default_rng(5)
    extra = rng.normal(size=(len(rows), 4)).round(4).astype(str)
    extra[rng.random(extra.shape) < 0.05] = "NA"
    fam.write_text("".join(" ".join(r + list(e)) + "\n" for r, e in zip(rows, extra, strict=True)))
    assert read_fam(fam).height == 1000
    assert read_sample_table(fam).values.columns == [f"PHENO{i}" for i in range(1, 7)]
    sep = tmp_path / "sep.txt"
    sep.write_text(
        "FID IID P6\n"
        + "".join(f"{r[0]} {r[1]} {e[3]}\n" for r, e in zip(rows, extra, strict=True))
    )
    base = ["assoc", str(gemma_set), "--no-progress", "--threads", "1"]
    assert (
        main([*base, "--pheno", str(fam), "--pheno-col-nums", "11", "--out", str(tmp_path / "f")])
        == 0
    )
    assert main([*base, "--pheno", str(sep), "--out", str(tmp_path / "s")]) == 0
    from_fam, separate = (pl.read_parquet(tmp_path / f"{p}.parquet") for p in ("f", "s"))
    assert from_fam.height == separate.height == 300
    assert from_fam.equals(separate)
    n = 1000 - int((extra[:, 3] == "NA").sum())  # NA is missing
    assert load_phenotypes(read_fam(fam), fam, pheno_name="PHENO6").n == n
    assert from_fam["n"].max() <= n


# -- VCF dosage kernels: closed forms ------------------------------------------------------------


def test_gt_dosage__split_alleles_haploid_missing_polyploid():
    from gwaskit.io.vcf_dosage import gt_dosage

    # cyvcf2 layout: allele codes (-1 missing, -2 vector end), then the phase flag
    calls = np.array(
        [[1, 2, -2, 0], [2, 2, -2, 1], [-1, 1, -2, 0], [2, -2, -2, 0], [0, 1, 1, 0]], dtype=np.int16
    )
    np.testing.assert_array_equal(gt_dosage(calls, 1), [1, 0, np.nan, 0, np.nan])
    np.testing.assert_array_equal(gt_dosage(calls, 2), [1, 2, np.nan, 2, np.nan])


def test_gp_dosage__genotype_order_haploid_and_phred():
    from gwaskit.io.vcf_dosage import gp_dosage

    nan = np.nan
    # 3 alleles, diploid order 0/0 0/1 1/1 0/2 1/2 2/2; haploid rows have 3 values
    gp = np.array(
        [
            [0, 0, 0, 0, 1, 0],  # 1/2
            [0, 0, 0, 0, 0, 1],  # 2/2
            [0.2, 0.3, 0.1, 0.1, 0.2, 0.1],
            [0, 0, 1, nan, nan, nan],  # haploid 2
            [nan] * 6,
        ]
    )
    np.testing.assert_allclose(gp_dosage(gp, 3, 1), [1, 0, 0.3 + 0.2 + 0.2, 0, nan], atol=1e-7)
    np.testing.assert_allclose(gp_dosage(gp, 3, 2), [1, 2, 0.1 + 0.2 + 0.2, 2, nan], atol=1e-7)
    phred = np.array([[0.0, 30.0, 30.0], [0.5, 0.5, 0.0]])  # Phred-scaled; plain probabilities
    np.testing.assert_allclose(gp_dosage(phred, 2, 1), [0.001 + 0.002, 0.5], rtol=1e-6)


def test_pgen_source__bim_negative_positions_skipped(test_data, tmp_path):
    """A .pgen read with a .bim (no .pvar): variants at -9 are skipped as plink2 skips them."""
    src = test_data / "field_formats/regenie/example"
    shutil.copy(src.with_suffix(".pgen"), tmp_path / "x.pgen")
    shutil.copy(src.with_suffix(".psam"), tmp_path / "x.psam")
    lines = src.with_suffix(".bim").read_text().splitlines()
    fields = lines[4].split()
    fields[3] = "-9"
    lines[4] = "\t".join(fields)
    (tmp_path / "x.bim").write_text("\n".join(lines) + "\n")
    source, full = open_genotypes(tmp_path / "x.pgen"), open_genotypes(src.with_suffix(".pgen"))
    assert source.n_variants == 999
    assert source.notes == {"variants skipped (negative .bim position)": 1}
    assert source.variants.equals(full.variants.filter(pl.Series(np.arange(1000) != 4)))
    assert np.array_equal(source.read(), np.delete(full.read(), 4, axis=1))


def test_assoc__bgen_with_sample_option_equals_bed(test_data, tmp_path):
    """SAIGE's 8-bit BGEN (no sample block) with --sample, and the same genotypes as a .bed:
    one scan, the same numbers (8-bit hard calls are exact)."""
    rng = np.random.default_rng(11)
    iids = read_fam(test_data / "field_formats/saige/genotype_100markers.fam")["iid"]
    pheno = tmp_path / "p.txt"
    pheno.write_text("IID T\n" + "".join(f"{i} {rng.normal():.4f}\n" for i in iids))
    folder = test_data / "field_formats_extra/saige"
    bgen = tmp_path / "g.bgen"  # away from its .bgen.samples, so --sample is needed
    shutil.copy(folder / "genotype_100markers.bgen", bgen)
    base = ["assoc", "--pheno", str(pheno), "--no-progress", "--threads", "1"]
    sample = folder / "genotype_100markers_2chr.sample"
    assert main([*base, str(bgen), "--sample", str(sample), "--out", str(tmp_path / "b")]) == 0
    bed = test_data / "field_formats/saige/genotype_100markers"
    assert main([*base, str(bed), "--out", str(tmp_path / "p")]) == 0
    a, b = (pl.read_parquet(tmp_path / f"{x}.parquet") for x in ("b", "p"))
    assert a.height == b.height == 100
    assert a["effect_allele"].equals(b["effect_allele"])
    np.testing.assert_allclose(a["beta"].to_numpy(), b["beta"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(a["p_value"].to_numpy(), b["p_value"].to_numpy(), rtol=1e-9)


def test_read_sample_list__byte_order_mark(test_data, tmp_path):
    """A --keep/--extract list saved with a BOM keeps its first sample and variant."""
    from gwaskit.cli._lists import read_sample_list, read_variant_list

    source = open_genotypes(test_data / "field_formats/saige/genotype_100markers.bed")
    keep = tmp_path / "keep.txt"
    keep.write_bytes(BOM + b"1a1 1a1\n1a2 1a2\n")
    assert read_sample_list(keep, source.samples).tolist() == [0, 1]
    extract = tmp_path / "extract.txt"
    extract.write_bytes(BOM + b"rs1\nrs2\n")
    assert np.flatnonzero(read_variant_list(extract, source.variants)).tolist() == [0, 1]


def test_read_sample_table__psam_phenotypes(test_data):
    """A .psam as phenotype file: its SEX/PAT/MAT columns are not phenotypes (as in plink2)."""
    table = read_sample_table(test_data / "field_formats/regenie/example.psam")
    assert table.values.columns == ["PHENO1"] and table.numbers == (4,)
    assert table.values.height == 500 and table.values["PHENO1"][0] == "-0.426776"
    chr21 = read_sample_table(test_data / "field_formats/plink2/chr21_phase3_start.psam")
    assert chr21.values.columns == ["SuperPop", "Population"] and chr21.numbers == (5, 6)
    samples = read_psam(test_data / "field_formats/regenie/example.psam")
    fam = load_phenotypes(samples, test_data / "field_formats/regenie/example.fam")
    psam = load_phenotypes(samples, test_data / "field_formats/regenie/example.psam")
    assert psam.n == fam.n == 500  # the .fam has 16 digits, the .psam 6 significant ones
    np.testing.assert_allclose(psam.y, fam.y, rtol=5e-6, atol=5e-7)
