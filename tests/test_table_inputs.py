"""Every table gwaskit writes is an input gwaskit reads, as ``.parquet`` or as ``.tsv.gz``.

Each verb that takes a table is run on each writer's output in both forms, and the two runs
must give the same result: assoc's and meta's summary statistics into loci, replicate and
annotate; the Loci table of ``loci`` into replicate, annotate and ``loci --known``; the table of
``replicate`` into annotate; the PCs of ``pca`` (``.eigenvec.parquet``) into ``assoc --covar``.
The form is told by content, so a file given under the other form's name reads the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from gwaskit.cli import main

FORMS = ("parquet", "tsv.gz")


def _run(*argv: str) -> None:
    assert main([*argv, "--no-progress", "-q"]) == 0, argv


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated cohorts (4 chromosomes), their assoc results, a meta-analysis, cohort1's
    PCs, and the loci of the meta-analysis (``--p 1e-3``: the cohorts are small)."""
    d = tmp_path_factory.mktemp("tables")
    _run("simulate", "--out", str(d), "--cohorts", "2", "--samples", "500", "--variants",
         "3000", "--seed", "7")  # fmt: skip
    for c in ("cohort1", "cohort2"):
        _run("assoc", str(d / c), "--pheno", str(d / f"{c}.pheno"), "--covar",
             str(d / f"{c}.covar"), "--out", str(d / f"{c}.assoc"))  # fmt: skip
    _run("meta", "--study", f"A={d / 'cohort1.assoc.parquet'}", "--study",
         f"B={d / 'cohort2.assoc.parquet'}", "--build", "GRCh37", "--population", "none",
         "--out", str(d / "meta"))  # fmt: skip
    _run("pca", str(d / "cohort1"), "--pcs", "2", "--seed", "1", "--out", str(d / "pc"))
    _run("loci", str(d / "meta.parquet"), "--p", "1e-3", "--build", "GRCh37",
         "--out", str(d / "loci"))  # fmt: skip
    return d


def _without_ids(table: pl.DataFrame) -> pl.DataFrame:
    """The GWAS-SSF ``.tsv.gz`` writes ``variant_id`` as chr_pos_other_effect; compare the rest."""
    return table.drop([c for c in table.columns if "variant_id" in c])


@pytest.mark.parametrize("writer", ["cohort1.assoc", "meta"])
def test_loci__sumstats_of_assoc_and_meta_in_either_form(outputs, tmp_path, writer):
    tables = []
    for form in FORMS:
        out = tmp_path / f"loci_{form[:3]}"
        _run("loci", str(outputs / f"{writer}.{form}"), "--p", "1e-3", "--build", "GRCh37",
             "--out", str(out))  # fmt: skip
        tables.append(pl.read_parquet(f"{out}.parquet"))
    assert tables[0].height >= 1
    assert_frame_equal(_without_ids(tables[0]), _without_ids(tables[1]), rel_tol=1e-12)


def test_replicate__loci_and_sumstats_in_either_form(outputs, tmp_path):
    tables = []
    for form in FORMS:
        out = tmp_path / f"rep_{form[:3]}"
        _run("replicate", str(outputs / f"loci.{form}"), "--study",
             f"R={outputs / f'cohort2.assoc.{form}'}", "--out", str(out))  # fmt: skip
        tables.append(pl.read_parquet(f"{out}.parquet"))
    loci = pl.read_parquet(outputs / "loci.parquet")
    assert tables[0].height == loci.height >= 1
    assert tables[0]["rep_beta"].is_not_null().sum() == loci.height
    assert_frame_equal(_without_ids(tables[0]), _without_ids(tables[1]), rel_tol=1e-12)


@pytest.mark.parametrize("writer", ["loci", "replicated"])
def test_annotate__loci_and_sumstats_in_either_form(outputs, tmp_path, writer):
    if writer == "replicated":
        _run("replicate", str(outputs / "loci.parquet"), "--study",
             f"R={outputs / 'cohort2.assoc.parquet'}", "--out", str(tmp_path / "replicated"))  # fmt: skip
        folder = tmp_path
    else:
        folder = outputs
    tables = []
    for form in FORMS:
        out = tmp_path / f"ann_{form[:3]}"
        _run("annotate", str(folder / f"{writer}.{form}"), "--build", "GRCh37",
             "--sumstats", str(outputs / f"meta.{form}"), "--ld-ref", str(outputs / "cohort1"),
             "--out", str(out))  # fmt: skip
        tables.append(pl.read_parquet(f"{out}.parquet"))
    assert tables[0].height == pl.read_parquet(folder / f"{writer}.parquet").height >= 1
    assert_frame_equal(_without_ids(tables[0]), _without_ids(tables[1]), rel_tol=1e-12)


