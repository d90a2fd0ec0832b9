"""Block jackknife for least squares and for ratios, as LD score regression uses it.

The variants are cut into ``n_blocks`` contiguous blocks (in genome order, so that a block holds
variants in LD with each other and the blocks are roughly independent). Each block is left out in
turn; the *delete values* are the estimates without that block, the *pseudovalues*
``B * est - (B - 1) * delete``, and the covariance of the estimate is the covariance of the
pseudovalues divided by ``B`` (Künsch 1989, doi:10.1214/aos/1176347265; Bulik-Sullivan et al.
2015, doi:10.1038/ng.3211, Supplementary Note). Least-squares delete values come from the
per-block ``X'X`` and ``X'y`` without refitting: ``solve(XtX - XtX_b, Xty - Xty_b)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class JackknifeFit:
    """A least-squares fit with its block-jackknife covariance.

    Attributes
    ----------
    est
        Estimate on all data, shape ``(p,)``.
    delete_values
        Estimates with each block left out, shape ``(n_blocks, p)``.
    cov
        Jackknife covariance of ``est``, shape ``(p, p)``.
    separators
        Block boundaries, shape ``(n_blocks + 1,)``: block ``b`` is rows
        ``separators[b]:separators[b + 1]``.
    """

    est: np.ndarray
    delete_values: np.ndarray
    cov: np.ndarray
    separators: np.ndarray

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def block_separators(n: int, n_blocks: int) -> np.ndarray:
    """Boundaries of ``n_blocks`` nearly equal contiguous blocks of ``n`` rows (as LDSC)."""
    return np.floor(np.linspace(0, n, n_blocks + 1)).astype(np.int64)


def pseudovalue_cov(est: np.ndarray, delete_values: np.ndarray) -> np.ndarray:
    """Jackknife covariance from delete values: ``cov(pseudovalues) / n_blocks``."""
    n_blocks = delete_values.shape[0]
    pseudo = n_blocks * est[None, :] - (n_blocks - 1) * delete_values
    return np.atleast_2d(np.cov(pseudo.T, ddof=1) / n_blocks)


def lstsq_jackknife(x: np.ndarray, y: np.ndarray, separators: np.ndarray) -> JackknifeFit:
    """Least squares of ``y`` on ``x`` with block-jackknife delete values.

    Parameters
    ----------
    x
        Design, shape ``(n, p)``.
    y
        Response, shape ``(n,)``.
    separators
        Block boundaries from :func:`block_separators` (or mapped from a subset).
    """
    starts = separators[:-1]
    xtx_blocks = np.stack([x[a:b].T @ x[a:b] for a, b in itertools.pairwise(separators)])
    xty_blocks = np.add.reduceat(x * y[:, None], starts, axis=0)
    # reduceat gives row `a` itself for an empty block; blocks are never empty here (n >= B)
    xtx = xtx_blocks.sum(axis=0)
    xty = xty_blocks.sum(axis=0)
    est = np.linalg.solve(xtx, xty)
    delete = np.linalg.solve(xtx[None] - xtx_blocks, (xty[None] - xty_blocks)[..., None])[..., 0]
    return JackknifeFit(est, delete, pseudovalue_cov(est, delete), np.asarray(separators))


@dataclass(frozen=True)
class RatioFit:
    """A ratio estimate with its jackknife covariance (``est``, ``cov``, ``se``)."""

    est: np.ndarray
    cov: np.ndarray

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def ratio_jackknife(est: np.ndarray, numer: np.ndarray, denom: np.ndarray) -> RatioFit:
    """Jackknife of a ratio from the delete values of its numerator and denominator.

    Pseudovalues are ``B * est - (B - 1) * numer_b / denom_b`` (LDSC's ``RatioJackknife``).
    """
    n_blocks = numer.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        pseudo = n_blocks * est[None, :] - (n_blocks - 1) * numer / denom
    return RatioFit(est, np.atleast_2d(np.cov(pseudo.T, ddof=1) / n_blocks))
