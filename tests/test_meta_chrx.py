"""Male chrX dosage coding across tools (issue 18, item 6): plink2 ``--glm`` on one generated
cohort with ``--xchr-model 1`` (males 0/1) and ``--xchr-model 2`` (males 0/2, plink2's default).

The coding of each output is detected from its SE, N and frequencies, recorded, and the 0/1
study put on the 0/2 scale (X betas and SEs halved); the autosomes are left alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from assoc_helpers import simulate_genotypes, write_bed, write_table
from conftest import run_tool
from gwaskit.cli import main
from gwaskit.io.sumstats import read_sumstats
from gwaskit.meta.chrx import detect_x_coding, harmonise_x_scale

N = 1200
N_X, N_AUTO = 80, 80


@pytest.fixture(scope="module")
def glm(tmp_path_factory, plink2) -> dict[str, Path]:
    """plink2 --glm outputs (with A1_FREQ and OBS_CT) of one cohort under both X models:
    half men, X variants outside PAR1 (GRCh37), men hemizygous stored 0/2 in the .bed."""
    rng = np.random.default_rng(66)
    folder = tmp_path_factory.mktemp("chrx")
    male = rng.random(N) < 0.5
    mafs = rng.uniform(0.05, 0.5, N_AUTO + N_X)
    g = simulate_genotypes(rng, N, mafs)
    hemi = 2.0 * rng.binomial(1, mafs[N_AUTO:], (N, N_X))
    g[:, N_AUTO:] = np.where(male[:, None], hemi, g[:, N_AUTO:])
    y = 0.15 * g[:, N_AUTO:] @ (rng.random(N_X) < 0.2) + 0.3 * male + rng.normal(size=N)
    iid = write_bed(folder / "x", g)
    chromosome = ["1"] * N_AUTO + ["X"] * N_X
    position = np.r_[np.arange(N_AUTO) * 1000 + 1_000_000, np.arange(N_X) * 1000 + 5_000_000]
    bim = (folder / "x.bim").read_text().splitlines()
    (folder / "x.bim").write_text(
        "".join(
            f"{c}\t{line.split()[1]}\t0\t{p}\t{line.split()[4]}\t{line.split()[5]}\n"
            for c, p, line in zip(chromosome, position, bim, strict=True)
        )
    )
    fam = (folder / "x.fam").read_text().splitlines()
    (folder / "x.fam").write_text(
        "".join(
            " ".join([*line.split()[:4], "1" if m else "2", "-9"]) + "\n"
            for m, line in zip(male, fam, strict=True)
        )
    )
    write_table(folder / "pheno.txt", iid, {"Q": y})
    out = {}
    for who, keep in (("all", []), ("men", ["--keep-males"])):
        # plink2 v2.00a3.5 under --xchr-model 1 repeats one variant's A1_FREQ on every
        # autosomal variant (seen here): the frequencies are taken from plink2 --freq
        run_tool([plink2, "--bfile", str(folder / "x"), *keep, "--freq", "--threads", "1",
                  "--out", str(folder / f"f{who}")])  # fmt: skip
        freq = pl.read_csv(folder / f"f{who}.afreq", separator="\t", infer_schema=False)
        for model in ("1", "2"):
            run_tool(
                [
                    plink2, "--bfile", str(folder / "x"), *keep, "--pheno",
                    str(folder / "pheno.txt"), "--glm", "allow-no-covars", "cols=+a1freq",
                    "--xchr-model", model, "--threads", "1",
                    "--out", str(folder / f"{who}{model}"),
                ]
            )  # fmt: skip
            path = folder / f"{who}{model}.Q.glm.linear"
            _set_frequencies(path, freq)
            out[f"{who}{model}"] = path
    return out


def _set_frequencies(path: Path, freq: pl.DataFrame) -> None:
    glm = pl.read_csv(path, separator="\t", infer_schema=False)
    fixed = glm.join(
        freq.select("ID", pl.col("ALT").alias("_alt"), pl.col("ALT_FREQS").cast(pl.Float64)),
        on="ID",
        how="left",
        maintain_order="left",
    )
    assert fixed["ALT_FREQS"].null_count() == 0
    a1_freq = (
        pl.when(pl.col("A1") == pl.col("_alt")).then("ALT_FREQS").otherwise(1 - pl.col("ALT_FREQS"))
    )
    fixed.with_columns(A1_FREQ=a1_freq.cast(pl.String)).drop("_alt", "ALT_FREQS").write_csv(
        path, separator="\t"
    )


def _read(path: Path) -> pl.DataFrame:
    return read_sumstats(path, build="GRCh37")[0]


@pytest.mark.parametrize(("who", "ratios"), [("all", (1.155, 0.816)), ("men", (1.414, 0.707))])
def test_detect_x_coding__plink2_xchr_models(glm, who, ratios) -> None:
    """Half men: the scale ratios expected are 1/sqrt(1 - 1/4) and 1/sqrt(1 + 1/2); men only:
    sqrt(2) and 1/sqrt(2)."""
    one, two = _read(glm[f"{who}1"]), _read(glm[f"{who}2"])
    assert one.height == two.height == N_X + N_AUTO
    c1, c2 = detect_x_coding(one, build="GRCh37"), detect_x_coding(two, build="GRCh37")
    assert (c1.coding, c1.source, c1.n_x) == ("0/1", "detected", N_X)
    assert (c2.coding, c2.source, c2.n_x) == ("0/2", "detected", N_X)
    # tolerance: the median over 80 variants of a noisy SE-N product
    assert c1.ratio == pytest.approx(ratios[0], abs=0.06)
    assert c2.ratio == pytest.approx(ratios[1], abs=0.06)
    assert detect_x_coding(one, build="GRCh37", declared="0/2").coding == "0/2"


def test_harmonise_x_scale__men_only_0_1_equals_0_2(glm) -> None:
    """In men the two codings differ by exactly a factor 2 (plink2 prints 6 significant
    digits: relative tolerance 2e-5)."""
    one, two = _read(glm["men1"]), _read(glm["men2"])
    x = (one["chromosome"] == "X").to_numpy()
    assert x.sum() == N_X
    scaled, record = harmonise_x_scale(one, build="GRCh37")
    assert record["x_coding"] == "0/1" and record["x_rescaled"] == N_X
    for column in ("beta", "standard_error"):
        np.testing.assert_allclose(
            scaled[column].to_numpy()[x], two[column].to_numpy()[x], rtol=2e-5
        )
        assert not np.allclose(one[column].to_numpy()[x], two[column].to_numpy()[x], rtol=0.5)
        np.testing.assert_array_equal(scaled[column].to_numpy()[~x], one[column].to_numpy()[~x])
    same, rec2 = harmonise_x_scale(two, build="GRCh37")
    assert rec2["x_rescaled"] == 0 and same.equals(two)


def test_cli_meta__x_coding_recorded_and_harmonised(glm, tmp_path: Path) -> None:
    out = tmp_path / "m"
    assert main(["meta", "--study", f"M1={glm['men1']}", "--study", f"M2={glm['men2']}",
                 "--build", "GRCh37", "--allow-duplicate-studies", "--population", "none",
                 "--out", str(out), "--no-progress", "--no-tsv"]) == 0  # fmt: skip
    studies = pl.read_parquet(tmp_path / "m.studies.parquet")
    assert studies["x_coding"].to_list() == ["0/1", "0/2"]
    assert studies["x_coding_source"].to_list() == ["detected", "detected"]
    assert studies["x_rescaled"].to_list() == [N_X, 0]
    meta = pl.read_parquet(tmp_path / "m.parquet")
    assert meta.height == N_X + N_AUTO
    x = meta.filter(pl.col("chromosome") == "X")
    assert x.height == N_X
    # one scale: the two codings of one cohort's men agree (Q from 6-digit rounding only),
    # and the combined beta is theirs
    assert x["het_q"].max() < 1e-6
    men2 = _read(glm["men2"]).filter(pl.col("chromosome") == "X")
    b2 = x.join(men2, on="base_pair_location").select(
        pl.when(pl.col("effect_allele") == pl.col("effect_allele_right"))
        .then("beta_right")
        .otherwise(-pl.col("beta_right"))
    )
    assert b2.height == N_X
    np.testing.assert_allclose(x["beta"].to_numpy(), b2.to_series().to_numpy(), rtol=2e-5)
    # declared beats detected
    out2 = tmp_path / "d"
    assert main(["meta", "--study", f"M1={glm['men1']}", "--study", f"M2={glm['men2']}",
                 "--build", "GRCh37", "--allow-duplicate-studies", "--population", "none",
                 "--x-coding", "M1=0/2", "--out", str(out2), "--no-progress", "--no-tsv"]) == 0  # fmt: skip
    studies = pl.read_parquet(tmp_path / "d.studies.parquet")
    assert studies["x_coding_source"].to_list() == ["declared", "detected"]
    assert studies["x_rescaled"].to_list() == [0, 0]
    wrong = pl.read_parquet(tmp_path / "d.parquet").filter(pl.col("chromosome") == "X")
    # scales mixed: inverse-variance weights 1/4 and 1 on 2b and b give 1.2 b
    np.testing.assert_allclose(wrong["beta"].to_numpy() / x["beta"].to_numpy(), 1.2, rtol=1e-4)
