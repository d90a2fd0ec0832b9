"""The .pvar/.psam parsers (and the .bim/.fam ones they fall back to): layouts and junk."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwaskit.errors import InputError
from gwaskit.io.plink1 import read_bim, read_fam
from gwaskit.io.plink2 import read_psam, read_pvar


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_pvar__header_lines_and_optional_columns(tmp_path):
    path = _write(
        tmp_path,
        "a.pvar",
        "##fileformat=VCFv4.2\n##contig=<ID=1,length=249250621>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tCM\n"
        "1\t100\trs1\tA\tG\t.\t.\tAF=0.1\t0.5\n"
        "chrX\t200\trs2\tC\tT\t50\tPASS\t.\t0.7\n"
        "23\t300\trs3\tC\t.\t.\t.\t.\t0\n",
    )
    variants = read_pvar(path)
    assert variants.to_dicts() == [
        dict(chromosome="1", base_pair_location=100, variant_id="rs1", effect_allele="G",
             other_allele="A"),
        dict(chromosome="X", base_pair_location=200, variant_id="rs2", effect_allele="T",
             other_allele="C"),
        dict(chromosome="X", base_pair_location=300, variant_id="rs3", effect_allele=".",
             other_allele="C"),
    ]  # fmt: skip


def test_read_pvar__column_order_from_header(tmp_path):
    path = _write(tmp_path, "a.pvar", "#CHROM\tID\tPOS\tALT\tREF\n2\tv1\t5\tG\tA\n")
    row = read_pvar(path).row(0)
    assert row == ("2", 5, "v1", "G", "A")


@pytest.mark.parametrize(
    "text",
    ["2\tv1\t0\t5\tG\tA\n", "2\tv1\t5\tG\tA\n"],
    ids=["bim-style-6", "bim-style-5"],
)
def test_read_pvar__headerless_is_bim_style(tmp_path, text):
    """Without a header, column 5 of 6 (or 4 of 5) is ALT, as plink2 reads a .bim."""
    row = read_pvar(_write(tmp_path, "a.pvar", text)).row(0)
    assert row == ("2", 5, "v1", "G", "A")


def test_read_pvar__bim_file_matches_plink1_reader(tmp_path):
    text = "1\trs1\t0\t100\tG\tA\n2\trs2\t0.1\t50\tT\tC\n"
    path = _write(tmp_path, "a.bim", text)
    assert read_pvar(path).equals(read_bim(path))
    assert read_pvar(_write(tmp_path, "b.pvar", text)).equals(read_bim(path))


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("#CHROM\tPOS\tID\tREF\n1\t1\ta\tA\n", 1, "lacks the column(s) ALT"),
        ("#CHROM\tPOS\tID\tREF\tALT\n1\t1\ta\tA\tG\n1\t2\ta\tA\n", 3, "found 4"),
        ("#CHROM\tPOS\tID\tREF\tALT\n1\tx\ta\tA\tG\n", 2, "base-pair position"),
        ("#CHROM\tPOS\tID\tREF\tALT\n1\t-5\ta\tA\tG\n", 2, "base-pair position"),
        ("##x\n1\t1\ta\tA\tG\n", 2, "#CHROM header"),
        ("1\t1\ta\tA\n", 1, "5 or 6 fields"),
    ],
)
def test_read_pvar__errors_name_the_line(tmp_path, text, line, words):
    with pytest.raises(InputError) as info:
        read_pvar(_write(tmp_path, "a.pvar", text))
    assert info.value.line == line, str(info.value)
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("text", "fid", "sex"),
    [
        ("#FID\tIID\tSEX\nf1\ti1\t1\nf2\ti2\t2\n", ["f1", "f2"], [1, 2]),
        ("#IID\tSEX\ti1\tM\n".replace("\ti1", "\ni1") + "i2\tF\n", ["i1", "i2"], [1, 2]),
        ("#IID\tPAT\tMAT\tPHENO1\ni1\t0\t0\t1.5\ni2\t0\t0\tNA\n", ["i1", "i2"], [0, 0]),
        ("IID\tSEX\ni1\tNA\ni2\t2\n", ["i1", "i2"], [0, 2]),
        ("f1 i1 0 0 1 -9\nf2 i2 0 0 2 1\n", ["f1", "f2"], [1, 2]),  # .fam-style
    ],
)
def test_read_psam__layouts(tmp_path, text, fid, sex):
    samples = read_psam(_write(tmp_path, "a.psam", text))
    assert samples["iid"].to_list() == ["i1", "i2"]
    assert samples["fid"].to_list() == fid  # no FID column: fid = iid
    assert samples["sex"].to_list() == sex


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("#FID\tSEX\nf1\t1\n", 1, "no IID"),
        ("#IID\tSEX\ni1\t1\ni2\n", 3, "found 1"),
        ("#IID\ni1\ni1\n", 3, "more than once"),
        ("#FID\tIID\nf\ti\nf\ti\n", 3, "more than once"),
        ("#comment\ni1\n", 1, "#FID or #IID"),
        ("#IID\tSEX\n", None, "no sample lines"),
    ],
)
def test_read_psam__errors(tmp_path, text, line, words):
    with pytest.raises(InputError) as info:
        read_psam(_write(tmp_path, "a.psam", text))
    assert info.value.line == line, str(info.value)
    assert words in str(info.value)


@pytest.mark.parametrize("reader", [read_pvar, read_psam, read_bim, read_fam])
@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00bad", b"\x1f\x8b\x08\x00junk"])
def test_parsers__empty_binary_or_compressed(tmp_path, reader, content):
    path = tmp_path / "x.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        reader(path)
    assert info.value.path == str(path)


# -- property-based: junk in, InputError out -----------------------------------------------------

_FIELD = st.one_of(
    st.sampled_from(["1", "chrX", "23", "rs1", "A", "G", "G,T", ".", "0", "-9", "1e5", "NA", "#CHROM",
                     "##x", "#FID", "#IID", "IID", "FID", "SEX", "POS", "ID", "REF", "ALT",
                     "99999999999999999999", "１２"]),
    st.text(min_size=0, max_size=6),
)  # fmt: skip
_LINE = st.lists(_FIELD, min_size=0, max_size=8).map("\t".join)
_TEXT = st.lists(_LINE, min_size=0, max_size=6).map("\n".join)
_PARSERS = {"pvar": read_pvar, "psam": read_psam, "bim": read_bim, "fam": read_fam}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, kind=st.sampled_from(sorted(_PARSERS)), junk=st.binary(max_size=8))
def test_parsers__parse_or_raise_input_error(text, kind, junk):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x.{kind}"
        path.write_bytes(text.encode("utf-8", "surrogatepass") + junk)
        try:
            table = _PARSERS[kind](path)
        except InputError as exc:
            assert exc.path == str(path)
            return
        assert table.height >= 1
        if kind in ("pvar", "bim"):
            assert (table["base_pair_location"].to_numpy() >= 0).all()
            assert table["effect_allele"].str.contains(",").not_().all()
        else:
            assert set(np.unique(table["sex"].to_numpy())) <= {0, 1, 2}
            assert not table.select(["fid", "iid"]).is_duplicated().any()
