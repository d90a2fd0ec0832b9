"""The examples of docs/api.md run as written, and `gwaskit`'s public names resolve."""

from __future__ import annotations

import os
import re

import pytest

import gwaskit
from conftest import REPO

EXAMPLES = re.findall(r"```python\n(.*?)```", (REPO / "docs" / "api.md").read_text(), re.S)


def test_docs_api__has_examples():
    assert len(EXAMPLES) == 7


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_docs_api__example_runs(index, monkeypatch):
    monkeypatch.chdir(REPO)
    exec(compile(EXAMPLES[index], f"docs/api.md example {index + 1}", "exec"), {})


def test_gwaskit__every_public_name_resolves():
    names = [n for n in gwaskit.__all__ if n != "__version__"]
    assert len(names) >= 25
    for name in names:
        assert callable(getattr(gwaskit, name)), name
    with pytest.raises(AttributeError):
        gwaskit.no_such_function  # noqa: B018


def test_gwaskit__import_does_not_load_the_science():
    """`import gwaskit` alone imports none of the analysis modules (the CLI's fast start)."""
    import subprocess
    import sys

    code = "import gwaskit, sys; print(sorted(m for m in sys.modules if m.startswith('gwaskit.')))"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "[]"


def test_gwaskit__pandas_table_gives_the_polars_result(monkeypatch):
    monkeypatch.chdir(REPO)
    table, _ = gwaskit.read_sumstats("tests/data/topr_ibd_sumstats_hg38/CD_UKBB.tsv.gz")
    one = gwaskit.define_loci(table, window_kb=500)
    two = gwaskit.define_loci(table.to_pandas(), window_kb=500)
    assert one.height == 10 and two.equals(one)
    assert gwaskit.define_loci.__doc__ == gwaskit.loci.define.define_loci.__doc__
