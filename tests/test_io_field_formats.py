"""Genotype and sample files as the field's tools write them (``tests/data/field_formats*``).

Every genotype-side file vendored from ``field_formats/`` and ``field_formats_extra/`` is read
here and checked against the value its folder's README lists (the "EXPECTED" column), or against
the truth file its authors ship beside it (``example.gen.gz`` for the BGEN examples,
``complex.vcf``, ``haplotypes.haps``, the bgenix ``.bgi`` indexes), or against plink2 run on the
same file. Files no tool reads are listed in :data:`UNREADABLE` with the reason, and must raise a
clear :class:`InputError`. :func:`test_field_formats__every_genotype_file_is_checked` keeps the
list complete.

Tolerances: a BGEN probability of ``b`` bits is within ``1 / (2^b - 1)`` of the value written,
so a dosage ``P(AB) + 2 P(BB) = 2 - 2 P(AA) - P(AB)`` is within ``3 / (2^b - 1)``; the truth
``example.gen`` prints 6 significant digits (plus 2e-4 for its rows that do not sum to 1). The
README's printed probabilities have 6 decimals: dosages from them are within 2e-6.
"""

from __future__ import annotations

import gzip
import re
import sqlite3
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import run_tool
from gwaskit.errors import InputError
from gwaskit.io import open_genotypes
from gwaskit.io.oxford import read_sample_file
from gwaskit.io.plink1 import read_bim, read_fam
from gwaskit.io.plink2 import read_psam, read_pvar


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BGEN indexes go to the test's folder, not the user's cache."""
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def ff(test_data: Path) -> Path:
    return test_data / "field_formats"


@pytest.fixture(scope="module")
def ffx(test_data: Path) -> Path:
    return test_data / "field_formats_extra"


def _index(source, column: str, value: str) -> np.ndarray:
    """Rows of the variant table whose ``column`` equals ``value``."""
    return np.flatnonzero((source.variants[column] == value).to_numpy())


def _sample(source, iid: str) -> int:
    return int(np.flatnonzero((source.samples["iid"] == iid).to_numpy())[0])


# -- BGEN: bit depths, layouts, compression --------------------------------------------------------

#: ``(folder, file, bits)``: the BGEN examples that encode ``example.gen`` (500 x 199).
BGEN_EXAMPLES = [
    ("field_formats", "bgen/example.v11.bgen", 15),  # layout 1: value / 32768
    ("field_formats", "bgen/example.8bits.bgen", 8),
    ("field_formats", "bgen/example.16bits.bgen", 16),
    ("field_formats", "bgen/example.16bits.zstd.bgen", 16),
    ("field_formats", "bgen/example.32bits.bgen", 32),
    ("field_formats_extra", "bgen/example.1bits.bgen", 1),
    ("field_formats_extra", "bgen/example.3bits.bgen", 3),
    ("field_formats_extra", "bgen/example.10bits.bgen", 10),
    ("field_formats_extra", "bgen/example.24bits.bgen", 24),
]


@pytest.fixture(scope="module")
def gen_truth(ff: Path) -> np.ndarray:
    """Dosages of the second allele in ``example.gen`` (the truth of the examples), NaN for
    ``0 0 0``; shape (500 samples, 199 variants)."""
    with gzip.open(ff / "bgen/example.gen.gz", "rt") as handle:
        rows = [line.split() for line in handle]
    p = np.array([[float(x) for x in r[6:]] for r in rows]).reshape(len(rows), -1, 3)
    dosage = p[:, :, 1] + 2 * p[:, :, 2]
    dosage[~p.any(axis=2)] = np.nan
    return dosage.T


@pytest.mark.parametrize(("folder", "name", "bits"), BGEN_EXAMPLES)
def test_bgen_source__examples_match_gen_truth_to_bit_depth(
    test_data, ff, gen_truth, folder, name, bits
):
    source = open_genotypes(test_data / folder / name, sample=ff / "bgen/example.sample")
    dosage = source.read()
    assert dosage.shape == gen_truth.shape == (500, 199)
    assert np.array_equal(np.isnan(dosage), np.isnan(gen_truth))  # the same 2 missing calls
    assert np.isnan(dosage).sum() == 2
    tolerance = 3 / (2**bits - 1) + 2e-4
    both = ~np.isnan(gen_truth)
    assert both.sum() == 500 * 199 - 2
    assert np.abs(dosage[both] - gen_truth[both]).max() <= tolerance
    assert source.variants.row(0) == ("1", 2000, "RSID_2", "G", "A")  # chromosome "01" read as 1


#: README values: (file, variant rsid, sample, probabilities P(AA), P(AB), P(BB)); missing = None.
README_PROBABILITIES = [
    ("field_formats/bgen/example.v11.bgen", "RSID_2", "sample_001", None),
    ("field_formats/bgen/example.v11.bgen", "RSID_2", "sample_002", (0.027802, 0.008636, 0.963531)),
    ("field_formats/bgen/example.v11.bgen", "RSID_4", "sample_001", (0.992096, 0.000305, 0.007599)),
    ("field_formats/bgen/example.8bits.bgen", "RSID_2", "sample_001", None),
    ("field_formats/bgen/example.8bits.bgen", "RSID_2", "sample_002", (7 / 255, 2 / 255, 246 / 255)),
    ("field_formats/bgen/example.16bits.bgen", "RSID_2", "sample_002", (0.027802, 0.008637, 0.963561)),
    ("field_formats/bgen/example.16bits.bgen", "RSID_3", "sample_003", (0.979706, 0.019471, 0.000824)),
    ("field_formats/bgen/example.16bits.zstd.bgen", "RSID_2", "sample_002", (0.027802, 0.008637, 0.963561)),
    ("field_formats/bgen/example.32bits.bgen", "RSID_2", "sample_002", (0.027802, 0.008637, 0.963561)),
    ("field_formats/bgen/example.32bits.bgen", "RSID_4", "sample_004", (0.00473, 0.994934, 0.000336)),
    ("field_formats_extra/bgen/example.1bits.bgen", "RSID_2", "sample_001", None),
    ("field_formats_extra/bgen/example.1bits.bgen", "RSID_2", "sample_002", (0, 0, 1)),
    ("field_formats_extra/bgen/example.1bits.bgen", "RSID_2", "sample_004", (0, 1, 0)),
    ("field_formats_extra/bgen/example.1bits.bgen", "RSID_3", "sample_003", (1, 0, 0)),
    ("field_formats_extra/bgen/example.3bits.bgen", "RSID_2", "sample_002", (0, 0, 1)),
    ("field_formats_extra/bgen/example.3bits.bgen", "RSID_2", "sample_004", (0, 1, 0)),
    ("field_formats_extra/bgen/example.10bits.bgen", "RSID_2", "sample_002", (0.027370, 0.008798, 0.963832)),
    ("field_formats_extra/bgen/example.24bits.bgen", "RSID_2", "sample_001", None),
    ("field_formats_extra/bgen/example.24bits.bgen", "RSID_2", "sample_002", (0.027802, 0.008637, 0.963561)),
]  # fmt: skip


def test_bgen_source__readme_values(test_data, ff):
    checked = 0
    for name, rsid, sample, probabilities in README_PROBABILITIES:
        source = open_genotypes(test_data / name, sample=ff / "bgen/example.sample")
        value = source.read(_index(source, "variant_id", rsid), [_sample(source, sample)])[0, 0]
        if probabilities is None:  # the missing bit wins over stored probabilities
            assert np.isnan(value), (name, rsid, sample)
        else:
            expected = probabilities[1] + 2 * probabilities[2]
            assert value == pytest.approx(expected, abs=2e-6), (name, rsid, sample)
        checked += 1
    assert checked == len(README_PROBABILITIES) == 19


@pytest.mark.parametrize(
    ("index", "bgen"),
    [
        ("field_formats/bgen/example.16bits.bgen.bgi", "field_formats/bgen/example.16bits.bgen"),
        (
            "field_formats_extra/bgen/example.8bits.bgen.bgi",
            "field_formats/bgen/example.8bits.bgen",
        ),
        ("field_formats/bgen/complex.bgen.bgi", "field_formats/bgen/complex.bgen"),
    ],
)
def test_bgen_source__variants_match_bgenix_index(test_data, ff, index, bgen):
    """bgenix's own index (SQLite table ``Variant``) lists the variants every reader must see."""
    with sqlite3.connect(f"file:{test_data / index}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT chromosome, position, rsid, allele1, allele2, number_of_alleles "
            "FROM Variant ORDER BY file_start_position"
        ).fetchall()
    sample = ff / "bgen" / ("complex.sample" if "complex" in bgen else "example.sample")
    source = open_genotypes(test_data / bgen, sample=sample)
    # a multi-allelic record is split: its first split row has the index's allele2
    first = source.variants.unique(
        subset=["base_pair_location", "variant_id"], keep="first", maintain_order=True
    )
    ours = [
        (str(int(c)), p, r, o, e)
        for c, p, r, e, o in first.select(
            "chromosome", "base_pair_location", "variant_id", "effect_allele", "other_allele"
        ).iter_rows()
    ]
    theirs = [(str(int(c)), p, r, a1, a2) for c, p, r, a1, a2, _ in rows]
    assert len(ours) == len(theirs) == (10 if "complex" in bgen else 199)
    assert ours == theirs
    assert source.n_variants == sum(n - 1 for *_, n in rows)  # K alleles -> K - 1 records


