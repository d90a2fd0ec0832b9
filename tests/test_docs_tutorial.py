"""docs/tutorial.md runs: its ```sh blocks, in order, in an empty folder, each exiting 0.

``gwaskit`` in the blocks is this interpreter's ``python -m gwaskit`` (a shim on PATH), so the
tutorial is tested against the source tree under test, not an installed copy.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import gwaskit

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"
_BLOCK = re.compile(r"^```sh\n(.*?)^```\s*$", re.S | re.M)


def sh_blocks(markdown: str) -> list[str]:
    """The ```sh code blocks of a Markdown text, in order."""
    return [m.group(1) for m in _BLOCK.finditer(markdown)]


def test_sh_blocks__extracts_only_sh_fences():
    text = (
        "a\n```sh\necho 1\n```\n```text\nnot run\n```\n```toml\nx = 1\n```\n```sh\nls\nls -l\n```\n"
    )
    assert sh_blocks(text) == ["echo 1\n", "ls\nls -l\n"]


def _shim(folder: Path) -> dict[str, str]:
    """Environment whose ``gwaskit`` is ``python -m gwaskit`` of this interpreter and source."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "gwaskit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gwaskit "$@"\n')
    shim.chmod(0o755)
    src = str(Path(gwaskit.__file__).resolve().parents[1])
    pythonpath = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": pythonpath,
        "OPENBLAS_NUM_THREADS": "1",
        "COLUMNS": "100",
    }


@pytest.mark.slow
def test_tutorial__runs(tmp_path):
    blocks = sh_blocks(TUTORIAL.read_text())
    assert len(blocks) >= 10, "the tutorial lost its commands"
    work = tmp_path / "tutorial"
    work.mkdir()
    env = _shim(tmp_path)
    for number, block in enumerate(blocks, start=1):
        result = subprocess.run(
            ["bash", "-e", "-c", block],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (
            f"docs/tutorial.md: ```sh block {number} exited {result.returncode}:\n{block}\n"
            f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
        )
    # the step-by-step report and the plan's report
    for report in ("report.html", "pipeline/report/all/report.html"):
        path = work / report
        assert path.is_file() and path.stat().st_size > 10_000, report
    # what the text says about the results still holds
    loci = pl.read_parquet(work / "results" / "loci.parquet")
    # against the simulation's truth table: every locus holds (or is within 250 kb of) a planted
    # causal variant, and the locus of the strongest planted effect is among them
    truth = pl.read_csv(
        work / "data" / "truth.tsv", separator="\t", schema_overrides={"chromosome": pl.String}
    )
    assert truth.height >= 3
    hits = loci.join(truth, on="chromosome", suffix="_truth").filter(
        pl.col("base_pair_location_truth").is_between(
            pl.col("start") - 250_000, pl.col("end") + 250_000
        )
    )
    assert loci.height >= 1, "the tutorial's meta-analysis found no locus"
    assert hits["locus_id"].n_unique() == loci.height, "a locus holds no planted variant"
    strongest = truth.sort("variance_explained", descending=True)["locus_id"][0]
    assert strongest in hits["locus_id_truth"].to_list(), "the strongest planted locus is missed"
    assert {"nearest_gene", "rep_concordant", "replicated"} <= set(loci.columns)
    assert (work / "results" / "loci.tissues.parquet").is_file()
    html = (work / "report.html").read_text()
    assert "No tissue enrichment results" not in html, "the report did not find the tissues"
    assert "no LD table for this locus" not in html and "no gene table" not in html
