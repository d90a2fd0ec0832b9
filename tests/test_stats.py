"""Log-space p-values against closed forms and high-precision values (mpmath, 50 digits)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from gwaskit import stats

# Reference values computed with mpmath at 50 significant digits:
#   -log10(2 * ncdf(-z)); -log10(betainc(df/2, 1/2, 0, df/(df+t^2), regularized=True));
#   -log10(gammainc(df/2, x/2, inf, regularized=True)).
Z_REFERENCE = [(40.0, 349.13597646368186), (100.0, 2173.5705128733703)]
T_REFERENCE = [
    (1e3, 100.0, 201.10129573260897),
    (1e5, 1e6, 2000024.8116767649),
    (60.0, 10000.0, 669.5041149727888),
    (300.0, 50000.0, 11181.302392729684),
]
CHI2_REFERENCE = [(2000.0, 3.0, 432.7418098593197)]


@pytest.mark.parametrize(("z", "expected"), Z_REFERENCE)
def test_neg_log10_p_from_z__never_underflows(z, expected):
    # relative 1e-12: log_ndtr is accurate to a few ulps in this range
    assert stats.neg_log10_p_from_z(z) == pytest.approx(expected, rel=1e-12)
    assert stats.neg_log10_p_from_z(-z) == pytest.approx(expected, rel=1e-12)


def test_neg_log10_p_from_z__matches_scipy_where_representable():
    z = np.linspace(-8, 8, 101)
    expected = -np.log10(2 * sps.norm.sf(np.abs(z)))
    np.testing.assert_allclose(stats.neg_log10_p_from_z(z), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("t", "df", "expected"), T_REFERENCE)
def test_neg_log10_p_from_t__tail_beyond_double_range(t, df, expected):
    # relative 1e-10: the hypergeometric series is summed to 1e-17 relative
    assert stats.neg_log10_p_from_t(t, df)[0] == pytest.approx(expected, rel=1e-10)


def test_neg_log10_p_from_t__matches_scipy_where_representable():
    t = np.array([-5.0, -1.0, 0.0, 0.5, 2.0, 12.0])
    df = np.array([3.0, 10.0, 50.0, 200.0, 1000.0, 30.0])
    expected = -np.log10(2 * sps.t.sf(np.abs(t), df))
    np.testing.assert_allclose(stats.neg_log10_p_from_t(t, df), expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(("x", "df", "expected"), CHI2_REFERENCE)
def test_neg_log10_p_from_chi2__asymptotic_tail(x, df, expected):
    assert stats.neg_log10_p_from_chi2(x, df) == pytest.approx(expected, rel=1e-10)


def test_neg_log10_p_from_chi2__matches_scipy_and_handles_nan():
    x = np.array([0.0, 0.5, 3.84, 30.0, 200.0])
    for df in (1.0, 2.0, 5.0):
        expected = -sps.chi2.logsf(x, df) / np.log(10)
        np.testing.assert_allclose(
            stats.neg_log10_p_from_chi2(x, df), expected, rtol=1e-10, atol=1e-14
        )
    assert np.isnan(stats.neg_log10_p_from_chi2(np.nan, 2.0))
    assert np.isnan(stats.neg_log10_p_from_chi2(-1.0, 1.0))


def test_chi2_from_neg_log10_p__inverts_z_scale():
    z = np.array([0.1, 1.0, 5.0, 40.0])
    back = stats.chi2_from_neg_log10_p(stats.neg_log10_p_from_z(z))
    np.testing.assert_allclose(back, z**2, rtol=1e-9)


def test_lambda_gc__null_is_one_and_inflation_is_seen():
    rng = np.random.default_rng(7)
    z = rng.standard_normal(200_000)
    null = stats.lambda_gc(stats.neg_log10_p_from_z(z))
    # the sample median of 200,000 chi-squares has relative SD about 0.006
    assert null == pytest.approx(1.0, abs=0.02)
    inflated = stats.lambda_gc(stats.neg_log10_p_from_z(z * np.sqrt(1.2)))
    assert inflated == pytest.approx(1.2, abs=0.03)
    assert np.isnan(stats.lambda_gc(np.array([np.nan])))
