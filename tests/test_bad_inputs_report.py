"""Bad inputs to the report's new inputs: one red line and exit code 2, never a traceback."""

from __future__ import annotations

import polars as pl
import pytest

from _report_data import make_results, write_results
from gwaskit.cli import main
from gwaskit.errors import InputError
from gwaskit.report import load_report_inputs


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_results(tmp_path_factory.mktemp("results"), make_results(n_background=1_000))


def test_report__genetic_map_with_bad_row_is_exit_2(folder, tmp_path, capsys):
    bad = tmp_path / "genetic_map_chr8.txt"
    bad.write_text("position COMBINED_rate(cM/Mb) Genetic_Map(cM)\n100 1.0 0.0\n90 1.0 0.1\n")
    out = tmp_path / "report.html"
    code = main(["report", str(folder), "--out", str(out), "--genetic-map", str(bad)])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "genetic_map_chr8.txt" in err and "line 3" in err and "must increase" in err
    assert "Traceback" not in err


def test_load_report_inputs__pca_without_pcs_names_the_file(folder, tmp_path):
    import shutil

    copy = tmp_path / "results"
    shutil.copytree(folder, copy)
    (copy / "pca").mkdir()
    pl.DataFrame({"iid": ["a"], "PC_1": [0.1]}).write_parquet(copy / "pca" / "COHORT_A.parquet")
    with pytest.raises(InputError, match=r"pca/COHORT_A\.parquet.*missing column\(s\) PC1"):
        load_report_inputs(copy)
