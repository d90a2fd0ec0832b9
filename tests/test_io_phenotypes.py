"""Phenotype and covariate files: layouts, coding, matching, dropped samples and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwaskit.errors import InputError
from gwaskit.io.phenotypes import load_phenotypes, read_sample_table

SAMPLES = pl.DataFrame(
    {"fid": ["f1", "f2", "f3", "f4"], "iid": ["a", "b", "c", "d"], "sex": [1, 2, 0, 1]}
)


def _write(tmp_path: Path, text: str, name: str = "pheno.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_phenotypes__plink_binary_with_missing_codes(tmp_path):
    path = _write(tmp_path, "#FID IID T\nf1 a 2\nf2 b 1\nf3 c -9\nf4 d NA\nf9 z 2\n")
    ph = load_phenotypes(SAMPLES, path)
    assert ph.binary and ph.y.tolist() == [1.0, 0.0]
    assert ph.sample_index.tolist() == [0, 1]
    reasons = dict(zip(ph.dropped["iid"], ph.dropped["reason"], strict=True))
    assert reasons == {"z": "not in genotypes", "c": "missing phenotype", "d": "missing phenotype"}


def test_load_phenotypes__iid_only_tsv_with_empty_field_and_01_coding(tmp_path):
    path = _write(tmp_path, "IID\tT\tQ\nd\t1\t0.5\nb\t0\t\na\t1\t2\nc\t\t1\n")
    ph = load_phenotypes(SAMPLES, path)
    assert ph.binary and ph.sample_index.tolist() == [0, 1, 3]  # genotype order
    assert ph.y.tolist() == [1.0, 0.0, 1.0]
    q = load_phenotypes(SAMPLES, path, pheno_name="Q")
    assert not q.binary and q.sample_index.tolist() == [0, 2, 3]


def test_load_phenotypes__csv_and_categorical_covariates(tmp_path):
    pheno = _write(tmp_path, "FID,IID,Q\nf1,a,1.5\nf2,b,2.5\nf3,c,0.1\nf4,d,3\n", "p.csv")
    covar = _write(
        tmp_path,
        "FID IID AGE SITE\nf1 a 40 north\nf2 b 50 south\nf3 c 60 east\nf4 d 45 NA\n",
        "c.txt",
    )
    ph = load_phenotypes(SAMPLES, pheno, covar=covar)
    assert ph.covariate_names == ("AGE", "SITE=north", "SITE=south")  # 'east' is the base
    assert ph.covariates.tolist() == [[40, 1, 0], [50, 0, 1], [60, 0, 0]]
    assert ph.dropped.row(0) == ("f4", "d", "missing covariate")
    only_age = load_phenotypes(SAMPLES, pheno, covar=covar, covar_names=["AGE"])
    assert only_age.covariate_names == ("AGE",) and only_age.n == 4
    declared = load_phenotypes(
        SAMPLES, pheno, covar=covar, covar_names=["AGE"], categorical=["AGE"]
    )
    assert declared.covariates.shape == (4, 3)


def test_load_phenotypes__fid_must_match_when_both_have_it(tmp_path):
    path = _write(tmp_path, "FID IID T\nx a 1.0\nf2 b 2.0\nf3 c 3.0\n")
    ph = load_phenotypes(SAMPLES, path)
    assert ph.sample_index.tolist() == [1, 2]
    assert "not in genotypes" in ph.dropped["reason"].to_list()


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("ID T\na 1\n", {}, "must start with 'FID IID' or 'IID'"),
        ("IID T\na 1\na 2\n", {}, "appears more than once"),
        ("IID T\na 1\nb x\n", {}, "expected a number"),
        ("IID T\na 1.5\nb 1.5\nc 1.5\n", {}, "constant"),
        ("IID T\na 2\nb 2\nc -9\n", {"binary": True}, "only cases"),
        ("IID T\nq 1\nr 2\n", {}, "no sample is left"),
        ("IID T\na 1\nb 2\n", {"pheno_name": "U"}, "no phenotype column 'U'"),
        ("IID T\na 1\nb 2 3\n", {}, "expected 2 fields"),
        ("IID T\na 1\nb 5\n", {"binary": True}, "binary trait must be coded"),
    ],
)
def test_load_phenotypes__errors_name_file_and_line(tmp_path, text, kwargs, match):
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=match) as info:
        load_phenotypes(SAMPLES, path, **kwargs)
    assert str(path) in str(info.value)


def test_load_phenotypes__unknown_covariate_name(tmp_path):
    pheno = _write(tmp_path, "IID T\na 1\nb 2\nc 1\n")
    covar = _write(tmp_path, "IID PC1\na 1\nb 2\nc 3\n", "c.txt")
    with pytest.raises(InputError, match="no covariate column 'PC2'"):
        load_phenotypes(SAMPLES, pheno, covar=covar, covar_names=["PC2"])


def test_read_sample_table__line_number_in_error(tmp_path):
    path = _write(tmp_path, "IID T\na 1\n\nb 2\nb 3\n")
    with pytest.raises(InputError) as info:
        read_sample_table(path)
    assert info.value.line == 5


_field = st.one_of(
    st.sampled_from(["1", "2", "0", "-9", "NA", "", "1.5", "x", "a", "b", "c", "nan", "inf"]),
    st.text(alphabet="abc12 ,\t#-.", max_size=4),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(["FID IID T", "IID T", "#FID\tIID\tT\tU", "IID,T", "X T", ""]),
    rows=st.lists(st.lists(_field, min_size=0, max_size=5), max_size=6),
    sep=st.sampled_from([" ", "\t", ","]),
)
def test_load_phenotypes__junk_parses_or_raises_input_error(tmp_path, header, rows, sep):
    path = tmp_path / "junk.txt"
    path.write_text(header + "\n" + "\n".join(sep.join(r) for r in rows) + "\n")
    try:
        ph = load_phenotypes(SAMPLES, path)
    except InputError:
        return
    assert ph.y.size == ph.sample_index.size > 0
    assert np.all(np.isfinite(ph.y))


_token = st.text(alphabet="abcXYZ019.-", min_size=1, max_size=5)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(_token, min_size=3, max_size=3), min_size=1, max_size=8),
    gaps=st.lists(st.sampled_from([" ", "  ", "\t ", " \t\t", "   "]), min_size=40, max_size=40),
)
def test_read_sample_table__whitespace_runs_read_as_single_spaces(tmp_path, rows, gaps):
    """PLINK-style files: any runs of spaces (and tabs after the header) around and between
    fields give the same table as single spaces."""
    rows = [[f"s{i}", *r[1:]] for i, r in enumerate(rows)]  # unique IDs
    plain = tmp_path / "plain.txt"
    plain.write_text("IID A B\n" + "".join(" ".join(r) + "\n" for r in rows))
    gap = iter(gaps * 4)
    messy = tmp_path / "messy.txt"
    messy.write_text("IID  A   B \n" + "".join(next(gap).join(["", *r, ""]) + "\n" for r in rows))
    a, b = read_sample_table(plain), read_sample_table(messy)
    assert a.ids.equals(b.ids) and a.values.equals(b.values)
    assert a.lines.tolist() == b.lines.tolist()


def test_load_phenotypes__mostly_numeric_covariate_with_text_is_a_typo(tmp_path):
    pheno = _write(tmp_path, "IID T\na 1\nb 2\nc 1\nd 2\n")
    covar = _write(tmp_path, "IID AGE\na 40\nb 5O\nc 60\nd 45\n", "c.txt")
    with pytest.raises(InputError, match=r"holds 3 numbers\), found '5O'") as info:
        load_phenotypes(SAMPLES, pheno, covar=covar)
    assert info.value.line == 3
    # declared categorical, the same column is levels, not a typo
    ph = load_phenotypes(SAMPLES, pheno, covar=covar, categorical=["AGE"])
    assert ph.covariate_names == ("AGE=45", "AGE=5O", "AGE=60")
