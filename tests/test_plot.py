"""Tests of the figures (gwaskit.plot): what is drawn is checked from the artists' data and the
axes' transforms, never by eye; references are closed forms, GWAMA's published outputs and
simulation."""

from __future__ import annotations

import doctest
import importlib
import io

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from gwaskit.errors import ParameterError
from gwaskit.plot import (
    eaf_vs_reference,
    forest,
    format_p,
    gene_track,
    genome_positions,
    manhattan,
    null_band,
    p_vs_z,
    precision_by_study,
    qq,
    regional,
    se_vs_n,
    tissue_enrichment,
)
from gwaskit.plot._axes import neg_log10_axis
from gwaskit.plot.manhattan import KNOWN_COLOR, NOVEL_COLOR
from gwaskit.plot.regional import R2_COLORS
from gwaskit.stats import lambda_gc


def _collection(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert found, f"no collection {gid!r} in {[c.get_gid() for c in ax.collections]}"
    return found[0]


def _in_axes(ax, x, y) -> bool:
    """Whether data point (x, y) lands inside the drawn axes (after scale and limits)."""
    ax.figure.canvas.draw()  # settle the layout
    px, py = ax.transData.transform((x, y))
    box = ax.get_window_extent()
    return bool(box.x0 - 1 <= px <= box.x1 + 1 and box.y0 - 1 <= py <= box.y1 + 1)


def _sumstats(n=20_000, seed=1, extreme=400.0):
    rng = np.random.default_rng(seed)
    chrom = rng.integers(1, 23, n).astype(str)
    y = -np.log10(rng.uniform(size=n))
    y[7] = extreme
    return pl.DataFrame(
        {
            "chromosome": chrom,
            "base_pair_location": rng.integers(1, 100_000_000, n),
            "neg_log_10_p_value": y,
        }
    )


def test_doctests() -> None:
    for name in ("gwaskit.plot._axes", "gwaskit.plot.manhattan"):
        module = importlib.import_module(name)  # the package re-exports a function `manhattan`
        result = doctest.testmod(module, extraglobs={"np": np, "pl": pl})
        assert result.failed == 0 and result.attempted > 0


# --------------------------------------------------------------------------- -log10 p axis


def test_neg_log10_axis__keeps_values_above_300() -> None:
    ax = Figure().add_subplot()
    ax.scatter([1.0], [400.0])
    b = neg_log10_axis(ax, 400.0)
    assert b == 30.0
    assert ax.get_ylim()[1] >= 400.0
    assert _in_axes(ax, 1.0, 400.0)
    # the scale is linear below the break (equal steps, equal distances) and monotone above
    ax.set_xlim(0, 2)
    to_px = lambda v: ax.transData.transform((1.0, v))[1]  # noqa: E731
    assert to_px(20) - to_px(10) == pytest.approx(to_px(10) - to_px(0), rel=1e-9)
    steps = np.diff([to_px(v) for v in (30, 60, 120, 240, 400)])
    assert np.all(steps > 0)


def test_neg_log10_axis__linear_when_modest() -> None:
    ax = Figure().add_subplot()
    assert neg_log10_axis(ax, 12.0) is None
    assert ax.get_yscale() == "linear"
    # never below the genome-wide line
    ax2 = Figure().add_subplot()
    neg_log10_axis(ax2, 2.0)
    assert ax2.get_ylim()[1] > -np.log10(5e-8)


@given(st.floats(min_value=0.0, max_value=5000.0))
def test_format_p__round_trips_through_log10(x: float) -> None:
    """The printed p has 2 significant digits (below 1e-3: one decimal of mantissa), so its
    -log10 is within log10(1 + 0.05/1.0) = 0.0212 of the truth; never 0 or inf."""
    text = format_p(x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        back = -(np.log10(float(mantissa)) + int(exponent))
        assert 1.0 <= float(mantissa) < 10.0
    else:
        back = -np.log10(float(text))
    assert abs(back - x) < 0.0212
    assert format_p(None) == "NA" and format_p(float("nan")) == "NA"


# --------------------------------------------------------------------------- Manhattan


def test_manhattan__variant_at_400_is_drawn_at_400() -> None:
    table = _sumstats()
    ax = manhattan(table)
    points = _collection(ax, "points").get_offsets()
    x, _, _ = genome_positions(table["chromosome"], table["base_pair_location"].to_numpy())
    hit = np.flatnonzero(np.asarray(points[:, 1]) == 400.0)
    assert hit.size == 1
    assert points[hit[0], 0] == x[7]
    assert ax.get_ylim()[1] >= 400.0
    assert _in_axes(ax, x[7], 400.0)
    assert np.all(np.isfinite(np.asarray(points)))


def test_manhattan__refuses_infinite_neg_log10_p() -> None:
    table = _sumstats().with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(np.inf)
        .otherwise(pl.col("neg_log_10_p_value"))
        .alias("neg_log_10_p_value")
    )
    with pytest.raises(ParameterError, match="log space"):
        manhattan(table)


def test_manhattan__missing_column_is_an_error() -> None:
    with pytest.raises(ParameterError, match="neg_log_10_p_value"):
        manhattan(pl.DataFrame({"chromosome": ["1"], "base_pair_location": [1]}))


def test_manhattan__chromosomes_in_order_with_alternating_colours() -> None:
    table = pl.DataFrame(
        {
            "chromosome": ["10", "2", "X", "1", "2", "10"],
            "base_pair_location": [5, 5, 5, 5, 9, 9],
            "neg_log_10_p_value": [9.0, 9.0, 9.0, 9.0, 9.0, 9.0],
        }
    )
    ax = manhattan(table)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["1", "2", "10", "X"]
    points = _collection(ax, "points")
    x = np.asarray(points.get_offsets())[:, 0]
    colours = [to_hex(c) for c in points.get_facecolors()]
    by_x = dict(zip(x, colours, strict=True))
    order = np.sort(x)  # 1, 2, 2, 10, 10, X
    assert by_x[order[0]] != by_x[order[1]]  # 1 vs 2
    assert by_x[order[1]] == by_x[order[2]]  # both chromosome 2
    assert by_x[order[0]] == by_x[order[3]]  # 1 and 10 share a colour


def test_manhattan__dense_layer_draws_the_same_picture_as_every_point() -> None:
    """Binned drawing against drawing all 200,000 points: the rendered pixels agree.

    A point is ~2 px wide and a bin is half a pixel, so binned points shift by at most a quarter
    pixel; tolerance: fewer than 2% of pixels differ by more than a quarter of full scale.
    """
    table = _sumstats(n=200_000, extreme=20.0)
    fast = manhattan(table, ax=Figure(figsize=(8, 3), dpi=100).add_subplot())
    dense = _collection(fast, "dense")
    assert len(dense.get_offsets()) < 200_000 / 2
    naive = manhattan(table, ax=Figure(figsize=(8, 3), dpi=100).add_subplot(), dense_below=0.0)
    assert len(_collection(naive, "points").get_offsets()) == 200_000
    images = []
    for ax in (fast, naive):
        buffer = io.BytesIO()
        ax.figure.savefig(buffer, format="rgba", dpi=100)
        w, h = ax.figure.canvas.get_width_height()
        images.append(np.frombuffer(buffer.getvalue(), np.uint8).reshape(h, w, 4)[..., :3])
    differ = np.abs(images[0].astype(int) - images[1].astype(int)).max(axis=2) > 64
    assert differ.mean() < 0.02


def test_manhattan__loci_labelled_and_new_ones_highlighted() -> None:
    table = pl.DataFrame(
        {
            "chromosome": ["1"] * 5 + ["2"] * 5,
            "base_pair_location": [100, 200, 300, 400, 500] * 2,
            "neg_log_10_p_value": [1.0, 9.0, 12.0, 8.0, 0.5, 0.3, 15.0, 30.0, 10.0, 1.0],
        }
    )
    loci = pl.DataFrame(
        {
            "locus_id": ["a", "b"],
            "name": ["GENE1", None],
            "nearest_gene": ["X", "CPQ"],
            "chromosome": ["1", "2"],
            "start": [150, 150],
            "end": [450, 450],
            "base_pair_location": [300, 300],
            "neg_log_10_p_value": [12.0, 30.0],
            "known": [False, True],
        }
    )
    ax = manhattan(table, loci=loci)
    texts = {t.get_text() for t in ax.texts}
    assert {"GENE1", "CPQ"} <= texts  # name, else nearest gene
    highlighted = _collection(ax, "loci")
    assert len(highlighted.get_offsets()) == 3  # chromosome 1, positions 200-400, p < 1e-5
    assert {to_hex(c) for c in highlighted.get_facecolors()} == {NOVEL_COLOR}
    leads = _collection(ax, "leads")
    by_y = {
        float(o[1]): to_hex(c)
        for o, c in zip(leads.get_offsets(), leads.get_facecolors(), strict=True)
    }
    assert by_y == {12.0: NOVEL_COLOR, 30.0: KNOWN_COLOR}


def test_manhattan__crowded_labels_are_spread_not_dropped() -> None:
    """Two loci 1 Mb apart on a 3 Gb axis: both labelled, their labels spread at least 1.3% of
    the axis apart and joined to their leads; all three leads marked; max_labels still caps."""
    table = _sumstats(n=5000, extreme=3.0)
    loci = pl.DataFrame(
        {
            "locus_id": ["weak", "strong", "far"],
            "chromosome": ["3", "3", "9"],
            "base_pair_location": [50_000_000, 51_000_000, 50_000_000],
            "neg_log_10_p_value": [9.0, 20.0, 8.0],
        }
    )
    ax = manhattan(table, loci=loci)
    texts = [t for t in ax.texts if t.get_gid() == "locus-label"]
    assert sorted(t.get_text() for t in texts) == ["far", "strong", "weak"]
    span = np.diff(ax.get_xlim())[0]
    xs = sorted(t.get_position()[0] for t in texts)
    assert len(xs) == 3 and min(np.diff(xs)) >= 0.013 * span * (1 - 1e-9)
    near = [t for t in texts if t.get_text() in ("weak", "strong")]
    assert all(t.arrow_patch is not None for t in near)  # moved: a leader line to the lead
    assert len(_collection(ax, "leads").get_offsets()) == 3
    assert [
        t.get_text()
        for t in manhattan(table, loci=loci, max_labels=1).texts
        if t.get_gid() == "locus-label"
    ] == ["strong"]


@given(
    st.lists(st.floats(0, 100), min_size=1, max_size=40),
    st.floats(0.1, 2.0),
)
def test_spread_labels__apart_inside_and_in_order(x: list[float], gap: float) -> None:
    from gwaskit.plot.manhattan import spread_labels

    out = spread_labels(np.array(x), 0.0, 100.0, gap)
    order = np.argsort(x, kind="stable")
    placed = out[order]
    assert placed.size == len(x)
    if len(x) * gap <= 100:
        assert np.all(np.diff(placed) >= gap * (1 - 1e-9))
        assert placed.min() >= -1e-9 and placed.max() <= 100 + 1e-9


def test_manhattan__real_crohns_sumstats(test_data) -> None:
    """UK Biobank Crohn's disease (topr, GRCh38, P < 1e-3 only): the strongest variant,
    rs148844907 on chr6 (P 1.47e-24), is drawn at its -log10 p."""
    from gwaskit.io.chromosomes import normalise_chromosomes

    raw = pl.read_csv(test_data / "topr_ibd_sumstats_hg38" / "CD_UKBB.tsv.gz", separator="\t")
    table = raw.select(
        normalise_chromosomes(raw["CHROM"]).alias("chromosome"),
        pl.col("POS").alias("base_pair_location"),
        (-pl.col("P").log10()).alias("neg_log_10_p_value"),
        pl.col("ID").alias("variant_id"),
    )
    assert table.height == 21_717
    ax = manhattan(table)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:3] == ["1", "2", "3"] and labels[-1] == "X"
    points = np.asarray(_collection(ax, "points").get_offsets())
    top = points[np.argmax(points[:, 1])]
    assert top[1] == pytest.approx(-np.log10(1.47082e-24), rel=1e-12)
    x, index, genome = genome_positions(table["chromosome"], table["base_pair_location"].to_numpy())
    strongest = int(np.argmax(table["neg_log_10_p_value"].to_numpy()))
    assert genome.names[index[strongest]] == "6" and top[0] == x[strongest]


