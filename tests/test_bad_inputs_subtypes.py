"""Bad inputs of ``gwaskit subtypes``: one clear line, exit 2, nothing written (as
``tests/test_bad_inputs.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwaskit.cli import main
from test_bad_inputs import SSF_HEADER, ssf_rows, with_cell, write_ssf


def _loci(folder: Path) -> Path:
    path = folder / "loci.parquet"
    pl.DataFrame(
        {"locus_id": ["L1"], "chromosome": ["1"], "base_pair_location": [1_050_000]}
    ).write_parquet(path)
    return path


def _argv(folder: Path, out: Path, *extra: str, b: Path | None = None) -> list[str]:
    a = write_ssf(folder, name="a.tsv")
    b = b or write_ssf(folder, name="b.tsv")
    return [
        "subtypes", "--subtype", f"A={a}", "--subtype", f"B={b}", "--loci", str(_loci(folder)),
        "--out", str(out / "sub"), *extra,
    ]  # fmt: skip


CASES: list[tuple[str, Callable[[Path, Path], list[str]], tuple[str, ...]]] = [
    (
        "no_equals",
        lambda f, o: ["subtypes", "--subtype", "A", "--loci", str(_loci(f)), "--out", str(o / "s")],
        ("--subtype must be NAME=SUMSTATS", "'A'"),
    ),
    (
        "one_subtype",
        lambda f, o: [
            "subtypes",
            "--subtype",
            f"A={write_ssf(f)}",
            "--loci",
            str(_loci(f)),
            "--out",
            str(o / "s"),
        ],
        ("at least twice", "got 1"),
    ),
    (
        "missing_file",
        lambda f, o: _argv(f, o, b=f / "absent.tsv"),
        ("absent.tsv", "file not found"),
    ),
    ("r_out_of_range", lambda f, o: _argv(f, o, "--r", "1.2"), ("--r must be in (-1, 1)", "1.2")),
    (
        "bad_weights",
        lambda f, o: _argv(f, o, "--r", "0.1", "--model-weights", "1,1,x"),
        ("--model-weights must be 5 non-negative numbers", "1,1,x"),
    ),
    (
        "bad_threshold",
        lambda f, o: _argv(f, o, "--r", "0.1", "--threshold", "0.3"),
        ("--threshold must be in [0.5, 1)", "0.3"),
    ),
    (
        "bad_row",
        lambda f, o: _argv(
            f, o, "--r", "0.1", b=write_ssf(f, with_cell(3, "standard_error", "-1"), name="b.tsv")
        ),
        ("b.tsv", "line 5", "standard_error"),
    ),
    (
        "too_few_null_variants",
        lambda f, o: _argv(f, o),
        ("only 28 variants", "at least 100", "give it instead"),
    ),
    (
        "loci_not_a_loci_table",
        lambda f, o: [
            "subtypes",
            "--subtype",
            f"A={write_ssf(f)}",
            "--subtype",
            f"B={write_ssf(f)}",
            "--loci",
            str(write_ssf(f, name="l.tsv")),
            "--r",
            "0.1",
            "--out",
            str(o / "s"),
        ],
        ("l.tsv", "not a Loci table: missing column(s) locus_id"),
    ),
]
assert SSF_HEADER and ssf_rows  # the shared writers this corpus builds on


@pytest.mark.parametrize(("name", "make", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_subtypes_cli__bad_input_one_line_exit_2_nothing_written(
    name, make, fragments, tmp_path, capsys
):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    code = main(make(inputs, out))
    err = capsys.readouterr().err
    assert code == 2, f"exit {code}; stderr: {err}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    message = " ".join(err.split())
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert list(out.iterdir()) == []


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("subtypes_fuzz")
    write_ssf(folder, name="a.tsv")
    write_ssf(folder, name="b.tsv")
    _loci(folder)
    return folder


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(weights=st.text(max_size=30), name=st.text(max_size=12))
def test_subtypes_cli__junk_weights_and_names_never_crash(inputs, capsys, weights, name):
    out = inputs / "out"
    out.mkdir(exist_ok=True)
    argv = [
        "subtypes", "--subtype", f"{name}={inputs / 'a.tsv'}", "--subtype",
        f"B={inputs / 'b.tsv'}", "--loci", str(inputs / "loci.parquet"), "--r", "0.1",
        f"--model-weights={weights}", "--out", str(out / "s"), "-q",
    ]  # fmt: skip
    capsys.readouterr()  # the previous example's output
    try:
        code = main(argv)
    except SystemExit as exc:  # a usage mistake argparse catches (a name starting with "-")
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 2:
        assert len([line for line in err.splitlines() if line.strip()]) == 1, err
        assert not list(out.iterdir())
    for path in out.iterdir():
        path.unlink()
