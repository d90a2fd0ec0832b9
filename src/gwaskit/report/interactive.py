"""Data of the interactive plots (Manhattan, QQ, regional), embedded in the page as JSON.

The page's script (``assets/plots.js``) draws them on a canvas with zoom and a tooltip. Points
are thinned as in the static plots, so the file stays small and fast for ten million variants:
the variants below ``dense_below`` are reduced to one per cell of a grid of about the plot's
pixel size (the picture is the same), the others are kept exactly (the strongest
:data:`MAX_EXACT` when there are more).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from markupsafe import Markup

from gwaskit.plot.manhattan import COLORS, KNOWN_COLOR, NOVEL_COLOR, genome_positions
from gwaskit.plot.qq import expected_neg_log10_p

#: Most variants drawn exactly (tooltip on each); the rest are thinned to the grid.
MAX_EXACT = 20_000
#: Grid of the thinned layer (x cells, y cells).
GRID = (700, 60)
#: LocusZoom's r² colours (< 0.2, < 0.4, < 0.6, < 0.8, >= 0.8), unknown r², the lead.
R2_COLORS = ("#357ebd", "#46b8da", "#5cb85c", "#eea236", "#d43f3a", "#9a9a9a", "#7b2d8e")


def to_json(data: Mapping[str, Any]) -> Markup:
    """``data`` as JSON that is safe inside a ``<script type="application/json">`` element
    (``<``, ``>`` and ``&`` escaped, so no value can close the element)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def thin(x: np.ndarray, y: np.ndarray, dense_below: float) -> np.ndarray:
    """Indices to draw: every finite point at or above ``dense_below`` (the strongest
    :data:`MAX_EXACT`), and one per occupied cell of :data:`GRID` below it."""
    ok = np.isfinite(x) & np.isfinite(y)
    strong = np.flatnonzero(ok & (y >= dense_below))
    if strong.size > MAX_EXACT:
        strong = strong[np.argpartition(-y[strong], MAX_EXACT)[:MAX_EXACT]]
        dense_below = float(y[strong].min())
    dense = np.flatnonzero(ok & (y < dense_below))
    if dense.size == 0:
        return strong
    xd, yd = x[dense], y[dense]
    x0, span = float(xd.min()), float(np.ptp(xd)) or 1.0
    bx = np.minimum(((xd - x0) / span * GRID[0]).astype(np.int64), GRID[0] - 1)
    by = np.minimum((yd / max(dense_below, 1e-9) * GRID[1]).astype(np.int64), GRID[1] - 1)
    cell = bx * GRID[1] + np.maximum(by, 0)
    # one variant per occupied cell (the last written), in O(n): no sort of ten million keys
    representative = np.empty(GRID[0] * GRID[1], dtype=np.int64)
    representative[cell] = dense
    occupied = np.flatnonzero(np.bincount(cell, minlength=representative.size))
    return np.concatenate([representative[occupied], strong])


def _fields(t: pl.DataFrame, *, genes: pl.DataFrame | None) -> dict[str, Any]:
    """Tooltip fields of the rows of ``t`` (a few thousand at most): id, where, alleles, beta,
    gene."""
    chrom = t["chromosome"].cast(pl.String)
    pos = t["base_pair_location"].cast(pl.Int64)
    where = ("chr" + chrom + ":" + pos.cast(pl.String)).fill_null("")
    if "rsid" in t.columns:
        ids = t["rsid"].cast(pl.String)
        if "variant_id" in t.columns:
            ids = ids.fill_null(t["variant_id"].cast(pl.String))
    elif "variant_id" in t.columns:
        ids = t["variant_id"].cast(pl.String)
    else:
        ids = where
    ids = ids.fill_null(where)
    out: dict[str, Any] = {"id": ids.to_list(), "where": where.to_list()}
    fields: dict[str, Any] = {}
    if "effect_allele" in t.columns and "other_allele" in t.columns:
        alleles = t["effect_allele"].cast(pl.String) + "/" + t["other_allele"].cast(pl.String)
        fields["alleles"] = alleles.fill_null("").to_list()
    if "beta" in t.columns:
        b = t["beta"].cast(pl.Float64).to_numpy()
        fields["beta"] = [f"{v:.4g}" if np.isfinite(v) else "NA" for v in b]
    if genes is not None:
        fields["gene"] = nearest_genes(chrom, pos, genes)
    out["fields"] = fields
    return out


