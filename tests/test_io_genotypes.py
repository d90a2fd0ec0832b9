"""Genotype readers: PLINK 1, PLINK 2, VCF/BCF and BGEN read back one cohort identically.

The reference is plink2 itself: it converts a PLINK 1 cohort written by bed_reader into the other
formats, and its ``--freq`` gives the allele frequencies every reader must reproduce.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from bed_reader import to_bed

from conftest import run_tool
from gwaskit.errors import BuildMismatchError, InputError
from gwaskit.io import open_genotypes

N_SAMPLES, N_VARIANTS = 240, 360
CHROMOSOMES = ("1", "chr2", "22", "23")  # a chr prefix and PLINK's numeric code for X
BASES = np.array(list("ACGT"))
MISSING_RATE = 0.02


def make_cohort(folder: Path, *, seed: int = 7) -> tuple[Path, np.ndarray]:
    """A PLINK 1 cohort: 2% missing calls, 4 chromosomes, common and rare variants.

    Males carry no heterozygous calls on X (haploid there), as in real data.
    Returns the .bed path and the A1 dosage matrix (samples, variants) with NaN for missing.
    """
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.05, 0.5, N_VARIANTS)
    freq[rng.choice(N_VARIANTS, 30, replace=False)] = 0.004  # rare: 0-5 copies in 240 people
    dosage = rng.binomial(2, freq, size=(N_SAMPLES, N_VARIANTS)).astype(np.float32)
    sex = np.where(rng.random(N_SAMPLES) < 0.5, 1, 2)
    chrom = np.repeat(CHROMOSOMES, N_VARIANTS // len(CHROMOSOMES))
    on_x = chrom == "23"
    males = sex == 1
    haploid = rng.binomial(1, freq[on_x], size=(males.sum(), on_x.sum())) * 2.0
    dosage[np.ix_(males, on_x)] = haploid
    dosage[rng.random(dosage.shape) < MISSING_RATE] = np.nan
    pairs = np.array([rng.choice(BASES, 2, replace=False) for _ in range(N_VARIANTS)])
    bed = folder / "cohort.bed"
    to_bed(
        bed,
        dosage,
        properties={
            "fid": [f"F{i}" for i in range(N_SAMPLES)],
            "iid": [f"I{i}" for i in range(N_SAMPLES)],
            "sex": sex,
            "chromosome": chrom,
            "sid": [f"rs{j + 1}" for j in range(N_VARIANTS)],
            "bp_position": np.tile(np.arange(1, N_VARIANTS // 4 + 1) * 1000, 4),
            "allele_1": pairs[:, 0],
            "allele_2": pairs[:, 1],
        },
    )
    return bed, dosage


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory, plink2: str) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cohort")
    bed, dosage = make_cohort(folder)
    np.save(folder / "truth.npy", dosage)
    base = ["--bfile", str(folder / "cohort"), "--threads", "1"]
    for extra, out in (
        (["--make-pgen"], "pgen"),
        (["--export", "vcf"], "plain"),
        (["--export", "vcf", "bgz"], "bgz"),
        (["--export", "bcf"], "bcf"),
        # DS-force: the cohort holds hard calls only, for which plain vcf-dosage=DS omits DS.
        (["--export", "vcf", "vcf-dosage=DS-force"], "ds"),
        (["--export", "bgen-1.2", "ref-first"], "reffirst"),
        (["--export", "bgen-1.2"], "reflast"),  # plink2's default: ALT first
        (["--freq"], "freq"),
    ):
        run_tool([plink2, *base, *extra, "--out", str(folder / out)])
    return {
        "folder": folder,
        "bed": bed,
        "pgen": folder / "pgen.pgen",
        "vcf": folder / "plain.vcf",
        "vcf.gz": folder / "bgz.vcf.gz",
        "bcf": folder / "bcf.bcf",
        "vcf-ds": folder / "ds.vcf",
        "bgen": folder / "reffirst.bgen",
        "bgen-ref-last": folder / "reflast.bgen",
        "afreq": folder / "freq.afreq",
        "truth": folder / "truth.npy",
    }


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """BGEN metafiles go to a test folder, not the user's cache."""
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


FORMATS = ("bed", "pgen", "vcf", "vcf.gz", "bcf", "vcf-ds", "bgen", "bgen-ref-last")


