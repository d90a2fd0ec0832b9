"""Duplicate rows in summary statistics (issue 12, item 5): exact copies are reduced to one,
copies that disagree are all dropped, each with a reason code and counted; neither stops a run.

topr's CD_UKBB file (real, GRCh38) gives three variants twice, with different allele
frequencies (rows 5578-5581 and 5903-5904 of its 21,717).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.io.sumstats import read_sumstats
from gwaskit.io.sumstats_checks import drop_duplicates
from gwaskit.qc.sumstats import qc_sumstats

CD_UKBB = "topr_ibd_sumstats_hg38/CD_UKBB.tsv.gz"


def test_cli_loci__runs_past_duplicate_rows(test_data: Path, tmp_path: Path, capsys) -> None:
    from gwaskit.cli import main

    out = tmp_path / "loci"
    code = main(["loci", str(test_data / CD_UKBB), "--build", "GRCh38", "--out", str(out)])
    assert code == 0
    assert pl.read_parquet(out.with_name("loci.parquet")).height == 10
    warned = [line for line in capsys.readouterr().err.splitlines() if "duplicate" in line]
    assert len(warned) == 1
    assert "0 rows dropped as exact copies" in warned[0]
    assert "6 rows of variants given more than once" in warned[0]


def test_drop_duplicates__real_file(test_data: Path) -> None:
    table, _ = read_sumstats(test_data / CD_UKBB)
    kept, dropped = drop_duplicates(table)
    assert table.height == 21717
    assert kept.height == 21717 - 6
    assert dropped["row"].to_list() == [5578, 5579, 5580, 5581, 5903, 5904]
    assert set(dropped["reason"]) == {"duplicate"}
    # the same rows, by the same rule, in the meta-analysis QC
    qc = qc_sumstats(table, require_beta=False, population=None)
    assert (qc.counts["duplicate"], qc.counts["duplicate_identical"]) == (6, 0)


def _table(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "chromosome": rng.choice(["1", "2"], n),
            "base_pair_location": np.arange(n, dtype=np.int64) * 10 + 1,
            "variant_id": [f"rs{i}" for i in range(n)],
            "effect_allele": rng.choice(["A", "C"], n),
            "other_allele": "G",
            "beta": rng.normal(0, 0.1, n),
            "standard_error": rng.uniform(0.01, 0.1, n),
            "neg_log_10_p_value": rng.uniform(0, 5, n),
        }
    )


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 1000),
    copies=st.lists(st.integers(0, 39), max_size=10),
    conflicts=st.lists(st.integers(0, 39), max_size=5, unique=True),
)
def test_qc_sumstats__duplicate_rows(n, seed, copies, conflicts) -> None:
    """Exact copies (alleles possibly swapped in a conflicting copy) of any rows: one copy kept
    per exact duplicate, every copy dropped where one disagrees."""
    base = _table(n, seed)
    copies = [i % n for i in copies]
    conflicts = sorted({i % n for i in conflicts})
    exact = base[copies]
    changed = base[conflicts].with_columns(pl.col("beta") + 1.0)
    table = pl.concat([base, exact, changed]).sample(fraction=1.0, shuffle=True, seed=seed)
    qc = qc_sumstats(table, population=None)
    assert qc.table.height + qc.dropped.height == table.height
    expect_kept = base.filter(~pl.col("variant_id").is_in(base[conflicts]["variant_id"].implode()))
    assert qc.table.height == expect_kept.height
    assert qc.table.sort("variant_id").equals(expect_kept.sort("variant_id"))
    n_conflict_rows = sum(1 + copies.count(i) + 1 for i in conflicts)
    assert qc.counts["duplicate"] == n_conflict_rows
    assert qc.counts["duplicate_identical"] == len(copies) - sum(copies.count(i) for i in conflicts)
