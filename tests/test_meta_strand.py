"""STRAND in GWAMA-format inputs (issue 12, item 1) and real strand-flip counts (item 7).

Three real studies (the METAL glucose example: DGI, FUSION, SardiNIA; 2,293-2,369 rows each,
with A/T and C/G SNPs) are written as GWAMA inputs twice: all rows on the plus strand, and with
every third row of every study on the minus strand (alleles complemented, ``STRAND -``). GWAMA
runs on both sets in the test; gwaskit must give the same meta-analysis on both, in every
``--palindromic`` mode, and agree with GWAMA.

Tolerances: GWAMA prints 6 decimals, so beta, se and z agree within one unit of the 6th decimal
or 1e-6 relative (as in ``test_meta_reference.py``); gwaskit on the two inputs must agree
exactly (the same numbers reach the same arithmetic).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_tool
from gwaskit.io.sumstats import read_sumstats
from gwaskit.meta.analyse import meta_analyse_studies
from gwaskit.meta.combine import meta_analyse
from gwaskit.meta.harmonise import harmonise

COMPLEMENT = str.maketrans("ACGT", "TGCA")
SWAP = str.maketrans("+-", "-+")
PALINDROMIC = {("A", "T"), ("T", "A"), ("C", "G"), ("G", "C")}


def _studies(test_data: Path) -> dict[str, pl.DataFrame]:
    inputs = test_data / "metal_glucose_example" / "inputs"
    return {
        "DGI": read_sumstats(inputs / "DGI_three_regions.txt")[0],
        "FUSION": read_sumstats(inputs / "MAGIC_FUSION_Results.txt.gz")[0],
        "SARDINIA": read_sumstats(inputs / "magic_SARDINIA.tbl", n=4106)[0],
    }


def _write_gwama(folder: Path, studies: dict[str, pl.DataFrame], *, minus: bool) -> list[Path]:
    """GWAMA inputs; with ``minus``, every third row on the minus strand."""
    folder.mkdir()
    paths = []
    for name, t in studies.items():
        ea, nea = t["effect_allele"].to_list(), t["other_allele"].to_list()
        flip = (np.arange(t.height) % 3 == 1) if minus else np.zeros(t.height, bool)
        ea = [a.translate(COMPLEMENT) if f else a for a, f in zip(ea, flip, strict=True)]
        nea = [a.translate(COMPLEMENT) if f else a for a, f in zip(nea, flip, strict=True)]
        table = pl.DataFrame(
            {
                "MARKERNAME": t["variant_id"],
                "CHROMOSOME": t["chromosome"],
                "POSITION": t["base_pair_location"],
                "STRAND": np.where(flip, "-", "+"),
                "EA": ea,
                "NEA": nea,
                "EAF": t["effect_allele_frequency"],
                "N": t["n"].cast(pl.Int64),
                "BETA": t["beta"],
                "SE": t["standard_error"],
            }
        )
        path = folder / f"{name}.txt"
        table.write_csv(path, separator="\t", null_value="NA")
        paths.append(path)
    (folder / "gwama.in").write_text("".join(f"{p.name}\n" for p in paths))
    return paths


@pytest.fixture(scope="module")
def gwama_runs(test_data: Path, tmp_path_factory, gwama: str) -> dict[str, object]:
    studies = _studies(test_data)
    root = tmp_path_factory.mktemp("strand")
    out: dict[str, object] = {}
    for label, minus in (("plus", False), ("minus", True)):
        paths = _write_gwama(root / label, studies, minus=minus)
        run_tool(
            [gwama, "--filelist", "gwama.in", "--quantitative", "--output", "ref"],
            cwd=root / label,
        )
        out[label] = paths
        out[f"{label}:gwama"] = pl.read_csv(
            root / label / "ref.out", separator="\t", null_values=["-9"], infer_schema_length=0
        )
    out["n_minus"] = sum(
        pl.read_csv(p, separator="\t")["STRAND"].eq("-").sum() for p in out["minus"]
    )
    return out


def _meta(paths: list[Path], palindromic: str, match_on: str):
    studies = {p.stem: read_sumstats(p)[0] for p in paths}
    if match_on == "position":
        return meta_analyse_studies(studies, palindromic=palindromic)
    return meta_analyse(harmonise(studies, match_on="id", palindromic=palindromic))


def _oriented(table: pl.DataFrame, ref_a1: pl.Series) -> tuple[np.ndarray, list[str]]:
    sign = np.where(table["effect_allele"] == ref_a1, 1.0, -1.0)
    directions = [
        d if s > 0 else d.translate(SWAP)
        for d, s in zip(table["direction"].to_list(), sign, strict=True)
    ]
    return sign, directions


@pytest.mark.gwama
def test_gwama__reads_strand(gwama_runs) -> None:
    """GWAMA itself complements minus-strand rows back: its two runs agree row for row."""
    plus, minus = gwama_runs["plus:gwama"], gwama_runs["minus:gwama"]
    assert gwama_runs["n_minus"] == 2341  # every third row of the 7,023 read
    assert plus.height == minus.height == 2495
    assert plus.equals(minus)


@pytest.mark.gwama
@pytest.mark.parametrize("match_on", ["position", "id"])
@pytest.mark.parametrize("palindromic", ["forward", "frequency", "drop"])
def test_meta_analyse__minus_strand_rows_as_plus(gwama_runs, palindromic, match_on) -> None:
    plus = _meta(gwama_runs["plus"], palindromic, match_on)
    minus = _meta(gwama_runs["minus"], palindromic, match_on)
    # the same variants, alleles (on the plus strand), directions and numbers
    assert plus.table.height == minus.table.height
    assert plus.table.height == {"forward": 2495, "frequency": 2445, "drop": 2110}[palindromic]
    assert plus.table.equals(minus.table)
    # what gwaskit calls strand flips: none in the plus files, none either once STRAND is read
    assert plus.studies["strand_flipped"].sum() == 0
    assert minus.studies["strand_flipped"].sum() == 0

    ref = gwama_runs["plus:gwama"]
    joined = plus.table.join(ref, left_on="variant_id", right_on="rs_number", how="inner")
    pairs = zip(joined["effect_allele"], joined["other_allele"], strict=True)
    palin = np.array([p in PALINDROMIC for p in pairs])
    if palindromic == "forward":  # what GWAMA does: every row compared
        assert joined.height == ref.height == plus.table.height == 2495
    else:  # A/T and C/G SNPs aligned by frequency or dropped: the others compared
        joined = joined.filter(pl.Series(~palin))
        assert joined.height == int((~palin).sum()) == 2110
    # GWAMA's reference allele is one of ours; its effect is ours, signed
    assert (
        (joined["effect_allele"] == joined["reference_allele"])
        | (joined["other_allele"] == joined["reference_allele"])
    ).all()
    sign, directions = _oriented(joined, joined["reference_allele"])
    beta_ref = joined["beta_right"].cast(pl.Float64).to_numpy()
    tol = np.maximum(1e-6 * np.abs(beta_ref), 1e-6)
    assert np.all(np.abs(sign * joined["beta"].to_numpy() - beta_ref) <= tol)
    se_ref = joined["se"].cast(pl.Float64).to_numpy()
    assert np.all(np.abs(joined["standard_error"].to_numpy() - se_ref) <= tol + 1e-6 * se_ref)
    assert directions == joined["effects"].to_list()


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["A", "C", "G", "T", "AG"]),
            st.sampled_from(["A", "C", "G", "T", "GCT"]),
            st.sampled_from(["+", "-", "NA"]),
            st.sampled_from(["0.1", "-0.2", "-", "NA"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_read_sumstats__strand_minus_complemented(tmp_path_factory, rows) -> None:
    """``STRAND -`` reverse-complements the alleles (``+`` and a missing strand keep them);
    ``-`` in a numeric column stays a missing value."""
    path = tmp_path_factory.mktemp("strand") / "study.txt"
    lines = ["MARKERNAME\tSTRAND\tEA\tNEA\tBETA\tSE"]
    lines += [f"rs{i}\t{s}\t{a}\t{b}\t{beta}\t0.1" for i, (a, b, s, beta) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    table, _ = read_sumstats(path)
    assert table.height == len(rows)
    for i, (a, b, s, beta) in enumerate(rows):
        flip = (a.translate(COMPLEMENT)[::-1], b.translate(COMPLEMENT)[::-1])  # reverse complement
        want = flip if s == "-" else (a, b)
        assert (table["effect_allele"][i], table["other_allele"][i]) == want
        got = table["beta"][i]
        assert got is None if beta in ("-", "NA") else got == float(beta)