# --------------------------------------------------------------------------- QQ


def test_null_band__covers_95_percent_of_simulated_minima() -> None:
    """Rank-1 band against 4000 simulated null studies of 200 tests: coverage 0.95 within
    4 binomial standard errors (sd = sqrt(.95 * .05 / 4000) = 0.0034)."""
    n, reps = 200, 4000
    expected, lower, upper = null_band(n)
    rng = np.random.default_rng(3)
    top = -np.log10(rng.uniform(size=(reps, n)).min(axis=1))
    covered = np.mean((top >= lower[0]) & (top <= upper[0]))
    assert abs(covered - 0.95) < 4 * np.sqrt(0.95 * 0.05 / reps)
    assert expected[0] == pytest.approx(-np.log10(1 / (n + 1)))


def test_qq__lambda_and_extreme_value() -> None:
    rng = np.random.default_rng(5)
    y = -np.log10(rng.uniform(size=50_000))
    y[0] = 400.0
    ax = qq(y)
    points = _collection(ax, "qq")
    offsets = np.asarray(points.get_offsets())
    assert offsets[0, 1] == 400.0 and offsets[0, 0] == pytest.approx(-np.log10(1 / 50_001))
    assert _in_axes(ax, offsets[0, 0], 400.0)
    assert len(offsets) < 50_000  # thinned
    assert np.all(np.diff(offsets[:, 1]) <= 0)  # observed sorted, descending
    assert f"λGC = {lambda_gc(y):.3f}" in points.get_label()


