"""The one build check: names, detection, and agreement of genome builds (GRCh37 / GRCh38).

Every input's build comes from what the user declared (``--build``, ``consortium.build``), what
the file says about itself (a GWAS-SSF sidecar, a Parquet footer, VCF contig lengths) and what
its positions say (HapMap3 SNPs, positions beyond a chromosome's end). :func:`resolve_build`
is the one place these are compared: a contradiction is a
:class:`~gwaskit.errors.BuildMismatchError`, never a silent relabelling (positions would be
read on the wrong build). :func:`common_build` does the same across the studies of a
meta-analysis or the inputs of a verb.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

import polars as pl

from gwaskit.errors import BuildMismatchError, InputError, ParameterError

BUILDS = ("GRCh37", "GRCh38")
_ALIASES = {
    "hg19": "GRCh37", "b37": "GRCh37", "grch37": "GRCh37",
    "hg38": "GRCh38", "b38": "GRCh38", "grch38": "GRCh38",
}  # fmt: skip
#: What files write for "no known build" (GWAS-SSF's ``NR``: not reported).
_UNKNOWN = ("", "UNKNOWN", "NR", "NONE", "NA")

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

_DEFAULT_MESSAGE = (
    "{source}: the file is on genome build {found} but {declared} was declared; lift the file "
    "over (`gwaskit liftover`) or declare the right build."
)


def normalise_build(build: str | None) -> str | None:
    """``GRCh37``/``GRCh38`` from a declared name (hg19, b37, grch37... accepted); ``None``
    stays ``None``; anything else is a :class:`~gwaskit.errors.ParameterError`."""
    if build is None:
        return None
    resolved = _ALIASES.get(str(build).lower())
    if resolved is None:
        raise ParameterError(f"build must be one of GRCh37, GRCh38 (or hg19, hg38), got {build!r}.")
    return resolved


def metadata_build(value: object, source: str) -> str | None:
    """The build a file's metadata names (``genome_assembly``); ``unknown``/``NR``/empty mean
    none; a name that is no build is an :class:`~gwaskit.errors.InputError` on ``source``."""
    if value is None or str(value).strip().upper() in _UNKNOWN:
        return None
    try:
        return normalise_build(str(value).strip())
    except ParameterError:
        raise InputError(
            source,
            f"genome_assembly (its metadata) must be one of GRCh37, GRCh38 (or hg19, hg38), "
            f"got {value!r}.",
        ) from None


def resolve_build(
    declared: str | None,
    found: str | None,
    source: str,
    *,
    message: str = _DEFAULT_MESSAGE,
) -> str | None:
    """The build of an input: ``declared`` (by the user or the caller) and ``found`` (in the
    file or from its positions) must agree; returns the one given, ``None`` when neither is.

    A disagreement raises :class:`~gwaskit.errors.BuildMismatchError` with ``message``
    formatted with ``source``, ``declared`` and ``found``. Names are normalised first (hg19 is
    GRCh37; ``unknown``/``NR`` is none).
    """
    declared = metadata_build(declared, source) if declared is not None else None
    found = metadata_build(found, source) if found is not None else None
    if declared and found and declared != found:
        raise BuildMismatchError(message.format(source=source, declared=declared, found=found))
    return declared or found


def common_build(
    builds: Mapping[str, str | None], *, what: str = "studies", hint: str = ""
) -> str | None:
    """The one build of several inputs (``name -> build``, ``None`` for unknown, ignored).

    Two different builds raise :class:`~gwaskit.errors.BuildMismatchError` in one line naming
    the first two inputs that disagree and every input's build, then ``hint``.
    """
    known = {name: normalise_build(b) for name, b in builds.items() if b}
    first = next(iter(known.items()), None)
    if first is None:
        return None
    other = next(((n, b) for n, b in known.items() if b != first[1]), None)
    if other is not None:
        listing = ", ".join(f"{n}: {b}" for n, b in known.items())
        raise BuildMismatchError(
            f"{what} {first[0]} and {other[0]} are on different genome builds ({listing}); "
            f"{hint or 'lift them over to one build first (`gwaskit liftover`).'}"
        )
    return first[1]


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
        fits[build] = all(
            pos is None or pos <= table.get(chrom, pos) for chrom, pos in maxima.iter_rows()
        )
    if fits["GRCh37"] and not fits["GRCh38"]:
        return "GRCh37"
    if fits["GRCh38"] and not fits["GRCh37"]:
        return "GRCh38"
    return None


@cache
def _hapmap3() -> pl.DataFrame:
    with resources.files("gwaskit.data").joinpath("hapmap3_build_sample.parquet").open("rb") as fh:
        return pl.read_parquet(fh)


def _has(table: pl.DataFrame, name: str) -> bool:
    return name in table.columns and table[name].null_count() < table.height


def build_from_hapmap3(table: pl.DataFrame, *, min_matches: int = 20) -> str | None:
    """GRCh37 or GRCh38 from the positions of HapMap3 SNPs (20,000 shipped with gwaskit).

    Matches by rsID when the table has one, else by chromosome and position; returns the build
    with at least ``min_matches`` matches and 90% of them, else ``None``.
    """
    if not _has(table, "base_pair_location") or not _has(table, "chromosome"):
        return None
    ref = _hapmap3()
    hits = {}
    if _has(table, "rsid"):
        joined = table.select("rsid", "chromosome", "base_pair_location").join(
            ref, on="rsid", how="inner"
        )
        for build in ("grch37", "grch38"):
            hits[build] = int(
                (
                    (joined["chromosome"] == joined["chromosome_right"])
                    & (joined["base_pair_location"] == joined[f"pos_{build}"])
                ).sum()
            )
    else:
        pos = table.select(
            pl.col("chromosome").cast(pl.String), pl.col("base_pair_location").cast(pl.Int64)
        )
        for build in ("grch37", "grch38"):
            r = ref.select(
                "chromosome", pl.col(f"pos_{build}").cast(pl.Int64).alias("base_pair_location")
            )
            hits[build] = pos.join(r, on=["chromosome", "base_pair_location"]).height
    total = hits["grch37"] + hits["grch38"]
    if total < min_matches:
        return None
    if hits["grch37"] >= 0.9 * total:
        return "GRCh37"
    if hits["grch38"] >= 0.9 * total:
        return "GRCh38"
    return None


def detect_build(table: pl.DataFrame, *, min_matches: int = 20) -> str | None:
    """The build a table's positions show: by HapMap3 SNPs (:func:`build_from_hapmap3`), else
    by positions beyond a chromosome's end in the other build (:func:`build_from_positions`);
    ``None`` when neither tells."""
    found = build_from_hapmap3(table, min_matches=min_matches)
    if found is None and _has(table, "base_pair_location") and _has(table, "chromosome"):
        found = build_from_positions(table.select("chromosome", "base_pair_location"))
    return found
