"""`gwaskit run` on a simulated consortium with two case subtypes and shared controls.

Two cohorts of 10,000 samples each; every sample is a control, a case of subtype A (``ma``) or
of subtype B (``mo``) by a multinomial logistic model (:mod:`gwaskit.simulate.subtypes`) with
one locus acting on A only, one on B only and one on both (log odds ratio 0.4 each). The plan
analyses three phenotypes per cohort (``migraine`` = A or B cases against all controls, ``ma``,
``mo``), meta-analyses each, defines the loci on ``migraine`` and runs the subtype stage.

Why the prior SD is 2 here, not the consortium's 0.2: a one-subtype call needs P > 0.95, i.e. a
Bayes factor of IND against that model below 0.105; for a locus with no effect on the other
subtype that factor is about ``(SE / tau) exp(z^2 / 2)`` with ``z`` that subtype's null
z-score. With 20,000 samples the SEs are about 0.027: at ``tau = 0.2`` no ``z`` qualifies
(SE / tau = 0.14; the migraine consortium's SEs were 0.013-0.02 with ``tau = 0.2``), at
``tau = 2`` every ``|z| < 2.0`` does, so each specific call is made with probability ~0.95 by
design; the seeds are fixed.

The correlation of the two subtypes' estimates is estimated from the null variants and must be
within 0.03 of :func:`gwaskit.subtypes.correlation.shared_controls_correlation` of the analysed
case and control counts. A simulated genome of a few Mb holds few independent variants, so
20,000 unlinked null variants are added (:func:`gwaskit.simulate.subtypes.with_unlinked_variants`):
the estimate's SD is then about 0.01. The variants inside the loci are left out of the estimate
(they tag effects on both subtypes).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.simulate import CohortSpec, ConsortiumSpec, simulate_consortium, write_consortium
from gwaskit.simulate.subtypes import (
    simulate_subtypes,
    with_unlinked_variants,
    write_subtype_phenotypes,
)
from gwaskit.subtypes.correlation import shared_controls_correlation

pytestmark = pytest.mark.slow

COHORTS = ("north", "south")

PLAN = """
[consortium]
name = "Simulated subtypes"
trait = "migraine"
build = "GRCh37"
out = "results"

[qc]
king_cutoff = "none"

[association]
model = "logistic"
test = "score"
pcs = 2
covariates = ["sex", "age"]

[loci]
cojo = false

[annotate]
tissues = false

[subtypes]
a = "ma"
b = "mo"
prior_sd = 2.0
"""


def _cohort(name: str) -> str:
    return (
        f'[[cohort]]\nname = "{name}"\ngenotypes = "data/{name}"\n'
        f'phenotypes = "data/{name}.subtypes.pheno"\n'
        'phenotype_names = ["migraine", "ma", "mo"]\n'
        f'covariates = "data/{name}.covar"\n'
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("subtypes")
    spec = ConsortiumSpec(
        cohorts=tuple(CohortSpec(n, 10_000, case_fraction=None) for n in COHORTS),
        n_variants=2_000,
        n_chromosomes=3,
        null=True,
    )
    consortium = with_unlinked_variants(simulate_consortium(spec, seed=1), 20_000, seed=3)
    simulation = simulate_subtypes(
        consortium, log_odds_ratio=0.4, names=("migraine", "ma", "mo"), seed=2
    )
    write_consortium(consortium, folder / "data")
    write_subtype_phenotypes(simulation, consortium, folder / "data")
    (folder / "plan.toml").write_text(PLAN + "\n" + "\n".join(_cohort(n) for n in COHORTS))
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    # a module fixture runs before the per-test logging restore of conftest: restore here
    ours = logging.getLogger("gwaskit")
    saved = (list(ours.handlers), ours.level, ours.propagate)
    try:
        assert main(["run", str(folder / "plan.toml"), "--no-progress", "-q"]) == 0
    finally:
        ours.handlers[:] = saved[0]
        ours.setLevel(saved[1])
        ours.propagate = saved[2]
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return folder / "results", simulation.truth


def test_run_subtypes__each_planted_locus_gets_its_call(study):
    results, truth = study
    table = pl.read_parquet(results / "subtypes" / "discovery" / "subtypes.parquet")
    loci = pl.read_parquet(results / "loci" / "discovery" / "loci.parquet")
    assert loci.height == table.height == 3  # the three planted loci and nothing else
    calls = {}
    for planted in truth.iter_rows(named=True):
        hit = loci.filter(
            (pl.col("chromosome") == planted["chromosome"])
            & (pl.col("start") <= planted["base_pair_location"])
            & (pl.col("end") >= planted["base_pair_location"])
        )
        assert hit.height == 1, planted
        row = table.filter(pl.col("locus_id") == hit["locus_id"][0]).row(0, named=True)
        calls[planted["kind"]] = row["call"]
    assert calls == {"a_only": "a_only", "b_only": "b_only", "both": "both"}
    assert table["name"].is_not_null().all()  # the annotated loci, named by their genes


def test_run_subtypes__correlation_from_null_variants_matches_shared_controls(study):
    results, _ = study
    counts = []
    for name in COHORTS:
        row = {}
        for trait in ("ma", "mo"):
            t = pl.read_parquet(results / "sumstats" / name / f"sumstats.{trait}.parquet")
            row[trait] = (t["n_cases"].max(), t["n_controls"].max())
        assert row["ma"][1] == row["mo"][1]  # the same controls in both analyses
        counts.append((row["ma"][0], row["mo"][0], row["ma"][1]))
    implied = shared_controls_correlation(*(list(c) for c in zip(*counts, strict=True)))
    assert 0.3 < implied < 0.37  # ~2,500 cases of each subtype and ~5,000 controls per cohort
    correlation = pl.read_parquet(
        results / "subtypes" / "discovery" / "subtypes.correlation.parquet"
    )
    assert correlation.height == 1
    estimate = correlation.row(0, named=True)
    assert estimate["n_in_loci"] > 0
    assert estimate["n_variants"] > 20_000
    assert estimate["r"] == pytest.approx(implied, abs=0.03)


def test_run_subtypes__report_shows_the_figure_and_table(study):
    results, _ = study
    html = (results / "report" / "all" / "report.html").read_text()
    assert '<section id="subtypes">' in html
    assert 'id="fig-subtypes"' in html
    assert html.count("<tr>", html.index('id="subtypes-table"')) >= 3
    assert "ma only" in html and "mo only" in html