@pytest.mark.parametrize(
    "name",
    [
        "field_formats/bgen/complex.bgen",
        "field_formats_extra/bgen/complex.3bits.bgen",
        "field_formats_extra/bgen/complex.24bits.bgen",
        "field_formats_extra/bgen/complex.32bits.bgen",
    ],
)
def test_bgen_source__complex_matches_vcf_truth(test_data, ff, name):
    """Mixed ploidy 1-4, phased and unphased, up to 8 alleles: the split records give the same
    dosages as the truth VCF's GT (both NaN for the tetraploid M10)."""
    sample = test_data / name.replace(Path(name).name, "complex.sample")
    source = open_genotypes(test_data / name, sample=sample)
    truth = open_genotypes(sample.with_name("complex.vcf")).read()  # split; ploidy 4 NaN
    dosage = source.read()
    assert dosage.shape == truth.shape == (4, 28)  # 10 records split into 28
    assert source.variants["variant_id"].to_list()[1] == "V2"  # rsid wins over SNPID V2.1
    assert np.array_equal(dosage, truth, equal_nan=True)
    assert np.isnan(dosage[:, -1]).all()  # M10: ploidy 4
    m9 = np.flatnonzero(source.variants["variant_id"] == "M9")
    assert dosage[3, m9].tolist() == [1, 0, 0, 0, 1, 0, 0]  # sample_3 GT 1/5


