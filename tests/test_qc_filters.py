"""Per-variant filters of :func:`gwaskit.qc.sumstats.qc_sumstats` on a hand-checkable table:
each row fails exactly the filters its values say, the first in the reasons' order gives the
reason, and rows without the filtered value are kept and counted."""

from __future__ import annotations

import polars as pl

from gwaskit.qc.sumstats import QcFilters, qc_sumstats

ROWS = [
    # pos, info, eaf, hwe_p, n, ref_eaf, expected reason
    (100, 0.90, 0.30, 0.5, 1000.0, 0.30, None),
    (200, 0.60, 0.30, 0.5, 1000.0, 0.30, "info_low"),  # info must be above 0.6
    (300, None, 0.30, 0.5, 1000.0, 0.30, None),  # no info: kept, counted
    (400, 0.90, 0.995, 0.5, 1000.0, 0.995, "maf_low"),  # MAF 0.005
    (500, 0.90, 0.30, 1e-6, 1000.0, 0.30, "hwe_low"),
    (600, 0.90, 0.30, None, 1000.0, 0.30, None),
    (700, 0.90, 0.30, 0.5, 99.0, 0.30, "n_low"),
    (800, 0.90, 0.30, 0.5, 400.0, 0.30, "n_fraction_low"),  # below half of 1000
    (900, 0.90, 0.30, 0.5, 1000.0, 0.61, "eaf_discrepancy"),  # 0.31 > 0.30
    (1000, 0.90, 0.30, 0.5, 1000.0, 0.60, None),  # 0.30: not more than 0.30
    (1100, 0.50, 0.005, 1e-9, 10.0, 0.90, "info_low"),  # every filter: the first wins
]


def _table() -> tuple[pl.DataFrame, pl.DataFrame]:
    t = pl.DataFrame(
        [r[:5] for r in ROWS],
        schema=["base_pair_location", "info", "effect_allele_frequency", "hwe_p", "n"],
        orient="row",
    ).with_columns(
        chromosome=pl.lit("1"),
        effect_allele=pl.lit("A"),
        other_allele=pl.lit("G"),
        beta=pl.lit(0.1),
        standard_error=pl.lit(0.05),
        neg_log_10_p_value=pl.lit(1.0),
    )
    ref = pl.DataFrame(
        {
            "chromosome": ["1"] * len(ROWS),
            "base_pair_location": [r[0] for r in ROWS],
            "ref_ea": ["G"] * len(ROWS),  # the reference counts the other allele
            "ref_oa": ["A"] * len(ROWS),
            "ref_eaf": [1 - r[5] for r in ROWS],
        }
    )
    return t, ref


def test_qc_sumstats__filters_each_reason() -> None:
    t, ref = _table()
    f = QcFilters(info=0.6, maf=0.01, hwe_p=1e-6, min_n=100, min_n_fraction=0.5, eaf_diff=0.3)
    qc = qc_sumstats(t, filters=f, reference=ref, population=None)
    got = dict(zip(qc.dropped["base_pair_location"], qc.dropped["reason"], strict=True))
    expected = {r[0]: r[6] for r in ROWS if r[6] is not None}
    assert got == expected
    assert qc.table.height == len(ROWS) - len(expected) == 4
    assert qc.summary["info_missing"] == 1 and qc.summary["hwe_p_missing"] == 1
    assert qc.summary["maf_missing"] == 0
    assert qc.summary["eaf_reference_n"] == 5  # the kept rows and the discrepant one
    assert sum(qc.counts.values()) == len(expected)


def test_qc_sumstats__no_filters_drop_nothing() -> None:
    t, ref = _table()
    qc = qc_sumstats(t, reference=ref, population=None)
    assert qc.table.height == len(ROWS) and "info_missing" not in qc.summary


def test_qc_sumstats__indel_threshold() -> None:
    t, ref = _table()
    t = t.with_columns(effect_allele=pl.lit("AT"), other_allele=pl.lit("A"))
    ref = ref.with_columns(ref_ea=pl.lit("A"), ref_oa=pl.lit("AT"))
    qc = qc_sumstats(t, filters=QcFilters(eaf_diff=0.3, eaf_diff_indel=0.2), reference=ref,
                     population=None)  # fmt: skip
    # differences: 0 everywhere except 0.31 (900), 0.30 (1000), 0.895 (1100)
    assert sorted(qc.dropped["base_pair_location"].to_list()) == [900, 1000, 1100]
