"""Genome build (GRCh37 or GRCh38): declared, read from a header, or detected from positions."""

from __future__ import annotations

import polars as pl

from gwaskit.errors import BuildMismatchError

#: Chromosome lengths in base pairs (Genome Reference Consortium assemblies).
CHROMOSOME_LENGTHS = {
    "GRCh37": {
        "1": 249250621, "2": 243199373, "3": 198022430, "4": 191154276, "5": 180915260,
        "6": 171115067, "7": 159138663, "8": 146364022, "9": 141213431, "10": 135534747,
        "11": 135006516, "12": 133851895, "13": 115169878, "14": 107349540, "15": 102531392,
        "16": 90354753, "17": 81195210, "18": 78077248, "19": 59128983, "20": 63025520,
        "21": 48129895, "22": 51304566, "X": 155270560, "Y": 59373566, "MT": 16569,
    },
    "GRCh38": {
        "1": 248956422, "2": 242193529, "3": 198295559, "4": 190214555, "5": 181538259,
        "6": 170805979, "7": 159345973, "8": 145138636, "9": 138394717, "10": 133797422,
        "11": 135086622, "12": 133275309, "13": 114364328, "14": 107043718, "15": 101991189,
        "16": 90338345, "17": 83257441, "18": 80373285, "19": 58617616, "20": 64444167,
        "21": 46709983, "22": 50818468, "X": 156040895, "Y": 57227415, "MT": 16569,
    },
}  # fmt: skip


def build_from_contig_lengths(lengths: dict[str, int]) -> str | None:
    """The build whose chromosome lengths match a header's contig lengths (normalised names)."""
    for build, table in CHROMOSOME_LENGTHS.items():
        shared = [c for c in lengths if c in table and c != "MT"]
        if shared and all(lengths[c] == table[c] for c in shared):
            return build
    return None


def build_from_positions(variants: pl.DataFrame) -> str | None:
    """A build ruled in because some position lies beyond the other build's chromosome end.

    Returns ``None`` when positions fit both builds (the usual case: declare the build then).
    """
    maxima = variants.group_by("chromosome").agg(pl.col("base_pair_location").max())
    fits = {}
    for build, table in CHROMOSOME_LENGTHS.items():
        fits[build] = all(pos <= table.get(chrom, pos) for chrom, pos in maxima.iter_rows())
    if fits["GRCh37"] and not fits["GRCh38"]:
        return "GRCh37"
    if fits["GRCh38"] and not fits["GRCh37"]:
        return "GRCh38"
    return None


def resolve_build(declared: str | None, found: str | None, source: str) -> str | None:
    """Combine a declared and a detected build; disagreement is an error, never silent."""
    if declared and found and declared != found:
        raise BuildMismatchError(
            f"{source}: declared genome build {declared} but the file is {found}; "
            "lift the file over or declare the right build."
        )
    return declared or found
