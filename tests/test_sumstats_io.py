"""Reading summary statistics: format detection, column mapping, errors, GWAS-SSF round trip.

PLINK 2 output is made by plink2 in the test; the other formats are written here with the
headers their documentation gives. Parsed numbers are compared with the file's text values to
1e-12 relative (float parsing only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_tool
from gwaskit.errors import InputError
from gwaskit.io.sumstats import read_sumstats, write_sumstats
from gwaskit.io.sumstats_formats import detect_format


@pytest.mark.plink2
@pytest.mark.parametrize("pheno", ["binary", "quantitative"])
def test_read_sumstats__plink2_glm(tmp_path: Path, plink2: str, pheno: str) -> None:
    extra = ["scalar-pheno"] if pheno == "quantitative" else []
    run_tool(
        [plink2, "--dummy", "300", "40", "acgt", *extra, "--out", "d", "--seed", "1"], cwd=tmp_path
    )
    run_tool(
        [plink2, "--pfile", "d", "--glm", "allow-no-covars", "cols=+a1freq", "--out", "r"],
        cwd=tmp_path,
    )
    (path,) = tmp_path.glob("r.PHENO1.glm.*")
    raw = pl.read_csv(path, separator="\t", null_values=["NA"])
    table, meta = read_sumstats(path)
    assert meta["format"] == "plink2"
    assert table["effect_allele"].to_list() == raw["A1"].to_list()
    other = np.where(raw["A1"] == raw["ALT"], raw["REF"], raw["ALT"])
    assert table["other_allele"].to_list() == other.tolist()
    if pheno == "binary":
        np.testing.assert_allclose(table["beta"], np.log(raw["OR"].to_numpy()), rtol=1e-12)
        np.testing.assert_allclose(table["standard_error"], raw["LOG(OR)_SE"], rtol=1e-12)
    else:
        np.testing.assert_allclose(table["beta"], raw["BETA"], rtol=1e-12)
    p = raw["P"].to_numpy().astype(float)  # NA where plink2 omits a constant variant
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(table["neg_log_10_p_value"], -np.log10(p), rtol=1e-12)
    np.testing.assert_allclose(table["effect_allele_frequency"], raw["A1_FREQ"], rtol=1e-12)
    np.testing.assert_allclose(table["n"], raw["OBS_CT"], rtol=0)


def test_read_sumstats__regenie(tmp_path: Path) -> None:
    path = tmp_path / "step2_Y1.regenie"
    path.write_text(
        "CHROM GENPOS ID ALLELE0 ALLELE1 A1FREQ INFO N TEST BETA SE CHISQ LOG10P EXTRA\n"
        "1 11 rs1 c t 0.25 1 500 ADD 0.1 0.05 4 1.35 NA\n"
        "1 11 rs1 c t 0.25 1 500 DOM 0.2 0.05 16 4.2 NA\n"
        "chr1 30 rs2 A G 0.5 1 500 ADD -0.1 0.05 4 400.5 NA\n"
    )
    table, meta = read_sumstats(path)
    assert meta["format"] == "regenie"
    assert table.height == 2  # the DOM test row is not the additive effect
    assert table["effect_allele"].to_list() == ["T", "G"]  # ALLELE1, upper-cased
    assert table["other_allele"].to_list() == ["C", "A"]
    assert table["chromosome"].to_list() == ["1", "1"]
    np.testing.assert_allclose(table["neg_log_10_p_value"], [1.35, 400.5])
    assert table["p_value"][1] == 0.0 or table["p_value"][1] < 1e-300  # underflow is fine


def test_read_sumstats__saige_effect_allele_is_allele2(tmp_path: Path) -> None:
    path = tmp_path / "saige.txt"
    path.write_text(
        "CHR POS MarkerID Allele1 Allele2 AC_Allele2 AF_Allele2 imputationInfo N BETA SE Tstat "
        "var p.value N.Cases N.Controls\n"
        "1 100 1:100:A:G A G 20 0.1 1 100 0.3 0.1 30 0.01 0.0027 40 60\n"
    )
    table, meta = read_sumstats(path)
    assert meta["format"] == "saige"
    assert (table["effect_allele"][0], table["other_allele"][0]) == ("G", "A")
    assert (table["n_cases"][0], table["n_controls"][0]) == (40.0, 60.0)


def test_read_sumstats__gwama_and_metal_synonyms(test_data: Path) -> None:
    folder = test_data / "metal_glucose_example" / "inputs"
    dgi, _ = read_sumstats(folder / "DGI_three_regions.txt")
    # METAL's numeric allele codes 1-4 become letters
    assert set(dgi["effect_allele"].unique()) <= {"A", "C", "G", "T"}
    first = pl.read_csv(folder / "DGI_three_regions.txt", separator="\t", n_rows=1)
    assert first["EFFECT_ALLELE"][0] == 2 and dgi["effect_allele"][0] == "C"
    fusion, _ = read_sumstats(folder / "MAGIC_FUSION_Results.txt.gz")  # space separated, gzip
    assert fusion.height == 2293 and fusion["n"][0] == 1233


def test_read_sumstats__gwas_ssf_round_trip(tmp_path: Path) -> None:
    table = pl.DataFrame(
        {
            "chromosome": ["1", "X"],
            "base_pair_location": [100, 200],
            "effect_allele": ["A", "TTA"],
            "other_allele": ["G", "T"],
            "beta": [0.1, -0.2],
            "standard_error": [0.05, 0.01],
            "effect_allele_frequency": [0.3, 0.6],
            "p_value": [0.0455, 0.0],
            "neg_log_10_p_value": [1.342, 88.4],
            "n": [1000.0, 1000.0],
            "variant_id": ["1_100_G_A", "X_200_T_TTA"],
            "rsid": ["rs1", None],
        }
    )
    write_sumstats(table, tmp_path / "s", metadata={"genome_assembly": "GRCh38"})
    back, meta = read_sumstats(tmp_path / "s.tsv.gz")
    assert meta["format"] == "gwas-ssf" and meta["genome_assembly"] == "GRCh38"
    # GWAS-SSF's variant_id is chromosome (X = 23) _ position _ other _ effect allele, and a
    # p-value that underflowed to 0 is written from -log10 p (10^-88.4 = 3.981072e-89)
    expected = table.with_columns(
        pl.Series("variant_id", ["1_100_G_A", "23_200_T_TTA"]),
        pl.Series("p_value", [0.0455, 3.981072e-89]),
    )
    for c in table.columns:
        assert back[c].to_list() == expected[c].to_list(), c


def test_read_sumstats__missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text(
        "chromosome\tbase_pair_location\teffect_allele\tbeta\tstandard_error\n1\t1\tA\t0.1\t0.1\n"
    )
    with pytest.raises(InputError, match=r"x\.tsv.*other_allele"):
        read_sumstats(path)


def test_read_sumstats__non_numeric_value_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text(
        "CHR\tBP\tA1\tA2\tBETA\tSE\tP\n1\t1\tA\tG\t0.1\t0.1\t0.3\n1\t2\tA\tG\t0.1\toops\t0.3\n"
    )
    with pytest.raises(InputError) as err:
        read_sumstats(path)
    assert err.value.line == 3 and err.value.column == "standard_error"
    assert "oops" in str(err.value)


def test_read_sumstats__explicit_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_text("c p x y eff s\n2 5 a g 0.5 0.25\n")
    mapping = {
        "c": "chromosome",
        "p": "base_pair_location",
        "x": "effect_allele",
        "y": "other_allele",
        "eff": "beta",
        "s": "standard_error",
    }
    table, _ = read_sumstats(path, columns=mapping)
    assert table["effect_allele"][0] == "A"
    np.testing.assert_allclose(table["neg_log_10_p_value"][0], -np.log10(0.04550026389635842))


def test_detect_format__headers() -> None:
    assert detect_format(["#CHROM", "POS", "ID", "REF", "ALT", "A1", "BETA"]) == "plink2"
    assert detect_format(["CHROM", "GENPOS", "ID", "ALLELE0", "ALLELE1"]) == "regenie"
    assert detect_format(["MARKERNAME", "EA", "NEA", "BETA", "SE"]) == "gwama"
    assert detect_format(["SNP", "A1", "A2", "BETA"]) == "table"


_cell = st.text(alphabet="ACGTacgt0123456789.-eE NA\t,x#", min_size=0, max_size=8)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(
        st.sampled_from(
            [
                "CHR",
                "BP",
                "SNP",
                "A1",
                "A2",
                "BETA",
                "SE",
                "P",
                "N",
                "FRQ",
                "junk",
                "#CHROM",
                "POS",
                "ID",
                "REF",
                "ALT",
                "OR",
                "LOG10P",
            ]
        ),
        min_size=1,
        max_size=8,
        unique=True,
    ),
    rows=st.lists(st.lists(_cell, min_size=1, max_size=9), max_size=5),
)
def test_read_sumstats__parses_or_raises_input_error(tmp_path: Path, header, rows) -> None:
    path = tmp_path / "junk.txt"
    path.write_text("\t".join(header) + "\n" + "".join("\t".join(r) + "\n" for r in rows))
    try:
        table, _ = read_sumstats(path)
    except InputError:
        return
    assert {"effect_allele", "other_allele", "neg_log_10_p_value"} <= set(table.columns)
    assert table["effect_allele"].str.to_uppercase().to_list() == table["effect_allele"].to_list()


def test_read_sumstats__fast_reader_equals_token_reader(tmp_path: Path) -> None:
    """The reader without per-field null tokens (numbers parsed directly, tokens set to null
    afterwards) gives the table the token-aware reader gives."""
    from gwaskit.io.sumstats_formats import MISSING_TOKENS, _read_fast

    path = tmp_path / "s.tsv"
    path.write_text(
        "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error"
        "\tvariant_id\n"
        "1\t100\tA\tG\tnan\t0.1\trs1\n"
        "1\t200\tA\tC\t0.2\tNaN\tNA\n"
        "2\t300\tT\tC\t-0.1\t0.2\t.\n"
        "2\t400\tT\tG\t\t0.2\t\n"
    )
    numeric = dict.fromkeys(["base_pair_location", "beta", "standard_error"], "x")
    fast = _read_fast(path, "\t", numeric, None)
    slow = pl.read_csv(
        path,
        separator="\t",
        infer_schema=False,
        schema_overrides=dict.fromkeys(numeric, pl.Float64),
        null_values=MISSING_TOKENS,
    )
    assert fast is not None and fast.equals(slow)
    assert fast["variant_id"].to_list() == ["rs1", None, None, None]
    assert fast["beta"].null_count() == 2
    # a token in a numeric column: the fast reader declines, the token reader takes over
    path.write_text(path.read_text().replace("nan", "NA"))
    assert _read_fast(path, "\t", numeric, None) is None
    assert read_sumstats(path)[0]["beta"].null_count() == 2
