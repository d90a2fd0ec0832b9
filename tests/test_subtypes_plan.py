"""Several phenotypes per cohort and the subtype stage in a plan: the tasks built, the mistakes
named; the simulator of subtypes with shared controls; the report's subtype section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.errors import InputError
from gwaskit.pipeline.plan import read_plan
from gwaskit.pipeline.stages import STAGES, build_tasks
from gwaskit.report import ReportInputs, build_report
from gwaskit.simulate import CohortSpec, ConsortiumSpec, simulate_consortium
from gwaskit.simulate.subtypes import (
    simulate_subtypes,
    with_unlinked_variants,
    write_subtype_phenotypes,
)
from gwaskit.subtypes.correlation import shared_controls_correlation

PLAN = """
[consortium]
build = "GRCh37"

[subtypes]
a = "ma"
b = "mo"
r = 0.148

[[cohort]]
name = "c1"
genotypes = "c1"
phenotypes = "c1.pheno"
phenotype_names = ["migraine", "ma", "mo"]

[[cohort]]
name = "c2"
genotypes = "c2"
phenotypes = "c2.pheno"
phenotype_names = ["migraine", "ma", "mo"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    for cohort in ("c1", "c2"):
        for ext in (".bed", ".bim", ".fam", ".pheno"):
            # two cohorts, two contents (identical files would be one study counted twice)
            (tmp_path / f"{cohort}{ext}").write_text(cohort)
    plan = tmp_path / "plan.toml"
    plan.write_text(text)
    return plan


def test_build_tasks__one_assoc_per_cohort_and_meta_per_phenotype(tmp_path):
    plan = read_plan(_write(tmp_path, PLAN))
    tasks = build_tasks(plan)
    ids = [t.id for t in tasks]
    assert [i for i in ids if i.startswith("assoc/")] == ["assoc/c1", "assoc/c2"]
    assert [i for i in ids if i.startswith("meta/")] == ["meta/discovery", "meta/ma", "meta/mo"]
    subtypes = next(t for t in tasks if t.id == "subtypes/discovery")
    assert set(subtypes.depends) == {"annotate/discovery", "meta/ma", "meta/mo"}
    report = next(t for t in tasks if t.stage == "report")
    assert "subtypes/discovery" in report.depends
    stages = list(dict.fromkeys(t.stage for t in tasks))
    assert stages == [s for s in STAGES if s in stages]  # run order follows STAGES
    assoc = next(t for t in tasks if t.id == "assoc/c1")
    assert assoc.run.keywords["phenotype_name"] == "migraine,ma,mo"
    sumstats = next(t for t in tasks if t.id == "sumstats/c1")
    assert sumstats.run.keywords["source"].endswith("assoc.migraine.parquet")
    assert set(sumstats.run.keywords["traits"]) == {"ma", "mo"}
    argv = subtypes.run.keywords["argv"]
    assert argv[argv.index("--r") + 1] == "0.148"


def test_build_tasks__no_subtype_stage_without_subtypes(tmp_path):
    text = PLAN.replace('a = "ma"\nb = "mo"\nr = 0.148\n', "")
    tasks = build_tasks(read_plan(_write(tmp_path, text)))
    assert not [t for t in tasks if t.stage == "subtypes"]
    assert [t.id for t in tasks if t.stage == "meta"] == ["meta/discovery", "meta/ma", "meta/mo"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('b = "mo"', 'b = "aura"'), "[subtypes] 'aura' is not among"),
        (('b = "mo"', ""), "[subtypes] needs both a and b"),
        (('b = "mo"', 'b = "ma"'), "a and b must differ"),
        (('"ma", "mo"]\n\n[[cohort]]', '"ma", "ma"]\n\n[[cohort]]'), "repeats a name"),
        (('["migraine", "ma", "mo"]\n\n', '["migraine", "m/a", "mo"]\n\n'), "'m/a' must be"),
        (('["migraine", "ma", "mo"]\n\n', '["migraine", "discovery"]\n\n'), "'discovery'"),
        (
            ('phenotypes = "c1.pheno"\n', 'phenotypes = "c1.pheno"\nphenotype_name = "x"\n'),
            "phenotype_name or phenotype_names, not both",
        ),
    ],
)
def test_read_plan__subtype_mistakes_name_the_key(tmp_path, edit, message):
    assert edit[0] in PLAN
    with pytest.raises(InputError) as info:
        read_plan(_write(tmp_path, PLAN.replace(*edit, 1)))
    assert message in str(info.value)
    assert "plan.toml" in str(info.value)


# ----------------------------------------------------------------------------- simulator


@pytest.fixture(scope="module")
def small_consortium():
    spec = ConsortiumSpec(
        cohorts=(CohortSpec("a", 3_000, case_fraction=None), CohortSpec("b", 2_000, None)),
        n_variants=900,
        n_chromosomes=3,
        null=True,
    )
    return with_unlinked_variants(simulate_consortium(spec, seed=4), 500, seed=5)


def test_with_unlinked_variants__appends_independent_variants(small_consortium):
    cohort = small_consortium.cohorts[0]
    assert cohort.genotypes.shape == (3_000, 1_400)
    assert small_consortium.variants.height == 1_400
    extra = cohort.dosages(slice(900, 1_400))
    assert np.isfinite(extra).all()
    # linkage equilibrium: neighbouring unlinked variants' r² is ~1/n (3,000 samples); the
    # mean over 499 pairs is below 0.002 (its expectation 3.3e-4)
    r = [np.corrcoef(extra[:, j], extra[:, j + 1])[0, 1] for j in range(499)]
    assert np.mean(np.square(r)) < 0.002
    freq = small_consortium.variants["effect_allele_frequency"].to_numpy()[900:]
    # 6,000 alleles per variant: SD of the allele frequency <= 0.0065, 0.03 is over 4 SDs
    np.testing.assert_allclose(extra.mean(axis=0) / 2, freq, atol=0.03)


