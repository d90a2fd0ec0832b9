"""Inputs opened by content: gzip, bgzip, zstd, bzip2 or plain, whatever the file is called;
and gwaskit's tables read back alike from ``.parquet`` and ``.tsv.gz``."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from gwaskit.errors import InputError
from gwaskit.io.compression import head_lines, read_bytes, read_text, sniff
from gwaskit.io.sumstats import read_sumstats
from gwaskit.io.tables import read_table, write_table
from test_bad_inputs import bgzf, write_ssf

COMPRESSORS = {
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "gzip_members": lambda b: gzip.compress(b[:7], mtime=0) + gzip.compress(b[7:], mtime=0),
    "bgzip": bgzf,
    "zstd": lambda b: pa.Codec("zstd").compress(b, asbytes=True),
    "bzip2": bz2.compress,
    "plain": lambda b: b,
}
KINDS = {"gzip_members": "gzip"}


@pytest.mark.parametrize("name", COMPRESSORS)
def test_sniff__magic_bytes_not_the_name(tmp_path, name):
    path = tmp_path / "misnamed.parquet"  # the name says nothing
    path.write_bytes(COMPRESSORS[name](b"chromosome\tbase_pair_location\n1\t100\n"))
    assert sniff(path) == KINDS.get(name, name)


def test_sniff__parquet_xz_and_empty(tmp_path):
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "t.tsv.gz")
    (tmp_path / "x").write_bytes(b"\xfd7zXZ\x00rest")
    (tmp_path / "e.gz").write_bytes(b"")
    assert [sniff(tmp_path / n) for n in ("t.tsv.gz", "x", "e.gz")] == ["parquet", "xz", "empty"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=3000), name=st.sampled_from(sorted(COMPRESSORS)))
def test_read_bytes__every_compression_gives_the_content(tmp_path, content, name):
    path = tmp_path / "f.gz"
    path.write_bytes(COMPRESSORS[name](content))
    if name == "plain" and sniff(path) != "plain":
        return  # random bytes that start with a magic number are not plain
    assert read_bytes(path) == content


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=1, max_value=200), name=st.sampled_from(["gzip", "bgzip", "zstd"]))
def test_read_bytes__any_truncation_is_one_input_error(tmp_path, cut, name):
    data = COMPRESSORS[name](b"".join(b"line %d of a table\n" % i for i in range(300)))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: max(len(data) - cut, 4)])
    with pytest.raises(InputError, match=r"cut\.gz: the .* stream is truncated or corrupt"):
        read_bytes(path)


def test_read_text__byte_order_mark_dropped_and_head_lines_stop_early(tmp_path):
    body = "\ufeffa\tb\r\n" + "".join(f"{i}\t{i}\r\n" for i in range(100_000))
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress(body.encode(), mtime=0))
    assert read_text(path).splitlines()[0] == "a\tb"
    assert head_lines(path, 3) == ["a\tb", "0\t0", "1\t1"]


@pytest.mark.parametrize("name", ["gzip", "bgzip", "zstd", "bzip2"])
def test_read_sumstats__compressed_as_plain(tmp_path, name):
    plain = write_ssf(tmp_path, name="plain.tsv")
    packed = tmp_path / f"{name}.tsv"  # a compressed file without a compression suffix
    packed.write_bytes(COMPRESSORS[name](plain.read_bytes()))
    packed.with_name(packed.name + "-meta.yaml").write_text("genome_assembly: GRCh37\n")
    a, _ = read_sumstats(plain)
    b, _ = read_sumstats(packed)
    assert a.height == 30
    assert_frame_equal(a, b)


_VALUES = {
    pl.String: st.one_of(st.none(), st.text("ACGTX_:;-.", min_size=1, max_size=6)),
    pl.Int64: st.one_of(st.none(), st.integers(-(2**40), 2**40)),
    pl.Float64: st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)),
    pl.Boolean: st.one_of(st.none(), st.booleans()),
}


@st.composite
def tables(draw) -> tuple[pl.DataFrame, dict[str, pl.DataType]]:
    n = draw(st.integers(1, 8))
    dtypes = draw(st.lists(st.sampled_from(list(_VALUES)), min_size=1, max_size=5))
    columns = {
        f"c{j}": pl.Series(f"c{j}", draw(st.lists(_VALUES[t], min_size=n, max_size=n)), dtype=t)
        for j, t in enumerate(dtypes)
    }
    return pl.DataFrame(columns), {k: v.dtype for k, v in columns.items()}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=tables())
def test_read_table__tsv_gz_reads_back_as_the_parquet(tmp_path, case):
    table, schema = case
    write_table(table, tmp_path / "t", metadata={"genome_assembly": "GRCh37"})
    from_parquet, meta_p = read_table(tmp_path / "t.parquet")
    from_text, meta_t = read_table(tmp_path / "t.tsv.gz", schema=schema)
    assert from_text.height == from_parquet.height == table.height
    assert_frame_equal(from_text, from_parquet)
    assert meta_p == meta_t == {"genome_assembly": "GRCh37"}


def test_read_table__bad_value_names_line_and_column(tmp_path):
    (tmp_path / "t.tsv").write_text("start\tend\n1\t2\n3\tfour\n")
    with pytest.raises(InputError, match=r"t\.tsv, line 3, column 'end': expected a Int64"):
        read_table(tmp_path / "t.tsv", schema={"start": pl.Int64, "end": pl.Int64})


def test_read_table__bare_prefix_finds_either_form(tmp_path):
    write_table(pl.DataFrame({"a": [1, 2]}), tmp_path / "t", tsv=True)
    (tmp_path / "t.parquet").unlink()
    table, _ = read_table(Path(tmp_path / "t"))
    assert table["a"].to_list() == [1, 2]


def test_write_sumstats__a_failure_writes_none_of_the_files(tmp_path, monkeypatch):
    """The Parquet, the GWAS-SSF file, its side table and sidecar land together or not at all."""
    import gwaskit.io.ssf as ssf
    from gwaskit.io.sumstats import write_sumstats

    def broken(table):
        raise RuntimeError("killed while splitting")

    monkeypatch.setattr(ssf, "ssf_tables", broken)
    table = pl.DataFrame(
        {"chromosome": ["1"], "base_pair_location": [5], "effect_allele": ["A"],
         "other_allele": ["G"]}
    )  # fmt: skip
    with pytest.raises(RuntimeError):
        write_sumstats(table, tmp_path / "s", metadata={"genome_assembly": "GRCh37"})
    assert list(tmp_path.iterdir()) == []


def test_read_bytes__bgzip_cut_at_a_block_boundary_is_truncated(tmp_path):
    """Cutting a BGZF file's 28-byte end-of-file block leaves valid gzip members: only the
    missing end-of-file block shows that blocks may be missing (hypothesis found cut = 28)."""
    data = COMPRESSORS["bgzip"](b"".join(b"line %d of a table\n" % i for i in range(300)))
    assert data.endswith(bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000"))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[:-28])
    with pytest.raises(InputError, match=r"cut\.gz: the bgzip stream is truncated or corrupt"):
        read_bytes(path)
    path.write_bytes(data)
    assert read_bytes(path).count(b"\n") == 300