def test_qq__one_series_per_maf_bin() -> None:
    rng = np.random.default_rng(5)
    y = -np.log10(rng.uniform(size=10_000))
    maf = rng.uniform(0.0, 1.0, 10_000)  # folded to <= 0.5
    ax = qq(y, maf=maf, maf_bins=(0, 0.1, 0.5))
    gids = sorted(c.get_gid() for c in ax.collections if str(c.get_gid()).startswith("qq"))
    assert gids == ["qq:MAF 0.1–0.5", "qq:MAF 0–0.1"]
    with pytest.raises(ParameterError, match="shape"):
        qq(y, maf=maf[:10])


# --------------------------------------------------------------------------- regional


def test_regional__colours_by_r2_and_gene_track() -> None:
    pos = np.array([1000, 2000, 3000, 4000, 5000, 6000]) * 100
    y = np.array([2.0, 5.0, 9.0, 400.0, 6.0, 1.0])
    r2 = np.array([0.1, 0.5, 0.95, 1.0, 0.3, np.nan])
    genes = pl.DataFrame(
        {
            "chromosome": ["3", "3", "3", "4"],
            "start": [100_000, 150_000, 350_000, 100_000],
            "end": [300_000, 250_000, 500_000, 500_000],
            "strand": ["+", "-", "+", "+"],
            "gene_name": ["LONG1", "INNER", "RIGHT", "OTHERCHR"],
        }
    )
    ax = regional(pos, y, r2=r2, genes=genes, chromosome="3")
    lead = _collection(ax, "lead").get_offsets()
    assert np.asarray(lead).tolist() == [[400_000.0, 400.0]]  # argmax, drawn at 400
    assert _in_axes(ax, 400_000, 400.0)
    coloured = _collection(ax, "r2")
    got = dict(
        zip(
            map(tuple, np.asarray(coloured.get_offsets())),
            (to_hex(c) for c in coloured.to_rgba(coloured.get_array())),
            strict=True,
        )
    )
    assert got[(300_000.0, 9.0)] == R2_COLORS[4]  # r2 0.95
    assert got[(200_000.0, 5.0)] == R2_COLORS[2]  # r2 0.5
    assert got[(100_000.0, 2.0)] == R2_COLORS[0]  # r2 0.1
    assert len(_collection(ax, "no-r2").get_offsets()) == 1
    track = ax.gwaskit_genes_ax
    labels = [t for t in track.texts if t.get_text()]  # (strand arrows are empty annotations)
    names = {t.get_text() for t in labels}
    assert names == {"LONG1", "INNER", "RIGHT"}  # chromosome 4 gene left out
    rows = {t.get_text(): t.get_position()[1] for t in labels}
    assert rows["LONG1"] != rows["INNER"]  # overlapping genes on different rows