def test_bgen_source__phased_one_bit_matches_haps(ff):
    bgen = open_genotypes(ff / "bgen/haplotypes.bgen")
    haps = np.loadtxt(ff / "bgen/haplotypes.haps", usecols=range(6, 14)).reshape(4, 4, 2).sum(2)
    assert bgen.read().shape == (4, 4)
    assert np.array_equal(bgen.read(), haps.T)
    assert bgen.read(range(1), range(4)).ravel().tolist() == [0, 1, 1, 2]  # SNP1: AA, GA, AG, GG


def test_bgen_source__sample_ids_from_file_or_block(ffx, ff, test_data):
    no_block = ffx / "sgkit/example-no-samples.bgen"
    with pytest.raises(InputError, match="no embedded sample identifiers"):
        open_genotypes(no_block)  # as plink2: such a file needs its .sample
    given = open_genotypes(no_block, sample=ffx / "sgkit/example-separate-samples.sample")
    separate = open_genotypes(ffx / "sgkit/example-separate-samples.bgen")
    assert separate.samples["iid"].to_list() == ["s1", "s2", "s3", "s4", "s5"]  # .sample wins
    first5 = open_genotypes(ff / "bgen/example.16bits.bgen").read(sample_index=range(5))
    for source in (given, separate):
        assert source.read().shape == (5, 199)
        assert np.array_equal(source.read(), first5, equal_nan=True)
    saige = open_genotypes(ffx / "saige/genotype_100markers.bgen")  # IDs in .bgen.samples
    assert saige.samples.row(0) == ("1a1", "1a1", 0) and saige.n_samples == 10_000
    assert saige.read(range(1), range(4)).ravel().tolist() == [0, 0, 0, 0]  # rs1: (1,0,0)
    regenie = open_genotypes(ff / "regenie/example.bgen")  # embedded FID_IID
    assert regenie.samples["iid"][0] == "1_1"
    one = regenie.read(_index(regenie, "variant_id", "1"), [0, 3]).ravel()
    assert regenie.variants.row(0)[3:] == ("2", "1")  # second allele '2' counted
    assert one.tolist() == [2, 1]  # 1_1 P(22) = 1; 4_4 het


