"""Genes at risk loci: nearest gene, genes overlapping the LD-defined locus region, genes in a
window around the lead, from bundled GENCODE v32 tables (GRCh37 and GRCh38; see
``gwaskit/data/PROVENANCE.md``).

Distances are in base pairs from the lead variant: to the gene body (0 inside the gene, else to
the nearer end) and to the transcription start site (``start`` on the + strand, ``end`` on the -
strand; null when the strand is unknown). Coordinates are 1-based inclusive, as in GENCODE.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import polars as pl

from gwaskit.build.check import normalise_build
from gwaskit.errors import ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.loci.define import conform_loci
from gwaskit.loci.ld import match_to_reference, standardised_dosages

#: Columns of a gene table: chromosome, start, end, symbol, strand (+, -, null), coding (0/1).
GENE_SCHEMA = {
    "chromosome": pl.String(),
    "start": pl.Int64(),
    "end": pl.Int64(),
    "symbol": pl.String(),
    "strand": pl.String(),
    "coding": pl.Int8(),
}


@cache
def _bundled(build: str) -> pl.DataFrame:
    path = resources.files("gwaskit") / "data" / f"genes_{build}.tsv.gz"
    with resources.as_file(path) as file:
        return pl.read_csv(
            file, separator="\t", schema_overrides=GENE_SCHEMA, null_values=[""]
        ).select(list(GENE_SCHEMA))


def load_genes(build: str, *, coding_only: bool = True) -> pl.DataFrame:
    """The bundled GENCODE v32 gene table of ``build`` (``GRCh37``/``GRCh38``, or hg19/hg38).

    ``coding_only`` keeps protein-coding (and IG/TR) genes: 20,501 (GRCh37), 20,373 (GRCh38).
    """
    resolved = normalise_build(build)
    if resolved is None:
        raise ParameterError("build must be GRCh37 or GRCh38, got None.")
    table = _bundled(resolved)
    return table.filter(pl.col("coding") == 1) if coding_only else table


def _check_genes(genes: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ("chromosome", "start", "end", "symbol") if c not in genes.columns]
    if missing:
        raise ParameterError(
            f"genes must have columns chromosome, start, end, symbol; missing {missing}."
        )
    if "strand" not in genes.columns:
        genes = genes.with_columns(pl.lit(None, pl.String).alias("strand"))
    return genes.select(
        pl.col("chromosome").cast(pl.String),
        pl.col("start").cast(pl.Int64),
        pl.col("end").cast(pl.Int64),
        pl.col("symbol").cast(pl.String),
        pl.col("strand").cast(pl.String),
    )


def gene_distances(
    chromosome: str, position: int, genes: pl.DataFrame
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Genes of ``chromosome`` with distances from ``position``: (table, body, tss).

    ``body`` is 0 inside the gene; ``tss`` is NaN where the strand is unknown.
    """
    on = genes.filter(pl.col("chromosome") == chromosome)
    start = on["start"].to_numpy()
    end = on["end"].to_numpy()
    body = np.maximum(np.maximum(start - position, position - end), 0).astype(np.int64)
    strand = on["strand"].fill_null("").to_numpy()
    tss_pos = np.where(strand == "+", start, np.where(strand == "-", end, -1))
    tss = np.where(tss_pos >= 0, np.abs(position - tss_pos), np.nan)
    return on, body, tss


def ld_region(
    reference: GenotypeSource,
    lead: dict,
    *,
    r2: float = 0.6,
    window_kb: float = 500,
) -> tuple[int, int] | None:
    """Span of reference variants within ``window_kb`` of the lead with r² > ``r2`` with it.

    ``lead`` holds chromosome, base_pair_location, effect_allele, other_allele. Returns None when
    the reference lacks the lead.
    """
    row = pl.DataFrame(
        {
            k: [lead[k]]
            for k in ("chromosome", "base_pair_location", "effect_allele", "other_allele")
        }
    )
    idx, _ = match_to_reference(row, reference.variants)
    if idx[0] < 0:
        return None
    w = round(window_kb * 1000)
    v = reference.variants
    chrom = v["chromosome"].to_numpy()
    pos = v["base_pair_location"].to_numpy()
    near = np.flatnonzero(
        (chrom == lead["chromosome"]) & (np.abs(pos - lead["base_pair_location"]) <= w)
    )
    x, _ = standardised_dosages(reference, np.concatenate([[idx[0]], near]))
    r = x[:, 1:].T @ x[:, 0] / max(x.shape[0], 1)
    inside = pos[near][r * r > r2]
    p0 = int(lead["base_pair_location"])
    if inside.size == 0:
        return p0, p0
    return int(min(inside.min(), p0)), int(max(inside.max(), p0))


