"""The loci, replicate and annotate verbs, end to end on the 1000 Genomes chr20 panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.io import open_genotypes
from gwaskit.io.sumstats import write_sumstats
from gwaskit.loci.schema import LOCI_SCHEMA
from loci_fixtures import sumstats_from_genotypes


@pytest.fixture(scope="module")
def files(kg_bed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    with open_genotypes(kg_bed) as src:
        variants = src.variants
        x = src.read().astype(np.float64)
    keep = x.std(axis=0) > 0
    x, variants = x[:, keep], variants.filter(pl.Series(keep))
    rng = np.random.default_rng(11)
    signal = np.zeros(x.shape[0])
    for j in (1000, 10000, 19000):  # ~1 Mb apart
        signal += 0.6 * (x[:, j] - x[:, j].mean()) / x[:, j].std()
    disc = sumstats_from_genotypes(x, signal + rng.standard_normal(x.shape[0]), variants)
    rep = sumstats_from_genotypes(x, signal + rng.standard_normal(x.shape[0]), variants)
    write_sumstats(disc, folder / "disc", metadata={"genome_assembly": "GRCh37"})
    # the replication study reports the other allele: alignment must flip it back
    rep = rep.with_columns(
        pl.col("other_allele").alias("effect_allele"),
        pl.col("effect_allele").alias("other_allele"),
        -pl.col("beta"),
    )
    write_sumstats(rep, folder / "rep", metadata={"genome_assembly": "GRCh37"})
    lead = disc.sort("neg_log_10_p_value", descending=True).row(0, named=True)
    (folder / "known.tsv").write_text(
        f"CHR\tPOS\tSNP\n20\t{lead['base_pair_location'] + 1000}\trsKnown\n"
    )
    return {"folder": folder, "disc": folder / "disc.parquet", "rep": folder / "rep.tsv.gz",
            "known": folder / "known.tsv", "bed": kg_bed}  # fmt: skip


def test_cli__loci_replicate_annotate_end_to_end(files):
    out = files["folder"] / "loci"
    code = main(
        [
            "loci", str(files["disc"]), "--ld-ref", str(files["bed"]), "--p", "1e-6",
            "--clump-r2", "0.1", "--cojo", "--known", str(files["known"]),
            "--known-build", "GRCh37", "--out", str(out), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    loci = pl.read_parquet(f"{out}.parquet")
    assert list(loci.columns[: len(LOCI_SCHEMA)]) == list(LOCI_SCHEMA)
    assert loci.height >= 2 and loci["n_signals"].min() >= 1
    assert loci["known"].sum() == 1
    assert Path(f"{out}.signals.parquet").is_file() and Path(f"{out}.tsv.gz").is_file()

    rep = files["folder"] / "rep_out"
    assert (
        main(["replicate", f"{out}.parquet", "--study", f"R1={files['rep']}", "--out", str(rep)])
        == 0
    )
    replicated = pl.read_parquet(f"{rep}.parquet")
    assert replicated["rep_concordant"].all()  # same genotypes, same effects, flipped alleles
    summary = pl.read_parquet(f"{rep}.summary.parquet")
    assert summary["n_found"][0] == loci.height

    ann = files["folder"] / "ann"
    code = main(
        [
            "annotate", f"{rep}.parquet", "--sumstats", str(files["disc"]),
            "--ld-ref", str(files["bed"]), "--out", str(ann), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    annotated = pl.read_parquet(f"{ann}.parquet")
    assert annotated["name"].null_count() == 0 and annotated["nearest_gene"].null_count() == 0
    assert annotated["rep_beta"].equals(replicated["rep_beta"])  # earlier columns kept
    tissues = pl.read_parquet(f"{ann}.tissues.parquet")
    assert tissues.height == 47
    testable = tissues.filter(pl.col("n_specific") > 0)
    assert testable.height > 0 and testable["fdr"].is_between(0, 1).all()
    assert tissues.filter(pl.col("n_specific") == 0)["p_value"].null_count() == 47 - testable.height


def test_cli__loci_user_mistakes_exit_2_and_write_nothing(files, capsys):
    out = files["folder"] / "bad"
    assert main(["loci", str(files["disc"]), "--cojo", "--out", str(out)]) == 2
    assert "--cojo needs an LD reference" in capsys.readouterr().err
    known38 = ["--known", str(files["known"]), "--known-build", "GRCh38"]
    assert main(["loci", str(files["disc"]), "--p", "1e-6", *known38, "--out", str(out)]) == 2
    assert "GRCh38 but the loci are on GRCh37" in capsys.readouterr().err
    assert main(["loci", str(files["folder"] / "missing.parquet"), "--out", str(out)]) == 2
    assert not list(files["folder"].glob("bad*"))
