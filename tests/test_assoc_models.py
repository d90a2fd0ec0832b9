"""The association kernels against naive per-variant references, closed forms and published
toy values; calibration under the null."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
from scipy import optimize, stats
from scipy.special import expit

from assoc_helpers import write_bed, write_table
from gwaskit.assoc.design import make_design, split_missing
from gwaskit.assoc.handle import GenotypeHandle
from gwaskit.assoc.linear import fit_linear_null, linear_block
from gwaskit.assoc.logistic import firth_fit, fit_logistic_null, logistic_block
from gwaskit.assoc.results import BlockResult
from gwaskit.assoc.scan import (
    BlockTask,
    ScanContext,
    ScanOptions,
    assemble_sumstats,
    fit_null,
    scan_block,
)
from gwaskit.assoc.score import score_block
from gwaskit.assoc.trend import allelic_block, trend_block
from gwaskit.io.genotypes import open_genotypes
from gwaskit.io.phenotypes import load_phenotypes
from gwaskit.stats import lambda_gc, neg_log10_p_from_z


def _data(seed, n=400, m=30, k=3, missing=0.05, binary=False):
    rng = np.random.default_rng(seed)
    g = rng.binomial(2, rng.uniform(0.05, 0.5, m), size=(n, m)).astype(float)
    g[rng.random((n, m)) < missing] = np.nan
    z = rng.normal(size=(n, k))
    scale = np.array([1.0, 100.0, 0.01])[:k]
    cov = z * scale + np.array([0.0, 1000.0, 5.0])[:k]  # covariates on very different scales
    eta = 0.3 * z @ rng.normal(size=k) + 0.3 * np.nan_to_num(g[:, 0])
    y = (rng.random(n) < expit(eta - 1.0)).astype(float) if binary else eta + rng.normal(size=n)
    return g, cov, y


def test_linear_block__equals_lstsq_per_variant_with_missing_calls():
    g, cov, y = _data(1)
    result = linear_block(fit_linear_null(make_design(y, cov, binary=False)), g)
    for j in range(g.shape[1]):
        ok = ~np.isnan(g[:, j])
        z = np.column_stack([np.ones(ok.sum()), cov[ok], g[ok, j]])
        coef, rss, *_ = np.linalg.lstsq(z, y[ok], rcond=None)
        df = ok.sum() - z.shape[1]
        se = np.sqrt(rss[0] / df * np.linalg.inv(z.T @ z)[-1, -1])
        # double precision throughout; covariates span 5 orders of magnitude: 1e-9 relative
        assert result.beta[j] == pytest.approx(coef[-1], rel=1e-9)
        assert result.standard_error[j] == pytest.approx(se, rel=1e-9)
        p = 2 * stats.t.sf(abs(coef[-1] / se), df)
        assert result.neg_log10_p[j] == pytest.approx(-np.log10(p), rel=1e-9)
        assert result.n[j] == ok.sum()


def test_linear_block__mean_impute_option_fills_missing_with_the_mean():
    g, cov, y = _data(2, m=5)
    null = fit_linear_null(make_design(y, cov, binary=False))
    filled = np.where(np.isnan(g), np.nanmean(g, axis=0), g)
    a = linear_block(null, g, mean_impute=True)
    b = linear_block(null, filled)
    np.testing.assert_allclose(a.beta, b.beta, rtol=1e-12)


def test_linear_block__constant_and_collinear_genotypes_get_reason_codes():
    g, cov, y = _data(3, m=5, k=1, missing=0.0)
    g[:, 1] = 1.0
    g[:, 2] = np.round(cov[:, 0] > 0)  # a 0/1 genotype equal to a covariate's sign: fine
    g[:, 3] = np.nan
    g[:5, 3] = [0, 1, 2, 1, 0]  # 5 calls for 3 parameters + 1: ok; 3 calls: too few
    g[3:5, 3] = np.nan
    rng = np.random.default_rng(0)
    cov = np.column_stack([cov, g[:, 4] + 0.01 * rng.normal(size=g.shape[0])])  # R^2 > 0.98
    result = linear_block(fit_linear_null(make_design(y, cov, binary=False)), g)
    assert result.reason.tolist() == ["", "CONST_GENO", "", "TOO_FEW_OBS", "VIF_TOO_HIGH"]
    assert np.isnan(result.beta[[1, 3, 4]]).all() and np.isfinite(result.beta[[0, 2]]).all()


def test_logistic_block__mean_impute_equals_imputed_input():
    g, cov, y = _data(8, m=6, binary=True)
    null = fit_logistic_null(make_design(y, cov, binary=True))
    filled = np.where(np.isnan(g), np.nanmean(g, axis=0), g)
    a = logistic_block(null, g, mean_impute=True)
    b = logistic_block(null, filled)
    np.testing.assert_allclose(a.beta, b.beta, rtol=1e-12)
    assert (a.n == g.shape[0]).all()


def test_scan_block__tasks_pickle_for_a_cluster(tmp_path):

    g, cov, y = _data(9, m=10, binary=True)
    iid = write_bed(tmp_path / "c", g)
    write_table(tmp_path / "p.txt", iid, {"T": y})
    write_table(tmp_path / "c.txt", iid, {"A": cov[:, 0], "B": cov[:, 1]})
    samples = pl.DataFrame({"fid": iid, "iid": iid})
    ph = load_phenotypes(samples, tmp_path / "p.txt", covar=tmp_path / "c.txt")
    options = ScanOptions().resolve(ph.binary)
    task = BlockTask(range(2, 7), 0, options)
    with open_genotypes(tmp_path / "c.bed") as source:
        context = ScanContext(GenotypeHandle(source), ((ph.sample_index, fit_null(ph, options)),))
        here = scan_block(context, task)
        # the copy a worker receives carries no open file: it opens its own, and closes it
        copy = pickle.loads(pickle.dumps(context))
        there = scan_block(copy, pickle.loads(pickle.dumps(task)))
        assert copy.genotypes._owned and copy.genotypes.source() is not source
        copy.genotypes.close()
        assert copy.genotypes._source is None
        assert context.genotypes.source() is source  # the caller's stays open
    np.testing.assert_array_equal(here.beta, there.beta)
    assert here.size == 5


def _naive_logistic(z, y, firth=False):
    def neg(b):
        eta = z @ b
        value = -(y * eta - np.logaddexp(0, eta)).sum()
        if firth:
            w = expit(eta) * (1 - expit(eta))
            value -= 0.5 * np.linalg.slogdet(z.T @ (z * w[:, None]))[1]
        return value

    fit = optimize.minimize(neg, np.zeros(z.shape[1]), method="BFGS", options={"gtol": 1e-9})
    w = expit(z @ fit.x) * (1 - expit(z @ fit.x))
    return fit.x[-1], np.sqrt(np.linalg.inv(z.T @ (z * w[:, None]))[-1, -1])


@pytest.mark.parametrize("firth", [False, True])
def test_logistic_block__equals_naive_optimiser(firth):
    g, cov, y = _data(4, m=8, binary=True)
    result = logistic_block(
        fit_logistic_null(make_design(y, cov, binary=True)),
        g,
        firth="always" if firth else "never",
    )
    for j in range(g.shape[1]):
        ok = ~np.isnan(g[:, j])
        z = np.column_stack([np.ones(ok.sum()), (cov[ok] - cov.mean(0)) / cov.std(0), g[ok, j]])
        beta, se = _naive_logistic(z, y[ok], firth)
        # BFGS stops at gradient 1e-9: its optimum is good to ~1e-6
        assert result.beta[j] == pytest.approx(beta, rel=1e-5, abs=1e-6)
        assert result.standard_error[j] == pytest.approx(se, rel=1e-5)
        assert result.method[j] == ("firth" if firth else "logistic")


def test_logistic_block__separation_goes_to_firth_or_is_flagged():
    g, cov, y = _data(5, m=3, binary=True, missing=0.0)
    g[:, 1] = 0.0
    g[np.flatnonzero(y == 0)[:3], 1] = 1.0  # carriers only among controls
    null = fit_logistic_null(make_design(y, cov, binary=True))
    fallback = logistic_block(null, g, firth="fallback")
    assert fallback.method.tolist() == ["logistic", "firth", "logistic"]
    assert np.isfinite(fallback.beta).all()
    strict = logistic_block(null, g, firth="never")
    assert strict.reason.tolist() == ["", "SEPARATION", ""] and np.isnan(strict.beta[1])


def test_firth_fit__converges_where_plain_newton_would_diverge():
    g, cov, y = _data(6, m=1, binary=True, missing=0.0)
    g[:, 0] = 0.0
    g[np.flatnonzero(y == 1)[:4], 0] = 2.0  # carriers only among cases
    null = fit_logistic_null(make_design(y, cov, binary=True))
    g0, mask = split_missing(g)
    coef, se, failed = firth_fit(null, g0, mask)
    ok = ~np.isnan(g[:, 0])
    z = np.column_stack([np.ones(ok.sum()), (cov - cov.mean(0)) / cov.std(0), g[:, 0]])
    beta, naive_se = _naive_logistic(z, y, firth=True)
    assert not failed[0] and coef[0, -1] == pytest.approx(beta, rel=1e-5)
    assert se[0] == pytest.approx(naive_se, rel=1e-5)


def test_score_block__equals_closed_form_without_spa():
    g, cov, y = _data(7, m=10, binary=True)
    null = fit_logistic_null(make_design(y, cov, binary=True))
    result = score_block(null, g, spa=False)
    x, mu = null.x, null.mu
    w = mu * (1 - mu)
    for j in range(g.shape[1]):
        gj = np.where(np.isnan(g[:, j]), np.nanmean(g[:, j]), g[:, j])
        resid = gj - x @ np.linalg.solve(x.T @ (x * w[:, None]), x.T @ (w * gj))
        z = resid @ (y - mu) / np.sqrt((w * resid * resid).sum())
        assert result.statistic[j] == pytest.approx(z, rel=1e-9)


def test_score_block__chunked_projection_matches_whole_block_algebra():
    # 150 variants span three imputation/projection chunks (CHUNK = 64), the last one partial
    from gwaskit.assoc.score import CHUNK

    g, cov, y = _data(8, m=150, binary=True)
    assert g.shape[1] > 2 * CHUNK and g.shape[1] % CHUNK
    null = fit_logistic_null(make_design(y, cov, binary=True))
    result = score_block(null, g, spa=False)
    x, mu = null.x, null.mu
    w = mu * (1 - mu)
    gi = np.where(np.isnan(g), np.nanmean(g, axis=0), g).astype(np.float64)
    xwg = x.T @ (w[:, None] * gi)
    v = (w[:, None] * gi * gi).sum(0) - (xwg * np.linalg.solve(x.T @ (x * w[:, None]), xwg)).sum(0)
    z = (y - mu) @ gi / np.sqrt(v)
    # float64 sums in a different order: agreement to rounding (1e-9 relative is loose)
    np.testing.assert_allclose(result.statistic, z, rtol=1e-9)
    np.testing.assert_array_equal(result.n, (~np.isnan(g)).sum(0))
    np.testing.assert_array_equal(result.n_cases, (~np.isnan(g) * y[:, None]).sum(0))
    np.testing.assert_allclose(result.effect_allele_frequency, np.nanmean(g, 0) / 2, rtol=1e-12)


def test_score_block__spa_tracks_the_exact_binomial_tail():
    # intercept only: S = sum_i g_i (y_i - mu); with c carriers of one copy, sum over carriers
    # of y_i is Binomial(c, mu) under the null, so the exact two-sided tail is known.
    n, c, cases = 20000, 40, 200
    y = np.zeros(n)
    y[:cases] = 1.0
    null = fit_logistic_null(make_design(y, None, binary=True))
    mu = cases / n
    g = np.zeros((n, 3))
    g[:c, 0] = 1.0  # 40 carrier cases: extreme
    g[:6, 1] = 1.0
    g[cases : cases + c - 6, 1] = 1.0  # 6 carrier cases
    g[:3, 2] = 1.0
    g[cases : cases + c - 3, 2] = 1.0  # 3 carrier cases
    spa = score_block(null, g, spa=True)
    plain = score_block(null, g, spa=False)
    for j, k in ((1, 6), (2, 3)):
        # the lower tail is empty (k - c mu > c mu): P(S >= s) is the exact two-sided p
        at_least, beyond = stats.binom.sf(k - 1, c, mu), stats.binom.sf(k, c, mu)
        mid_p = 0.5 * (at_least + beyond)
        # SPA of a lattice variable without continuity correction lies between P(X > k) and
        # P(X >= k), within 0.3 of the mid-p on the -log10 scale (Lugannani-Rice by hand:
        # 9.1e-7 at k = 6 vs mid-p 1.5e-6); the normal approximation is off by orders
        assert -np.log10(at_least) < spa.neg_log10_p[j] < -np.log10(beyond)
        assert abs(spa.neg_log10_p[j] + np.log10(mid_p)) < 0.3
        assert abs(plain.neg_log10_p[j] + np.log10(mid_p)) > 1.0
    assert spa.method.tolist() == ["score-spa"] * 3
    exact0 = c * np.log10(mu)  # all 40 carriers are cases: P = mu^40, -log10 p = 80
    assert spa.neg_log10_p[0] == pytest.approx(-exact0, rel=0.05)


def test_trend_block__matches_eigenstrat_expected_chisq(test_data):
    toy = test_data / "eigensoft_toy"
    geno = np.array(
        [[int(c) for c in line.strip()] for line in (toy / "example.geno").read_text().split()],
        dtype=float,
    ).T  # counts of the reference allele, (5 samples, 7 SNPs)
    y = np.array([float(c) for c in (toy / "example.pheno").read_text().strip()])
    expected = pl.read_csv(toy / "example.chisq", separator=" ")["Chisq"].to_numpy()
    result = trend_block(y, geno)
    # the file rounds to 4 decimals
    np.testing.assert_allclose(result.statistic**2, expected, atol=5e-5)


def test_assemble_sumstats__keeps_minus_log10_p_beyond_underflow():
    z = np.array([40.0, 100.0])
    block = BlockResult(
        beta=z / 10, standard_error=np.full(2, 0.1), statistic=z,
        neg_log10_p=neg_log10_p_from_z(z), n=np.full(2, 100.0),
        method=np.array(["logistic"] * 2, dtype=object), reason=np.array(["", ""], dtype=object),
        effect_allele_frequency=np.full(2, 0.3), n_cases=np.full(2, 50.0),
        n_controls=np.full(2, 50.0),
    )  # fmt: skip
    variants = pl.DataFrame(
        {
            "chromosome": ["1", "1"],
            "base_pair_location": [1, 2],
            "variant_id": ["rs1", "v2"],
            "effect_allele": ["A", "A"],
            "other_allele": ["G", "G"],
        }
    )
    table = assemble_sumstats(variants, [block], binary=True)
    assert table["neg_log_10_p_value"][0] == pytest.approx(349.1, abs=0.05)
    assert table["neg_log_10_p_value"][1] == pytest.approx(
        2173.57, abs=0.01
    )  # exact; DESIGN.md rounds to 2174
    assert table["p_value"][1] == 0.0 and table["rsid"].to_list() == ["rs1", None]
    assert table["reason"].null_count() == 2


def _null_cohort(seed, n, m, case_fraction, maf_range):
    rng = np.random.default_rng(seed)
    maf = rng.uniform(*maf_range, m).astype(np.float32)
    g = (rng.random((n, m), dtype=np.float32) < maf).astype(np.float32)
    g += rng.random((n, m), dtype=np.float32) < maf  # two Bernoulli draws: Binomial(2, maf)
    cov = rng.normal(size=(n, 2))
    y = (rng.random(n) < case_fraction).astype(float)
    return g, cov, y


def test_scan__null_lambda_gc_is_calibrated():
    g, cov, y = _null_cohort(11, 1000, 20000, 0.4, (0.1, 0.5))
    design = make_design(y, cov, binary=True)
    score = score_block(fit_logistic_null(design), g)
    linear = linear_block(fit_linear_null(make_design(cov[:, 0] + y, cov[:, 1:], binary=False)), g)
    wald = logistic_block(fit_logistic_null(design), g)
    # 20,000 null variants: the sd of lambda GC is ~0.013, so [0.97, 1.03] is ~2.3 sd
    for result in (score, linear, wald):
        assert 0.97 <= lambda_gc(result.neg_log10_p) <= 1.03


def test_score_block__spa_keeps_type_one_error_with_1_to_50_imbalance():
    n, m, alpha = 5000, 16000, 1e-3
    g, cov, y = _null_cohort(12, n, m, 1 / 51, (0.003, 0.02))
    null = fit_logistic_null(make_design(y, cov, binary=True))
    spa_hits = plain_hits = tested = 0
    for start in range(0, m, 2500):
        block = g[:, start : start + 2500]
        spa = score_block(null, block, spa=True)
        plain = score_block(null, block, spa=False)
        ok = np.isfinite(spa.neg_log10_p)
        tested += ok.sum()
        spa_hits += (spa.neg_log10_p[ok] > 3).sum()
        plain_hits += (plain.neg_log10_p[ok] > 3).sum()
    # two-sided 99% binomial interval of the number of hits at alpha
    lo, hi = stats.binom.ppf([0.005, 0.995], tested, alpha)
    assert lo <= spa_hits <= hi, (spa_hits, lo, hi)
    assert plain_hits > hi, (plain_hits, hi)
    print(f"SPA {spa_hits}, plain {plain_hits} hits of {tested} at alpha; 99% interval {lo}-{hi}")


def test_allelic_block__matches_plink_1_07_expected_assoc(test_data):
    toy = test_data / "plink_toy_expected" / "plink1.07"
    rows = [line.split() for line in (toy / "test.ped").read_text().splitlines()]
    y = np.array([float(r[5] == "2") for r in rows])
    # dosage of PLINK's A1 (the minor allele): A for snp1, G for snp2
    g = np.array([[(r[6] + r[7]).count("A"), (r[8] + r[9]).count("G")] for r in rows], float)
    result = allelic_block(y, g)
    # expected.plink.assoc: CHISQ 1.5 and 3.086, P 0.2207 and 0.07898, OR 0.2 and 0.1,
    # printed to 4 significant digits
    np.testing.assert_allclose(result.statistic**2, [1.5, 3.086], rtol=5e-4)
    np.testing.assert_allclose(10**-result.neg_log10_p, [0.2207, 0.07898], rtol=5e-4)
    np.testing.assert_allclose(np.exp(result.beta), [0.2, 0.1], rtol=1e-9)
