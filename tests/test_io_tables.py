"""Atomic table writing and the SumStats schema."""

from __future__ import annotations

import gzip

import polars as pl
import pytest

from gwaskit.errors import InputError
from gwaskit.io.sumstats import conform, read_sumstats_parquet, write_sumstats
from gwaskit.io.tables import atomic_path


def _table():
    return pl.DataFrame(
        {
            "chromosome": ["1", "2"],
            "base_pair_location": [100, 200],
            "effect_allele": ["A", "C"],
            "other_allele": ["G", "T"],
            "beta": [0.1, -0.2],
            "standard_error": [0.01, 0.02],
            "neg_log_10_p_value": [22.9, 22.9],
            "method": ["linear", "linear"],
        }
    )


def test_write_sumstats__parquet_tsv_and_sidecar(tmp_path):
    paths = write_sumstats(_table(), tmp_path / "out", metadata={"genome_assembly": "GRCh38"})
    assert [p.name for p in paths] == [
        "out.parquet",
        "out.tsv.gz",
        "out.untested.tsv.gz",  # GWAS-SSF's side table: rows it cannot hold, with a reason
        "out.tsv.gz-meta.yaml",
    ]
    table, meta = read_sumstats_parquet(tmp_path / "out.parquet")
    assert meta["genome_assembly"] == "GRCh38"
    assert table.columns[:4] == [
        "chromosome",
        "base_pair_location",
        "effect_allele",
        "other_allele",
    ]
    assert table["method"].to_list() == ["linear", "linear"]
    with gzip.open(tmp_path / "out.tsv.gz", "rt") as handle:
        header = handle.readline().rstrip("\n").split("\t")
    assert header == table.columns
    assert list(tmp_path.glob(".*tmp")) == []


def test_write_sumstats__byte_identical_twice(tmp_path):
    for name in ("a", "b"):
        write_sumstats(_table(), tmp_path / name, metadata={"genome_assembly": "GRCh37"})
    for suffix in (".parquet", ".tsv.gz", ".untested.tsv.gz"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
    # the sidecars differ only by the data file's name (GWAS-SSF's data_file_name)
    a, b = ((tmp_path / f"{n}.tsv.gz-meta.yaml").read_text() for n in ("a", "b"))
    assert a.replace("data_file_name: a.tsv.gz", "data_file_name: b.tsv.gz") == b


def test_atomic_path__failure_leaves_nothing(tmp_path):
    target = tmp_path / "result.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_conform__missing_identity_column_is_an_input_error():
    with pytest.raises(InputError, match="other_allele"):
        conform(_table().drop("other_allele"), source="study1.tsv")
