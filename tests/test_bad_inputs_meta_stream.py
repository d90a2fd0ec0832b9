"""Bad inputs of the streamed meta-analysis: each gives exit 2 and one line naming the file (and
line) or the option, and leaves no output and no spilled parts behind."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from gwaskit.cli import main

HEADER = "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\n"


def _rows(n: int, chromosome: str = "1") -> list[str]:
    return [f"{chromosome}\t{1000 + 10 * i}\tA\tG\t{0.01 * (i % 7):.2f}\t0.1\n" for i in range(n)]


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".m", "m")))


@pytest.mark.parametrize("compressed", [False, True])
def test_cli_meta__ragged_line_far_in_the_file_is_named(tmp_path, capsys, compressed) -> None:
    """A truncated line beyond the first block of bytes the field counter reads (8 MB) is
    named with its line number, in a plain and a gzipped file."""
    rows = _rows(250_000)  # ~8.5 MB
    rows[240_000] = "1\t2401000\tA\tG\t0.1\n"  # 5 fields for 6: line 240,002 of the file
    text = HEADER + "".join(rows)
    bad = tmp_path / ("bad.tsv.gz" if compressed else "bad.tsv")
    if compressed:
        bad.write_bytes(gzip.compress(text.encode(), compresslevel=1))
    else:
        bad.write_text(text)
    good = tmp_path / "good.tsv"
    good.write_text(HEADER + "".join(_rows(50)))
    code = main(["meta", "--study", f"a={good}", "--study", f"b={bad}", "--memory-gb", "0",
                 "--population", "none", "--out", str(tmp_path / "m"), "-q", "--no-progress"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert bad.name in err and "line 240002" in err and "expected 6" in err and "found 5" in err
    assert _left(tmp_path) == []


def test_cli_meta__study_failing_qc_when_streamed_leaves_nothing(tmp_path, capsys) -> None:
    good = tmp_path / "good.tsv"
    good.write_text(HEADER + "".join(_rows(50)) + "".join(_rows(50, "2")))
    bad = tmp_path / "bad.tsv"
    bad.write_text(HEADER + "".join(r.replace("\t0.1\n", "\t-0.1\n") for r in _rows(20)))
    code = main(["meta", "--study", f"a={good}", "--study", f"b={bad}", "--memory-gb", "0",
                 "--population", "none", "--out", str(tmp_path / "m"), "-q", "--no-progress"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "bad.tsv" in err and "no variant passed QC" in err and "se_not_positive: 20" in err
    assert _left(tmp_path) == []


def test_cli_meta__scheduler_not_an_address(tmp_path, capsys) -> None:
    good = tmp_path / "good.tsv"
    good.write_text(HEADER + "".join(_rows(5)))
    code = main(["meta", "--study", f"a={good}", "--study", f"b={good}", "--scheduler",
                 "localhost:8786", "--out", str(tmp_path / "m")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and "'localhost:8786'" in err
    assert _left(tmp_path) == []
