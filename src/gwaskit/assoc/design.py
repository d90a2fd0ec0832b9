"""The covariate design shared by every model: intercept, standardised covariates, helpers.

Covariates are centred and scaled before fitting. This changes no genotype estimate (the
intercept absorbs the centring and a covariate's scale only rescales its own coefficient) and
keeps the normal equations well conditioned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from gwaskit.errors import InputError


@dataclass(frozen=True)
class Design:
    """Phenotype and covariate matrix of the analysed samples.

    Attributes
    ----------
    y
        float64 ``(n,)``; 0/1 for a binary trait.
    x
        float64 ``(n, k)``: a column of ones, then the standardised covariates.
    binary
        Whether ``y`` is case/control.
    """

    y: np.ndarray
    x: np.ndarray
    binary: bool

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def k(self) -> int:
        return int(self.x.shape[1])


def make_design(
    y: np.ndarray, covariates: np.ndarray | None = None, *, binary: bool, source: str = "covariates"
) -> Design:
    """Build the design: intercept plus centred, unit-variance covariates.

    Raises :class:`InputError` when the covariates are collinear (with each other or the
    intercept), since no per-variant model could then be fitted.
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    cov = np.empty((n, 0)) if covariates is None else np.asarray(covariates, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != n:
        raise ValueError(f"covariates must have shape ({n}, k), got {cov.shape}")
    centred = cov - cov.mean(axis=0)
    scale = centred.std(axis=0)
    if np.any(scale == 0):
        raise InputError(source, "a covariate is constant among the analysed samples.")
    x = np.hstack([np.ones((n, 1)), centred / scale])
    if x.shape[1] > 1:
        singular = np.linalg.svd(x, compute_uv=False)
        if singular[-1] < 1e-8 * singular[0]:
            raise InputError(
                source,
                "the covariates are collinear (one is a linear combination of the others and "
                "the intercept); drop one of them.",
            )
    if x.shape[1] >= n:
        raise InputError(source, f"{x.shape[1]} parameters for only {n} samples.")
    return Design(y=y, x=np.ascontiguousarray(x), binary=binary)


def pair_index(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the upper triangle (with diagonal) of a k x k matrix."""
    return np.triu_indices(k)


def pair_products(x: np.ndarray) -> np.ndarray:
    """``(n, k(k+1)/2)`` products ``x[:, a] * x[:, b]`` for ``a <= b``.

    ``pair_products(x).T @ w`` gives, for every column of weights ``w`` ``(n, m)``, the upper
    triangle of ``x.T @ diag(w[:, v]) @ x``: the per-variant Gram matrices as one matrix product.
    """
    ia, ib = pair_index(x.shape[1])
    return np.ascontiguousarray(x[:, ia] * x[:, ib])


def unpack_symmetric(packed: np.ndarray, k: int) -> np.ndarray:
    """``(k(k+1)/2, m)`` upper triangles to ``(m, k, k)`` symmetric matrices."""
    ia, ib = pair_index(k)
    m = packed.shape[1]
    out = np.empty((m, k, k))
    out[:, ia, ib] = packed.T
    out[:, ib, ia] = packed.T
    return out


def split_missing(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 dosages with missing calls set to 0, and the 0/1 mask of calls."""
    g = np.asarray(g)
    missing = np.isnan(g)
    g0 = np.where(missing, 0.0, g).astype(np.float64, copy=False)
    return g0, (~missing).astype(np.float64)


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
def impute_kernel(g, y, w, gi, n_obs, sum_g, cases, gwg):  # pragma: no cover - compiled
    """Mean-impute the columns of ``g`` ``(n, m)`` into the float64 ``gi``; per column, the
    number of calls, their dosage sum, ``y`` summed over them and ``sum_i w_i gi_i^2``.

    The sums are reassociated (vectorised): only their rounding differs from a sequential sum.
    """
    n, m = g.shape
    for j in range(m):
        count = 0.0
        total = 0.0
        c = 0.0
        for i in range(n):
            v = np.float64(g[i, j])
            ok = v == v
            count += 1.0 if ok else 0.0
            total += v if ok else 0.0
            c += y[i] if ok else 0.0
        mean = total / count if count > 0 else 0.0
        acc = 0.0
        for i in range(n):
            v = np.float64(g[i, j])
            x = v if v == v else mean
            gi[i, j] = x
            acc += w[i] * x * x
        n_obs[j] = count
        sum_g[j] = total
        cases[j] = c
        gwg[j] = acc


def impute_block(
    g: np.ndarray, y: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean-impute missing calls in one compiled pass over a block ``(n, m)``.

    Returns the float64 Fortran-ordered imputed dosages and, per variant, the number of calls,
    the dosage sum over the calls, ``y`` summed over the calls (the cases with a call, for 0/1
    ``y``) and ``sum_i w_i g_i^2`` of the imputed dosages.
    """
    g = np.asfortranarray(g)
    n, m = g.shape
    gi = np.empty((n, m), order="F")
    n_obs, sum_g, cases, gwg = (np.empty(m) for _ in range(4))
    impute_kernel(
        g, np.asarray(y, np.float64), np.asarray(w, np.float64), gi, n_obs, sum_g, cases, gwg
    )
    return gi, n_obs, sum_g, cases, gwg
