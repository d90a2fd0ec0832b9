"""Genetic maps in the four formats analysts have (PLINK .map, HapMap, SHAPEIT2, SHAPEIT4):
the same map written in each reads back to the same table; bad files are one InputError."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.errors import InputError
from gwaskit.io.genetic_map import rate_in_window, read_genetic_map


def _write(folder, fmt: str, bp: np.ndarray, cm: np.ndarray, chrom: str = "8"):
    rate = np.append(np.diff(cm) / (np.diff(bp) / 1e6), 0.0)
    rows = list(zip(bp.tolist(), rate.tolist(), cm.tolist(), strict=True))
    if fmt == "plink":
        path = folder / "map.map"
        text = "".join(f"{chrom}\trs{i}\t{c!r}\t{b}\n" for i, (b, _, c) in enumerate(rows))
    elif fmt == "hapmap":
        path = folder / "hapmap.txt"
        text = "Chromosome Position(bp) Rate(cM/Mb) Map(cM)\n" + "".join(
            f"chr{chrom} {b} {r!r} {c!r}\n" for b, r, c in rows
        )
    elif fmt == "shapeit2":
        path = folder / f"genetic_map_chr{chrom}_combined_b37.txt"
        text = "position COMBINED_rate(cM/Mb) Genetic_Map(cM)\n" + "".join(
            f"{b} {r!r} {c!r}\n" for b, r, c in rows
        )
    else:
        path = folder / f"chr{chrom}.b38.gmap"
        text = "pos\tchr\tcM\n" + "".join(f"{b}\t{chrom}\t{c!r}\n" for b, _, c in rows)
    path.write_text(text)
    return path, rate


@settings(max_examples=25, deadline=None)
@given(
    steps=st.lists(st.integers(1, 200_000), min_size=2, max_size=30),
    rates=st.lists(st.floats(0, 50, allow_nan=False), min_size=30, max_size=30),
    fmt=st.sampled_from(["plink", "hapmap", "shapeit2", "shapeit4"]),
)
def test_read_genetic_map__every_format_reads_the_same_map(tmp_path_factory, steps, rates, fmt):
    bp = 1000 + np.cumsum(steps)
    cm = np.concatenate([[0.0], np.cumsum(np.asarray(rates[: len(bp) - 1]) * np.diff(bp) / 1e6)])
    path, rate = _write(tmp_path_factory.mktemp("map"), fmt, bp, cm)
    table = read_genetic_map(path)
    assert table.height == len(bp)
    assert table["chromosome"].unique().to_list() == ["8"]
    assert table["base_pair_location"].to_list() == bp.tolist()
    np.testing.assert_allclose(table["cm"].to_numpy(), cm, rtol=0, atol=1e-9)
    # given or computed from cM, the rate is the same (computed: float error of a division)
    np.testing.assert_allclose(table["rate"].to_numpy(), rate, rtol=1e-9, atol=1e-9)


def test_rate_in_window__spans_the_window(tmp_path):
    bp = np.array([100, 200, 300, 400, 500])
    path, _ = _write(tmp_path, "hapmap", bp, np.array([0.0, 0.1, 0.3, 0.3, 0.4]))
    x, rate = rate_in_window(read_genetic_map(path), "chr8", 250, 350)
    assert x.tolist() == [200, 300, 400]
    np.testing.assert_allclose(rate, [2000.0, 0.0, 1000.0])
    assert rate_in_window(read_genetic_map(path), "9", 0, 1e9)[0].size == 0


@pytest.mark.parametrize(
    ("name", "text", "match", "line"),
    [
        ("m.txt", "a b c\n1 2 3\n", "unknown genetic map header", 1),
        ("m.map", "8 rs1 0.1 100\n8 rs2 0.2\n", "expected 4 fields, found 3", 2),
        ("m.map", "8 rs1 0.1 100\n8 rs2 x 200\n", "cm must be a number, got 'x'", 2),
        ("m.map", "8 rs1 0.1 300\n8 rs2 0.2 200\n", "must increase; 200 follows 300", 2),
        ("map.txt", "position COMBINED_rate(cM/Mb) Genetic_Map(cM)\n1 0 0\n", "file name", None),
        ("empty.map", "", "empty", None),
    ],
)
def test_read_genetic_map__bad_files_are_one_input_error(tmp_path, name, text, match, line):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=match) as info:
        read_genetic_map(path)
    assert info.value.line == line


def test_report__recombination_track_drawn_with_a_genetic_map():
    from _report_data import make_results
    from gwaskit.report import ReportInputs, build_report

    results = make_results(n_background=2_000)
    rows = []
    for c in ("2", "8", "12", "17"):
        bp = np.arange(0, 250_000_000, 50_000)
        rows.append(pl.DataFrame({"chromosome": c, "base_pair_location": bp,
                                  "rate": np.where(bp % 400_000 == 0, 30.0, 0.5)}))  # fmt: skip
    html = build_report(ReportInputs(**results, genetic_map=pl.concat(rows)), dpi=30)
    assert html.count('"recomb":{"x":[') == 4  # every regional plot, interactive
    assert "recombination rate (cM/Mb, right axis)" in html
