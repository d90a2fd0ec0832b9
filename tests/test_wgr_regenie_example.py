"""The two-step REGENIE analysis of REGENIE's example (500 x 1,000, binary Y1, 6 samples
removed, 3 covariates) run as its test script does, against REGENIE 2.2.4's
``test_bin_out_firth_Y1.regenie`` (tests/data/regenie_example/PROVENANCE.md has the commands).

Step 1: ``gwaskit wgr`` (blocks of 100 variants, the 6 listed variants excluded). The example
has one chromosome, so its LOCO prediction is exactly 0 (nothing is left out of chromosome 1's
complement): step 2 is the covariate-adjusted score test, with REGENIE's approximate Firth test
where p < 0.01 (``--pThresh 0.01``), without SPA (REGENIE ran without ``--spa``). Step 2 reads
the ``.bed`` copy of the genotypes REGENIE read as ``.bgen`` (hard calls: A1FREQ agrees to 5e-7).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from gwaskit.cli import main
from gwaskit.io import open_genotypes
from gwaskit.io.loco import read_loco, read_pred_list


@pytest.fixture(scope="module")
def two_steps(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    ex = test_data / "regenie_example"
    out = tmp_path_factory.mktemp("regenie_example")
    common = [
        "--pheno", str(ex / "phenotype_bin.txt"),
        "--covar", str(ex / "covariates.txt"),
        "--remove", str(ex / "fid_iid_to_remove.txt"),
        "--no-progress",
    ]  # fmt: skip
    step1 = [
        "wgr", str(ex / "example"), *common,
        "--exclude", str(ex / "snplist_rm.txt"), "--block-size", "100",
        "--out", str(out / "fit_bin_out"),
    ]  # fmt: skip
    assert main(step1) == 0
    step2 = [
        "assoc", str(ex / "example"), *common, "--pheno-name", "Y1",
        "--pred", str(out / "fit_bin_out_pred.list"), "--firth-threshold", "0.01", "--no-spa",
        "--regenie", "--out", str(out / "test_bin_out_firth_Y1"),
    ]  # fmt: skip
    assert main(step2) == 0
    return ex, out


def test_wgr__regenie_example_step1_layout(two_steps: tuple[Path, Path]) -> None:
    _, out = two_steps
    preds = read_pred_list(out / "fit_bin_out_pred.list")
    assert list(preds) == ["Y1", "Y2"]  # both phenotypes in one pass
    for loco in preds.values():
        assert len(loco.sample_ids) == 494  # 500 minus the 6 removed
        assert loco.chromosomes == ("1",)
        # one chromosome: nothing is left for its LOCO prediction
        np.testing.assert_array_equal(loco.values, 0.0)
    meta = (out / "fit_bin_out.wgr.yaml").read_text()
    assert "variants: 994" in meta and "blocks: 10" in meta
    # step 2 records that WGR was used, with step 1's settings and the list's name only
    step2 = yaml.safe_load((out / "test_bin_out_firth_Y1.tsv.gz-meta.yaml").read_text())
    text = yaml.safe_dump(step2)
    assert "predictions: fit_bin_out_pred.list" in text and "block_size: 100" in text
    assert str(out) not in text


def test_wgr__regenie_example_log10p(two_steps: tuple[Path, Path]) -> None:
    """LOG10P correlation > 0.999 with REGENIE's; every |difference| below 0.05 (measured max
    0.0011, at the Firth rows: REGENIE stops its Firth iterations at a looser tolerance than our
    1e-8 steps), so no row needs explaining beyond that. BETA and SE within 1e-3."""
    ex, out = two_steps
    ours = pl.read_csv(out / "test_bin_out_firth_Y1.regenie", separator=" ", null_values="NA")
    ref = pl.read_csv(ex / "test_bin_out_firth_Y1.regenie", separator=" ", null_values="NA")
    assert ours.height == ref.height == 1000
    assert (ours["ID"] == ref["ID"]).all() and (ours["ALLELE1"] == ref["ALLELE1"]).all()
    x, y = ours["LOG10P"].to_numpy(), ref["LOG10P"].to_numpy()
    assert np.isfinite(x).all()
    assert np.corrcoef(x, y)[0, 1] > 0.999
    diff = np.abs(x - y)
    assert (diff > 0.05).sum() == 0, ref.filter(pl.Series(diff > 0.05))
    sumstats = pl.read_parquet(out / "test_bin_out_firth_Y1.parquet")
    firth = (sumstats["method"] == "firth-approx").to_numpy()
    # score p < 0.01: 20 rows, 19 of them still below 0.01 after Firth (REGENIE's 19 > 2)
    assert firth.sum() == 20 and (y > 2).sum() == 19 and firth[y > 2].all()
    np.testing.assert_allclose(diff[~firth], 0, atol=5e-4)  # the score test itself
    np.testing.assert_allclose(ours["BETA"].to_numpy(), ref["BETA"].to_numpy(), atol=1e-3)
    np.testing.assert_allclose(ours["SE"].to_numpy(), ref["SE"].to_numpy(), atol=1e-3)
    np.testing.assert_allclose(ours["A1FREQ"].to_numpy(), ref["A1FREQ"].to_numpy(), atol=1e-6)
    assert (ours["N"] == 494).all()


def test_read_pred_list__regenie_layout(tmp_path: Path, two_steps: tuple[Path, Path]) -> None:
    """A .loco as REGENIE writes it (chromosome numbers, X as 23, samples FID_IID in its own
    order, scientific notation) named by a pred list with an absolute path: read back and
    matched to the genotype file's samples by FID_IID."""
    ex, _ = two_steps
    samples = open_genotypes(ex / "example").samples
    ids = [f"{f}_{i}" for f, i in zip(samples["fid"], samples["iid"], strict=True)][::-1]
    values = np.arange(2 * len(ids), dtype=float).reshape(2, -1) / 1000
    lines = ["FID_IID " + " ".join(ids)]
    lines += [
        f"{c} " + " ".join(f"{v:e}" for v in row)
        for c, row in zip(("1", "23"), values, strict=True)
    ]
    (tmp_path / "fit_1.loco").write_text("\n".join(lines) + "\n")
    (tmp_path / "fit_pred.list").write_text(f"Y1 {tmp_path / 'fit_1.loco'}\n")
    loco = read_pred_list(tmp_path / "fit_pred.list")["Y1"]
    assert loco.chromosomes == ("1", "23") and len(loco.sample_ids) == 500
    np.testing.assert_allclose(loco.values, values)
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(tmp_path / "fit_1.loco", moved / "fit_1.loco")
    (moved / "fit_pred.list").write_text("Y1 elsewhere/fit_1.loco\n")  # resolved beside the list
    assert read_loco(moved / "fit_1.loco").values.shape == (2, 500)
    assert read_pred_list(moved / "fit_pred.list")["Y1"].sample_ids == loco.sample_ids