def test_simulate_subtypes__fractions_effects_and_written_coding(small_consortium, tmp_path):
    sim = simulate_subtypes(small_consortium, log_odds_ratio=0.5, fractions=(0.2, 0.3), seed=6)
    assert sim.truth["kind"].to_list() == ["a_only", "b_only", "both"]
    assert sim.truth["beta_a"].to_list() == [0.5, 0.0, 0.5]
    assert sim.truth["beta_b"].to_list() == [0.0, 0.5, 0.5]
    assert sim.truth["chromosome"].n_unique() == 3
    counts = sim.counts
    assert counts.height == 2
    total = counts["n_cases_a"] + counts["n_cases_b"] + counts["n_controls"]
    assert total.to_list() == [3_000, 2_000]
    # binomial SD of a fraction over 3,000 samples <= 0.0084: 0.035 is over 4 SDs
    np.testing.assert_allclose(counts["n_cases_a"] / total, 0.2, atol=0.035)
    np.testing.assert_allclose(counts["n_cases_b"] / total, 0.3, atol=0.035)
    assert sim.implied_r == pytest.approx(
        shared_controls_correlation(
            counts["n_cases_a"].to_numpy(),
            counts["n_cases_b"].to_numpy(),
            counts["n_controls"].to_numpy(),
        )
    )
    paths = write_subtype_phenotypes(sim, small_consortium, tmp_path)
    pheno = pl.read_csv(paths["a"], separator="\t", null_values="NA")
    outcome = sim.outcomes["a"]
    assert pheno.height == 3_000
    assert pheno.columns == ["FID", "IID", "trait", "subtype_a", "subtype_b"]
    assert (pheno["trait"].to_numpy() == np.where(outcome == 0, 1, 2)).all()
    assert pheno["subtype_a"].is_null().to_numpy().tolist() == (outcome == 2).tolist()
    assert pheno["subtype_b"].is_null().to_numpy().tolist() == (outcome == 1).tolist()
    assert (pheno["subtype_a"].drop_nulls() == 2).sum() == counts["n_cases_a"][0]
    assert (pheno["subtype_b"].drop_nulls() == 2).sum() == counts["n_cases_b"][0]


# ----------------------------------------------------------------------------- report


def test_build_report__subtype_section_only_when_run(test_data):
    from test_subtypes import _arrays  # noqa: F401 - the migraine table helpers

    folder = test_data / "migraine_meta_subtypes"
    table = pl.read_csv(
        folder / "MIG_MA_MO_123loci.txt", separator=" ", schema_overrides={"Chr": pl.String}
    )
    from gwaskit.subtypes.model import call_subtypes, equal_effect_test, subtype_posteriors

    args = tuple(table[c].to_numpy() for c in ("Beta_MA", "SE_MA", "Beta_MO", "SE_MO"))
    post = subtype_posteriors(*args, r=0.148)
    test = equal_effect_test(*args, r=0.148)
    subtypes = pl.DataFrame(
        {
            "locus_id": table["Locus_ID"],
            "subtype_a": "MA",
            "subtype_b": "MO <aura>",
            "beta_a": args[0],
            "standard_error_a": args[1],
            "beta_b": args[2],
            "standard_error_b": args[3],
            "r": 0.148,
            "posterior_null": post.null,
            "posterior_both": post.both,
            "posterior_a_only": post.a_only,
            "posterior_b_only": post.b_only,
            "equal_effects_neg_log_10_p": test.neg_log10_p,
            "call": call_subtypes(post),
        }
    )
    meta = pl.DataFrame(
        {
            "chromosome": ["1"], "base_pair_location": [1], "effect_allele": ["A"],
            "other_allele": ["G"], "neg_log_10_p_value": [1.0],
        }
    )  # fmt: skip
    without = build_report(ReportInputs(meta=meta), dpi=30)
    assert 'id="subtypes"' not in without
    html = build_report(ReportInputs(meta=meta, subtypes=subtypes), dpi=30)
    assert '<section id="subtypes">' in html and 'id="fig-subtypes"' in html
    start = html.index('id="subtypes-table"')
    body = html[start : html.index("</table>", start)]
    assert body.count("<tr>") == 124  # header + 123 loci
    assert "MO &lt;aura&gt; only" in html and "<aura>" not in html  # escaped
    assert html.count("<td>MA only</td>") == 3


def test_subtype_effects__one_cross_per_locus_by_call():
    from gwaskit.errors import ParameterError
    from gwaskit.plot.subtypes import subtype_effects

    table = pl.DataFrame(
        {
            "locus_id": ["l1", "l2", "l3", "l4"],
            "beta_a": [0.2, 0.0, 0.15, None],
            "standard_error_a": [0.02, 0.02, 0.02, None],
            "beta_b": [0.0, 0.2, 0.15, None],
            "standard_error_b": [0.02, 0.02, 0.02, None],
            "call": ["a_only", "b_only", "both", "missing"],
        }
    )
    ax = subtype_effects(table, names=("MA", "MO"))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["MA only (1)", "MO only (1)", "both (1)"]  # the locus without data left out
    assert [t.get_text() for t in ax.texts] == ["l1", "l2"]  # subtype-specific loci named
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "MO odds ratio (95% CI)"
    with pytest.raises(ParameterError, match="standard_error_b"):
        subtype_effects(table.drop("standard_error_b"))
