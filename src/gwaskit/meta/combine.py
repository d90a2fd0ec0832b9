"""Combining aligned studies: fixed effects, random effects, sample-size weighted Z.

Array kernels take ``(n_variants, n_studies)`` arrays with NaN where a study lacks a variant
and return frozen dataclasses; :func:`meta_analyse` shapes a MetaStats table from a
:class:`gwaskit.meta.harmonise.Harmonised`. Every p-value is kept as -log10 p, computed in log
space (:mod:`gwaskit.stats`).

Methods
-------
Fixed effects: inverse-variance weighting, ``w_i = 1/se_i^2``, ``beta = sum w_i beta_i / sum w_i``,
``se = 1/sqrt(sum w_i)`` (as METAL's SCHEME STDERR and GWAMA).

Heterogeneity: Cochran's Q = ``sum w_i (beta_i - beta)^2`` on ``k - 1`` degrees of freedom,
``I2 = max(0, (Q - (k - 1)) / Q)`` as a fraction (Higgins & Thompson 2002,
doi:10.1002/sim.1186).

Random effects: DerSimonian & Laird (1986, doi:10.1016/0197-2456(86)90046-2) moment estimate
``tau2 = max(0, (Q - (k-1)) / (sum w - sum w^2 / sum w))`` (as GWAMA ``--random``), or REML
(Viechtbauer 2005, doi:10.3102/10769986030003261) by Fisher scoring, vectorised over variants.
Optionally the Hartung-Knapp-Sidik-Jonkman standard error with a t law on ``k - 1`` degrees of
freedom (IntHout et al. 2014, doi:10.1186/1471-2288-14-25), better calibrated with few studies;
in its modified form, whose scale factor is at least 1, so that close agreement between a few
studies cannot shrink the standard error below the DerSimonian-Laird one (Roever et al. 2015,
doi:10.1186/s12874-015-0091-1).

Sample-size weighted Z (METAL SCHEME SAMPLESIZE; Willer et al. 2010,
doi:10.1093/bioinformatics/btq340): ``z_i`` from the study's p-value with the sign of its beta,
``Z = sum sqrt(N_i) z_i / sqrt(sum N_i)``; for case/control studies ``N_i`` is the effective
sample size ``4 / (1/N_cases + 1/N_controls)``. Its heterogeneity statistic is METAL's,
``sum (z_i - sqrt(N_i / sum N) Z)^2``.

Genomic control (Devlin & Roeder 1999, doi:10.1111/j.0006-341X.1999.00997.x): per study,
lambda = median chi-square / 0.4549 over the study's variants, applied when above 1 by inflating
``se`` by ``sqrt(lambda)`` (or deflating ``z``); on the result likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.choices import META_METHODS
from gwaskit.errors import ParameterError
from gwaskit.meta.harmonise import Harmonised
from gwaskit.stats import (
    CHI2_1_MEDIAN,
    LN10,
    chi2_from_neg_log10_p,
    neg_log10_p_from_chi2,
    neg_log10_p_from_t,
    neg_log10_p_from_z,
)

METHODS = META_METHODS


@dataclass(frozen=True)
class Heterogeneity:
    """Cochran's Q per variant: ``q``, ``df`` (= k - 1), ``neg_log10_p``, ``i2`` (fraction)."""

    q: np.ndarray
    df: np.ndarray
    neg_log10_p: np.ndarray
    i2: np.ndarray


@dataclass(frozen=True)
class FixedEffects:
    """Inverse-variance fixed-effect estimate per variant (all arrays ``(n_variants,)``)."""

    beta: np.ndarray
    se: np.ndarray
    z: np.ndarray
    neg_log10_p: np.ndarray
    n_studies: np.ndarray
    heterogeneity: Heterogeneity


@dataclass(frozen=True)
class RandomEffects:
    """Random-effects estimate per variant; ``tau2`` the between-study variance."""

    beta: np.ndarray
    se: np.ndarray
    z: np.ndarray
    neg_log10_p: np.ndarray
    tau2: np.ndarray
    method: str