#: ``.sample`` layouts: (file, n, row 0 as (fid, iid, sex)).
SAMPLE_FILES = [
    ("field_formats/bgen/example.sample", 500, ("sample_001", "sample_001", 0)),
    ("field_formats/bgen/complex.sample", 4, ("sample_0", "sample_0", 0)),
    ("field_formats_extra/bgen/example.sample", 500, ("sample_001", "sample_001", 0)),
    ("field_formats_extra/bgen/complex.sample", 4, ("sample_0", "sample_0", 0)),
    ("field_formats_extra/sgkit/example-separate-samples.sample", 5, ("s1", "s1", 0)),
    ("field_formats_extra/saige/genotype_100markers.bgen.samples", 10_000, ("1a1", "1a1", 0)),
    ("field_formats_extra/saige/genotype_100markers_2chr.sample", 10_000, ("0", "1a1", 0)),
    ("field_formats/bcftools/convert.gs.gt.samples", 10, ("NA00001", "NA00001", 0)),
    ("field_formats_extra/bcftools/convert.gs.pl.samples", 10, ("NA00001", "NA00001", 0)),
    ("field_formats_extra/bcftools/convert.hls.samples", 10, ("NA00001", "NA00001", 2)),
]


@pytest.mark.parametrize(("name", "n", "first"), SAMPLE_FILES)
def test_read_sample_file__field_layouts(test_data, name, n, first):
    samples = read_sample_file(test_data / name)
    assert samples.height == n
    assert samples.row(0) == first


# -- Oxford text formats ------------------------------------------------------------------------


def test_oxford_source__gen_and_haps(ff, ffx):
    gen = open_genotypes(ff / "bgen/example.gen.gz", sample=ff / "bgen/example.sample")
    bgen = open_genotypes(ff / "bgen/example.16bits.bgen")
    assert gen.read().shape == (500, 199)
    assert np.nanmax(np.abs(gen.read() - bgen.read())) <= 3 / 65535 + 2e-4
    gt = open_genotypes(ff / "bcftools/convert.gs.gt.gen")  # bcftools: ID first, no chromosome
    assert gt.variants.row(2) == ("X", 2698758, "X:2698758_CAA_C", "C", "CAA")
    assert gt.read(range(2, 3), range(2)).ravel().tolist() == [0, 1]  # NA00001 1 0 0, NA00002 0 1 0
    pl_gen = open_genotypes(ffx / "bcftools/convert.gs.pl.gen")
    assert pl_gen.read(range(1), range(1))[0, 0] == pytest.approx(0.007881, abs=1e-7)
    hls = open_genotypes(ffx / "bcftools/convert.hls.haps")  # IMPUTE2 .hap with its .legend
    assert hls.variants.row(2) == ("X", 2698758, "X:2698758_CAA_C", "C", "CAA")
    assert hls.read(range(2, 3), range(2)).ravel().tolist() == [0, 1]  # row 3 column 4 = 1
    assert hls.read().shape == (10, 32)
    # the hap/legend and the GT .gen are both bcftools exports of convert.gs.vcf's GT
    both = ~np.isnan(hls.read())
    assert both.sum() >= 300
    assert np.array_equal(hls.read()[both], gt.read()[both])


# -- PLINK 1 ------------------------------------------------------------------------------------


