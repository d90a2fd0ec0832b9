"""A study given twice — the same file, a copy under another name, the same rows in another
format, or two plan cohorts — is refused (exit 2, one line naming both, nothing written) unless
``--allow-duplicate-studies`` / ``consortium.allow_duplicate_studies`` says it is meant
(issue 13, item 3). Counted twice, a study's fixed-effect SE shrinks by exactly 1/sqrt(2).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.io.duplicates import file_sha256, identical_files
from gwaskit.io.sumstats import read_sumstats, write_sumstats
from gwaskit.meta.duplicates import rows_fingerprint, same_rows
from gwaskit.pipeline.plan import read_plan
from test_bad_inputs import (
    PLAN,
    Case,
    _check_message,
    invoke,
    meta_on,
    ssf_rows,
    with_cell,
    write_plan,
    write_ssf,
)

CASES: list[Case] = []


def case(name: str, *fragments: str, culprit: str | None):
    def register(make):
        CASES.append(Case(name, make, fragments, culprit))
        return make

    return register


def _as_parquet(d: Path, source: Path, name: str) -> Path:
    """The same study re-exported by gwaskit as Parquet (rows shuffled)."""
    table, meta = read_sumstats(source)
    table = table.sample(fraction=1.0, shuffle=True, seed=3)
    write_sumstats(table, d / name, metadata={**meta, "genome_assembly": "GRCh37"}, tsv=False)
    return d / f"{name}.parquet"


def replicate_on(d: Path, out: Path, *studies: Path) -> list[str]:
    loci = d / "loci"
    assert invoke(["loci", str(write_ssf(d, name="disc.tsv")), "--out", str(loci)]) == 0
    argv = ["replicate", f"{loci}.parquet", "--out", str(out / "rep")]
    for i, path in enumerate(studies):
        argv += ["--study", f"R{i + 1}={path}"]
    return argv


@case("meta_dup_same_file", "'S2' is the same file as study 'S1'", "a.tsv", culprit="a.tsv")
def _(d, out):
    a = write_ssf(d, name="a.tsv")
    return meta_on(out, a, a)


@case("meta_dup_same_file_other_path", "same file as study 'S1'", culprit="a.tsv")
def _(d, out):
    a = write_ssf(d, name="a.tsv")
    (d / "sub").mkdir()
    return meta_on(out, a, d / "sub" / ".." / "a.tsv")


@case("meta_dup_copy", "'S3' has the same content", "'S1'", "a.tsv", culprit="copy.tsv")
def _(d, out):
    a = write_ssf(d, name="a.tsv")
    b = write_ssf(d, with_cell(3, "beta", "0.02"), name="b.tsv")
    shutil.copyfile(a, d / "copy.tsv")
    return meta_on(out, a, b, d / "copy.tsv")


@case("meta_dup_rows", "'S2' holds the same rows as study 'S1'", "a.tsv", culprit="a2.parquet")
def _(d, out):
    a = write_ssf(d, name="a.tsv")
    return meta_on(out, a, _as_parquet(d, a, "a2"))


@case("meta_dup_rows_gzip", "'S2' holds the same rows", "a.tsv", culprit="a.tsv.gz")
def _(d, out):
    a = write_ssf(d, name="a.tsv")
    gz = write_ssf(d, name="a.tsv.gz")  # the same table, compressed: other bytes, same rows
    return meta_on(out, a, gz)


@case("meta_dup_assoc_tsv_and_parquet", "'S2' holds the same rows as study 'S1'",
      culprit="assoc.parquet")  # fmt: skip
def _(d, out):
    """gwaskit's own assoc output given as its .tsv.gz and its .parquet (NaN there, NA in the
    text for an untestable variant: the same rows)."""
    a = write_ssf(d, name="a.tsv")
    table, _ = read_sumstats(a)
    table = table.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(float("nan")).otherwise(pl.col(c)).alias(c)
        for c in ("beta", "standard_error", "p_value", "neg_log_10_p_value")
    )
    write_sumstats(table, d / "assoc", metadata={"genome_assembly": "GRCh37"})
    return meta_on(out, d / "assoc.tsv.gz", d / "assoc.parquet")


@case("replicate_dup_same_file", "'R2' is the same file as study 'R1'", culprit="r.tsv")
def _(d, out):
    r = write_ssf(d, with_cell(3, "beta", "0.02"), name="r.tsv")
    return replicate_on(d, out, r, r)


@case("replicate_dup_rows", "'R2' holds the same rows as study 'R1'", culprit="r.parquet")
def _(d, out):
    r = write_ssf(d, with_cell(3, "beta", "0.02"), name="r.tsv")
    return replicate_on(d, out, r, _as_parquet(d, r, "r"))


@case("replicate_in_discovery_data", "study 'R1' is the discovery summary statistics the loci came from",
      culprit="disc.tsv")  # fmt: skip
def _(d, out):
    return replicate_on(d, out, d / "disc.tsv")


DUP_PLAN = PLAN + '\n[[cohort]]\nname = "B"\nsumstats = "{b}"\n'


@case("plan_dup_cohort_same_file", "cohorts 'A' and 'B' give the same sumstats",
      "consortium.allow_duplicate_studies", culprit="plan.toml")  # fmt: skip
def _(d, out):
    return ["run", str(write_plan(d, DUP_PLAN.format(b="a.tsv")))]


@case("plan_dup_cohort_copy", "cohorts 'A' and 'B'", "'a.tsv' and 'b.tsv'", culprit="plan.toml")
def _(d, out):
    plan = write_plan(d, DUP_PLAN.format(b="b.tsv"))
    shutil.copyfile(d / "a.tsv", d / "b.tsv")
    return ["run", str(plan)]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GWASKIT_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli__duplicate_study_exit_2_names_both_nothing_written(case: Case, tmp_path, capsys):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    argv = case.make(inputs, out)
    capsys.readouterr()
    code = invoke(argv)
    captured = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {captured.err}"
    _check_message(captured.err, case, out)
    assert not (inputs / "results").exists()


def test_meta__allow_duplicate_studies_doubles_the_weight(tmp_path: Path) -> None:
    """Allowed on purpose, a study meta-analysed with itself gives the closed form: the same
    beta and SE / sqrt(2) (fixed effects, inverse variance), on every one of its 30 rows."""
    a = write_ssf(tmp_path, name="a.tsv")
    out = tmp_path / "meta"
    argv = meta_on(tmp_path, a, a, extra=("--allow-duplicate-studies",))
    assert invoke(argv) == 0
    result = pl.read_parquet(f"{out}.parquet").sort("base_pair_location")
    assert result.height == 30
    rows = ssf_rows()
    beta = np.array([float(r[4]) for r in rows])
    se = np.array([float(r[5]) for r in rows])
    # exact arithmetic but for rounding: 1e-12 relative
    np.testing.assert_allclose(result["beta"].to_numpy(), beta, rtol=1e-12)
    np.testing.assert_allclose(result["standard_error"].to_numpy(), se / np.sqrt(2), rtol=1e-12)


def test_meta__distinct_studies_on_one_array_accepted(tmp_path: Path) -> None:
    """Two studies with the same variants and one estimate changed are not duplicates."""
    a = write_ssf(tmp_path, name="a.tsv")
    b = write_ssf(tmp_path, with_cell(7, "standard_error", "0.05"), name="b.tsv")
    assert invoke(meta_on(tmp_path, a, b)) == 0
    assert pl.read_parquet(tmp_path / "meta.parquet").height == 30


def test_plan__allow_duplicate_studies_key(tmp_path: Path) -> None:
    text = DUP_PLAN.format(b="a.tsv").replace(
        'build = "GRCh37"', 'build = "GRCh37"\nallow_duplicate_studies = true'
    )
    plan = read_plan(write_plan(tmp_path, text))
    assert [c.name for c in plan.cohorts] == ["A", "B"]
    assert plan.consortium.allow_duplicate_studies is True


def test_rows_fingerprint__order_and_format_free(tmp_path: Path) -> None:
    table, _ = read_sumstats(write_ssf(tmp_path, name="a.tsv"))
    shuffled = table.sample(fraction=1.0, shuffle=True, seed=1)
    assert table.height == 30
    assert rows_fingerprint(table) == rows_fingerprint(shuffled)
    assert same_rows(table, shuffled)
    # one sign changed: another fingerprint; one SE changed by 1%: not the same rows
    flipped = table.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(-pl.col("beta")).otherwise(pl.col("beta"))
    )
    assert rows_fingerprint(flipped) != rows_fingerprint(table)
    wider = table.with_columns(
        pl.when(pl.int_range(pl.len()) == 4)
        .then(pl.col("standard_error") * 1.01)
        .otherwise(pl.col("standard_error"))
    )
    assert rows_fingerprint(wider) == rows_fingerprint(table)
    assert not same_rows(wider, table)


def test_identical_files__size_ends_then_every_byte(tmp_path: Path) -> None:
    """Files of one size that differ only in the middle (the ends' hash agrees) are told apart
    by the full hash; a copy and the same file under another path are found."""
    rng = np.random.default_rng(5)
    data = rng.integers(0, 256, 1 << 18, dtype=np.uint8).tobytes()  # 256 KiB > 2 x 64 KiB
    middle = bytearray(data)
    middle[len(data) // 2] ^= 0xFF
    (tmp_path / "a.bin").write_bytes(data)
    (tmp_path / "b.bin").write_bytes(bytes(middle))
    (tmp_path / "c.bin").write_bytes(data)
    (tmp_path / "d.bin").write_bytes(data[:-1])
    files = {k: tmp_path / f"{k}.bin" for k in "abcd"}
    files["e"] = tmp_path / "." / "a.bin"
    pairs = identical_files(files)
    digest = file_sha256(tmp_path / "a.bin")
    assert pairs == [("a", "c", digest), ("a", "e", digest)]


def test_identical_files__plink_prefix_compares_bed(tmp_path: Path) -> None:
    from test_bad_inputs import write_bed

    write_bed(tmp_path, "one")
    write_bed(tmp_path, "two")  # same genotypes (same seed), other name
    (tmp_path / "two.fam").write_text((tmp_path / "one.fam").read_text().replace("0", "9"))
    pairs = identical_files({"one": tmp_path / "one", "two": tmp_path / "two.bed"})
    assert [p[:2] for p in pairs] == [("one", "two")]


def test_run__cohorts_with_the_same_rows(tmp_path: Path, capsys) -> None:
    """Two plan cohorts whose files differ (plain and gzip) but hold the same rows: the meta
    stage stops naming both cohorts and the plan key; allowed by the key, it meta-analyses."""
    text = DUP_PLAN.format(b="a.tsv.gz")
    plan = write_plan(tmp_path, text)
    write_ssf(tmp_path, name="a.tsv.gz")
    code = invoke(["run", str(plan)])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert "study 'B' has the same content" in lines[0] and "study 'A'" in lines[0]
    assert "consortium.allow_duplicate_studies = true" in lines[0]
    assert not (tmp_path / "results/meta/discovery/meta.parquet").exists()
    plan.write_text(
        text.replace('build = "GRCh37"', 'build = "GRCh37"\nallow_duplicate_studies = true')
    )
    assert invoke(["run", str(plan), "--only", "meta"]) == 0
    meta = pl.read_parquet(tmp_path / "results/meta/discovery/meta.parquet")
    assert meta.height == 30 and (meta["n_studies"] == 2).all()


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    change=st.floats(min_value=1e-3, max_value=10.0),
)
def test_same_rows__order_free_and_sensitive_to_one_value(n: int, seed: int, change: float):
    """Any row order is the same study; one SE changed by more than the tolerance is not."""
    rng = np.random.default_rng(seed)
    table = pl.DataFrame(
        {
            "chromosome": rng.choice(["1", "2", "X"], n),
            "base_pair_location": rng.integers(1, 10_000, n),
            "variant_id": [f"v{i}" for i in range(n)],
            "effect_allele": rng.choice(["A", "C"], n),
            "other_allele": rng.choice(["G", "T"], n),
            "beta": rng.normal(size=n),
            "standard_error": rng.uniform(0.01, 1, n),
            "neg_log_10_p_value": rng.uniform(0, 20, n),
        }
    )
    shuffled = table.sample(fraction=1.0, shuffle=True, seed=seed % 1000)
    assert rows_fingerprint(shuffled) == rows_fingerprint(table)
    assert same_rows(shuffled, table)
    row = int(rng.integers(n))
    other = table.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.col("standard_error") * (1 + change))
        .otherwise(pl.col("standard_error"))
    )
    assert not same_rows(other, table)
    assert not same_rows(table.head(n - 1), table)