def _open(cohort: dict[str, Path], kind: str):
    if kind == "vcf-ds":
        return open_genotypes(cohort[kind], field="DS")
    return open_genotypes(cohort[kind])


def _aligned(source, reference: pl.DataFrame) -> np.ndarray:
    """All dosages, flipped where the source counts the other allele (matched by name)."""
    dosage = source.read()
    v = source.variants
    same = (v["effect_allele"] == reference["effect_allele"]).to_numpy()
    flipped = (
        (v["effect_allele"] == reference["other_allele"])
        & (v["other_allele"] == reference["effect_allele"])
    ).to_numpy()
    assert (same | flipped).all(), "allele names must match up to a flip"
    return np.where(flipped, 2 - dosage, dosage)


@pytest.mark.parametrize("kind", FORMATS)
def test_open_genotypes__same_dosages_in_every_format(cohort, kind):
    truth = np.load(cohort["truth"])
    with open_genotypes(cohort["bed"]) as bed:
        reference = bed.variants
        assert np.array_equal(bed.read(), truth, equal_nan=True)
    with _open(cohort, kind) as source:
        assert source.n_samples == N_SAMPLES and source.n_variants == N_VARIANTS
        assert source.variants["chromosome"].unique().sort().to_list() == ["1", "2", "22", "X"]
        assert source.variants["base_pair_location"].equals(reference["base_pair_location"])
        assert source.variants["variant_id"].equals(reference["variant_id"])
        dosage = _aligned(source, reference)
        assert dosage.dtype == np.float32
        assert np.array_equal(np.isnan(dosage), np.isnan(truth))
        # BGEN stores probabilities in 16 bits (plink2's default): hard calls are exact, and
        # only a haploid het (none here) would round; 1e-4 would flag any real difference.
        tol = 1e-4 if kind.startswith("bgen") else 0.0
        np.testing.assert_allclose(dosage, truth, atol=tol, rtol=0)
        if kind in ("pgen", "vcf", "vcf.gz", "bcf", "vcf-ds", "bgen"):  # effect allele = ALT = A1
            assert source.variants["effect_allele"].equals(reference["effect_allele"])
        if kind == "bgen-ref-last":  # plink2's default BGEN puts ALT first: effect = REF
            assert source.variants["effect_allele"].equals(reference["other_allele"])
        if kind in ("pgen", "bgen"):
            assert source.samples.equals(open_genotypes(cohort["bed"]).samples)


def _alt_frequencies(source) -> np.ndarray:
    """ALT frequency as plink2 --freq counts it: males haploid on X."""
    dosage = source.read()
    x = (source.variants["chromosome"] == "X").to_numpy()
    male = (source.samples["sex"] == 1).to_numpy()[:, None]
    observed = ~np.isnan(dosage)
    weight = np.where(x[None, :] & male, 0.5, 1.0)  # a haploid call counts one allele
    alt = np.nansum(dosage * weight, axis=0)
    n_alleles = (observed * weight * 2).sum(axis=0)
    return alt / n_alleles


@pytest.mark.parametrize("kind", ("bed", "pgen", "bgen"))
def test_read__allele_frequencies_match_plink2_freq(cohort, kind):
    freq = pl.read_csv(cohort["afreq"], separator="\t", schema_overrides={"#CHROM": pl.String})
    with _open(cohort, kind) as source:
        assert source.variants["effect_allele"].to_list() == freq["ALT"].to_list()
        ours = _alt_frequencies(source)
    # plink2 prints 6 significant digits: |error| <= 5e-7 for frequencies below 1.
    np.testing.assert_allclose(ours, freq["ALT_FREQS"].to_numpy(), atol=1e-6, rtol=0)
    assert (freq["ALT_FREQS"].to_numpy() < 0.01).sum() >= 10  # the rare variants are there


@pytest.mark.parametrize("kind", FORMATS)
def test_read__blocks_and_subsets_match_whole(cohort, kind):
    with _open(cohort, kind) as source:
        whole = source.read()
        blocks = source.variant_blocks(block_bytes=4 * N_SAMPLES * 50)
        assert len(blocks) == 8
        backwards = np.concatenate([source.read(b) for b in reversed(blocks)][::-1], axis=1)
        np.testing.assert_array_equal(backwards, whole)
        variants = np.array([300, 2, 2, 150, 359, 0])
        samples = np.array([200, 3, 17, 0])
        np.testing.assert_array_equal(
            source.read(variants, samples), whole[np.ix_(samples, variants)]
        )
        assert source.read([], samples).shape == (4, 0)