def test_plink_bed_source__field_filesets(ff, ffx):
    regenie = open_genotypes(ff / "regenie/example.bed")
    assert regenie.variants.row(0) == ("1", 1, "1", "1", "2")  # digit alleles kept as text
    assert regenie.read(range(1), range(4)).ravel().tolist() == [0, 0, 0, 1]
    fam = read_fam(ff / "regenie/example.fam")
    assert fam.row(0) == ("1", "1", 2) and fam.height == 500
    saige = open_genotypes(ff / "saige/genotype_100markers.bed")
    assert saige.variants.row(3) == ("1", 4, "rs4", "C", "A")
    assert saige.read(range(3, 4), range(4)).ravel().tolist() == [0, 0, 0, 0]  # hom A2
    assert saige.samples.row(0) == ("1a1", "1a1", 0)
    gemma = open_genotypes(ffx / "gemma/2000.bed")
    assert gemma.variants.row(0) == ("1", 363, "32", "G", "C")  # numeric SNP ID kept as text
    assert gemma.read(range(1), range(4)).ravel().tolist() == [0, 2, 2, 0]
    ref22 = open_genotypes(ffx / "plink1/reference.22.bed")
    assert ref22.variants.row(0) == ("22", 17231603, "rs4390844", "C", "T")
    got = ref22.read(range(1), [_sample(ref22, s) for s in ("HG00096", "HG00097", "HG00099")])
    assert got.ravel().tolist() == [0, 0, 1]
    assert (ref22.n_samples, ref22.n_variants) == (489, 45)  # "45 variants and 489 people"
    sim = open_genotypes(ffx / "sgkit/plink_sim_10s_100v_10pmiss.bed")
    assert sim.samples["iid"][0] == "000"  # leading zeros kept
    dosage = sim.read()
    assert np.isnan(dosage).sum() == 111  # of 1000 calls
    assert np.isnan(dosage[1, 2])  # variant 3, sample 2
    assert dosage[:3, 0].tolist() == [1, 2, 1]  # het, hom A1 (CGCGCG), het


def test_plink_bed_source__sgkit_missing_matches_plink2(ffx, tmp_path, plink2):
    prefix = ffx / "sgkit/plink_sim_10s_100v_10pmiss"
    run_tool([plink2, "--bfile", str(prefix), "--freq", "--out", str(tmp_path / "f")])
    freq = pl.read_csv(tmp_path / "f.afreq", separator="\t")
    source = open_genotypes(prefix)
    dosage = source.read()
    assert freq.height == source.n_variants == 100
    # plink2's ALT is the .bim's A1, the effect allele here
    assert freq["ALT"].to_list() == source.variants["effect_allele"].to_list()
    assert np.array_equal((~np.isnan(dosage)).sum(axis=0) * 2, freq["OBS_CT"].to_numpy())
    np.testing.assert_allclose(
        np.nanmean(dosage, axis=0) / 2, freq["ALT_FREQS"].to_numpy(), atol=5e-7
    )


def test_read_sample_list__nosex_file(ffx):
    """PLINK's ``.nosex`` side file (FID IID, tab) works as a --keep list."""
    from gwaskit.cli._lists import read_sample_list

    source = open_genotypes(ffx / "plink1/reference.22.bed")
    chosen = read_sample_list(ffx / "plink1/reference.22.nosex", source.samples)
    assert np.asarray(chosen).size == 489  # every sample: the log reports 489 ambiguous-sex
    log = (ffx / "plink1/reference.22.log").read_text()
    assert "45 variants and 489 people pass filters and QC." in log
    assert (source.n_variants, source.n_samples) == (45, 489)


def test_read_fam__gemma_seven_columns(ff):
    samples = read_fam(ff / "gemma/multivariate_2traits.fam")
    assert samples.height == 1000
    assert samples.row(0) == ("1", "1", 1) and (samples["iid"] == "1").all()  # FID unique
    assert read_bim(ff / "gemma/multivariate_2traits.bim")["base_pair_location"].eq(1).all()


# -- PLINK 2 ------------------------------------------------------------------------------------


