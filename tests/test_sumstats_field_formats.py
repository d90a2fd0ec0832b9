"""Summary statistics as the field's tools write them: every sumstats file of
``field_formats/`` and ``field_formats_extra/`` read, checked against the values its README lists.

Each case names the file, the layout it must be recognised as, how many rows must be read and,
for chosen rows, the values the README gives (beta, SE, p or -log10 p, alleles). Values printed in
the files are compared to 1e-12 relative (float parsing only); values the README derives (ln OR,
p from -log10 p) to the digits the README prints. Files no reader could read as they are are
listed in ``UNREADABLE`` with the error they must give.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import run_tool
from gwaskit.errors import InputError
from gwaskit.io.sumstats import read_sumstats
from gwaskit.io.sumstats_derive import Z_975
from gwaskit.io.sumstats_layouts import (
    FORMATS_PAGE,
    detect_format,
    formats_reference,
    map_columns,
)

FF, FX = "field_formats", "field_formats_extra"


def _row(table: pl.DataFrame, **where: object) -> dict[str, object]:
    rows = table.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def _close(row: dict[str, object], expected: dict[str, object], rtol: float = 1e-12) -> None:
    for name, value in expected.items():
        got = row[name]
        if value is None and isinstance(got, float):  # numeric columns hold NaN for missing
            assert math.isnan(got), f"{name}: {got} is not missing"
        elif isinstance(value, float):
            assert got is not None and math.isclose(got, value, rel_tol=rtol, abs_tol=1e-15), (
                f"{name}: {got} != {value}"
            )
        else:
            assert got == value, f"{name}: {got!r} != {value!r}"


#: (file, layout, rows read, {selector: expected values}); selectors are column=value pairs.
CASES = [
    (
        f"{FF}/regenie/example.test_bin_out_firth_Y1.regenie",
        "regenie",
        1000,
        [
            (
                {"variant_id": "1"},
                {
                    "effect_allele": "1",
                    "other_allele": "2",
                    "effect_allele_frequency": 0.214575,
                    "n": 494.0,
                    "beta": 0.0775674,
                    "standard_error": 0.230001,
                    "neg_log_10_p_value": 0.133163,
                },
            ),
            (
                {"variant_id": "619"},
                {"beta": -1.50511, "standard_error": 0.433968, "neg_log_10_p_value": 3.81462},
            ),
        ],
    ),
    (
        f"{FF}/saige/genotype_100markers_marker_plink.txt",
        "saige",
        32,
        [
            (
                {"variant_id": "rs4"},
                {
                    "chromosome": "1",
                    "base_pair_location": 4,
                    "effect_allele": "C",
                    "other_allele": "A",
                    "effect_allele_frequency": 0.01,
                    "beta": -0.0665671,
                    "standard_error": 0.792437,
                    "p_value": 0.933054,
                    "n_cases": 98.0,
                    "n_controls": 902.0,
                    "n": 1000.0,
                },
            ),
            (
                {"variant_id": "rs38"},
                {"beta": 0.998918, "standard_error": 0.382938, "p_value": 0.00909236},
            ),
        ],
    ),
    (
        f"{FF}/saige/example_binary.SAIGE.vcf.genotype.txt",
        "saige",
        10,
        [
            (
                {"variant_id": "rs4"},
                {
                    "effect_allele": "C",
                    "other_allele": "A",
                    "effect_allele_frequency": 0.00952858570963144,
                    "beta": -0.0388830508797868,
                    "standard_error": 0.805205079616035,
                    "p_value": 0.961485423417744,
                    "n": 1000.0,
                },
            )
        ],
    ),
    (
        f"{FX}/saige/genotype_100markers_marker_bgen_Firth.txt",
        "saige",
        32,
        [
            (
                {"variant_id": "rs4"},
                {
                    "effect_allele": "C",
                    "beta": -0.0672419,
                    "standard_error": 0.79075,
                    "p_value": 0.932233,
                    "effect_allele_frequency": 0.01,
                },
            )
        ],
    ),
    (
        f"{FX}/saige/example_quantitative.SAIGE.vcf.genotype.txt",
        "saige",
        9,
        [
            (
                {"variant_id": "rs4"},
                {
                    "effect_allele": "2",  # SAIGE's 1/2 are allele names, not METAL codes
                    "other_allele": "1",
                    "beta": -0.0508409726243953,
                    "standard_error": 0.20514275890504,
                    "p_value": 0.804264272509858,
                },
            )
        ],
    ),
    (
        f"{FX}/saige/new_single_vcf.txt",
        "saige",
        32,
        [
            (
                {"variant_id": "rs4"},
                {"beta": -0.145552496599179, "p_value": 0.8509491},  # not the _c columns
            )
        ],
    ),
    (
        f"{FF}/plink1/test21.assoc.logistic",
        "plink1",
        9,
        [
            (
                {"variant_id": "rs10757606"},
                {
                    "chromosome": "9",
                    "base_pair_location": 264108,
                    "effect_allele": "A",
                    "other_allele": None,  # PLINK 1 writes only A1
                    "n": 4211.0,
                    "beta": math.log(0.9792),
                    "z": -0.4324,
                    "standard_error": math.log(0.9792) / -0.4324,
                    "p_value": 0.6654,
                },
            )
        ],
    ),
    (
        f"{FX}/plink1/test22.assoc.logistic",
        "plink1",
        9,
        [
            (
                {"variant_id": "rs11793484"},
                {"base_pair_location": 307240, "effect_allele": "T", "beta": math.log(0.9904)},
            )
        ],
    ),
    (
        f"{FX}/plink1/plink_1_0_7.assoc.linear",
        "plink1",
        1,  # of 5 rows: DOMDEV, covariate and GENO_2DF rows are not the per-SNP result
        [
            (
                {"variant_id": "rs000001"},
                {"beta": math.log(0.7806), "z": -1.942, "p_value": 0.05216},
            )
        ],
    ),
    (
        f"{FF}/ldsc/correct.sumstats",
        "ldsc",
        4,
        [
            (
                {"variant_id": "rs7911665"},
                {"effect_allele": "T", "other_allele": "G", "z": 1.24237021, "n": 6702.0},
            )
        ],
    ),
    (
        f"{FF}/ldsc/munge_test_sumstats.txt",
        "table",
        9,
        [
            (
                {"variant_id": "rs11250701"},
                {
                    "beta": math.log(1.02798),
                    "p_value": 0.48158,
                    "n_cases": 1234.0,
                    "n_controls": 5468.0,
                    "n": 6702.0,
                },
            )
        ],
    ),
    (
        f"{FF}/epacts/EAR-LENGTH.epacts.gz",
        "epacts",
        999,
        [
            (
                {"variant_id": "1:662622_G/A_1:662622"},
                {
                    "chromosome": "1",
                    "base_pair_location": 662622,
                    "effect_allele": "A",
                    "other_allele": "G",
                    "n": 5928.0,
                    "p_value": 0.9703,
                    "beta": 0.001388,
                    "standard_error": 0.03734,
                },
            ),
            (
                {"base_pair_location": 869334},
                {"p_value": 0.0001765, "beta": 0.3598, "standard_error": 0.09589},
            ),
        ],
    ),
    (
        f"{FX}/epacts/pheno.3.1.epacts.gz",
        "epacts",
        999,
        [
            (
                {"base_pair_location": 845635},
                {
                    "effect_allele": "T",
                    "other_allele": "C",
                    "p_value": 0.008626,
                    "beta": 0.06372,
                    "standard_error": 0.02425,
                },
            )
        ],
    ),
    (
        f"{FX}/epacts/single.score.epacts.tab",
        "epacts",
        9,
        [
            (
                {"base_pair_location": 76771},
                {"effect_allele": "T", "other_allele": "C", "p_value": 0.68484},
            )
        ],
    ),
    (
        f"{FF}/finngen/Z21_KIDNEY_TRANSPLANT_STATUS_meta_out.tsv.gz",
        "finngen-meta",
        1,
        [
            (
                {"base_pair_location": 11063},
                {
                    "effect_allele": "G",
                    "other_allele": "T",
                    "beta": 1.04,
                    "standard_error": 13.3,
                    "p_value": 0.938,
                    "neg_log_10_p_value": 0.03,
                    "n": 1.0,
                    "rsid": "rs561109771",
                },
            )
        ],
    ),
    (
        f"{FF}/gwas_catalog_harmonised/new_format_GCST90293086.h.tsv.gz",
        "gwas-catalog-harmonised",
        999,
        [
            (
                {"base_pair_location": 1026830},
                {
                    "effect_allele": "G",
                    "other_allele": "A",
                    "beta": 0.0337379,
                    "standard_error": 0.00989031,
                    "effect_allele_frequency": 0.457324308218342,
                    "p_value": 0.000646772,
                    "rsid": "rs3128126",
                    "n": 16378.0,
                    "variant_id": "1_1026830_A_G",
                },
            )
        ],
    ),
    (
        f"{FX}/gwas_catalog_harmonised/old_format_GCST006090.h.tsv.gz",
        "gwas-catalog-harmonised-old",
        998,  # of 999: the row that failed harmonisation (hm_code 15) is counted, not read
        [
            (
                {"variant_id": "10_49413_G_A"},
                {"effect_allele": "A", "other_allele": "G", "beta": -0.06619, "p_value": 0.1814},
            )
        ],
    ),
    (
        f"{FX}/gwas_catalog_harmonised/empty_stderr_GCST01.h.tsv",
        "gwas-catalog-harmonised",
        3,
        [
            ({"base_pair_location": 1026831}, {"beta": 1.0, "standard_error": None}),
            (
                {"base_pair_location": 1026832},
                {
                    "beta": math.log(2.71828),
                    "standard_error": (math.log(1.3495424) - math.log(0.6404576)) / (2 * Z_975),
                },
            ),
        ],
    ),
    (
        f"{FF}/gwas_ssf/0000123.tsv",
        "gwas-ssf",
        5,
        [
            (
                {"base_pair_location": 70478797},
                {
                    "chromosome": "2",
                    "effect_allele": "T",
                    "other_allele": "TG",
                    "beta": 0.0187528,
                    "standard_error": 0.00167685,
                    "effect_allele_frequency": 0.934121,
                    "p_value": 3.5e-30,
                },
            ),
            (
                {"base_pair_location": 24173186},
                {"chromosome": "X", "effect_allele": "A", "other_allele": "C", "p_value": 2.3e-08},
            ),
            ({"base_pair_location": 869388}, {"rsid": None}),  # "#NA" is GWAS-SSF's missing
        ],
    ),
    (
        f"{FF}/gwas_ssf/test_sumstats_file.tsv",  # CRLF, no final newline
        "gwas-ssf",
        9,  # the README says 8; the file has 9 lines below its header
        [
            (
                {"base_pair_location": 768448},
                {
                    "effect_allele": "A",
                    "other_allele": "GT",
                    "beta": 0.1,
                    "standard_error": 0.05618,
                    "effect_allele_frequency": 0.1,
                    "p_value": 0.2665,
                    "rsid": "rs12562034",
                    "odds_ratio": 1.064,  # the last column of a CRLF line, read without "\r"
                },
            ),
            ({"base_pair_location": 1087683}, {"chromosome": "MT"}),  # GWAS-SSF's 25 is MT
        ],
    ),
    (
        f"{FX}/gwas_ssf/test_sumstats_file_zero_p_values.tsv",
        "gwas-ssf",
        9,
        [({"base_pair_location": 768448}, {"p_value": 0.0, "beta": 0.1})],
    ),
    (
        f"{FX}/gwas_ssf/test_sumstats_file.gz",
        "gwas-ssf",
        9,
        [
            (
                {"variant_id": "rs2777888"},
                {
                    "chromosome": "X",
                    "base_pair_location": 49898000,
                    "effect_allele": "A",
                    "other_allele": "G",
                    "p_value": 3.7899998e-15,
                },
            ),
            ({"variant_id": "rs2271961"}, {"chromosome": "Y"}),
        ],
    ),
    (
        f"{FF}/gwas_vcf/ALSvcf.vcf",
        "gwas-vcf",
        101,  # of 415 records: each repeated about 4 times, read once (314 counted)
        [
            (
                {"rsid": "rs58108140"},
                {
                    "chromosome": "1",
                    "base_pair_location": 10583,
                    "effect_allele": "A",
                    "other_allele": "G",
                    "beta": 0.0312,
                    "standard_error": 0.0393,
                    "neg_log_10_p_value": 0.369267,
                    "effect_allele_frequency": 0.1589,
                    "n_cases": 20806.0,
                    "n_controls": 59804.0,
                },
            ),
            (
                {"rsid": "rs74047006"},
                {
                    "effect_allele": "T",
                    "other_allele": "A",
                    "beta": 0.206,
                    "standard_error": 0.0879,
                    "neg_log_10_p_value": 1.71897,
                },
            ),
        ],
    ),
    (
        f"{FX}/gwaslab/realistic_sumstats.tsv",
        "gwaslab",
        12,
        [
            (
                {"base_pair_location": 10949462},
                {
                    "effect_allele": "C",
                    "other_allele": "T",
                    "beta": 0.0603,
                    "standard_error": 0.0103,
                    "p_value": 4.71e-09,
                    "neg_log_10_p_value": 8.327348077,
                },
            )
        ],
    ),
    (
        f"{FX}/gwaslab/to_harmonize.tsv",
        "gwaslab",
        15,
        [({"base_pair_location": 1163266}, {"effect_allele": "G", "other_allele": "A"})],
    ),
    (
        f"{FX}/sumstats_misc/eduAttainOkbay.txt",
        "table",
        93,
        [
            (
                {"variant_id": "rs12987662"},
                {
                    "chromosome": "2",
                    "base_pair_location": 100821548,
                    "effect_allele": "A",
                    "other_allele": "C",
                    "effect_allele_frequency": 0.3787,
                    "beta": 0.027,
                    "standard_error": 0.003,
                    "p_value": 2.693e-24,
                },
            )
        ],
    ),
]


#: Outputs of the meta-analysis tools, from the vendored METAL and GWAMA examples.
CASES += [
    (
        "metal_glucose_example/expected/test_01/METAANALYSIS1.TBL",  # SCHEME SAMPLESIZE
        "metal-output",
        2495,
        [
            (
                {"variant_id": "rs217377"},
                {
                    "effect_allele": "T",
                    "other_allele": "C",
                    "n": 6806.0,
                    "z": 1.121,
                    "p_value": 0.2625,
                },
            )
        ],
    ),
    (
        "metal_glucose_example/expected/test_05/METAANALYSIS1.TBL",  # SCHEME STDERR
        "metal-output",
        2495,
        [
            (
                {"variant_id": "rs217377"},
                {"beta": 0.0121, "standard_error": 0.0147, "p_value": 0.4101},
            )
        ],
    ),
    (
        "gwama_example/fixed.out",
        "gwama-output",
        12,
        [
            (
                {"variant_id": "rs12565286"},
                {
                    "effect_allele": "G",
                    "other_allele": "C",
                    "beta": -0.008286,
                    "standard_error": 0.234417,
                    "z": -0.035346,
                    "p_value": 0.971791,
                    "effect_allele_frequency": None,  # GWAMA's -9
                    "n": None,
                },
            )
        ],
    ),
]


@pytest.mark.parametrize(("name", "fmt", "rows", "checks"), CASES, ids=[c[0] for c in CASES])
def test_read_sumstats__field_file(test_data: Path, name, fmt, rows, checks) -> None:
    table, meta = read_sumstats(test_data / name)
    assert meta["format"] == fmt
    assert table.height == rows
    for where, expected in checks:
        _close(_row(table, **where), expected)


def test_read_sumstats__field_file_counts(test_data: Path) -> None:
    """Rows not read are counted in the metadata; rows without an estimate stay (as null)."""
    _, meta = read_sumstats(test_data / FX / "plink1/plink_1_0_7.assoc.linear")
    assert meta["rows_not_read"] == {"TEST is not ADD": 4}
    _, meta = read_sumstats(
        test_data / FX / "gwas_catalog_harmonised/old_format_GCST006090.h.tsv.gz"
    )
    assert meta["rows_not_read"] == {"not harmonised": 1}
    _, meta = read_sumstats(test_data / FF / "gwas_vcf/ALSvcf.vcf")
    assert meta["rows_not_read"] == {"record repeated verbatim": 314}
    table, _ = read_sumstats(test_data / FF / "epacts/EAR-LENGTH.epacts.gz")
    assert table["p_value"].is_nan().sum() == 131  # monomorphic/rare rows, NA in the file
    assert table["beta"].fill_null(float("nan")).is_nan().sum() == 131


def test_read_sumstats__ldsc_munge_z_agrees_with_ldsc(test_data: Path) -> None:
    """LDSC's own munge output (correct.sumstats): Z = sign(ln OR) Phi^-1(1 - P/2) for the 4
    SNPs it keeps, to the 8 decimals LDSC prints."""
    from scipy.stats import norm

    ours, _ = read_sumstats(test_data / FF / "ldsc/munge_test_sumstats.txt")
    ldsc, _ = read_sumstats(test_data / FF / "ldsc/correct.sumstats")
    joined = ldsc.join(ours, on="variant_id", suffix="_in")
    assert joined.height == 4
    assert (joined["effect_allele"] == joined["effect_allele_in"]).all()
    z = np.sign(joined["beta_in"]) * norm.isf(joined["p_value_in"] / 2)
    np.testing.assert_allclose(z, joined["z"], atol=0.5e-8)
    np.testing.assert_array_equal(joined["n_in"], joined["n"])


#: Files no reader can read as they are, and the one-line error each must give.
UNREADABLE = [
    # beta "#NA" is GWAS-SSF's missing value; row 2 has an empty other_allele
    (f"{FF}/gwas_ssf/test_invalid.tsv", 3, "other_allele", "allele is missing"),
    # the harmoniser's test inputs keep text (the expected outcome) in the numeric info column
    (f"{FX}/gwas_ssf/GCST0.tsv", 2, "info", "expected a number, found 'ref_rs12238997"),
    (f"{FX}/gwas_ssf/random_name.tsv", 2, "info", "expected a number, found 'ref_rs12238997"),
    # the file ends with a blank line (and is defective on purpose row by row)
    (f"{FF}/gwaslab/dirty_sumstats.tsv", 65, None, "expected 20 tab-separated fields"),
    # the upstream file is damaged: line 408 is cut after 10 of 12 fields
    (f"{FX}/sumstats_misc/ieu-a-298.tsv.gz", 408, None, "expected 12 tab-separated fields"),
    # not summary statistics: an allele list, and gwaslab's JSON format book
    (f"{FF}/ldsc/merge_alleles", None, None, "needs beta (or OR) and its standard error"),
    (f"{FF}/gwaslab/formatbook.json", 2, None, "space-separated fields"),
]


@pytest.mark.parametrize(("name", "line", "column", "message"), UNREADABLE)
def test_read_sumstats__field_file_errors(test_data: Path, name, line, column, message) -> None:
    with pytest.raises(InputError) as err:
        read_sumstats(test_data / name)
    assert err.value.line == line
    assert err.value.column == column
    assert message in err.value.detail
    assert "\n" not in str(err.value)


def test_read_sumstats__field_file_readable_parts(test_data: Path, tmp_path: Path) -> None:
    """The rows before the damage of the unreadable files read as their READMEs say."""
    with gzip.open(test_data / FX / "sumstats_misc/ieu-a-298.tsv.gz", "rt") as fh:
        lines = fh.readlines()
    head = tmp_path / "ieu.tsv"
    head.write_text("".join(lines[:407]))
    table, meta = read_sumstats(head)
    assert (meta["format"], table.height) == ("ieu-opengwas", 406)
    _close(
        _row(table, variant_id="rs76805690"),
        {
            "chromosome": "1",
            "base_pair_location": 2256288,
            "effect_allele": "C",
            "other_allele": "A",
            "beta": 0.0389,
            "standard_error": 0.0175,
            "neg_log_10_p_value": 1.58536,
            "p_value": 0.0259800510432327,
            "rsid": "rs76805690",
        },
    )
    dirty = (test_data / FF / "gwaslab/dirty_sumstats.tsv").read_text().splitlines()
    clean = tmp_path / "clean.tsv"
    clean.write_text("\n".join([dirty[0], *[x for x in dirty if x.endswith("Clean sumstats")]]))
    table, _ = read_sumstats(clean)
    assert table.height == 2
    _close(
        _row(table, base_pair_location=54),
        {"effect_allele": "AG", "other_allele": "A", "p_value": 4.71e-09, "n": 160000.0},
    )
    _close(_row(table, base_pair_location=55), {"effect_allele": "A", "other_allele": "G"})
    columns = {
        "chromosome": "chromosome",
        "base_pair_location": "base_pair_location",
        "effect_allele": "effect_allele",
        "other_allele": "other_allele",
        "neg_log_10_p_value": "neg_log_10_p_value",
    }
    table, _ = read_sumstats(test_data / FX / "gwas_ssf/random_name.tsv", columns=columns)
    assert table.height == 4
    assert math.isclose(table["p_value"][0], 10**-0.4, rel_tol=1e-12)  # 0.3981


# ------------------------------------------------------------ gwaslab's formatbook, as checklist

#: gwaslab's names of the columns every layout must map right, and gwaskit's for them.
_GWASLAB = {
    "CHR": "chromosome",
    "POS": "base_pair_location",
    "EA": "effect_allele",
    "NEA": "other_allele",
    "BETA": "beta",
    "SE": "standard_error",
    "P": "p_value",
    "MLOG10P": "neg_log_10_p_value",
    "OR": "odds_ratio",
    "EAF": "effect_allele_frequency",
}
#: The formatbook's meanings of the header names the checklist header is made of.
_NAMED = {*_GWASLAB, "SNPID", "rsID", "N", "REF", "ALT", None}
#: The formatbook's summary-statistics layouts (the rest are genotype, sample, gene-level,
#: QTL or score formats, or gwaslab's own auto-detection presets).
_BOOK = [
    "bolt_lmm", "cojo", "fastgwa", "gemma", "gwascatalog", "gwascatalog_hm", "gwaslab", "ldak",
    "ldsc", "metal", "mrmega", "mtag", "pheweb", "plink", "plink2", "plink2_firth",
    "plink2_linear", "plink2_logistic", "plink_assoc", "plink_dosage", "plink_fisher",
    "plink_linear", "plink_logistic", "regenie", "saige", "snptest", "ssf",
]  # fmt: skip
#: The formatbook's other entries, and why the checklist leaves them out.
_NOT_CHECKED = {
    "vcf": "GWAS-VCF: not a header of columns; read by gwaskit.io.gwas_vcf (tested above)",
    "bgenie": "column names carry the phenotype (<pheno>_beta, <pheno>_p = -log10 p): map them",
    "ccgwas": "case-case GWAS with several estimators (OLS_, Exact_): map the one wanted",
    "mesusie": "fine-mapping input without alleles",
    "popcorn": "Popcorn input: which of A1/A2 is the effect allele is not documented (gwaslab "
    "says A2); read it with an explicit column mapping",
    "genomicsem": "GenomicSEM userGWAS output (est, se_c, Pval_Estimate): map the columns",
    "regenie_gene": "gene-based tests, not per variant",
    "pgscatalog": "polygenic-score weights",
    "pgscatalog_hm": "polygenic-score weights",
    "plink_bim": "genotype file", "plink_fam": "sample file", "plink_psam": "sample file",
    "plink_pvar": "genotype file", "bgen_sample": "sample file",
    "tensorqtl_cis": "QTL", "tensorqtl_cis_independent": "QTL", "tensorqtl_cis_nominal": "QTL",
    "tensorqtl_cis_nominal_interaction": "QTL", "tensorqtl_trans": "QTL",
    "template": "empty template",
    **{k: "gwaslab's auto-detection preset, not a layout" for k in (
        "auto", "auto_0", "auto_0_neaf", "auto_0_ref", "auto_0_ref_neaf", "auto_1_ref",
        "auto_1_ref_neaf", "auto_2", "auto_2_neaf", "auto_2_ref", "auto_2_ref_neaf", "auto_neaf",
        "auto_raw", "auto_ref", "auto_ref_neaf")},
}  # fmt: skip


def test_map_columns__formatbook_all_62_accounted_for(test_data: Path) -> None:
    book = json.loads((test_data / FF / "gwaslab/formatbook.json").read_text())
    assert len(book) == 62
    assert set(_BOOK) | set(_NOT_CHECKED) == set(book)
    assert not set(_BOOK) & set(_NOT_CHECKED)


@pytest.mark.parametrize("name", _BOOK)
def test_map_columns__formatbook_checklist(test_data: Path, name: str) -> None:
    """For each summary-statistics layout of gwaslab's formatbook, a header of its columns maps
    each of chromosome, position, alleles, beta/OR, SE, p, EAF the way gwaslab says (one
    header name per meaning; PLINK 2's REF/ALT give the other allele in the reader)."""
    book = json.loads((test_data / FF / "gwaslab/formatbook.json").read_text())
    header, meanings = [], set()
    for field, meaning in book[name]["format_dict"].items():
        if meaning not in _NAMED:  # other statistics (T, Z, CHISQ, ...) may come in pairs
            continue
        if meaning is None or meaning not in meanings:  # one header name per meaning
            header.append(field.strip())
            meanings.add(meaning)
    if name.startswith("plink2"):
        header = [h for h in header if h != "CHROM"]
    mapping = map_columns(header, detect_format(header))
    wanted = {
        f.strip(): _GWASLAB[m]
        for f, m in book[name]["format_dict"].items()
        if m in _GWASLAB and f.strip() in header and not (name.startswith("plink2") and m == "NEA")
    }
    got = {f: mapping.get(f) for f in wanted}
    assert got == wanted
    assert len(wanted) >= 3


def test_formats_reference__page_in_sync() -> None:
    """docs/sumstats-formats.md is the layout table rendered (``scripts/make_docs.py``)."""
    page = Path(__file__).resolve().parents[1] / FORMATS_PAGE
    assert page.read_text() == formats_reference()
    assert formats_reference().count("\n## `") == 22  # one section per layout


def test_read_sumstats__snptest_comment_lines(tmp_path: Path) -> None:
    """SNPTEST v2 writes '#' comment lines before its header and after its rows; the effect
    allele is alleleB. Error lines are the file's own."""
    head = (
        '# Analysis: "example"\n#\n# Command-line arguments:\n#   -frequentist 1\n'
        "alternate_ids rsid chromosome position alleleA alleleB index all_total "
        "frequentist_add_pvalue frequentist_add_beta_1 frequentist_add_se_1\n"
    )
    rows = (
        "SNP1 rs1 01 1000 A G 1 500 0.0134 0.21 0.085\nSNP2 rs2 01 2000 C T 2 500 0.5 -0.03 0.045\n"
    )
    path = tmp_path / "out.snptest"
    path.write_text(head + rows + "# Completed successfully.\n")
    table, meta = read_sumstats(path)
    assert (meta["format"], table.height, meta["source"]) == ("snptest", 2, path.name)
    _close(
        _row(table, variant_id="rs1"),
        {"effect_allele": "G", "other_allele": "A", "beta": 0.21, "standard_error": 0.085,
         "p_value": 0.0134, "n": 500.0},
    )  # fmt: skip
    path.write_text(head + rows.replace("0.045", "x") + "# Completed successfully.\n")
    with pytest.raises(InputError) as err:
        read_sumstats(path)
    assert (err.value.line, err.value.path) == (7, str(path))
    assert "'frequentist_add_se_1'" in err.value.detail


@pytest.mark.plink2
def test_read_sumstats__plink2_glm_covariate_rows(tmp_path: Path, plink2: str) -> None:
    """plink2 --glm with a covariate (and without hide-covar) writes a row per covariate: only
    the ADD rows are the variant's result; the others are counted. Run here on plink2's dummy
    data; beta = ln OR and SE = LOG(OR)_SE of the ADD rows, to 1e-12."""
    run_tool([plink2, "--dummy", "200", "30", "acgt", "--out", "d", "--seed", "1"], cwd=tmp_path)
    ids = [x.split()[0] for x in (tmp_path / "d.psam").read_text().splitlines()[1:]]
    rng = np.random.default_rng(1)
    covar = "".join(f"{i}\t{v:.4f}\n" for i, v in zip(ids, rng.normal(size=len(ids)), strict=True))
    (tmp_path / "c.txt").write_text("#IID\tC1\n" + covar)
    run_tool([plink2, "--pfile", "d", "--covar", "c.txt", "--glm", "--out", "r"], cwd=tmp_path)
    (path,) = tmp_path.glob("r.PHENO1.glm.*")
    raw = pl.read_csv(path, separator="\t", null_values=["."]).filter(pl.col("TEST") == "ADD")
    table, meta = read_sumstats(path)
    assert (meta["format"], table.height, raw.height) == ("plink2", 30, 30)
    assert meta["rows_not_read"] == {"TEST is not ADD": 30}
    assert table["variant_id"].to_list() == raw["ID"].to_list()
    np.testing.assert_allclose(table["beta"], np.log(raw["OR"].to_numpy()), rtol=1e-12)
    np.testing.assert_allclose(table["standard_error"], raw["LOG(OR)_SE"], rtol=1e-12)
    np.testing.assert_allclose(table["p_value"], raw["P"], rtol=1e-12)


def test_read_sumstats__plink_like_table_keeps_other_columns(tmp_path: Path) -> None:
    """A hand-made table with PLINK 1's leading columns is read as PLINK 1, and columns PLINK 1
    does not write (EAF, N) still come through the synonyms."""
    path = tmp_path / "munged.txt"
    path.write_text("CHR SNP BP A1 A2 EAF N BETA SE P\n1 rs1 100 A G 0.3 5000 0.1 0.02 6e-7\n")
    table, meta = read_sumstats(path)
    assert (meta["format"], table.height) == ("plink1", 1)
    _close(
        table.row(0, named=True),
        {"effect_allele": "A", "other_allele": "G", "effect_allele_frequency": 0.3, "n": 5000.0,
         "beta": 0.1, "standard_error": 0.02, "p_value": 6e-7},
    )  # fmt: skip
