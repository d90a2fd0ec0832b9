"""The ``gwaskit qc`` and ``gwaskit pca`` verbs end to end, and their small file helpers."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_tool
from gwaskit.cli import main
from gwaskit.cli._lists import read_binary_phenotype
from gwaskit.errors import InputError
from structured_data import make_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("cli")
    c = make_cohort(
        folder, n_variants=2000, missing_rate=0.01, related=True, n_x=100, fst=0.03, seed=21
    )
    pheno = folder / "pheno.txt"
    pheno.write_text(
        "FID\tIID\tT2D\n" + "".join(f"F{i}\tI{i}\t{p + 1}\n" for i, p in enumerate(c.phenotype))
    )
    return c, pheno


@pytest.mark.plink2
def test_qc_cli__writes_lists_tables_and_a_bed_plink2_reads(
    cohort, tmp_path: Path, plink2: str
) -> None:
    c, pheno = cohort
    out = tmp_path / "qc"
    code = main(
        [
            *("qc", str(c.path.with_suffix("")), "--pheno", str(pheno), "--out", str(out)),
            *("--make-bed", "--hwe-midp", "--no-progress"),
        ]
    )
    assert code == 0
    keep = (tmp_path / "qc.keep").read_text().splitlines()
    extract = (tmp_path / "qc.extract").read_text().splitlines()
    removed = pl.read_parquet(tmp_path / "qc.removed_samples.parquet")
    assert len(keep) + removed.height == 300
    # the family loses its three children, the duplicate pair one; at 3 SD about one of 300
    # samples falls out on heterozygosity by chance
    assert removed.filter(pl.col("reason") == "relatedness").height == 4
    assert set(removed["reason"]) <= {"relatedness", "heterozygosity"}
    with gzip.open(tmp_path / "qc.variants.tsv.gz", "rt") as handle:
        assert "hwe_neg_log10_p" in handle.readline().split("\t")
    # the filtered fileset is valid for plink2 and holds exactly the kept samples and variants
    run_tool([plink2, "--bfile", str(out), "--freq", "--out", str(tmp_path / "check")])
    assert (tmp_path / "qc.fam").read_text().count("\n") == len(keep)
    assert (tmp_path / "qc.bim").read_text().count("\n") == len(extract)
    afreq = pl.read_csv(tmp_path / "check.afreq", separator="\t", infer_schema=False)
    assert afreq["ID"].to_list() == extract


def test_qc_cli__bad_phenotype_is_one_line_and_no_output(
    cohort, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c, _ = cohort
    bad = tmp_path / "bad.txt"
    bad.write_text("FID\tIID\tBMI\nF0\tI0\t23.5\nF1\tI1\t31.0\n")
    out = tmp_path / "qc"
    code = main(["qc", str(c.path), "--pheno", str(bad), "--out", str(out), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "binary phenotype" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [bad]


def test_pca_cli__plink2_layout(cohort, tmp_path: Path) -> None:
    c, _ = cohort
    out = tmp_path / "pcs"
    code = main(
        [
            *("pca", str(c.path), "--out", str(out), "--pcs", "4", "--seed", "1"),
            *("--no-progress", "--indep-pairwise", "50", "5", "0.5"),
        ]
    )
    assert code == 0
    lines = (tmp_path / "pcs.eigenvec").read_text().splitlines()
    assert lines[0].split("\t") == ["#FID", "IID", "PC1", "PC2", "PC3", "PC4"]
    assert len(lines) == 301
    values = np.loadtxt(tmp_path / "pcs.eigenval")
    assert values.shape == (4,) and np.all(np.diff(values) <= 0)
    table = pl.read_parquet(tmp_path / "pcs.eigenvec.parquet")
    assert table.columns == ["fid", "iid", "PC1", "PC2", "PC3", "PC4"]
    text = np.array([line.split("\t")[2:] for line in lines[1:]], dtype=float)
    np.testing.assert_allclose(text, table.select("PC1", "PC2", "PC3", "PC4").to_numpy(), rtol=1e-7)


def test_pca_cli__bad_indep_pairwise_exit_2(cohort, tmp_path: Path) -> None:
    c, _ = cohort
    code = main(
        ["pca", str(c.path), "--out", str(tmp_path / "x"), "--indep-pairwise", "a", "5", "0.2"]
    )
    assert code == 2


def _samples() -> pl.DataFrame:
    return pl.DataFrame({"fid": ["F1", "F2", "F3"], "iid": ["A", "B", "C"]})


def test_read_binary_phenotype__codings(tmp_path: Path) -> None:
    plink = tmp_path / "plink.txt"
    plink.write_text("#FID IID y\nF1 A 2\nF2 B 1\nF3 C -9\n")
    assert read_binary_phenotype(plink, _samples()).tolist() == [1, 0, -1]
    zero_one = tmp_path / "zero_one.txt"
    zero_one.write_text("IID y z\nA 0 5\nC 1 7\n")  # no FID; B absent
    assert read_binary_phenotype(zero_one, _samples(), "y").tolist() == [0, -1, 1]
    with pytest.raises(InputError, match="no column 'w'"):
        read_binary_phenotype(zero_one, _samples(), "w")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="FIDAB12 -9\t\n#.xyz", max_size=80))
def test_read_binary_phenotype__junk_gives_input_error_only(tmp_path: Path, text: str) -> None:
    path = tmp_path / "junk.txt"
    path.write_text(text)
    try:
        out = read_binary_phenotype(path, _samples())
    except InputError:
        return
    assert out.dtype == np.int8 and set(out.tolist()) <= {-1, 0, 1}


def test_qc_cli__no_related_pairs_writes_an_empty_typed_table(tmp_path: Path) -> None:
    c = make_cohort(tmp_path, n_variants=500, seed=3)
    out = tmp_path / "qc"
    # unrelated samples; with 500 variants the KING noise (SD ~0.03) stays far below 0.3
    args = ["--no-progress", "--het-sd", "none", "--king-cutoff", "0.3"]
    assert main(["qc", str(c.path), "--out", str(out), *args]) == 0
    related = pl.read_parquet(tmp_path / "qc.related.parquet")
    assert related.height == 0
    assert related.schema["iid1"] == pl.String and related.schema["degree"] == pl.String
    assert (tmp_path / "qc.keep").read_text().count("\n") == 300
