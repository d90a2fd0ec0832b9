"""The meta-analysis streamed by chromosome: every study spilled to one small Parquet file per
chromosome (``--memory-gb 0``) and the chromosomes run as engine tasks, locally or on a real
Dask cluster (a scheduler and two worker processes), writes byte for byte the files the
in-memory run writes; :func:`gwaskit.meta.prepare.prepare_study` holds a study in each form."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.meta.harmonise import EncodedStudy
from gwaskit.meta.prepare import PartFiles, PreparedStudy, prepare_study
from test_engine_dask import scheduler  # noqa: F401 - the cluster fixture

OUTPUTS = ("m.parquet", "m.tsv.gz", "m.studies.parquet", "m.dropped.parquet")


def _metal_args(test_data: Path) -> list[str]:
    """METAL's glucose example: three studies in three layouts (one gzipped), on several
    chromosomes."""
    inputs = test_data / "metal_glucose_example" / "inputs"
    return [
        "--study", f"DGI={inputs / 'DGI_three_regions.txt'}",
        "--study", f"FUSION={inputs / 'MAGIC_FUSION_Results.txt.gz'}",
        "--study", f"SARDINIA={inputs / 'magic_SARDINIA.tbl'}",
        "--study-n", "SARDINIA=4106",
        "--method", "samplesize", "--palindromic", "forward", "--gc", "--population", "none",
        "-q", "--no-progress",
    ]  # fmt: skip


def _run(args: list[str], folder: Path, *extra: str) -> dict[str, bytes]:
    folder.mkdir()
    assert main(["meta", *args, *extra, "--out", str(folder / "m")]) == 0
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def _assert_rows(folder: Path) -> None:
    table = pl.read_parquet(folder / "m.parquet")
    assert table.height == 2495  # the variants of METAL's test_01 output (METAANALYSIS1.TBL)
    assert table["chromosome"].n_unique() == 3  # three partitions


def test_cli_meta__streamed_equals_in_memory_byte_for_byte(
    test_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # provenance times pinned
    args = _metal_args(test_data)
    in_memory = _run(args, tmp_path / "mem")
    streamed = _run(args, tmp_path / "pq", "--memory-gb", "0", "--threads", "2")
    _assert_rows(tmp_path / "mem")
    assert len(in_memory) == len(OUTPUTS)
    for name in OUTPUTS:
        assert streamed[name] == in_memory[name], name


def test_cli_meta__dask_cluster_byte_identical_to_local(
    test_data: Path,
    tmp_path: Path,
    scheduler: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # provenance times pinned
    args = [a for a in _metal_args(test_data) if a != "-q"]  # warnings on the terminal
    local = _run(args, tmp_path / "local", "--threads", "2", "--lambda-warn", "1.0")
    local_err = capsys.readouterr().err
    remote = _run(args, tmp_path / "dask", "--scheduler", scheduler, "--lambda-warn", "1.0")
    remote_err = capsys.readouterr().err
    _assert_rows(tmp_path / "dask")
    for name in OUTPUTS:
        assert remote[name] == local[name], name
    # each study's lambda GC warning is said once, also when a worker checked the study
    for study in ("DGI", "FUSION", "SARDINIA"):
        said = f"study {study}: lambda GC"
        assert local_err.count(said) == remote_err.count(said) == 1, study
    assert not list((tmp_path / "dask").glob(".*scratch"))  # spilled parts removed


def test_prepare_study__spilled_parts_read_back_as_encoded(test_data: Path, tmp_path: Path):
    path = test_data / "metal_glucose_example" / "inputs" / "DGI_three_regions.txt"
    encoded = prepare_study("DGI", path, population=None, gc="lambda")
    spilled = prepare_study("DGI", path, population=None, gc="lambda", form="spilled",
                            scratch=tmp_path)  # fmt: skip
    table = prepare_study("DGI", path, population=None, form="table")
    assert isinstance(encoded, PreparedStudy) and isinstance(encoded.data, EncodedStudy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        encoded.name = "other"  # type: ignore[misc]
    assert isinstance(spilled.data, EncodedStudy) and isinstance(spilled.data.parts, PartFiles)
    assert isinstance(table.data, pl.DataFrame)
    assert sorted(spilled.data.parts) == sorted(encoded.data.parts) == ["11", "2", "7"]
    rows = 0
    for chromosome, part in encoded.data.parts.items():
        assert spilled.data.parts[chromosome].equals(part)
        rows += part.height
    counts = encoded.data.counts  # rows entering encoding = the rows QC kept
    assert rows == counts["variants_kept"] > 2000
    assert counts["variants_read"] == table.data.height == encoded.summary["qc_variants_kept"]
    assert spilled.lambda_gc == encoded.lambda_gc > 0 and table.lambda_gc is None
    # the same row whatever the form (NaN statistics, e.g. no chrX, compared as equal)
    assert pl.DataFrame([spilled.summary]).equals(pl.DataFrame([encoded.summary]))
    assert pl.DataFrame([table.summary]).equals(pl.DataFrame([encoded.summary]))
    assert encoded.summary["format"] == encoded.format and encoded.build is None


def test_estimate_memory_gb__parquet_rows_from_the_footer(tmp_path: Path) -> None:
    """A Parquet study's rows come from its footer (the text estimate counted newlines in
    binary and held 22 x 3 M Parquet studies in memory: 6 GB)."""
    from gwaskit.cli.meta import _BYTES_PER_ROW, estimate_memory_gb

    path = tmp_path / "s.parquet"
    pl.DataFrame({"a": range(123_456)}).write_parquet(path)
    assert estimate_memory_gb([path]) == pytest.approx(123_456 * _BYTES_PER_ROW / 1e9)
