"""What may leave a cohort's site: its summary-level outputs and an upload bundle.

``gwaskit run`` writes, per cohort, ``OUT/share/<cohort>/``: the outputs a consortium asks each
cohort to send, and nothing about single persons —

- ``sumstats.tsv.gz`` and ``sumstats.tsv.gz-meta.yaml``: the cohort's summary statistics
  (GWAS-SSF with its YAML sidecar; inputs named by file name, never by path);
- ``qc_summary.json`` (cohorts with genotypes): counts of samples and variants read, kept and
  removed per reason — counts only, no sample identifiers;
- ``README.txt``: what the folder holds and how to check it;
- ``SHA256SUMS``: the checksum of each file above (``sha256sum -c SHA256SUMS`` checks them);
- ``<cohort>.tar``: the upload bundle, the files above under ``<cohort>/`` in one archive
  written byte-identically on every run (sorted members, owner 0, time ``SOURCE_DATE_EPOCH``
  or 0), with ``<cohort>.tar.sha256`` beside it.

Everything else under ``OUT`` (per-sample QC tables, kinship pairs, covariates with principal
components, filtered genotypes) stays at the site.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import polars as pl

from gwaskit import __version__
from gwaskit.io.outputs import sha256

#: Files of a cohort's sumstats task that are summary-level (copied to ``share/``).
SHARED_SUMSTATS = ("sumstats.tsv.gz", "sumstats.tsv.gz-meta.yaml")

README = """\
Shareable outputs of cohort {cohort} ({consortium}; trait: {trait}; build {build}),
written by gwaskit {version}.

Summary-level only: no sample identifiers, genotypes, phenotypes or covariates.

{files}
Check the files with:  sha256sum -c SHA256SUMS
Upload {cohort}.tar (checksum in {cohort}.tar.sha256) as your consortium asks.
"""

_DESCRIPTIONS = {
    "sumstats.tsv.gz": "summary statistics, GWAS-SSF (one row per variant)",
    "sumstats.tsv.gz-meta.yaml": "their metadata (GWAS-SSF YAML sidecar)",
    "qc_summary.json": "QC counts: samples and variants read, kept and removed per reason",
    "README.txt": "this file",
}


def run_share(
    folder: Path,
    *,
    out: str,
    cohort: str,
    consortium: str,
    trait: str,
    build: str,
    genotyped: bool,
) -> None:
    """Write ``share/<cohort>/`` (see the module docstring) into ``folder``."""
    root = Path(out)
    for name in SHARED_SUMSTATS:
        shutil.copyfile(root / "sumstats" / cohort / name, folder / name)
    names = list(SHARED_SUMSTATS)
    if genotyped:
        summary = qc_summary(root / "qc" / cohort)
        (folder / "qc_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        names.append("qc_summary.json")
    names.append("README.txt")
    listing = "".join(f"  {n:<28} {_DESCRIPTIONS[n]}\n" for n in names)
    (folder / "README.txt").write_text(
        README.format(
            cohort=cohort,
            consortium=consortium,
            trait=trait,
            build=build,
            version=__version__,
            files=listing,
        )
    )
    sums = "".join(f"{sha256(folder / n)}  {n}\n" for n in names)
    (folder / "SHA256SUMS").write_text(sums)
    names.append("SHA256SUMS")
    bundle = folder / f"{cohort}.tar"
    write_bundle(bundle, {f"{cohort}/{n}": folder / n for n in names})
    (folder / f"{cohort}.tar.sha256").write_text(f"{sha256(bundle)}  {bundle.name}\n")


def qc_summary(qc_folder: Path) -> dict[str, object]:
    """Counts of a cohort's QC: samples and variants read, kept, and removed per reason."""
    summary: dict[str, object] = {}
    for kind in ("samples", "variants"):
        table = pl.read_parquet(qc_folder / f"qc.{kind}.parquet", columns=["keep", "reason"])
        removed = table.filter(~pl.col("keep"))
        reasons = removed.group_by("reason").len().sort("reason")
        summary[kind] = {
            "read": table.height,
            "kept": table.height - removed.height,
            "removed": {str(r): int(n) for r, n in reasons.iter_rows()},
        }
    return summary


def write_bundle(path: Path, members: dict[str, Path]) -> None:
    """A tar archive of ``members`` (name in the archive -> file), identical on every run."""
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    with (
        open(path, "wb") as raw,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar,
    ):
        for name in sorted(members):
            data = members[name].read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), mtime, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
