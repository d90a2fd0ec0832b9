"""A UTF-8 byte-order mark (as Excel and some Windows tools write) is ignored on every text input
of summary statistics, loci and known loci: the same results as without it."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from gwaskit.cli import main
from gwaskit.cli._inputs import read_known
from gwaskit.io.sumstats import read_sumstats

BOM = b"\xef\xbb\xbf"


def _sumstats(n_null: int = 400, seed: int = 3) -> pl.DataFrame:
    """Two genome-wide significant leads 5 Mb apart on chromosome 1 among null variants."""
    rng = np.random.default_rng(seed)
    pos = np.sort(rng.choice(np.arange(1_000_000, 20_000_000, 97), n_null, replace=False))
    beta = rng.normal(0, 0.01, n_null)
    se = np.full(n_null, 0.01)
    lead = np.searchsorted(pos, [5_000_000, 10_000_000])
    beta[lead] = [0.09, -0.08]
    p = 2 * norm.sf(np.abs(beta / se))
    return pl.DataFrame(
        {
            "chromosome": "1",
            "base_pair_location": pos,
            "effect_allele": "A",
            "other_allele": "G",
            "beta": beta,
            "standard_error": se,
            "effect_allele_frequency": 0.3,
            "p_value": p,
            "rsid": [f"rs{i + 1}" for i in range(n_null)],
        }
    )


def _write(table: pl.DataFrame, path: Path, *, bom: bool) -> Path:
    text = table.write_csv(separator="\t").encode()
    data = (BOM if bom else b"") + text
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["s.tsv", "s.tsv.gz"])
def test_read_sumstats__byte_order_mark_ignored(tmp_path: Path, name: str) -> None:
    table = _sumstats()
    plain, _ = read_sumstats(_write(table, tmp_path / f"plain_{name}", bom=False))
    marked, meta = read_sumstats(_write(table, tmp_path / f"bom_{name}", bom=True))
    assert meta["format"] == "gwas-ssf"
    assert marked.height == plain.height == 400
    assert marked.equals(plain)


def test_read_known__byte_order_mark_ignored(tmp_path: Path) -> None:
    path = tmp_path / "known.tsv"
    path.write_bytes(BOM + b"CHR\tPOS\tSNP\n1\t5000000\trsKnown\n")
    known = read_known(path)
    assert known.columns == ["chromosome", "base_pair_location", "rsid"]
    assert known.height == 1


def test_cli_loci_replicate__byte_order_mark_ignored(tmp_path: Path) -> None:
    """``loci`` on a text file with a BOM (it used to crash) and ``replicate`` with a BOM'd
    replication file (it used to find 0 of 2 loci) give the results of the files without."""
    table = _sumstats()
    found = {}
    for bom in (False, True):
        d = tmp_path / f"bom{bom}"
        d.mkdir()
        disc = _write(table, d / "disc.tsv", bom=bom)
        rep = _write(table, d / "rep.tsv", bom=bom)
        known = d / "known.tsv"
        known.write_bytes((BOM if bom else b"") + b"CHR\tPOS\tSNP\n1\t5001000\trsKnown\n")
        args = ["loci", str(disc), "--build", "GRCh37", "--known", str(known)]
        assert main([*args, "--known-build", "GRCh37", "--out", str(d / "loci"), "-q"]) == 0
        loci = pl.read_parquet(d / "loci.parquet")
        # the replication file is the discovery file's copy: allowed explicitly here
        code = main(["replicate", str(d / "loci.parquet"), "--study", f"R={rep}", "--out",
                     str(d / "rep"), "-q", "--allow-duplicate-studies"])  # fmt: skip
        assert code == 0
        summary = pl.read_parquet(d / "rep.summary.parquet")
        found[bom] = (loci.height, int(loci["known"].sum()), int(summary["n_found"][0]))
    assert found[True] == found[False] == (2, 1, 2)