def locus_genes(
    loci: pl.DataFrame,
    genes: pl.DataFrame,
    *,
    window_kb: float = 500,
    regions: dict[str, tuple[int, int]] | None = None,
    margin_kb: float = 10,
) -> pl.DataFrame:
    """One row per (locus, gene within ``window_kb`` of the lead), ranked by body distance.

    Columns: locus_id, symbol, distance (to the gene body), tss_distance, overlaps_region (the
    gene overlaps the locus region: ``regions[locus_id]`` or the lead alone, widened by
    ``margin_kb``), rank (1 = nearest).
    """
    genes = _check_genes(genes)
    w = round(window_kb * 1000)
    margin = round(margin_kb * 1000)
    parts = []
    for locus_id, chrom, pos in loci.select("locus_id", "chromosome", "base_pair_location").rows():
        on, body, tss = gene_distances(chrom, pos, genes)
        lo, hi = (regions or {}).get(locus_id) or (pos, pos)
        lo, hi = lo - margin, hi + margin
        keep = body <= w
        overlap = (on["start"].to_numpy() <= hi) & (on["end"].to_numpy() >= lo)
        order = np.lexsort(
            (on["symbol"].to_numpy()[keep], np.nan_to_num(tss[keep], nan=np.inf), body[keep])
        )
        parts.append(
            pl.DataFrame(
                {
                    "locus_id": [locus_id] * int(keep.sum()),
                    "symbol": on["symbol"].to_numpy()[keep][order],
                    "distance": body[keep][order],
                    "tss_distance": tss[keep][order],
                    "overlaps_region": overlap[keep][order],
                },
                schema={
                    "locus_id": pl.String,
                    "symbol": pl.String,
                    "distance": pl.Int64,
                    "tss_distance": pl.Float64,
                    "overlaps_region": pl.Boolean,
                },
            ).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "locus_id": pl.String,
                "symbol": pl.String,
                "distance": pl.Int64,
                "tss_distance": pl.Float64,
                "overlaps_region": pl.Boolean,
                "rank": pl.Int64,
            }
        )
    return pl.concat(parts).with_columns(pl.col("tss_distance").fill_nan(None).cast(pl.Int64))


def nearest_gene(loci: pl.DataFrame, genes: pl.DataFrame) -> pl.DataFrame:
    """Nearest gene of each lead on its chromosome (no window): locus_id, nearest_gene,
    nearest_gene_distance (gene body), nearest_tss_gene, nearest_tss_distance."""
    genes = _check_genes(genes)
    rows = []
    for locus_id, chrom, pos in loci.select("locus_id", "chromosome", "base_pair_location").rows():
        on, body, tss = gene_distances(chrom, pos, genes)
        if on.height == 0:
            rows.append((locus_id, None, None, None, None))
            continue
        sym = on["symbol"].to_numpy()
        best = np.lexsort((sym, np.nan_to_num(tss, nan=np.inf), body))[0]
        if np.isfinite(tss).any():
            t = np.lexsort((sym, body, np.nan_to_num(tss, nan=np.inf)))[0]
            tss_gene, tss_d = sym[t], int(tss[t])
        else:
            tss_gene, tss_d = None, None
        rows.append((locus_id, sym[best], int(body[best]), tss_gene, tss_d))
    return pl.DataFrame(
        rows,
        schema={
            "locus_id": pl.String,
            "nearest_gene": pl.String,
            "nearest_gene_distance": pl.Int64,
            "nearest_tss_gene": pl.String,
            "nearest_tss_distance": pl.Int64,
        },
        orient="row",
    )


