"""plink2's variant selection (--chr, --from-bp/--to-bp, --range, --snp/--window): the same
variants as plink2 selects, and a scan of the selection equals a scan of plink2's subset."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from bed_reader import to_bed
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from conftest import run_tool
from gwaskit.cli import main
from gwaskit.errors import ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.sumstats import read_sumstats_parquet
from gwaskit.io.tables import read_parquet_metadata
from gwaskit.io.variant_selection import (
    VariantSelection,
    parse_chromosomes,
    read_ranges,
    select_variants,
)

N, PER_CHROM = 250, 40
CHROMS = ("1", "2", "3", "22")


@pytest.fixture(scope="module")
def fileset(tmp_path_factory):
    rng = np.random.default_rng(3)
    folder = tmp_path_factory.mktemp("selection")
    m = PER_CHROM * len(CHROMS)
    g = rng.binomial(2, rng.uniform(0.05, 0.5, m), size=(N, m)).astype(np.float32)
    iid = [f"s{i}" for i in range(N)]
    # positions with gaps and ties of spacing, the same on every chromosome
    positions = np.cumsum(rng.integers(500, 5_000, PER_CHROM))
    to_bed(
        folder / "g.bed",
        g,
        properties={
            "fid": iid,
            "iid": iid,
            "sex": [1 + i % 2 for i in range(N)],
            "sid": [f"c{c}_{j}" for c in CHROMS for j in range(PER_CHROM)],
            "chromosome": [c for c in CHROMS for _ in range(PER_CHROM)],
            "bp_position": np.tile(positions, len(CHROMS)),
            "allele_1": ["A"] * m,
            "allele_2": ["G"] * m,
        },
        count_A1=True,
    )
    q = g[:, PER_CHROM + 10] * 0.4 + rng.normal(size=N)
    (folder / "pheno.txt").write_text(
        "FID IID Q\n" + "".join(f"{s} {s} {v:.8g}\n" for s, v in zip(iid, q, strict=True))
    )
    (folder / "ranges.txt").write_text(
        f"# CHR START END LABEL\n1 {positions[3]} {positions[9]} r1\n"
        f"3 {positions[5] + 1} {positions[20]} r2\n3 {positions[15]} {positions[25]} r3\n"
        f"22 {positions[-1]} {positions[-1] + 10} r4\n"
    )
    return folder, positions


def _plink2_ids(plink2, folder, tmp_path, *selection) -> list[str]:
    out = tmp_path / "p2"
    run_tool([plink2, "--bfile", str(folder / "g"), *selection, "--make-just-bim",
              "--out", str(out)])  # fmt: skip
    return [line.split()[1] for line in (out.with_suffix(".bim")).read_text().splitlines()]


@pytest.mark.parametrize(
    "cli",
    [
        ["--chr", "1-2,22"],
        ["--chr", "1", "3"],
        ["--chr", "2", "--from-bp", "{5}", "--to-bp", "{30}"],
        ["--chr", "3", "--from-bp", "{12}"],
        ["--range", "RANGES"],
        ["--chr", "3", "--range", "RANGES"],
        ["--snp", "c2_17"],
        ["--snp", "c2_17", "--window", "12"],
    ],
)
def test_select_variants__same_variants_as_plink2(fileset, plink2, tmp_path, cli):
    folder, positions = fileset
    argv = [
        str(folder / "ranges.txt")
        if a == "RANGES"
        else str(positions[int(a[1:-1])])
        if a.startswith("{")
        else a
        for a in cli
    ]
    # plink2 reads the same range file as BED1 (1-based, both ends included)
    plink_argv = [x for a in argv for x in (("--extract", "bed1") if a == "--range" else (a,))]
    expected = _plink2_ids(plink2, folder, tmp_path, *plink_argv)
    source = open_genotypes(folder / "g")
    ns = {"chr": None, "from_bp": None, "to_bp": None, "range": None, "snp": None, "window": None}
    key = None
    for a in argv:
        if a.startswith("--"):
            key = a[2:].replace("-", "_")
            continue
        if key == "chr":
            ns["chr"] = [*(ns["chr"] or []), a]
        else:
            ns[key] = a
    selection = VariantSelection(
        chromosomes=None if ns["chr"] is None else parse_chromosomes(ns["chr"]),
        from_bp=None if ns["from_bp"] is None else int(ns["from_bp"]),
        to_bp=None if ns["to_bp"] is None else int(ns["to_bp"]),
        ranges=None if ns["range"] is None else read_ranges(ns["range"]),
        snp=ns["snp"],
        window_kb=None if ns["window"] is None else float(ns["window"]),
    )
    mask = select_variants(source.variants, selection)
    got = source.variants["variant_id"].filter(pl.Series(mask)).to_list()
    assert len(expected) > 0 and len(expected) < source.n_variants
    assert got == expected


def test_cli_assoc__chr_from_to_equals_scan_of_plink2_subset(fileset, plink2, tmp_path):
    folder, positions = fileset
    low, high = int(positions[4]), int(positions[33])
    run_tool([plink2, "--bfile", str(folder / "g"), "--chr", "2", "--from-bp", str(low),
              "--to-bp", str(high), "--make-bed", "--out", str(tmp_path / "subset")])  # fmt: skip
    common = ["--pheno", str(folder / "pheno.txt"), "--no-progress", "--threads", "1"]
    assert main(["assoc", str(tmp_path / "subset"), *common, "--out", str(tmp_path / "a")]) == 0
    argv = ["assoc", str(folder / "g"), *common, "--out", str(tmp_path / "b")]
    assert main([*argv, "--chr", "2", "--from-bp", str(low), "--to-bp", str(high)]) == 0
    subset, _ = read_sumstats_parquet(tmp_path / "a.parquet")
    selected, meta = read_sumstats_parquet(tmp_path / "b.parquet")
    assert subset.height == selected.height == 30  # positions[4..33] on chromosome 2
    assert_frame_equal(selected, subset)  # every row and column
    counts = meta["gwaskit"]["variant_selection"]
    assert counts["selected"] == 30 and counts["not_selected"] == len(CHROMS) * PER_CHROM - 30
    assert counts["chromosomes"] == ["2"] and counts["from_bp"] == low


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-4,22,X", ("1", "2", "3", "4", "22", "X")),
        (["chr1", "23", "MT"], ("1", "X", "MT")),
        ("25,X,Y,24", ("X", "Y")),
    ],
)
def test_parse_chromosomes__plink2_syntax(text, expected):
    assert parse_chromosomes(text) == expected


@pytest.mark.parametrize("text", ["", "1,,2", "4-1", "X-Y", "1-"])
def test_parse_chromosomes__refuses_malformed_lists(text):
    with pytest.raises(ParameterError, match="--chr"):
        parse_chromosomes(text)


@given(
    st.lists(st.tuples(st.integers(1, 200), st.integers(0, 50)), min_size=1, max_size=8),
    st.lists(st.integers(1, 260), min_size=1, max_size=60),
)
def test_select_variants__ranges_equal_a_naive_check(ranges, positions):
    table = pl.DataFrame(
        {"chromosome": ["1"] * len(ranges), "start": [s for s, _ in ranges],
         "end": [s + w for s, w in ranges]},
        schema={"chromosome": pl.String, "start": pl.Int64, "end": pl.Int64},
    )  # fmt: skip
    variants = pl.DataFrame(
        {"chromosome": ["1"] * len(positions), "base_pair_location": positions,
         "variant_id": [str(i) for i in range(len(positions))]},
    )  # fmt: skip
    got = select_variants(variants, VariantSelection(ranges=table))
    naive = [any(s <= p <= s + w for s, w in ranges) for p in positions]
    assert got.tolist() == naive


def test_cli_pca__chr_selection_equals_pca_of_plink2_subset(fileset, plink2, tmp_path):
    folder, _ = fileset
    run_tool([plink2, "--bfile", str(folder / "g"), "--chr", "1-2", "--make-bed",
              "--out", str(tmp_path / "subset")])  # fmt: skip
    common = ["--pcs", "2", "--no-prune", "--maf", "0.01", "--no-progress", "--threads", "1"]
    assert main(["pca", str(tmp_path / "subset"), *common, "--out", str(tmp_path / "a")]) == 0
    argv = ["pca", str(folder / "g"), *common, "--chr", "1-2", "--out", str(tmp_path / "b")]
    assert main(argv) == 0
    a = pl.read_parquet(tmp_path / "a.eigenvec.parquet")
    b = pl.read_parquet(tmp_path / "b.eigenvec.parquet")
    assert a.height == b.height == N
    assert_frame_equal(a, b)
    counts = read_parquet_metadata(tmp_path / "b.eigenvec.parquet")["variant_selection"]
    assert (counts["selected"], counts["not_selected"]) == (2 * PER_CHROM, 2 * PER_CHROM)
    used = (tmp_path / "b.prune.in").read_text().split()
    assert len(used) == 2 * PER_CHROM and all(v.startswith(("c1_", "c2_")) for v in used)


@given(st.text(max_size=30))
def test_parse_chromosomes__junk_is_a_parameter_error_or_names(text):
    try:
        names = parse_chromosomes(text)
    except ParameterError as exc:
        assert "--chr" in str(exc)
    else:
        assert names and all(isinstance(n, str) and n for n in names)


@given(st.lists(st.text(alphabet="12 \tX#abc-9\n", max_size=20), max_size=6))
def test_read_ranges__junk_is_an_input_error_naming_the_file(tmp_path_factory, lines):
    from gwaskit.errors import InputError

    path = tmp_path_factory.mktemp("ranges") / "r.txt"
    path.write_text("\n".join(lines))
    try:
        table = read_ranges(path)
    except InputError as exc:
        assert "r.txt" in str(exc)
    else:
        assert table.height >= 1 and (table["end"] >= table["start"]).all()