def test_open_genotypes__prefix_and_companion_bim_fam(cohort, tmp_path):
    """A .pgen with a .bim/.fam (no .pvar/.psam), and a PLINK prefix without suffix."""
    for suffix in (".pgen",):
        shutil.copy(cohort["pgen"], tmp_path / f"x{suffix}")
    shutil.copy(cohort["bed"].with_suffix(".bim"), tmp_path / "x.bim")
    shutil.copy(cohort["bed"].with_suffix(".fam"), tmp_path / "x.fam")
    with open_genotypes(tmp_path / "x") as source, open_genotypes(cohort["bed"]) as bed:
        assert type(source).__name__ == "PgenSource"
        np.testing.assert_array_equal(source.read(), bed.read())
        assert source.variants.equals(bed.variants)


def test_vcf_source__1000_genomes(test_data, plink2, tmp_path):
    folder = test_data / "shapeit4_1kg_eur_chr20"
    unphased = open_genotypes(folder / "unphased.vcf.gz")
    reference = open_genotypes(folder / "reference.vcf.gz", build="GRCh37")
    assert unphased.n_samples + reference.n_samples == 503
    assert (unphased.n_variants, reference.n_variants) == (24_990, 24_990)
    assert unphased.build == "GRCh37"  # from the ##contig lengths
    # ##contig=<ID=20> only: the build comes from its HapMap3 SNPs' positions
    assert open_genotypes(folder / "reference.vcf.gz").build == "GRCh37"
    with pytest.raises(BuildMismatchError):
        open_genotypes(folder / "unphased.vcf.gz", build="GRCh38")
    with pytest.raises(BuildMismatchError, match=r"reference\.vcf\.gz"):
        open_genotypes(folder / "reference.vcf.gz", build="GRCh38")
    assert unphased.variants["chromosome"].unique().to_list() == ["20"]
    run_tool(
        [
            plink2,
            "--vcf",
            str(folder / "reference.vcf.gz"),
            "--freq",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "ref"),
        ]
    )
    freq = pl.read_csv(
        tmp_path / "ref.afreq", separator="\t", schema_overrides={"#CHROM": pl.String}
    )
    assert freq["ALT"].to_list() == reference.variants["effect_allele"].to_list()
    dosage = reference.read()
    np.testing.assert_allclose(
        np.nanmean(dosage, axis=0) / 2, freq["ALT_FREQS"].to_numpy(), atol=1e-6, rtol=0
    )
    # out-of-order blocks through the .csi index give the same numbers
    picks = np.array([24_989, 12_000, 11_999, 3, 20_000])
    np.testing.assert_array_equal(reference.read(picks), dosage[:, picks])
    # GT:PS, heterozygous calls partly unphased ('/'): read as plain counts
    freq_unphased = np.nanmean(unphased.read(range(0, 24_990, 97)), axis=0) / 2
    assert np.isfinite(freq_unphased).all() and (freq_unphased <= 1).all()


def test_vcf_source__dosages_through_plink2(tmp_path, plink2):
    """Fractional DS values: VCF, plink2's .pgen and BGEN made from it agree."""
    rng = np.random.default_rng(3)
    n, m = 50, 40
    ds = np.round(rng.uniform(0, 2, size=(m, n)), 3)
    ds[rng.random((m, n)) < 0.05] = np.nan
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=3,length=198295559>",  # GRCh38 chromosome 3
        '##FORMAT=<ID=DS,Number=A,Type=Float,Description="ALT dosage">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
        + "\t"
        + "\t".join(f"S{i}" for i in range(n)),
    ]
    for j in range(m):
        values = "\t".join("." if np.isnan(x) else f"{x:.3f}" for x in ds[j])
        lines.append(f"3\t{1000 + j}\tv{j}\tA\tG\t.\t.\t.\tDS\t{values}")
    vcf = tmp_path / "ds.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    run_tool([plink2, "--vcf", str(vcf), "dosage=DS", "--make-pgen", "--out", str(tmp_path / "p")])
    run_tool(
        [
            plink2,
            "--pfile",
            str(tmp_path / "p"),
            "--export",
            "bgen-1.2",
            "ref-first",
            "--out",
            str(tmp_path / "b"),
        ]
    )
    truth = ds.T.astype(np.float32)
    source = open_genotypes(vcf)
    assert source.field == "DS" and source.build == "GRCh38"
    np.testing.assert_array_equal(source.read(), truth)
    # plink2 stores dosages in steps of 1/16384 and BGEN in 16-bit probabilities: 1e-4.
    for path in (tmp_path / "p.pgen", tmp_path / "b.bgen"):
        np.testing.assert_allclose(open_genotypes(path).read(), truth, atol=1e-4, rtol=0)