def test_regional__real_il23r_locus(test_data) -> None:
    """topr's IL23R region of UK Biobank Crohn's disease with r² to rs11576518, and the
    org.Hs.eg.db GRCh38 gene table (protein-coding genes, with strand)."""
    ld = pl.read_csv(test_data / "topr_ibd_sumstats_hg38" / "R2_CD_UKBB.tsv.gz", separator="\t")
    genes = (
        pl.read_csv(
            next((test_data / "gene_annotation" / "bioc_org_hs_eg_db_hg38").glob("*.tsv.gz")),
            separator="\t",
            schema_overrides={"chrom": pl.String},
        )
        .filter(pl.col("gene_type") == "protein-coding")
        .rename({"chrom": "chromosome", "symbol": "gene_name"})
    )
    ax = regional(
        ld["POS"].to_numpy(),
        -np.log10(ld["P"].to_numpy()),
        r2=ld["R2"].to_numpy(),
        labels=ld["ID"].to_numpy(),
        genes=genes,
        chromosome="1",
    )
    lead = np.asarray(_collection(ax, "lead").get_offsets())[0]
    assert lead.tolist() == [67_216_513.0, pytest.approx(-np.log10(8.03684e-20))]
    assert "rs11576518" in {t.get_text() for t in ax.texts}
    names = {t.get_text() for t in ax.gwaskit_genes_ax.texts}
    assert "IL23R" in names and "IL12RB2" in names


