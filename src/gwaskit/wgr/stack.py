"""Level 1 of whole-genome regression: stacking the level-0 predictions, LOCO predictions.

For each phenotype, the level-0 predictions of every block and shrinkage value become the
predictors of a second ridge regression (quantitative traits) or ridge-penalised logistic
regression (binary traits, with the covariate-only logit as offset), again fitted K times
leaving one fold out; the shrinkage value with the best out-of-fold fit is kept. A sample's
leave-one-chromosome-out (LOCO) prediction for chromosome ``c`` sums the fold model's terms of
every block not on ``c`` (Mbatchou et al. 2021, Supplementary Methods "LOCO predictions").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from gwaskit.wgr.ridge import ridge_cv_predict

LOGISTIC_MAX_ITER = 50
LOGISTIC_TOL = 1e-8


@dataclass(frozen=True)
class Stacked:
    """The kept level-1 model of one phenotype.

    Attributes
    ----------
    alpha
        The kept penalty.
    prediction
        Out-of-fold prediction ``(n,)`` of the whole model (linear predictor scale for binary
        traits, without the covariate offset).
    coef
        Per-fold coefficients ``(k, n_fixed + p)``.
    scores
        The criterion per penalty (mean R^2 over folds, or minus the log loss; higher is better).
    """

    alpha: float
    prediction: np.ndarray
    coef: np.ndarray
    scores: np.ndarray


def r2_per_fold(pred: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """R^2 ``(k, a)`` of predictions ``(a, n)`` within each fold (about the fold's mean)."""
    out = np.full((int(folds.max()) + 1, pred.shape[0]), np.nan)
    for f in range(out.shape[0]):
        yt, yp = y[folds == f], pred[:, folds == f]
        if yt.size > 1:
            tot = ((yt - yt.mean()) ** 2).sum()
            res = ((yt - yp) ** 2).sum(axis=-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[f] = 1 - res / tot
    return np.where(np.isfinite(out), out, np.nan)


def stack_ridge(
    w: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    alphas: np.ndarray,
    *,
    fixed: np.ndarray | None = None,
    exact_inverse: bool = False,
) -> Stacked:
    """Ridge stacking of predictors ``w`` ``(n, p)`` for one quantitative phenotype ``y``.

    ``fixed`` ``(n, c)`` are covariate columns put first with penalty 1 (Glow's layout); the
    penalty is chosen by the mean over folds of the within-fold R^2 (Glow, sgkit).
    """
    x = w if fixed is None else np.hstack([fixed, w])
    n_fixed = 0 if fixed is None else fixed.shape[1]
    pred, coef = ridge_cv_predict(
        x, y[:, None], folds, alphas, n_fixed=n_fixed, exact_inverse=exact_inverse
    )
    scores = np.nanmean(r2_per_fold(pred[:, :, 0], y, folds), axis=0)
    best = int(np.argmax(scores))
    return Stacked(float(alphas[best]), pred[best, :, 0], coef[:, best, :, 0], scores)


def ridge_logistic(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray, alpha: float, start: np.ndarray | None
) -> np.ndarray:
    """Coefficients minimising ``-loglik(offset + x b) + alpha |b|^2 / 2`` (Newton steps)."""
    b = np.zeros(x.shape[1]) if start is None else start.copy()
    penalty = alpha * np.eye(x.shape[1])
    for _ in range(LOGISTIC_MAX_ITER):
        mu = expit(offset + x @ b)
        grad = x.T @ (y - mu) - alpha * b
        hess = x.T @ (x * (mu * (1 - mu))[:, None]) + penalty
        step = np.linalg.solve(hess, grad)
        b = b + step
        if np.max(np.abs(step)) < LOGISTIC_TOL:
            break
    return b


def stack_logistic(
    w: np.ndarray, y: np.ndarray, offset: np.ndarray, folds: np.ndarray, alphas: np.ndarray
) -> Stacked:
    """Ridge-penalised logistic stacking for one binary phenotype ``y`` (0/1) with the
    covariate-only logit ``offset``; the penalty is chosen by the out-of-fold log loss."""
    n_folds = int(folds.max()) + 1
    coef = np.zeros((n_folds, alphas.size, w.shape[1]))
    eta = np.empty((alphas.size, y.size))
    for f in range(n_folds):
        train = folds != f
        start = None
        for i in np.argsort(alphas)[::-1]:  # strongest penalty first: warm starts
            start = ridge_logistic(w[train], y[train], offset[train], alphas[i], start)
            coef[f, i] = start
        eta[:, folds == f] = coef[f] @ w[folds == f].T
    mu = np.clip(expit(offset + eta), 1e-12, 1 - 1e-12)
    scores = (y * np.log(mu) + (1 - y) * np.log1p(-mu)).mean(axis=1)
    best = int(np.argmax(scores))
    return Stacked(float(alphas[best]), eta[best], coef[:, best], scores)


def loco_predictions(
    w: np.ndarray,
    stacked: Stacked,
    folds: np.ndarray,
    block_contigs: np.ndarray,
    n_per_block: int,
    *,
    fixed: np.ndarray | None = None,
) -> np.ndarray:
    """LOCO predictions ``(n_contigs, n)`` for the contigs of ``np.unique(block_contigs)``.

    ``w`` ``(n, n_blocks * n_per_block)`` holds block-major predictors; each sample uses the
    coefficients of the fold model that did not see it. ``fixed`` covariate terms (Glow's
    layout) are kept in every LOCO prediction, as sgkit's stage 3 keeps them.
    """
    n_fixed = 0 if fixed is None else fixed.shape[1]
    column_contig = np.repeat(block_contigs, n_per_block)
    contigs = np.unique(block_contigs)
    out = np.empty((contigs.size, w.shape[0]))
    for f in range(int(folds.max()) + 1):
        rows = folds == f
        b_fixed, b = stacked.coef[f, :n_fixed], stacked.coef[f, n_fixed:]
        terms = w[rows] * b  # (n_f, p)
        base = 0.0 if fixed is None else fixed[rows] @ b_fixed
        for i, contig in enumerate(contigs):
            out[i, rows] = base + terms[:, column_contig != contig].sum(axis=1)
    return out