def test_vcf_source__gt_codes(tmp_path):
    """Phased, unphased, haploid and half-missing calls."""
    vcf = tmp_path / "gt.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\td\te\tf\tg\n"
        "chrX\t5\t.\tA\tG\t.\t.\t.\tGT\t0/0\t0|1\t1|0\t1/1\t./1\t1\t0\n"
        "chrX\t9\tr2\tC\t.\t.\t.\t.\tGT\t0/0\t0|0\t./.\t0/0\t.\t0\t0\n"
    )
    source = open_genotypes(vcf)
    np.testing.assert_array_equal(
        source.read().T, [[0, 1, 1, 2, np.nan, 2, 0], [0, 0, np.nan, 0, np.nan, 0, 0]]
    )
    assert source.variants["variant_id"].to_list() == ["chrX:5:A:G", "r2"]
    assert source.variants["chromosome"].to_list() == ["X", "X"]
    assert source.samples["fid"].equals(source.samples["iid"].alias("fid"))


def test_bgen_source__metafile_not_beside_file(cohort, tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    shutil.copy(cohort["bgen"], folder / "c.bgen")  # no .sample: embedded IDs
    before = sorted(os.listdir(folder))
    folder.chmod(0o555)
    try:
        source = open_genotypes(folder / "c.bgen")
        assert sorted(os.listdir(folder)) == before
        assert source.samples["iid"][0] == "F0_I0"  # plink2 embeds FID_IID
        assert (source.samples["sex"] == 0).all()
        truth = np.load(cohort["truth"])
        np.testing.assert_allclose(source.read(), truth, atol=1e-4, rtol=0)
    finally:
        folder.chmod(0o755)


# -- bad inputs ---------------------------------------------------------------------------------


def _copy_fileset(cohort, folder: Path, prefix: str = "cohort") -> Path:
    for suffix in (".bed", ".bim", ".fam"):
        shutil.copy(cohort["bed"].with_suffix(suffix), folder / f"{prefix}{suffix}")
    return folder / f"{prefix}.bed"


def _vcf_text(body: str, fmt: str = "GT") -> str:
    return (
        "##fileformat=VCFv4.2\n"
        f'##FORMAT=<ID={fmt},Number=1,Type=String,Description="x">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\n" + body
    )


def _bad_truncated_bed(cohort, d):
    bed = _copy_fileset(cohort, d)
    bed.write_bytes(bed.read_bytes()[:-7])
    return bed


def _bad_magic(cohort, d):
    bed = _copy_fileset(cohort, d)
    bed.write_bytes(b"\x00\x00" + bed.read_bytes()[2:])
    return bed


def _bad_bim_count(cohort, d):
    bed = _copy_fileset(cohort, d)
    bim = bed.with_suffix(".bim")
    bim.write_text("".join(bim.read_text().splitlines(keepends=True)[:-1]))
    return bed


def _bad_fam_count(cohort, d):
    bed = _copy_fileset(cohort, d)
    fam = bed.with_suffix(".fam")
    # 5 fewer: 4 samples share a byte, so fewer than 4 could hide in the padding
    fam.write_text("".join(fam.read_text().splitlines(keepends=True)[:-5]))
    return bed


def _bad_empty_bed(cohort, d):
    bed = _copy_fileset(cohort, d)
    bed.write_bytes(b"")
    return bed


def _bad_missing_fam(cohort, d):
    bed = _copy_fileset(cohort, d)
    bed.with_suffix(".fam").unlink()
    return bed


def _bad_missing_psam(cohort, d):
    shutil.copy(cohort["pgen"], d / "p.pgen")
    shutil.copy(cohort["pgen"].with_suffix(".pvar"), d / "p.pvar")
    return d / "p.pgen"


def _bad_pgen_counts(cohort, d):
    shutil.copy(cohort["pgen"], d / "p.pgen")
    shutil.copy(cohort["pgen"].with_suffix(".psam"), d / "p.psam")
    pvar = cohort["pgen"].with_suffix(".pvar").read_text().splitlines(keepends=True)
    (d / "p.pvar").write_text("".join(pvar[:-3]))
    return d / "p.pgen"


def _bad_truncated_pgen(cohort, d):
    for suffix in (".pvar", ".psam"):
        shutil.copy(cohort["pgen"].with_suffix(suffix), d / f"p{suffix}")
    (d / "p.pgen").write_bytes(cohort["pgen"].read_bytes()[:200])
    return d / "p.pgen"


def _bad_duplicate_psam(cohort, d):
    for suffix in (".pgen", ".pvar"):
        shutil.copy(cohort["pgen"].with_suffix(suffix), d / f"p{suffix}")
    lines = cohort["pgen"].with_suffix(".psam").read_text().splitlines()
    lines[3] = lines[2]
    (d / "p.psam").write_text("\n".join(lines) + "\n")
    return d / "p.pgen"


def _bad_corrupt_gzip(cohort, d):
    data = bytearray(cohort["vcf.gz"].read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    (d / "x.vcf.gz").write_bytes(bytes(data))
    return d / "x.vcf.gz"


def _bad_truncated_gzip(cohort, d):
    (d / "x.vcf.gz").write_bytes(cohort["vcf.gz"].read_bytes()[:3000])
    return d / "x.vcf.gz"


def _bad_empty_vcf(cohort, d):
    (d / "x.vcf").write_text("")
    return d / "x.vcf"


def _bad_vcf_no_gt_ds(cohort, d):
    (d / "x.vcf").write_text(_vcf_text("1\t5\t.\tA\tG\t.\t.\t.\tAD\t1,2\t3,4\n", fmt="AD"))
    return d / "x.vcf"


def _bad_vcf_duplicate_samples(cohort, d):
    text = _vcf_text("1\t5\t.\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\n").replace("s2", "s1")
    (d / "x.vcf").write_text(text)
    return d / "x.vcf"


def _bad_vcf_no_records(cohort, d):
    (d / "x.vcf").write_text(_vcf_text(""))
    return d / "x.vcf"


def _bad_bgen_truncated(cohort, d):
    (d / "x.bgen").write_bytes(cohort["bgen"].read_bytes()[:-500])
    return d / "x.bgen"


def _bad_bgen_magic(cohort, d):
    data = bytearray(cohort["bgen"].read_bytes())
    data[16:20] = b"nope"
    (d / "x.bgen").write_bytes(bytes(data))
    return d / "x.bgen"


def _bad_bgen_sample_count(cohort, d):
    shutil.copy(cohort["bgen"], d / "x.bgen")
    lines = cohort["bgen"].with_suffix(".sample").read_text().splitlines()
    (d / "x.sample").write_text("\n".join(lines[:-1]) + "\n")
    return d / "x.bgen"


def _bad_not_found(cohort, d):
    return d / "nothing.bed"


BAD_INPUTS = {
    "truncated_bed": (_bad_truncated_bed, "truncated"),
    "wrong_magic": (_bad_magic, "first two bytes"),
    "bim_count": (_bad_bim_count, "does not belong"),
    "fam_count": (_bad_fam_count, "does not belong"),
    "empty_bed": (_bad_empty_bed, "PLINK 1"),
    "missing_fam": (_bad_missing_fam, "not found"),
    "missing_psam": (_bad_missing_psam, ".psam or p.fam"),
    "pgen_counts": (_bad_pgen_counts, "does not match"),
    "truncated_pgen": (_bad_truncated_pgen, "damaged"),
    "duplicate_psam": (_bad_duplicate_psam, "more than once"),
    "corrupt_gzip": (_bad_corrupt_gzip, "corrupt"),
    "truncated_gzip": (_bad_truncated_gzip, "truncated"),
    "empty_vcf": (_bad_empty_vcf, "empty"),
    "vcf_no_gt_ds": (_bad_vcf_no_gt_ds, "no GT, DS or GP"),
    "vcf_duplicate_samples": (_bad_vcf_duplicate_samples, "s1"),
    "vcf_no_records": (_bad_vcf_no_records, "no variant records"),
    "bgen_truncated": (_bad_bgen_truncated, "x.bgen"),
    "bgen_magic": (_bad_bgen_magic, "not a BGEN"),
    "bgen_sample_count": (_bad_bgen_sample_count, "lists 239 samples"),
    "not_found": (_bad_not_found, "nothing"),
}


def _open_and_read(path: Path) -> None:
    with open_genotypes(path) as source:
        source.read()


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_open_genotypes__bad_input_raises_input_error(cohort, tmp_path, case):
    make, words = BAD_INPUTS[case]
    path = make(cohort, tmp_path)
    with pytest.raises(InputError) as info:
        _open_and_read(path)
    message = str(info.value)
    assert str(tmp_path) in info.value.path, message  # names the file at fault
    assert words in message, message


@pytest.mark.parametrize("case", ["truncated_bed", "vcf_no_records", "bgen_magic", "empty_vcf"])
def test_cli_info__bad_input_exit_2_without_traceback(cohort, tmp_path, case, capsys):
    from gwaskit.cli import main

    path = BAD_INPUTS[case][0](cohort, tmp_path)
    code = main(["info", str(path), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err and "error:" in captured.err
    assert path.name in captured.err.replace("\n", "")


@pytest.mark.parametrize("kind", ["bed", "pgen", "vcf.gz", "bgen"])
def test_cli_info__every_format(cohort, kind):
    """Through a real subprocess: exit 0 and the counts in the table."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "gwaskit", "info", str(cohort[kind]), "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "240" in result.stdout and "360" in result.stdout
    rate = float(result.stdout.split("missing call rate")[1].split()[1])
    truth = np.load(cohort["truth"])
    assert abs(rate - np.isnan(truth).mean()) < 5e-4  # printed with 4 significant digits


def test_vcf_gz__plain_gzip_without_index_reads(cohort, tmp_path):
    """A VCF compressed with plain gzip (not bgzip) still reads, sequentially."""
    path = tmp_path / "plain.vcf.gz"
    path.write_bytes(gzip.compress(cohort["vcf"].read_bytes()))
    with open_genotypes(path) as source, open_genotypes(cohort["vcf"]) as plain:
        np.testing.assert_array_equal(source.read([5, 1, 300]), plain.read([5, 1, 300]))


@pytest.mark.parametrize("bits", [1, 3, 8, 13, 16, 32])
@pytest.mark.parametrize("phased", [False, True])
@pytest.mark.parametrize("compressed", [True, False])
def test_bgen_source__decoder_matches_cbgen(tmp_path, monkeypatch, bits, phased, compressed):
    """gwaskit decodes layout-2 blocks itself (zlib or none): the dosages of the stored
    integers at every bit depth, haploid, missing and ploidy-0 samples included, and for
    zlib blocks exactly cbgen's (an independent reader; cbgen fails on uncompressed layout-2
    blocks, which the specification allows and gwaskit reads)."""
    from bgen_writer import expected_dosages, write_bgen

    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(bits)
    m, n, top = 40, 37, 2**bits - 1
    ploidy = rng.choice([2, 2, 2, 1, 0], size=(m, n))
    missing = rng.random((m, n)) < 0.1
    first = rng.integers(0, top + 1, (m, n))
    second = rng.integers(0, top + 1, (m, n)) if phased else (rng.random((m, n)) * (top - first))
    values = np.stack([first, second.astype(np.int64)], axis=2)
    values[missing] = 0
    path = tmp_path / "t.bgen"
    write_bgen(path, values, ploidy, missing, phased=phased, bits=bits, compressed=compressed)
    source = open_genotypes(path)
    ours = source.read()
    if compressed:
        np.testing.assert_array_equal(ours, source._read_cbgen(np.arange(m), np.arange(n)))
    expected = expected_dosages(values, ploidy, missing, phased=phased, bits=bits)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)
    assert np.isnan(ours).sum() == (missing | (ploidy == 0)).sum()