def nearest_genes(chromosome: pl.Series, position: pl.Series, genes: pl.DataFrame) -> list[str]:
    """The gene overlapping each position, else the nearest one on its chromosome ("" when the
    chromosome has none): per chromosome, a sorted search over the gene starts."""
    out = np.full(len(position), "", dtype=object)
    pos = position.fill_null(-1).to_numpy().astype(np.float64)
    chrom = chromosome.fill_null("").to_numpy()
    g = genes.select(
        pl.col("chromosome").cast(pl.String).str.replace("^chr", ""),
        pl.col("start").cast(pl.Float64),
        pl.col("end").cast(pl.Float64),
        pl.col("gene_name").cast(pl.String),
    ).sort("chromosome", "start")
    for (c,), part in g.group_by("chromosome"):
        rows = np.flatnonzero(np.char.replace(chrom.astype(str), "chr", "") == str(c))
        if rows.size == 0 or part.height == 0:
            continue
        start, end = part["start"].to_numpy(), part["end"].to_numpy()
        name = np.asarray(part["gene_name"].to_list(), dtype=object)
        # distance to each of the candidate genes at the sorted position and its neighbour
        k = (
            np.clip(np.searchsorted(start, pos[rows]), 1, start.size - 1)
            if start.size > 1
            else None
        )
        if k is None:
            out[rows] = name[0]
            continue
        d = np.stack([_distance(pos[rows], start[k - j], end[k - j]) for j in (0, 1)])
        pick = k - np.argmin(d, axis=0)
        # a long gene starting further left can still overlap: prefer the widest-reaching one
        running = np.maximum.accumulate(end)
        covered = running[k - 1] >= pos[rows]
        pick = np.where(covered & (d.min(axis=0) > 0), np.searchsorted(running, pos[rows]), pick)
        out[rows] = name[np.clip(pick, 0, start.size - 1)]
    return out.tolist()


def _distance(pos: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(start - pos, pos - end), 0)


def manhattan_data(
    gw: pl.DataFrame,
    loci: pl.DataFrame | None,
    genes: pl.DataFrame | None,
    *,
    binary: bool,
    dense_below: float = 3.0,
) -> dict[str, Any]:
    """The Manhattan plot's points (thinned), chromosome ticks, thresholds and locus labels."""
    x, chrom_index, genome = genome_positions(
        gw["chromosome"].cast(pl.String), gw["base_pair_location"].to_numpy()
    )
    y = gw["neg_log_10_p_value"].cast(pl.Float64).to_numpy()
    keep = thin(x, y, dense_below)
    t = gw[keep]
    c = (chrom_index[keep] % 2).astype(np.int64)
    labels = []
    if loci is not None and loci.height:
        chrom_of = {n: i for i, n in enumerate(genome.names)}
        tc, tp = t["chromosome"].cast(pl.String).to_numpy(), t["base_pair_location"].to_numpy()
        for r in loci.iter_rows(named=True):
            name = str(r["chromosome"])
            if name not in chrom_of:
                continue
            known = bool(r.get("known"))
            start = r.get("start") or r["base_pair_location"]
            end = r.get("end") or r["base_pair_location"]
            inside = (tc == name) & (tp >= start) & (tp <= end)
            c[inside] = 3 if known else 2
            text = next((str(r[k]) for k in ("name", "nearest_gene", "locus_id") if r.get(k)), "")
            lead_x = float(genome.offsets[chrom_of[name]] + r["base_pair_location"])
            labels.append(
                {"x": lead_x, "y": float(r["neg_log_10_p_value"]), "text": text, "known": known}
            )
    xs, ys = x[keep], y[keep]
    x_max = float(genome.offsets[-1] + genome.lengths[-1]) if genome.names else 1.0
    top = max(float(ys.max()) if ys.size else 8.0, *(lab["y"] for lab in labels), 8.0)
    return {
        "kind": "manhattan",
        "x": np.round(xs).tolist(),
        "y": np.round(ys, 3).tolist(),
        "c": c.tolist(),
        "order": np.argsort(c, kind="stable").tolist(),
        "palette": [*COLORS, NOVEL_COLOR, KNOWN_COLOR],
        "xlim": [-0.005 * x_max, 1.005 * x_max],
        "ylim": [0.0, top * 1.05],
        "xticks": genome.midpoints.tolist(),
        "xticklabels": genome.names,
        "xlabel": "chromosome",
        "hlines": [[-np.log10(5e-8), "#b22222"], [5.0, "#999999"]],
        "labels": labels,
        "effect": "log OR" if binary else "beta",
        "height": 340,
        **_fields(t, genes=genes),
    }