def test_loci__known_from_a_loci_table_in_either_form(outputs, tmp_path):
    tables = []
    for form in FORMS:
        out = tmp_path / f"known_{form[:3]}"
        _run("loci", str(outputs / "meta.parquet"), "--p", "1e-3", "--build", "GRCh37",
             "--known", str(outputs / f"loci.{form}"), "--known-build", "GRCh37",
             "--out", str(out))  # fmt: skip
        tables.append(pl.read_parquet(f"{out}.parquet"))
    # every locus is "known" when the known list is the same loci table
    assert tables[0].height >= 1 and tables[0]["known"].all()
    assert_frame_equal(tables[0], tables[1])


def test_assoc__pcs_of_pca_as_covariates_from_parquet(outputs, tmp_path):
    d = outputs
    betas = []
    for covar in (d / "pc.eigenvec.parquet", d / "pc.eigenvec"):
        out = tmp_path / covar.name.replace(".", "_")
        _run("assoc", str(d / "cohort1"), "--pheno", str(d / "cohort1.pheno"), "--covar",
             str(covar), "--covar-name", "PC1,PC2", "--out", str(out))  # fmt: skip
        betas.append(pl.read_parquet(f"{out}.parquet")["beta"])
    assert betas[0].len() == 3000
    # the plain-text .eigenvec rounds the PCs to 6 significant digits
    diff = (betas[0] - betas[1]).abs().max()
    assert diff is not None and diff < 1e-4


def test_loci__content_decides_not_the_name(outputs, tmp_path):
    """A Parquet named ``.tsv.gz`` and a gzip text named ``.parquet`` read as what they are."""
    swapped = {
        "as_tsv.tsv.gz": outputs / "meta.parquet",
        "as_parquet.parquet": outputs / "meta.tsv.gz",
    }
    tables = []
    for name, source in swapped.items():
        shutil.copy(source, tmp_path / name)
        if name.endswith(".parquet"):  # the GWAS-SSF sidecar travels with the text file
            shutil.copy(f"{source}-meta.yaml", tmp_path / f"{name}-meta.yaml")
        _run("loci", str(tmp_path / name), "--p", "1e-3", "--build", "GRCh37",
             "--out", str(tmp_path / f"out_{name[:6]}"))  # fmt: skip
        tables.append(pl.read_parquet(tmp_path / f"out_{name[:6]}.parquet"))
    assert tables[0].height >= 1
    assert_frame_equal(_without_ids(tables[0]), _without_ids(tables[1]), rel_tol=1e-12)


def test_assoc__qc_removed_tables_as_remove_and_exclude_lists(outputs, tmp_path):
    """``--remove``/``--exclude`` with qc's removed_samples/removed_variants tables (either
    form) analyse what ``--keep``/``--extract`` with qc's PLINK lists analyse."""
    d = outputs
    qc = tmp_path / "qc"
    _run("qc", str(d / "cohort1"), "--pheno", str(d / "cohort1.pheno"), "--out", str(qc))
    base = ["assoc", str(d / "cohort1"), "--pheno", str(d / "cohort1.pheno")]
    _run(*base, "--keep", f"{qc}.keep", "--extract", f"{qc}.extract", "--out", str(tmp_path / "k"))
    reference = pl.read_parquet(tmp_path / "k.parquet")
    removed = pl.read_parquet(f"{qc}.removed_samples.parquet")
    assert removed.height >= 1 and 0 < reference.height < 3000
    for form in FORMS:
        out = tmp_path / f"r_{form[:3]}"
        _run(*base, "--remove", f"{qc}.removed_samples.{form}", "--exclude",
             f"{qc}.removed_variants.{form}", "--out", str(out))  # fmt: skip
        assert_frame_equal(pl.read_parquet(f"{out}.parquet"), reference)