def annotate_genes(
    loci: pl.DataFrame,
    *,
    build: str | None = None,
    genes: pl.DataFrame | None = None,
    coding_only: bool = True,
    window_kb: float = 500,
    reference: GenotypeSource | None = None,
    region_r2: float = 0.6,
    margin_kb: float = 10,
    max_name_genes: int = 3,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fill ``nearest_gene``, ``genes`` and ``name`` of a Loci table.

    Parameters
    ----------
    loci
        Loci table (locus_id, chromosome, base_pair_location; alleles when ``reference``).
    build, genes, coding_only
        The bundled GENCODE table of ``build`` (protein-coding by default), or any gene table
        with chromosome, start, end, symbol (and strand) columns.
    window_kb
        ``genes`` lists every gene within this distance of the lead, nearest first.
    reference
        LD panel defining each locus region: variants with r² > ``region_r2`` with the lead
        (within ``window_kb``), widened by ``margin_kb``. Without it (or when the panel lacks
        the lead) the region is the lead ± ``margin_kb``.

    Returns
    -------
    (loci, locus_genes)
        The Loci table with ``nearest_gene``, ``genes`` (comma-separated, by distance) and
        ``name`` (the genes overlapping the region, nearest first, at most ``max_name_genes``
        joined by "/", else the nearest gene) filled, and extra columns nearest_gene_distance,
        nearest_tss_gene, nearest_tss_distance, overlapping_genes (comma-separated genes
        overlapping the region), region_start, region_end; and the long table of
        :func:`locus_genes`.
    """
    if genes is None:
        if build is None:
            raise ParameterError("build must be GRCh37 or GRCh38 when no gene table is given.")
        genes = load_genes(build, coding_only=coding_only)
    regions: dict[str, tuple[int, int]] = {}
    if reference is not None:
        for lead in loci.iter_rows(named=True):
            span = ld_region(reference, lead, r2=region_r2, window_kb=window_kb)
            if span is not None:
                regions[lead["locus_id"]] = span
    long = locus_genes(loci, genes, window_kb=window_kb, regions=regions, margin_kb=margin_kb)
    near = nearest_gene(loci, genes)
    listed = long.group_by("locus_id").agg(
        pl.col("symbol").sort_by("rank").str.join(",").alias("_genes"),
        pl.col("symbol")
        .filter(pl.col("overlaps_region"))
        .sort_by(pl.col("rank").filter(pl.col("overlaps_region")))
        .str.join(",")
        .alias("overlapping_genes"),
        pl.col("symbol")
        .filter(pl.col("overlaps_region"))
        .sort_by(pl.col("rank").filter(pl.col("overlaps_region")))
        .head(max_name_genes)
        .str.join("/")
        .alias("_name"),
    )
    margin = round(margin_kb * 1000)
    region_rows = [
        (lid, *(regions.get(lid) or (pos, pos)))
        for lid, pos in loci.select("locus_id", "base_pair_location").rows()
    ]
    region_table = pl.DataFrame(
        region_rows, schema={"locus_id": pl.String, "_lo": pl.Int64, "_hi": pl.Int64}, orient="row"
    )
    drop = [
        c
        for c in (
            "overlapping_genes",
            "nearest_gene_distance",
            "nearest_tss_gene",
            "nearest_tss_distance",
            "region_start",
            "region_end",
        )
        if c in loci.columns
    ]
    out = (
        loci.drop("nearest_gene", *drop, strict=False)
        .join(near, on="locus_id", how="left", maintain_order="left")
        .join(listed, on="locus_id", how="left", maintain_order="left")
        .join(region_table, on="locus_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("_genes").alias("genes"),
            pl.col("overlapping_genes").replace("", None),
            pl.when(pl.col("_name").is_not_null() & (pl.col("_name") != ""))
            .then(pl.col("_name"))
            .otherwise(pl.col("nearest_gene"))
            .alias("name"),
            (pl.col("_lo") - margin).clip(lower_bound=1).alias("region_start"),
            (pl.col("_hi") + margin).alias("region_end"),
        )
        .drop("_genes", "_name", "_lo", "_hi")
    )
    return conform_loci(out), long
