"""Property-based: the field-format parsers parse junk or raise one InputError, never crash.

Covers the Oxford ``.sample`` and ``.gen``/``.haps`` readers, headerless phenotype files and a
``.fam`` with extra columns (``tests/test_fuzz_parsers.py`` covers the older parsers).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwaskit.errors import InputError, ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.oxford import read_sample_file
from gwaskit.io.phenotypes import parse_column_numbers, read_sample_table
from gwaskit.io.plink1 import read_fam

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_FIELD = st.one_of(
    st.sampled_from(["ID_1", "ID_2", "id", "ID", "sample", "missing", "sex", "0", "D", "1", "2",
                     "NA", "-9", "0.5", "1e-3", "A", "G", "rs1", "X:5_A_G", "?", "-", "1*", "nan",
                     "\ufeff", "FID", "IID", "#FID"]),
    st.text(min_size=0, max_size=5),
)  # fmt: skip
_LINE = st.lists(_FIELD, min_size=0, max_size=9).map(" ".join)
_TEXT = st.lists(_LINE, min_size=0, max_size=6).map("\n".join)


def _write(folder: str, name: str, text: str, junk: bytes = b"") -> Path:
    path = Path(folder) / name
    path.write_bytes(text.encode("utf-8", "surrogatepass") + junk)
    return path


@SETTINGS
@given(text=_TEXT, junk=st.binary(max_size=6))
def test_read_sample_file__parse_or_input_error(text, junk):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "x.sample", text, junk)
        try:
            samples = read_sample_file(path)
        except InputError as exc:
            assert exc.path == str(path)
            return
        assert samples.height >= 1
        assert samples.select("fid", "iid").is_unique().all()


@SETTINGS
@given(gen=_TEXT, sample=_TEXT, kind=st.sampled_from(["gen", "haps"]))
def test_oxford_source__parse_or_input_error(gen, sample, kind):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, f"x.{kind}", gen)
        _write(folder, "x.sample", sample)
        try:
            source = open_genotypes(path)
            dosage = source.read()
        except InputError as exc:
            assert exc.path.startswith(folder)
            return
        assert dosage.shape == (source.n_samples, source.n_variants)


@SETTINGS
@given(text=_TEXT, name=st.sampled_from(["p.txt", "p.fam", "p.tsv"]))
def test_read_sample_table__headerless_parse_or_input_error(text, name):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, name, text)
        try:
            table = read_sample_table(path)
        except InputError as exc:
            assert exc.path == str(path)
            return
        assert table.values.width == len(table.numbers)
        assert table.ids.height == table.values.height == table.lines.size


@SETTINGS
@given(text=_TEXT)
def test_read_fam__extra_columns_parse_or_input_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "x.fam", text)
        try:
            samples = read_fam(path)
        except InputError as exc:
            assert exc.path == str(path)
            return
        assert samples.height >= 1


@SETTINGS
@given(text=st.text(alphabet="0123456789,-x ", max_size=12))
def test_parse_column_numbers__list_or_parameter_error(text):
    try:
        numbers = parse_column_numbers(text, "--pheno-col-nums")
    except ParameterError:
        return
    assert numbers and min(numbers) >= 1 and len(set(numbers)) == len(numbers)