def test_pgen_source__multiallelic_split_and_vcf_truth(ff):
    source = open_genotypes(ff / "plink2/chr21_phase3_start.pgen")
    assert source.n_variants == 488  # 485 records, 3 of them with two ALT alleles
    assert read_pvar(ff / "plink2/chr21_phase3_start.pvar.zst").row(0) == (
        "21",
        9411239,
        "rs559462325",
        "A",
        "G",
    )
    k = _index(source, "variant_id", "rs569225703")
    assert source.variants[k]["effect_allele"].to_list() == ["A", "C"]
    counts = np.nansum(source.read(k), axis=0)
    assert counts.tolist() == [2, 8] and 2 * 2504 - counts.sum() == 4998  # T 4998, A 2, C 8
    hg = source.read(_index(source, "variant_id", "rs78200054"), [0, 1]).ravel()
    assert hg.tolist() == [1, 2]  # HG00096 0|1, HG00097 1|1
    psam = read_psam(ff / "plink2/chr21_phase3_start.psam")  # #IID, no FID
    assert psam.height == 2504 and psam.row(0) == ("HG00096", "HG00096", 1)
    vcf = open_genotypes(ff / "plink2/1kg_phase3_chr21_start.vcf.gz")
    keys = ["base_pair_location", "variant_id", "effect_allele", "other_allele"]
    pairs = vcf.variants.with_row_index("v").join(
        source.variants.with_row_index("p"), on=keys, how="inner"
    )
    assert pairs.height == 482  # the biallelic variants of both
    a = vcf.read(pairs["v"].to_numpy())
    b = source.read(pairs["p"].to_numpy())
    assert np.array_equal(a, b)


def test_pgen_source__sex_chromosomes_and_mostly_multiallelic(ffx):
    ploidy = open_genotypes(ffx / "plink2/all_ploidy.pgen")
    assert ploidy.n_variants == 603  # 601 records, 2 with two ALT alleles
    assert ploidy.variants.row(0)[:2] == ("X", 201997)  # PAR1 is X
    counts = ploidy.variants["chromosome"].value_counts().sort("chromosome").rows()
    assert dict(counts) == {"X": 22 + 561 + 2 + 2, "Y": 14, "MT": 2}
    v = ploidy.variants
    k = np.flatnonzero(((v["chromosome"] == "Y") & (v["base_pair_location"] == 2788626)).to_numpy())
    y = ploidy.read(k, [0, 1]).ravel()
    assert y[0] == 0 and np.isnan(y[1])  # HG00096 male hom REF; HG00097 female missing
    mixed = open_genotypes(ffx / "plink2/mt_mixed_phase.pgen")
    records = read_pvar(ffx / "plink2/mt_mixed_phase.pvar.zst")
    assert records.height == mixed.n_variants
    v = mixed.variants
    at = np.flatnonzero(((v["chromosome"] == "6") & (v["base_pair_location"] == 860561)).to_numpy())
    assert v[at]["effect_allele"].to_list() == ["A", "G"]
    assert mixed.read(at, [0, 1]).tolist() == [[0, 2], [0, 1]]  # 2/2 and 2/0
    at = np.flatnonzero(
        ((v["chromosome"] == "12") & (v["base_pair_location"] == 7872666)).to_numpy()
    )
    assert mixed.read(at, [0]).ravel().tolist() == [2, 0]  # HG00096 1/1 (GAA)


def test_pgen_source__regenie_fileset_equals_bed_and_bgen(ff):
    pgen = open_genotypes(ff / "regenie/example.pgen")
    bed = open_genotypes(ff / "regenie/example.bed")
    bgen = open_genotypes(ff / "regenie/example.bgen")
    assert pgen.variants.row(0) == ("1", 1, "1", "1", "2")  # REF 2, ALT 1
    assert read_psam(ff / "regenie/example.psam").row(0) == ("1", "1", 0)  # SEX NA
    assert pgen.read().shape == (500, 1000)
    assert np.array_equal(pgen.read(), bed.read())  # both count allele '1'
    assert np.array_equal(2 - bgen.read(), bed.read())  # the BGEN counts '2'


# -- VCF ----------------------------------------------------------------------------------------