def qq_data(gw: pl.DataFrame, *, exact: int = 2000) -> dict[str, Any]:
    """QQ points (observed against expected -log10 p): the ``exact`` strongest variants with
    their tooltips, then the curve at about 3,000 log-spaced ranks (values only: no sort of
    the whole table's rows, only of its p-values)."""
    y = gw["neg_log_10_p_value"].cast(pl.Float64).to_numpy()
    ok = np.flatnonzero(np.isfinite(y))
    n = ok.size
    k = min(exact, n)
    top = ok[np.argpartition(-y[ok], k - 1)[:k]] if k else ok[:0]
    top = top[np.argsort(-y[top], kind="stable")]
    expected = expected_neg_log10_p(n) if n else np.zeros(0)
    ranks = np.unique(np.geomspace(k + 1, n, num=min(max(n - k, 0), 3000)).astype(np.int64) - 1)
    rest = -np.sort(-y[ok])[ranks] if ranks.size else np.zeros(0)
    obs = np.concatenate([y[top], rest])
    exp = np.concatenate([expected[:k], expected[ranks]])
    top_value = max(float(obs.max()) if obs.size else 1.0, float(expected[0]) if n else 1.0)
    data = {
        "kind": "qq",
        "x": np.round(exp, 4).tolist(),
        "y": np.round(obs, 3).tolist(),
        "palette": ["#2b5c8a"],
        "xlim": [0.0, float(expected[0]) * 1.03 if n else 1.0],
        "ylim": [0.0, top_value * 1.05],
        "xlabel": "expected -log10 p",
        "ylabel": "observed -log10 p",
        "diagonal": True,
        "height": 320,
        **_fields(gw[top], genes=None),
    }
    # the thinned curve beyond the strongest: p only in the tooltip
    data["id"] = data["id"] + ["(thinned)"] * int(ranks.size)
    data["where"] = data["where"] + [""] * int(ranks.size)
    data["fields"] = {k2: v + [""] * int(ranks.size) for k2, v in data["fields"].items()}
    return data


def regional_data(
    region: pl.DataFrame,
    *,
    r2: np.ndarray | None,
    lead: int | None,
    chromosome: str,
    window: tuple[float, float],
    genes: pl.DataFrame | None,
    binary: bool,
) -> dict[str, Any]:
    """A locus's points coloured by r² with the lead (LocusZoom colours), the lead a diamond."""
    pos = region["base_pair_location"].cast(pl.Float64).to_numpy()
    y = region["neg_log_10_p_value"].cast(pl.Float64).to_numpy()
    keep = thin(pos, y, 2.0) if region.height > MAX_EXACT else np.arange(region.height)
    if lead is not None and lead not in set(keep.tolist()):
        keep = np.append(keep, lead)
    keep = np.sort(keep)
    t = region[keep]
    if r2 is None:
        colour = np.full(keep.size, 5)
        r2_text = None
    else:
        rk = r2[keep]
        colour = np.where(np.isfinite(rk), np.digitize(rk, [0.2, 0.4, 0.6, 0.8]), 5)
        r2_text = [f"{v:.2f}" if np.isfinite(v) else "NA" for v in rk]
    lead_at = int(np.searchsorted(keep, lead)) if lead is not None else None
    if lead_at is not None:
        colour[lead_at] = 6
    data = {
        "kind": "regional",
        "x": pos[keep].tolist(),
        "y": np.round(y[keep], 3).tolist(),
        "c": colour.astype(np.int64).tolist(),
        "order": np.argsort(colour, kind="stable").tolist(),
        "palette": list(R2_COLORS),
        "lead": lead_at,
        "xlim": [float(window[0]), float(window[1])],
        "ylim": [0.0, max(float(np.nanmax(y)) if y.size else 8.0, 8.0) * 1.08],
        "xscale": 1e6,
        "xlabel": f"chromosome {chromosome} (Mb)",
        "hlines": [[-np.log10(5e-8), "#b22222"]],
        "effect": "log OR" if binary else "beta",
        "height": 300,
        **_fields(t, genes=genes),
    }
    if r2_text is not None:
        data["fields"]["r2"] = r2_text
    if genes is not None:
        data["genes"] = genes_in_window(genes, chromosome, window)
    return data


def genes_in_window(
    genes: pl.DataFrame, chromosome: str, window: tuple[float, float]
) -> list[list[Any]]:
    """``[start, end, name, strand]`` of the genes overlapping ``window`` (the gene track)."""
    c = str(chromosome).removeprefix("chr")
    strand = pl.col("strand") if "strand" in genes.columns else pl.lit("+")
    part = genes.filter(
        (pl.col("chromosome").cast(pl.String).str.replace("^chr", "") == c)
        & (pl.col("end") >= window[0])
        & (pl.col("start") <= window[1])
    ).sort("start")
    return [
        [int(s), int(e), str(n), str(d or "+")]
        for s, e, n, d in part.select(
            "start", "end", "gene_name", strand.cast(pl.String)
        ).iter_rows()
    ]