@dataclass(frozen=True)
class SampleSizeZ:
    """Sample-size weighted Z per variant; ``weight`` is the summed (effective) N."""

    z: np.ndarray
    neg_log10_p: np.ndarray
    weight: np.ndarray
    n_studies: np.ndarray
    heterogeneity: Heterogeneity


def _valid(*arrays: np.ndarray) -> np.ndarray:
    ok = np.ones(arrays[0].shape, dtype=bool)
    for a in arrays:
        ok &= np.isfinite(a)
    return ok


def _neg_log10_p_chi2_df(q: np.ndarray, df: np.ndarray) -> np.ndarray:
    """-log10 upper tail of chi-square with a per-variant df (a loop over distinct df only)."""
    out = np.full(q.shape, np.nan)
    for d in np.unique(df[df > 0]):
        sel = df == d
        out[sel] = neg_log10_p_from_chi2(np.maximum(q[sel], 0.0), float(d))
    return out


def heterogeneity(q: np.ndarray, k: np.ndarray) -> Heterogeneity:
    """Cochran's Q p-value and I2 from Q and the number of studies ``k`` per variant."""
    df = np.maximum(k - 1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        i2 = np.where((q > df) & (df > 0), (q - df) / q, 0.0)
    nlp = _neg_log10_p_chi2_df(q, df)
    nlp = np.where(df > 0, nlp, 0.0)
    return Heterogeneity(q=q, df=df, neg_log10_p=nlp, i2=np.where(k > 0, i2, np.nan))


def fixed_effects(beta: np.ndarray, se: np.ndarray) -> FixedEffects:
    """Inverse-variance weighted fixed-effect meta-analysis.

    Parameters
    ----------
    beta, se
        ``(n_variants, n_studies)``, aligned to one effect allele; NaN where missing.

    Examples
    --------
    >>> r = fixed_effects(np.array([[0.1, 0.3]]), np.array([[0.1, 0.1]]))
    >>> round(float(r.beta[0]), 12), round(float(r.se[0]), 6)
    (0.2, 0.070711)
    """
    beta = np.asarray(beta, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    ok = _valid(beta, se) & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(ok, 1.0 / np.where(ok, se, 1.0) ** 2, 0.0)
        b = np.where(ok, beta, 0.0)
        sw = w.sum(axis=1)
        est = (w * b).sum(axis=1) / sw
        se_out = np.sqrt(1.0 / sw)
        z = est / se_out
        q = (w * (b - est[:, None]) ** 2).sum(axis=1)
    k = ok.sum(axis=1)
    none = k == 0
    est[none] = np.nan
    se_out[none] = np.nan
    z[none] = np.nan
    q = np.where(none, np.nan, q)
    return FixedEffects(
        beta=est,
        se=se_out,
        z=z,
        neg_log10_p=neg_log10_p_from_z(z),
        n_studies=k,
        heterogeneity=heterogeneity(q, k),
    )


def random_effects(
    beta: np.ndarray,
    se: np.ndarray,
    *,
    method: str = "dl",
    hksj: bool = False,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> RandomEffects:
    """Random-effects meta-analysis with a between-study variance ``tau2`` per variant.

    Parameters
    ----------
    beta, se
        ``(n_variants, n_studies)``, aligned; NaN where missing.
    method
        ``"dl"`` (DerSimonian-Laird, as GWAMA) or ``"reml"``.
    hksj
        Use the (modified) Hartung-Knapp-Sidik-Jonkman variance and a t law on k - 1 df.
    """
    if method not in ("dl", "reml"):
        raise ParameterError(f"random_effects: method must be 'dl' or 'reml', got {method!r}.")
    beta = np.asarray(beta, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    ok = _valid(beta, se) & (se > 0)
    k = ok.sum(axis=1)
    v = np.where(ok, se, 1.0) ** 2
    b = np.where(ok, beta, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(ok, 1.0 / v, 0.0)
        sw = w.sum(axis=1)
        est = (w * b).sum(axis=1) / sw
        q = (w * (b - est[:, None]) ** 2).sum(axis=1)
        denom = sw - (w * w).sum(axis=1) / sw
        tau2 = np.where(denom > 0, np.maximum(0.0, (q - (k - 1)) / denom), 0.0)
        if method == "reml":
            for _ in range(max_iter):
                ws = np.where(ok, 1.0 / (v + tau2[:, None]), 0.0)
                sws = ws.sum(axis=1)
                mu = (ws * b).sum(axis=1) / sws
                resid2 = np.where(ok, (b - mu[:, None]) ** 2, 0.0)
                new = (ws**2 * (resid2 - np.where(ok, v, 0.0))).sum(axis=1) / (ws**2).sum(
                    axis=1
                ) + 1.0 / sws
                new = np.where(k > 1, np.maximum(new, 0.0), 0.0)
                done = np.nanmax(np.abs(new - tau2)) if new.size else 0.0
                tau2 = np.nan_to_num(new)
                if done < tol:
                    break
        ws = np.where(ok, 1.0 / (v + tau2[:, None]), 0.0)
        sws = ws.sum(axis=1)
        est_r = (ws * b).sum(axis=1) / sws
        se_r = np.sqrt(1.0 / sws)
        if hksj:
            resid = np.where(ok, (b - est_r[:, None]) ** 2, 0.0)
            # modified HKSJ: the scale factor never shrinks the random-effects variance
            # (Roever et al. 2015, doi:10.1186/s12874-015-0091-1)
            scale = (ws * resid).sum(axis=1) / (k - 1)
            se_r = np.where(k > 1, se_r * np.sqrt(np.maximum(scale, 1.0)), se_r)
        z = est_r / se_r
    if hksj:
        nlp = np.full(z.shape, np.nan)
        multi = k > 1
        nlp[multi] = neg_log10_p_from_t(z[multi], (k[multi] - 1).astype(np.float64))
        nlp[~multi] = neg_log10_p_from_z(z[~multi])
    else:
        nlp = neg_log10_p_from_z(z)
    none = k == 0
    for a in (est_r, se_r, z, nlp, tau2):
        a[none] = np.nan
    return RandomEffects(
        beta=est_r,
        se=se_r,
        z=z,
        neg_log10_p=nlp,
        tau2=tau2,
        method=method + ("+hksj" if hksj else ""),
    )


def signed_z(beta: np.ndarray, neg_log10_p: np.ndarray) -> np.ndarray:
    """|z| from -log10 p (log space) with the sign of beta (a zero beta counts as positive,
    as in METAL)."""
    nlp = np.asarray(neg_log10_p, dtype=np.float64)
    z = np.where(nlp == 0.0, 0.0, np.sqrt(chi2_from_neg_log10_p(nlp)))
    return np.where(np.signbit(beta), -z, z)


def sample_size_z(z: np.ndarray, n: np.ndarray) -> SampleSizeZ:
    """Sample-size weighted Z-score meta-analysis (METAL SCHEME SAMPLESIZE).

    Parameters
    ----------
    z
        ``(n_variants, n_studies)`` signed z-statistics, NaN where missing.
    n
        ``(n_variants, n_studies)`` (effective) sample sizes.
    """
    z = np.asarray(z, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    ok = _valid(z, n) & (n > 0)
    nn = np.where(ok, n, 0.0)
    zz = np.where(ok, z, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = nn.sum(axis=1)
        zmeta = (np.sqrt(nn) * zz).sum(axis=1) / np.sqrt(total)
        expected = np.sqrt(nn / total[:, None]) * zmeta[:, None]
        q = np.where(ok, (zz - expected) ** 2, 0.0).sum(axis=1)
    k = ok.sum(axis=1)
    zmeta[k == 0] = np.nan
    q = np.where(k == 0, np.nan, q)
    return SampleSizeZ(
        z=zmeta,
        neg_log10_p=neg_log10_p_from_z(zmeta),
        weight=total,
        n_studies=k,
        heterogeneity=heterogeneity(q, k),
    )


def gc_lambda(chi2: np.ndarray, *, metal: bool = False) -> float:
    """Genomic-control lambda: median 1-df chi-square / 0.4549 (NaN ignored).

    ``metal=True`` takes METAL's median, the element at index ``floor(n / 2)`` of the sorted
    statistics (the upper middle one when ``n`` is even).
    """
    x = np.asarray(chi2, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan")
    med = float(np.partition(x, x.size // 2)[x.size // 2]) if metal else float(np.median(x))
    return med / (0.4549364 if metal else CHI2_1_MEDIAN)


def direction_string(beta: np.ndarray) -> np.ndarray:
    """One character per study in study order: ``+``, ``-``, ``0`` (exactly zero), ``?``."""
    beta = np.asarray(beta, dtype=np.float64)
    chars = np.full(beta.shape, "?", dtype="<U1")
    chars[beta > 0] = "+"
    chars[beta < 0] = "-"
    chars[beta == 0] = "0"
    if beta.shape[1] == 0:
        return np.full(beta.shape[0], "", dtype=object)
    joined = chars.view(f"<U{beta.shape[1]}").ravel()
    return joined


@dataclass(frozen=True)
class MetaResult:
    """A MetaStats table, the per-study summary (harmonisation counts, lambda GC applied) and
    the input rows dropped by harmonisation with their reason."""

    table: pl.DataFrame
    studies: pl.DataFrame
    dropped: pl.DataFrame | None = None


def meta_analyse(
    harmonised: Harmonised,
    *,
    method: str = "fixed",
    random_method: str = "dl",
    hksj: bool = False,
    gc: bool = False,
    gc_result: bool = False,
    study_lambdas: dict[str, float] | None = None,
    metal_gc_median: bool = False,
) -> MetaResult:
    """Meta-analyse aligned studies into a MetaStats table.

    Parameters
    ----------
    harmonised
        Output of :func:`gwaskit.meta.harmonise.harmonise`.
    method
        ``"fixed"`` (inverse variance; the table also carries the random-effects columns),
        ``"random"`` (beta/se/p of the table are the random-effects estimate), or
        ``"samplesize"`` (METAL's N-weighted Z; beta and standard_error are null).
    random_method, hksj
        Random-effects estimator, see :func:`random_effects`.
    gc
        Genomic control per study before combining (lambda > 1 only).
    gc_result
        Genomic control on the combined statistics as well.
    study_lambdas
        Per-study lambdas computed on the whole study when the harmonised set is a part of it
        (e.g. one chromosome); by default computed from the harmonised arrays.
    metal_gc_median
        Take METAL's median for lambda (see :func:`gc_lambda`), to reproduce METAL exactly.
    """
    if method not in METHODS:
        raise ParameterError(f"meta_analyse: method must be one of {METHODS}, got {method!r}.")
    v = harmonised.values
    beta, se = v["beta"], v["standard_error"]
    nlp_in = v["neg_log_10_p_value"]
    n = v["n"]
    cases, controls = v["n_cases"], v["n_controls"]
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(
            np.isfinite(cases) & np.isfinite(controls) & (cases > 0) & (controls > 0),
            4.0 / (1.0 / cases + 1.0 / controls),
            n,
        )
    if method == "samplesize":
        z_in = signed_z(np.where(np.isnan(beta), 1.0, beta), nlp_in)
        chi2_in = z_in**2
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            chi2_in = (beta / se) ** 2
    lambdas = np.ones(len(harmonised.studies))
    if gc:
        for s, name in enumerate(harmonised.studies):
            lam = (
                study_lambdas[name]
                if study_lambdas is not None
                else gc_lambda(chi2_in[:, s], metal=metal_gc_median)
            )
            lambdas[s] = lam if np.isfinite(lam) and lam > 1.0 else 1.0
    se_gc = se * np.sqrt(lambdas)[None, :]

    het: Heterogeneity
    cols: dict[str, object] = {}
    if method == "samplesize":
        res = sample_size_z(z_in / np.sqrt(lambdas)[None, :], n_eff)
        z_out = res.z
        het = res.heterogeneity
        k = res.n_studies
        cols.update(beta=np.full(z_out.shape, np.nan), standard_error=np.full(z_out.shape, np.nan))
        dir_source = np.where(np.isfinite(z_in) & (n_eff > 0), z_in, np.nan)
        weight = res.weight
    else:
        fixed = fixed_effects(beta, se_gc)
        rand = random_effects(beta, se_gc, method=random_method, hksj=hksj)
        het = fixed.heterogeneity
        k = fixed.n_studies
        main = rand if method == "random" else fixed
        z_out = main.z
        cols.update(beta=main.beta, standard_error=main.se)
        cols.update(
            tau2=rand.tau2,
            beta_random=rand.beta,
            standard_error_random=rand.se,
            neg_log_10_p_value_random=rand.neg_log10_p,
        )
        dir_source = np.where(_valid(beta, se) & (se > 0), beta, np.nan)
        weight = np.where(np.isfinite(n_eff), n_eff, 0.0).sum(axis=1)
        nlp_main = main.neg_log10_p
    lambda_result = 1.0
    if method == "samplesize":
        nlp_main = res.neg_log10_p
    if gc_result:
        lambda_result = gc_lambda(z_out**2)
        if np.isfinite(lambda_result) and lambda_result > 1.0:
            z_out = z_out / np.sqrt(lambda_result)
            if method != "samplesize":
                cols["standard_error"] = cols["standard_error"] * np.sqrt(lambda_result)
            nlp_main = neg_log10_p_from_z(z_out)
        else:
            lambda_result = 1.0
    present = np.isfinite(dir_source)
    eaf = v["effect_allele_frequency"]
    eaf_ok = np.isfinite(eaf) & present
    w_eaf = np.where(eaf_ok, np.where(np.isfinite(n_eff), n_eff, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        eaf_mean = (w_eaf * np.where(eaf_ok, eaf, 0.0)).sum(axis=1) / w_eaf.sum(axis=1)
    has_eaf = eaf_ok.any(axis=1)
    eaf_min = np.where(has_eaf, np.where(eaf_ok, eaf, np.inf).min(axis=1), np.nan)
    eaf_max = np.where(has_eaf, np.where(eaf_ok, eaf, -np.inf).max(axis=1), np.nan)

    def _sum(a: np.ndarray) -> np.ndarray:
        ok = np.isfinite(a) & present
        total = np.where(ok, a, 0.0).sum(axis=1)
        return np.where(ok.any(axis=1), total, np.nan)

    with np.errstate(over="ignore"):
        p = np.exp(-nlp_main * LN10)
    table = harmonised.variants.with_columns(
        pl.Series("beta", cols["beta"]),
        pl.Series("standard_error", cols["standard_error"]),
        pl.Series("effect_allele_frequency", np.where(has_eaf, eaf_mean, np.nan)),
        pl.Series("p_value", p),
        pl.Series("neg_log_10_p_value", nlp_main),
        pl.Series("n", _sum(n)),
        pl.Series("n_cases", _sum(cases)),
        pl.Series("n_controls", _sum(controls)),
        pl.Series("z", z_out),
        pl.Series("n_studies", k.astype(np.int32)),
        pl.Series("direction", direction_string(dir_source)),
        pl.Series("het_q", het.q),
        pl.Series("het_df", het.df.astype(np.int32)),
        pl.Series("het_neg_log_10_p", het.neg_log10_p),
        pl.Series("i2", het.i2),
        pl.Series("tau2", cols.get("tau2", np.full(k.shape, np.nan))),
        pl.Series("beta_random", cols.get("beta_random", np.full(k.shape, np.nan))),
        pl.Series(
            "standard_error_random", cols.get("standard_error_random", np.full(k.shape, np.nan))
        ),
        pl.Series(
            "neg_log_10_p_value_random",
            cols.get("neg_log_10_p_value_random", np.full(k.shape, np.nan)),
        ),
        pl.Series("n_effective", weight),
        pl.Series("effect_allele_frequency_min", eaf_min),
        pl.Series("effect_allele_frequency_max", eaf_max),
    )
    table = table.filter(pl.col("n_studies") > 0)
    table = table.with_columns(pl.col(pl.Float64).fill_nan(None))
    studies = harmonised.counts.with_columns(
        pl.Series("lambda_gc_applied", lambdas),
        pl.Series("variants_in_meta", present.sum(axis=0).astype(np.int64), dtype=pl.Int64),
    )
    studies = studies.with_columns(pl.lit(lambda_result).alias("lambda_gc_result"))
    return MetaResult(table=table, studies=studies, dropped=harmonised.dropped)
