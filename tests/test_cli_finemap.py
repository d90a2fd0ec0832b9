"""The finemap and coloc verbs end to end: PolyFun's example (in-sample LD from its PLINK set)
and coloc's D1/D2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.cli import main
from gwaskit.cli.coloc import _region_table
from gwaskit.errors import ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.sumstats import write_sumstats
from gwaskit.stats import neg_log10_p_from_z as _nlp


@pytest.fixture(scope="module")
def polyfun_files(test_data, tmp_path_factory) -> dict[str, Path]:
    src = test_data / "polyfun_finemap_example"
    folder = tmp_path_factory.mktemp("finemap")
    raw = pl.read_csv(src / "example_data" / "chr1.finemap_sumstats.txt.gz", separator="\t")
    # z-scores only: beta = Z with standard error 1 (the scale finemapper gives susieR)
    table = raw.select(
        pl.col("CHR").cast(pl.String).alias("chromosome"),
        pl.col("BP").alias("base_pair_location"),
        pl.col("A1").alias("effect_allele"),
        pl.col("A2").alias("other_allele"),
        pl.col("Z").alias("beta"),
        pl.lit(1.0).alias("standard_error"),
        pl.col("SNP").alias("rsid"),
        pl.col("SNP").alias("variant_id"),
        pl.col("N").cast(pl.Float64).alias("n"),
        pl.col("SNPVAR"),
    ).with_columns(neg_log_10_p_value=pl.Series(_nlp(raw["Z"].to_numpy())))
    write_sumstats(table, folder / "ss", metadata={"genome_assembly": "GRCh37"})
    loci = pl.DataFrame(
        {
            "locus_id": ["chr1:46000001-49000001"],
            "chromosome": ["1"],
            "base_pair_location": [46032974],
            "start": [46000001],
            "end": [49000001],
        }
    )
    loci.write_parquet(folder / "loci.parquet")
    far = loci.with_columns(pl.lit("2").alias("chromosome"), pl.lit("chr2:1-2").alias("locus_id"))
    write_sumstats(
        table.with_columns(pl.lit("2").alias("chromosome")),
        folder / "ss_chr2",
        metadata={"genome_assembly": "GRCh37"},
    )
    far.write_parquet(folder / "far.parquet")
    # per-allele effects for ABF + COJO: beta = Z / sqrt(N v), se = 1 / sqrt(N v), with v the
    # dosage variance of each SNP's A1 in the PLINK set (sdY = 1)
    with open_genotypes(src / "example_data" / "chr1.bed") as geno:
        dosage = geno.read().astype(np.float64)
        ids = geno.variants["variant_id"].to_list()
    var = pl.DataFrame({"SNP": ids, "v": dosage.var(axis=0)})
    scaled = (
        table.join(var, left_on="rsid", right_on="SNP", how="inner", maintain_order="left")
        .with_columns(
            (pl.col("beta") / (pl.col("n") * pl.col("v")).sqrt()).alias("beta"),
            (1.0 / (pl.col("n") * pl.col("v")).sqrt()).alias("standard_error"),
        )
        .drop("v")
    )
    write_sumstats(scaled, folder / "ss_allele", metadata={"genome_assembly": "GRCh37"})
    gold = pl.read_csv(src / "gold" / "finemap.1.46000001.49000001.gz", separator="\t")
    return {"folder": folder, "bed": src / "example_data" / "chr1.bed", "gold": gold}


def test_cli_finemap__polyfun_susie(polyfun_files):
    f = polyfun_files
    out = f["folder"] / "susie"
    code = main(
        [
            "finemap", str(f["folder"] / "ss.parquet"), "--loci", str(f["folder"] / "loci.parquet"),
            "--ld-ref", str(f["bed"]), "--max-effects", "5", "--estimate-residual-variance",
            "--prior-weights", "SNPVAR", "--out", str(out), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    variants = pl.read_parquet(f"{out}.parquet")
    sets = pl.read_parquet(f"{out}.sets.parquet")
    assert Path(f"{out}.tsv.gz").is_file() and Path(f"{out}.sets.tsv.gz").is_file()
    assert sets["variant_ids"].to_list() == ["rs2088102", "rs7528714", "rs7528075"]
    both = variants.join(f["gold"], left_on="rsid", right_on="SNP")
    assert both.height == 15
    # PolyFun's tolerances (test_polyfun.py): r > 0.97; |dPIP| <= 0.01 where gold PIP > 0.8.
    # gwaskit's LD comes from the .bed itself and the prior starts at susieR's 0.2 (PolyFun:
    # 1e-4); the optimised prior variances agree, so PIPs do too.
    assert np.corrcoef(both["pip"], both["PIP"])[0, 1] > 0.97
    high = both.filter(pl.col("PIP") > 0.8)
    assert high.height == 3
    np.testing.assert_allclose(high["pip"], high["PIP"], atol=0.01)
    np.testing.assert_allclose(both["posterior_mean"], both["BETA_MEAN"], atol=1e-3)


def test_cli_finemap__polyfun_abf(polyfun_files):
    f = polyfun_files
    out = f["folder"] / "abf"
    code = main(
        [
            "finemap", str(f["folder"] / "ss_allele.parquet"), "--loci",
            str(f["folder"] / "loci.parquet"), "--ld-ref", str(f["bed"]), "--method", "abf",
            "--prior-sd", "0.15", "--p", "1e-6",
            "--out", str(out), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    sets = pl.read_parquet(f"{out}.sets.parquet")
    # COJO at 1e-6 keeps rs2088102 (z 12.6) and rs7528714 (z 5.1); 95 % and 99 % sets each
    assert sets.height == 4
    assert sets["signal_variant_id"].unique(maintain_order=True).to_list() == [
        "rs2088102",
        "rs7528714",
    ]
    main95 = sets.filter(pl.col("requested_coverage") == 0.95)
    assert main95["variant_ids"].to_list() == ["rs2088102", "rs7528714"]
    variants = pl.read_parquet(f"{out}.parquet")
    assert variants.height == 30  # 15 variants x 2 signals
    lead = variants.filter(pl.col("rsid") == "rs2088102", pl.col("signal") == 1)
    assert lead["pip"][0] == pytest.approx(1.0, abs=1e-6)


def test_cli_finemap__no_overlap_is_one_line(polyfun_files, capsys):
    f = polyfun_files
    code = main(
        [
            "finemap", str(f["folder"] / "ss_chr2.parquet"), "--loci",
            str(f["folder"] / "far.parquet"), "--ld-ref", str(f["bed"]),
            "--out", str(f["folder"] / "x"), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "locus chr2:1-2" in err[0] and "LD reference" in err[0]
    assert not Path(f"{f['folder'] / 'x'}.parquet").exists()


def test_cli_coloc__d1_d2(test_data, tmp_path):
    src = test_data / "coloc_test_data"
    sdy = dict(
        pl.read_csv(src / "scalars.tsv", separator="\t").select("dataset", "sdY").iter_rows()
    )
    paths = []
    for name in ("D1", "D2"):
        d = pl.read_csv(src / f"{name}.tsv", separator="\t")
        table = d.select(
            pl.lit("1").alias("chromosome"),
            pl.col("position").alias("base_pair_location"),
            pl.lit("A").alias("effect_allele"),
            pl.lit("G").alias("other_allele"),
            pl.col("beta"),
            pl.col("varbeta").sqrt().alias("standard_error"),
            pl.col("snp").alias("variant_id"),
            pl.lit(1000.0).alias("n"),
        )
        table = table.with_columns(
            neg_log_10_p_value=pl.Series(_nlp((d["beta"] / d["varbeta"].sqrt()).to_numpy()))
        )
        if name == "D2":  # reported for the other allele: coloc must flip it back
            table = table.with_columns(
                pl.lit("G").alias("effect_allele"),
                pl.lit("A").alias("other_allele"),
                -pl.col("beta"),
            )
        write_sumstats(table, tmp_path / name, metadata={"genome_assembly": "GRCh37"})
        paths.append(str(tmp_path / f"{name}.parquet"))
    out = tmp_path / "coloc"
    code = main(
        [
            "coloc", *paths, "--region", "1:1-500", "--prior-sd1", str(0.15 * sdy["D1"]),
            "--prior-sd2", str(0.15 * sdy["D2"]), "--out", str(out), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    summary = pl.read_parquet(f"{out}.parquet")
    assert summary["n_variants"].to_list() == [500]
    assert summary["pp_h4"][0] == pytest.approx(0.9991661, abs=1e-6)
    assert summary["pp_h3"][0] == pytest.approx(8.338917e-04, abs=1e-6)
    snp = pl.read_parquet(f"{out}.snp.parquet")
    assert snp.height == 500
    s105 = snp.filter(pl.col("variant_id") == "s105")
    assert s105["snp_pp_h4"][0] == pytest.approx(0.98894507, abs=5e-9)


def test_cli_coloc__susie_pairs_on_panel(polyfun_files):
    """SuSiE-coloc through the verb: the same association seen twice (trait 2 = trait 1 plus
    noise, reported for the other allele) shares its strongest signal."""
    f = polyfun_files
    first = pl.read_parquet(f["folder"] / "ss_allele.parquet")
    rng = np.random.default_rng(5)
    noise = rng.normal(0.0, 0.3, first.height) * first["standard_error"].to_numpy()
    second = first.with_columns(
        pl.col("other_allele").alias("effect_allele"),
        pl.col("effect_allele").alias("other_allele"),
        -(pl.col("beta") + pl.Series(noise)),
    )
    write_sumstats(second, f["folder"] / "ss_second", metadata={"genome_assembly": "GRCh37"})
    out = f["folder"] / "coloc"
    code = main(
        [
            "coloc", str(f["folder"] / "ss_allele.parquet"), str(f["folder"] / "ss_second.parquet"),
            "--loci", str(f["folder"] / "loci.parquet"), "--ld-ref", str(f["bed"]),
            "--prior-sd1", "0.15", "--prior-sd2", "0.15", "--out", str(out), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    summary = pl.read_parquet(f"{out}.parquet")
    assert summary["n_variants"].to_list() == [15]
    assert summary["pp_h4"][0] > 0.99
    pairs = pl.read_parquet(f"{out}.susie.parquet")
    shared = pairs.filter(pl.col("hit1") == pl.col("hit2"))
    assert shared.height >= 1
    top = shared.filter(pl.col("hit1") == "rs2088102")
    assert top.height == 1 and top["pp_h4"][0] > 0.99


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_region_table__junk_never_crashes(text):
    try:
        table = _region_table(text)
    except ParameterError as exc:
        assert "--region" in str(exc)
    else:
        assert table.height == 1 and table["start"][0] <= table["end"][0]


@pytest.fixture(scope="module")
def kg_locus(kg_bed, tmp_path_factory):
    """A trait with one causal variant simulated on 300 variants of the 1000 Genomes chr20 panel
    (in-sample LD: the panel is the sample)."""
    from loci_fixtures import sumstats_from_genotypes

    folder = tmp_path_factory.mktemp("kg_finemap")
    with open_genotypes(kg_bed) as src:
        variants = src.variants
        x = src.read().astype(np.float64)
    keep = np.flatnonzero(x.std(axis=0) > 0)[5000:5300]
    x, variants = x[:, keep], variants[keep]
    corr = np.corrcoef(x, rowvar=False)
    r2 = corr**2
    causal = int(np.argmax(((r2 > 0.6) & (r2 < 0.95)).sum(axis=0)))  # with LD partners
    rng = np.random.default_rng(3)
    xs = (x[:, causal] - x[:, causal].mean()) / x[:, causal].std()
    table = sumstats_from_genotypes(x, 0.6 * xs + rng.standard_normal(x.shape[0]), variants)
    write_sumstats(table, folder / "ss", metadata={"genome_assembly": "GRCh37"})
    pos = table["base_pair_location"]
    pl.DataFrame(
        {
            "locus_id": ["kg"],
            "chromosome": [table["chromosome"][0]],
            "base_pair_location": [pos[causal]],
            "start": [pos.min()],
            "end": [pos.max()],
        }
    ).write_parquet(folder / "loci.parquet")
    return folder, table, corr, causal


def test_cli_finemap__kg_causal_in_set_and_flip_named(kg_bed, kg_locus, capsys):
    folder, table, corr, causal = kg_locus
    args = ["--loci", str(folder / "loci.parquet"), "--ld-ref", str(kg_bed), "--no-progress"]
    out = folder / "ok"
    assert main(["finemap", str(folder / "ss.parquet"), *args, "--out", str(out)]) == 0
    sets = pl.read_parquet(f"{out}.sets.parquet")
    assert sets.height >= 1
    causal_id = table["variant_id"][causal]
    assert causal_id in sets["variant_ids"][0].split(",")
    # the other allele reported for a variant in strong LD with the signal, beta unchanged
    z = (table["beta"] / table["standard_error"]).abs().to_numpy()
    r2 = corr[causal] ** 2
    partner = int(
        np.argmax(np.where((z > 3) & (r2 < 0.999) & (np.arange(z.size) != causal), r2, 0))
    )
    assert r2[partner] > 0.5
    flipped = table.with_columns(
        pl.when(pl.int_range(pl.len()) == partner)
        .then(pl.col("other_allele"))
        .otherwise(pl.col("effect_allele"))
        .alias("effect_allele"),
        pl.when(pl.int_range(pl.len()) == partner)
        .then(pl.col("effect_allele"))
        .otherwise(pl.col("other_allele"))
        .alias("other_allele"),
    )
    write_sumstats(flipped, folder / "flipped", metadata={"genome_assembly": "GRCh37"})
    bad = folder / "bad"
    capsys.readouterr()  # the first run's log
    assert main(["finemap", str(folder / "flipped.parquet"), *args, "--out", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "allele flips" in err[-1]
    assert table["variant_id"][partner] in err[-1]
    assert not Path(f"{bad}.parquet").exists()
    # --z-check warn: fitted, the variant marked in both methods' outputs
    for method in ("susie", "abf"):
        warned = folder / f"warned_{method}"
        argv = ["finemap", str(folder / "flipped.parquet"), *args, "--method", method]
        assert main([*argv, "--z-check", "warn", "--out", str(warned)]) == 0
        marked = pl.read_parquet(f"{warned}.parquet").filter(pl.col("ld_mismatch"))
        assert marked["variant_id"].unique().to_list() == [table["variant_id"][partner]]