def test_regional__bad_shapes() -> None:
    with pytest.raises(ParameterError, match="equal-length"):
        regional(np.arange(3), np.arange(4.0))
    with pytest.raises(ParameterError, match="r2"):
        regional(np.arange(3), np.arange(3.0), r2=np.ones(2))


def test_gene_track__empty_region_says_so() -> None:
    genes = pl.DataFrame(
        {"chromosome": ["1"], "start": [10], "end": [20], "strand": ["+"], "gene_name": ["G"]}
    )
    ax = gene_track(genes, 1000, 2000)
    assert [t.get_text() for t in ax.texts] == ["no genes in this region"]


# --------------------------------------------------------------------------- forest


def _gwama_rs3131968(test_data):
    folder = test_data / "gwama_example"
    betas, ses = [], []
    for i in (1, 2, 3):
        t = pl.read_csv(folder / f"pop{i}.txt", separator="\t").filter(pl.col("SNP") == "rs3131968")
        row = t.row(0, named=True)
        sign = 1.0 if row["EFFECT_ALLELE"] == "G" else -1.0  # GWAMA's reference allele is G
        betas.append(sign * row["BETA"])
        ses.append(row["SE"])
    return np.array(betas), np.array(ses)


def _summaries(beta, se):
    """Fixed, DerSimonian–Laird random and I² (percent) from the meta kernels."""
    from gwaskit.meta.combine import fixed_effects, heterogeneity, random_effects

    b = np.asarray(beta, dtype=np.float64)[None, :]
    s = np.asarray(se, dtype=np.float64)[None, :]
    fixed = fixed_effects(b, s)
    random = random_effects(b, s, method="dl")
    q = np.nansum((b - fixed.beta[:, None]) ** 2 / s**2, axis=1)
    i2 = heterogeneity(q, np.asarray([b.shape[1]])).i2
    return (
        (float(fixed.beta[0]), float(fixed.se[0])),
        (float(random.beta[0]), float(random.se[0])),
        float(i2[0]) * 100.0,
    )


def test_meta_summaries__match_gwama(test_data) -> None:
    """GWAMA 2.2.2's fixed.out / random.out for rs3131968 (printed to 6 decimals: tolerance
    5e-7 plus float error)."""
    beta, se = _gwama_rs3131968(test_data)
    (bf, sf), (br, sr), i2 = _summaries(beta, se)
    assert bf == pytest.approx(-0.232347, abs=6e-7)
    assert sf == pytest.approx(0.058760, abs=6e-7)
    assert br == pytest.approx(-0.231847, abs=6e-7)
    assert sr == pytest.approx(0.096414, abs=6e-7)
    assert i2 / 100 == pytest.approx(0.628557, abs=6e-7)


def test_forest__studies_and_diamonds(test_data) -> None:
    beta, se = _gwama_rs3131968(test_data)
    labels = ["pop1", "pop2", "pop3", "absent"]
    fixed, random, i2 = _summaries(beta, se)
    ax = forest(
        labels, np.append(beta, np.nan), np.append(se, np.nan), fixed=fixed, random=random, i2=i2
    )
    studies = np.asarray(_collection(ax, "studies").get_offsets())
    assert np.allclose(studies[:, 0], np.exp(beta))
    fixed = next(p for p in ax.patches if p.get_gid() == "fixed")
    xs = fixed.get_xy()[:, 0]
    assert xs.min() == pytest.approx(np.exp(-0.232347 - 1.959964 * 0.058760), rel=1e-5)
    assert xs.max() == pytest.approx(np.exp(-0.232347 + 1.959964 * 0.058760), rel=1e-5)
    assert "I² = 63%" in ax.get_title()
    assert "not tested" in {t.get_text() for t in ax.texts}
    assert [t.get_text() for t in ax.get_yticklabels()][-2:] == ["Fixed effect", "Random effects"]


