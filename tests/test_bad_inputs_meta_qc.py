"""Bad inputs of the meta-analysis QC options: a reference table without the needed columns or
with impossible frequencies, impossible filter values, malformed --x-coding: one line naming
the file or option, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.eaf_reference import read_eaf_reference
from gwaskit.io.sumstats import write_sumstats
from gwaskit.meta.chrx import detect_x_coding
from gwaskit.qc.sumstats import QcFilters, qc_filters


def _studies(tmp_path: Path) -> list[str]:
    args = []
    for name, shift in (("A", 0.0), ("B", 0.01)):
        t = pl.DataFrame(
            {
                "chromosome": ["1"] * 30,
                "base_pair_location": list(range(1000, 31000, 1000)),
                "effect_allele": ["A"] * 30,
                "other_allele": ["G"] * 30,
                "beta": [0.01 * i + shift for i in range(30)],
                "standard_error": [0.1] * 30,
                "effect_allele_frequency": [0.2] * 30,
                "neg_log_10_p_value": [0.5] * 30,
                "n": [1000.0] * 30,
            }
        )
        write_sumstats(t, tmp_path / name, metadata={"genome_assembly": "GRCh37"}, tsv=False)
        args += ["--study", f"{name}={tmp_path / f'{name}.parquet'}"]
    return args


def _run(tmp_path: Path, capsys, *extra: str) -> tuple[int, list[str]]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    code = main(["meta", *_studies(tmp_path), "--out", str(out / "m"), "--no-progress", *extra])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert not list(out.iterdir())
    return code, err


def test_cli_meta__reference_without_frequency_column(tmp_path: Path, capsys) -> None:
    ref = tmp_path / "ref.tsv"
    ref.write_text("CHR\tPOS\tA1\tA2\n1\t1000\tA\tG\n")
    code, err = _run(tmp_path, capsys, "--eaf-reference", str(ref))
    assert code == 2
    assert len(err) == 1
    assert str(ref) in err[0] and "no column for a frequency" in err[0]


def test_cli_meta__reference_missing_file(tmp_path: Path, capsys) -> None:
    code, err = _run(tmp_path, capsys, "--eaf-reference", str(tmp_path / "nope.tsv"))
    assert code == 2 and len(err) == 1 and "nope.tsv" in err[0]


def test_read_eaf_reference__frequency_out_of_range(tmp_path: Path) -> None:
    ref = tmp_path / "ref.tsv"
    ref.write_text("chromosome\tposition\tALT\tREF\tAF\n1\t1000\tA\tG\t0.2\n1\t2000\tA\tG\t1.7\n")
    with pytest.raises(InputError, match=r"ref\.tsv.*frequency must be in \[0, 1\], got 1\.7"):
        read_eaf_reference(ref)


def test_read_eaf_reference__aliases_and_normalisation(tmp_path: Path) -> None:
    ref = tmp_path / "ref.tsv"
    ref.write_text("#CHROM\tPOS\tALT\tREF\tALT_FREQS\nchr1\t99\tgat\tga\t0.2\n23\t5\tA\tG\t0.5\n")
    table = read_eaf_reference(ref)
    assert table.rows() == [("1", 100, "AT", "A", 0.2), ("X", 5, "A", "G", 0.5)]


@pytest.mark.parametrize(
    "extra",
    [
        ["--maf", "0.7"],
        ["--min-info", "-1"],
        ["--max-eaf-diff", "nan"],
        ["--qc-preset", "nope"],
        ["--x-coding", "A=0/3"],
        ["--x-coding", "Z=0/1"],
    ],
)
def test_cli_meta__impossible_qc_options(tmp_path: Path, capsys, extra) -> None:
    with pytest.raises(SystemExit) as exit_info:
        code, _ = _run(tmp_path, capsys, *extra)
        raise SystemExit(code)
    assert exit_info.value.code == 2


def test_qc_filters__ranges_and_presets() -> None:
    with pytest.raises(ParameterError, match="maf must be in"):
        QcFilters(maf=0.6)
    with pytest.raises(ParameterError, match="preset must be one of"):
        qc_filters("other")
    f = qc_filters("ihgc2022", maf=0.05)
    assert (f.maf, f.info, f.hwe_p, f.eaf_diff, f.eaf_diff_indel) == (0.05, 0.6, 1e-6, 0.3, 0.2)
    with pytest.raises(ParameterError, match="x coding must be one of"):
        detect_x_coding(
            pl.DataFrame({"chromosome": ["X"], "base_pair_location": [1]}), declared="1"
        )


def test_cli_meta__frequency_filter_without_reference_is_said(tmp_path: Path, capsys) -> None:
    out = tmp_path / "o"
    out.mkdir()
    args = ["meta", *_studies(tmp_path), "--population", "none", "--no-progress"]
    assert main([*args, "--max-eaf-diff", "0.3", "--out", str(out / "m")]) == 0
    err = capsys.readouterr().err
    assert err.count("the allele-frequency filter was not applied: no reference") == 2
    assert main([*args, "--qc-preset", "ihgc2022", "--strict", "--out", str(tmp_path / "s")]) == 2
    assert not list(tmp_path.glob("s.*"))