def test_vcf_source__field_files(ff, ffx):
    tri = open_genotypes(ff / "saige/genotype_10markers_triallelic.missing.vcf")
    at4 = np.flatnonzero(tri.variants["base_pair_location"] == 4)
    assert tri.variants[at4]["effect_allele"].to_list() == ["C", "T"]  # rs4 over two records
    calls = tri.read(at4[:1]).ravel()
    assert np.flatnonzero(np.isnan(calls)).tolist() == [1, 3]  # 1a2, 1a4 ./.
    assert tri.read(_index(tri, "variant_id", "rs23"), [1])[0, 0] == 1  # 1/0
    assert tri.read(_index(tri, "variant_id", "rs20"), [0])[0, 0] == 1  # 0/1
    multi = open_genotypes(ffx / "bcftools/dosage.vcf")  # C>T,G split; sample B all missing
    k = np.flatnonzero(multi.variants["base_pair_location"] == 3000152)
    assert multi.variants[k]["effect_allele"].to_list() == ["T", "G"]
    assert multi.read(k, [0]).ravel().tolist() == [0, 0]
    assert np.isnan(multi.read()[1]).all()
    gp = open_genotypes(ff / "bcftools/view.GP.vcf")
    assert gp.field == "GP"
    assert gp.read(_index(gp, "variant_id", "22:16050159:C:T"), [0])[0, 0] == pytest.approx(0.038)
    assert gp.read(np.flatnonzero(gp.variants["base_pair_location"] == 16051347), [0])[
        0, 0
    ] == pytest.approx(1.557)
    ds = open_genotypes(ffx / "saige/dosage_10markers.vcf")
    assert ds.field == "DS" and ds.read(range(1), range(4)).ravel().tolist() == [0, 0, 0, 0]
    chr1 = open_genotypes(ffx / "saige/genotype_100markers_missGT.withchr.vcf.gz")
    bed = open_genotypes(ff / "saige/genotype_100markers.bed")
    assert chr1.variants.row(0) == ("1", 1, "rs1", "C", "A")
    assert chr1.read().shape == bed.read().shape == (10_000, 100)
    assert np.array_equal(chr1.read(), bed.read())  # ALT C = the .bim's A1


#: Files no reader of the field reads, with the reason; each must raise a clear InputError.
UNREADABLE = {
    "field_formats/bcftools/convert.gs.vcf": (
        "no ##fileformat line: htslib (bcftools, cyvcf2) refuses the header",
        "##fileformat",
    ),
}