def test_forest__uses_given_summaries_and_rejects_empty() -> None:
    ax = forest(["a", "b"], np.array([0.1, 0.2]), np.array([0.1, 0.1]), fixed=(0.5, 0.01), i2=0.5)
    fixed = next(p for p in ax.patches if p.get_gid() == "fixed")
    assert np.exp(0.5) == pytest.approx(fixed.get_xy()[1, 0])
    assert "I² = 50%" in ax.get_title()  # a fraction is read as a fraction
    # no random-effects row given: none is computed, the row says so
    assert not any(p.get_gid() == "random" for p in ax.patches)
    assert "not available" in {t.get_text() for t in ax.texts}
    with pytest.raises(ParameterError, match="no study"):
        forest(["a"], np.array([np.nan]), np.array([0.1]))


# --------------------------------------------------------------------------- QC


def test_precision_by_study__recovers_sqrt_n_over_sigma() -> None:
    """SE = sigma / sqrt(2 N f (1-f)) exactly gives precision = sqrt(N) / sigma (sigma = 2 for
    the log-odds scale here); effective N from cases and controls."""
    rng = np.random.default_rng(2)
    f = rng.uniform(0.05, 0.5, 1000)
    tables = {}
    for name, cases, controls in (("A", 1000, 3000), ("B", 500, 500)):
        n_eff = 4 / (1 / cases + 1 / controls)
        tables[name] = pl.DataFrame(
            {
                "effect_allele_frequency": f,
                "standard_error": 2.0 / np.sqrt(2 * n_eff * f * (1 - f)),
                "n": float(cases + controls),
                "n_cases": float(cases),
                "n_controls": float(controls),
            }
        )
    t = precision_by_study(tables)
    assert t["sqrt_n"].to_list() == pytest.approx([np.sqrt(3000.0), np.sqrt(1000.0)])
    assert t["precision"].to_numpy() == pytest.approx(t["sqrt_n"].to_numpy() / 2.0, rel=1e-12)
    ax = se_vs_n(tables)
    assert len(_collection(ax, "studies").get_offsets()) == 2


def test_eaf_vs_reference__counts_discordant() -> None:
    rng = np.random.default_rng(1)
    ref = rng.uniform(0.05, 0.95, 5000)
    eaf = ref + rng.normal(0, 0.01, 5000)
    eaf[:37] = 1 - ref[:37]
    flipped = int(np.sum(np.abs(eaf - ref) > 0.2))
    ax = eaf_vs_reference(eaf, ref)
    assert f"{flipped:,} of 5,000 differ by > 0.2" in ax.get_title()
    assert flipped > 20  # the swapped ones, except near 0.5 where 1 - f is close to f


def test_p_vs_z__diagonal_when_consistent() -> None:
    from gwaskit.stats import neg_log10_p_from_z

    rng = np.random.default_rng(1)
    beta = rng.normal(0, 0.1, 2000)
    se = np.full(2000, 0.02)
    ax = p_vs_z(neg_log10_p_from_z(beta / se), beta, se)
    hexbin = _collection(ax, "hexbin")
    centres = np.asarray(hexbin.get_offsets())
    # every occupied hexagon lies on the diagonal (within one hexagon width)
    width = ax.get_xlim()[1] / 60
    assert np.all(np.abs(centres[:, 0] - centres[:, 1]) < 2 * width)


def test_tissue_enrichment__bonferroni_highlight() -> None:
    t = pl.DataFrame({"tissue": ["a", "b", "c", "d"], "neg_log_10_p_value": [0.5, 3.0, 1.0, 2.0]})
    ax = tissue_enrichment(t)
    bars = [p for p in ax.patches]
    assert [round(b.get_width(), 6) for b in bars] == [3.0, 2.0, 1.0, 0.5]
    threshold = -np.log10(0.05 / 4)  # 1.90
    assert [to_hex(b.get_facecolor()) == "#d1495b" for b in bars] == [True, True, False, False]
    assert ax.get_xlim()[1] > threshold
