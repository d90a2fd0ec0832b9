"""Level 0 of whole-genome regression: cross-validated ridge predictions per genotype block.

REGENIE (Mbatchou et al. 2021, Nat Genet 53:1097, doi:10.1038/s41588-021-00870-7) reduces each
block of variants to a few predictors: for every shrinkage value of a grid set from a grid of
heritabilities, a ridge regression of the phenotypes on the block, fitted K times leaving one
fold of samples out and predicting that fold. The predictions are out of sample, so level 1
(:mod:`gwaskit.wgr.stack`) can stack them without over-fitting.

All functions take arrays and return arrays; :mod:`gwaskit.wgr.model` reads the blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.linalg.blas import dsyrk

#: The heritability grid of REGENIE and Glow (level 0 and level 1).
HERITABILITIES = (0.99, 0.75, 0.50, 0.25, 0.01)


def shrinkage_grid(
    n_cols: int, heritabilities: Sequence[float] = HERITABILITIES, *, glow: bool = False
) -> np.ndarray:
    """Ridge penalties for ``n_cols`` standardised predictors, one per heritability ``h``.

    REGENIE: ``n_cols (1 - h) / h`` (the penalty under which a ridge fit of ``n_cols``
    unit-variance columns explains ``h`` of a unit-variance trait). Glow WGR 0.5 (``glow=True``,
    as sgkit's ``get_alphas``): ``n_cols / h``.
    """
    h = np.asarray(heritabilities, dtype=np.float64)
    return n_cols / h if glow else n_cols * (1 - h) / h


def sample_folds(n: int, k: int) -> np.ndarray:
    """Fold of each of ``n`` samples: ``k`` contiguous folds, the first ``n % k`` one larger
    (REGENIE's and sgkit's split)."""
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    return np.repeat(np.arange(k), sizes)


def fixed_size_folds(n: int, size: int) -> np.ndarray:
    """Folds of ``size`` consecutive samples (the last may be smaller): Glow's sample blocks."""
    return np.arange(n) // size


def standardise(a: np.ndarray, *, ddof: int = 0) -> np.ndarray:
    """Centre and scale the columns of ``a`` (zero-variance columns stay zero)."""
    centred = a - a.mean(axis=0)
    sd = centred.std(axis=0, ddof=ddof)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 0, centred / sd, 0.0)


def _gram(a: np.ndarray) -> np.ndarray:
    """``a' a`` by a symmetric rank-k update (half the work of a general product)."""
    upper = dsyrk(1.0, np.asfortranarray(a), trans=1)
    return np.triu(upper) + np.triu(upper, 1).T


def ridge_cv_predict(
    x: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    alphas: np.ndarray,
    *,
    n_fixed: int = 0,
    fixed_penalty: float = 1.0,
    exact_inverse: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold ridge predictions of ``y`` ``(n, q)`` from ``x`` ``(n, p)``.

    For each fold, the ridge coefficients are fitted on the other folds for every penalty of
    ``alphas`` ``(a,)`` and used to predict the fold. The first ``n_fixed`` columns of ``x``
    (covariates, Glow's layout) get the penalty ``fixed_penalty`` instead.

    Returns the predictions ``(a, n, q)`` and the coefficients ``(k, a, p, q)`` of the ``k``
    folds. ``exact_inverse`` inverts each penalised matrix (sgkit's and Glow's arithmetic,
    reproduced to rounding); otherwise each penalised matrix is solved through its Cholesky
    factor (five factorisations of a 1,000-column block cost half of one eigendecomposition).
    """
    n_folds = int(folds.max()) + 1
    p = x.shape[1]
    if exact_inverse:
        xtx = np.stack([x[folds == f].T @ x[folds == f] for f in range(n_folds)])
    else:
        xtx = np.stack([_gram(x[folds == f]) for f in range(n_folds)])
    xty = np.stack([x[folds == f].T @ y[folds == f] for f in range(n_folds)])
    xtx = xtx.sum(axis=0) - xtx  # each fold's matrix from all other folds
    xty = xty.sum(axis=0) - xty
    pred = np.empty((alphas.size, x.shape[0], y.shape[1]))
    coef = np.empty((n_folds, alphas.size, p, y.shape[1]))
    for f in range(n_folds):
        if exact_inverse:
            diag = np.ones((alphas.size, p)) * alphas[:, None]
            diag[:, :n_fixed] = fixed_penalty
            penalised = xtx[f] + np.stack([np.diag(d) for d in diag])
            coef[f] = np.linalg.inv(penalised) @ xty[f]
        else:
            eye = np.eye(p)
            for i, alpha in enumerate(alphas):
                factor = cho_factor(xtx[f] + alpha * eye, check_finite=False)
                coef[f, i] = cho_solve(factor, xty[f], check_finite=False)
        pred[:, folds == f] = x[folds == f] @ coef[f]
    return pred, coef