#: Vendored files read by the tests above (the README's expectations), by test.
CHECKED = {
    "test_bgen_source__examples_match_gen_truth_to_bit_depth": [
        f"{folder}/{name}" for folder, name, _ in BGEN_EXAMPLES
    ]
    + ["field_formats/bgen/example.gen.gz", "field_formats/bgen/example.sample"],
    "test_bgen_source__variants_match_bgenix_index": [
        "field_formats/bgen/example.16bits.bgen.bgi",
        "field_formats_extra/bgen/example.8bits.bgen.bgi",
        "field_formats/bgen/complex.bgen.bgi",
    ],
    "test_bgen_source__complex_matches_vcf_truth": [
        "field_formats/bgen/complex.bgen",
        "field_formats/bgen/complex.vcf",
        "field_formats_extra/bgen/complex.vcf",
        "field_formats_extra/bgen/complex.3bits.bgen",
        "field_formats_extra/bgen/complex.24bits.bgen",
        "field_formats_extra/bgen/complex.32bits.bgen",
    ],
    "test_bgen_source__phased_one_bit_matches_haps": [
        "field_formats/bgen/haplotypes.bgen",
        "field_formats/bgen/haplotypes.haps",
    ],
    "test_bgen_source__sample_ids_from_file_or_block": [
        "field_formats_extra/sgkit/example-no-samples.bgen",
        "field_formats_extra/sgkit/example-separate-samples.bgen",
        "field_formats_extra/saige/genotype_100markers.bgen",
        "field_formats/regenie/example.bgen",
    ],
    "test_read_sample_file__field_layouts": [name for name, _, _ in SAMPLE_FILES],
    "test_oxford_source__gen_and_haps": [
        "field_formats/bcftools/convert.gs.gt.gen",
        "field_formats_extra/bcftools/convert.gs.pl.gen",
        "field_formats_extra/bcftools/convert.hls.haps",
        "field_formats_extra/bcftools/convert.hls.legend",
    ],
    "test_plink_bed_source__field_filesets": [
        f"{prefix}.{ext}"
        for prefix in (
            "field_formats/regenie/example",
            "field_formats/saige/genotype_100markers",
            "field_formats_extra/gemma/2000",
            "field_formats_extra/plink1/reference.22",
            "field_formats_extra/sgkit/plink_sim_10s_100v_10pmiss",
        )
        for ext in ("bed", "bim", "fam")
    ],
    "test_read_sample_list__nosex_file": [
        "field_formats_extra/plink1/reference.22.nosex",
        "field_formats_extra/plink1/reference.22.log",
    ],
    "test_read_fam__gemma_seven_columns (and tests/test_io_field_inputs.py)": [
        "field_formats/gemma/multivariate_2traits.fam",
        "field_formats/gemma/multivariate_2traits.bim",
    ],
    "test_pgen_source__multiallelic_split_and_vcf_truth": [
        "field_formats/plink2/chr21_phase3_start.pgen",
        "field_formats/plink2/chr21_phase3_start.pvar.zst",
        "field_formats/plink2/chr21_phase3_start.psam",
        "field_formats/plink2/1kg_phase3_chr21_start.vcf.gz",
    ],
    "test_pgen_source__sex_chromosomes_and_mostly_multiallelic": [
        f"field_formats_extra/plink2/{name}.{ext}"
        for name in ("all_ploidy", "mt_mixed_phase")
        for ext in ("pgen", "pvar.zst", "psam")
    ],
    "test_pgen_source__regenie_fileset_equals_bed_and_bgen": [
        "field_formats/regenie/example.pgen",
        "field_formats/regenie/example.pvar",
        "field_formats/regenie/example.psam",
    ],
    "test_vcf_source__field_files": [
        "field_formats/saige/genotype_10markers_triallelic.missing.vcf",
        "field_formats_extra/bcftools/dosage.vcf",
        "field_formats/bcftools/view.GP.vcf",
        "field_formats_extra/saige/dosage_10markers.vcf",
        "field_formats_extra/saige/genotype_100markers_missGT.withchr.vcf.gz",
    ],
    "tests/test_io_field_inputs.py (phenotype file, 0/1 coding)": [
        "field_formats/regenie/phenotype_bin.txt",
    ],
}

#: Genotype-side files of the folders' READMEs not vendored (the 7 MB budget), with the reason.
NOT_VENDORED = {
    "field_formats/gemma/multivariate_2traits.bed": "2.5 MB; its .fam and .bim are read",
    "field_formats_extra/bgen/example.gen.gz": "identical to field_formats/bgen/example.gen.gz",
}

#: What makes a vendored file genotype-side (the sumstats-side files are another test's).
GENOTYPE_SIDE = re.compile(
    r"\.(bed|bim|fam|pgen|pvar|pvar\.zst|psam|bgen|bgi|sample|samples|gen|gen\.gz|haps|hap|legend"
    r"|nosex|log|vcf|vcf\.gz)$|phenotype_bin\.txt$"
)


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_open_genotypes__unreadable_field_file_is_a_clear_error(test_data, name):
    reason, words = UNREADABLE[name]
    with pytest.raises(InputError) as info:
        open_genotypes(test_data / name).read()
    assert words in str(info.value), reason
    assert info.value.path == str(test_data / name)


def test_field_formats__every_genotype_file_is_checked(test_data):
    vendored = {
        str(path.relative_to(test_data))
        for folder in ("field_formats", "field_formats_extra")
        for path in (test_data / folder).rglob("*")
        if path.is_file() and GENOTYPE_SIDE.search(path.name) and "gwas_vcf" not in path.parts
    }
    covered = {name for names in CHECKED.values() for name in names} | set(UNREADABLE)
    assert vendored - covered == set(), "vendored genotype files no test reads"
    assert covered - vendored == set(), "listed files not vendored"
    assert len(vendored) == 78
    assert not set(NOT_VENDORED) & vendored
