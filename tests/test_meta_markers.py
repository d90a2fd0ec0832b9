"""Markers whose alleles disagree between studies (issue 12, item 4): GWAMA's own example.

``rs12138618`` is G/A in pop1 and pop2 and T/A in pop3; GWAMA meta-analyses pop1 and pop2 and
leaves pop3 out (``n_studies`` 2, direction ``--?``). gwaskit must do the same, with the pop3 row
dropped as ``allele_mismatch`` and counted, not report a second one-study ``rs12138618``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.io.sumstats import read_sumstats
from gwaskit.meta.combine import meta_analyse
from gwaskit.meta.harmonise import harmonise
from gwaskit.meta.markers import allele_mismatch


def test_harmonise__allele_mismatch_dropped_as_gwama(test_data: Path) -> None:
    folder = test_data / "gwama_example"
    studies = {f"pop{i}": read_sumstats(folder / f"pop{i}.txt")[0] for i in (1, 2, 3)}
    h = harmonise(studies, palindromic="forward")
    result = meta_analyse(h).table
    expected = pl.read_csv(folder / "fixed.out", separator="\t")
    # one row per GWAMA marker, no second rs12138618
    assert result.height == expected.height == 12
    assert sorted(result["variant_id"]) == sorted(expected["rs_number"])
    row = result.filter(pl.col("variant_id") == "rs12138618")
    assert row.height == 1
    # GWAMA: effect allele G, "--?"; here the effect allele is A
    assert (row["n_studies"][0], row["effect_allele"][0], row["direction"][0]) == (2, "A", "++?")
    assert h.counts["allele_mismatch"].to_list() == [0, 0, 1]
    read = h.counts["variants_read"].to_numpy()
    assert h.counts["variants_kept"].to_list() == [read[0], read[1], read[2] - 1]
    bad = h.dropped.filter(pl.col("reason") == "allele_mismatch")
    assert bad.height == 1
    assert bad.row(0, named=True) | {"base_pair_location": None} == {
        "study": "pop3",
        "chromosome": "1",
        "base_pair_location": None,
        "variant_id": "rs12138618",
        "effect_allele": "T",
        "other_allele": "A",
        "reason": "allele_mismatch",
    }


def test_cli_meta__counts_allele_mismatch(test_data: Path, tmp_path: Path) -> None:
    from gwaskit.cli import main

    folder = test_data / "gwama_example"
    args = [f"--study=pop{i}={folder / f'pop{i}.txt'}" for i in (1, 2, 3)]
    out = tmp_path / "m"
    assert main(["meta", *args, "--palindromic", "forward", "--population", "none",
                 "--out", str(out), "-q", "--no-progress"]) == 0  # fmt: skip
    assert pl.read_parquet(out.with_name("m.parquet")).height == 12
    studies = pl.read_parquet(out.with_name("m.studies.parquet"))
    assert studies["allele_mismatch"].to_list() == [0, 0, 1]
    dropped = pl.read_parquet(out.with_name("m.dropped.parquet"))
    assert dropped.filter(pl.col("reason") == "allele_mismatch")["variant_id"].to_list() == [
        "rs12138618"
    ]


def test_allele_mismatch__first_study_alleles_win() -> None:
    markers = pl.DataFrame({"variant_id": ["rs1", "rs1", "rs1", "rs1", "rs2", None, None]})
    study = np.array([1, 0, 0, 2, 2, 0, 1])
    pair = np.array([3, 1, 2, 3, 5, 1, 2])  # study 0 carries pairs 1 and 2 of rs1
    got = allele_mismatch(markers, study, pair)
    assert got.tolist() == [True, False, False, True, False, False, False]
