"""Whole-genome regression on in-memory arrays: level 0 over blocks, level 1, LOCO.

:func:`wgr_arrays` is the array kernel :mod:`gwaskit.wgr.model` calls block by block on files;
with ``flavour="glow"`` it reproduces Glow WGR 0.5 (and sgkit's ``regenie_transform`` with its
``_glow_adj_*`` flags): genotypes scaled with SD ddof 1, covariates kept in every ridge with
penalty 1, fixed-size sample blocks as folds, level-1 predictors rescaled within each fold and
the level-1 grid sized with the number of phenotypes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from gwaskit.wgr.ridge import (
    ridge_cv_predict,
    shrinkage_grid,
    standardise,
)
from gwaskit.wgr.stack import Stacked, loco_predictions, stack_logistic, stack_ridge

FLAVOURS = ("regenie", "glow")


@dataclass(frozen=True)
class WgrFit:
    """Level-1 results of every phenotype.

    Attributes
    ----------
    contigs
        The contigs with a LOCO prediction (sorted, as given in ``block_contigs``).
    loco
        LOCO predictions ``(n_contigs, n, q)``: on the phenotype's standardised residual scale
        (quantitative) or the logit scale without the covariate offset (binary).
    prediction
        Whole-genome out-of-fold predictions ``(n, q)`` on the same scales.
    stacked
        The level-1 model of each phenotype.
    """

    contigs: np.ndarray
    loco: np.ndarray
    prediction: np.ndarray
    stacked: tuple[Stacked, ...]


def level0_block(
    g: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    alphas: np.ndarray,
    *,
    fixed: np.ndarray | None = None,
    flavour: str = "regenie",
) -> np.ndarray:
    """Level-0 predictions ``(a, n, q)`` of one block of standardised genotypes ``g``
    ``(n, m)`` for the phenotypes ``y`` ``(n, q)`` (covariates already projected out, or kept
    as ``fixed`` columns in Glow's layout)."""
    glow = flavour == "glow"
    x = g if fixed is None else np.hstack([fixed, g])
    n_fixed = 0 if fixed is None else fixed.shape[1]
    return ridge_cv_predict(x, y, folds, alphas, n_fixed=n_fixed, exact_inverse=glow)[0]


def rescale_level0(pred: np.ndarray, folds: np.ndarray, *, flavour: str) -> np.ndarray:
    """Standardise level-0 predictions ``(b, a, n, q)`` over samples: within each fold for
    Glow (its quirk, glow issue 260), over all samples for REGENIE."""
    if flavour != "glow":
        mean = pred.mean(axis=2, keepdims=True)
        sd = pred.std(axis=2, keepdims=True)
        return np.divide(pred - mean, sd, out=np.zeros_like(pred), where=sd > 0)
    out = np.empty_like(pred)
    for f in range(int(folds.max()) + 1):
        part = pred[:, :, folds == f]
        out[:, :, folds == f] = (part - part.mean(axis=2, keepdims=True)) / part.std(
            axis=2, keepdims=True
        )
    return out


def level1(
    pred0: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    block_contigs: np.ndarray,
    *,
    binary: np.ndarray | None = None,
    offsets: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    alphas: np.ndarray | None = None,
    flavour: str = "regenie",
) -> WgrFit:
    """Stack level-0 predictions ``(b, a, n, q)`` per phenotype and form LOCO predictions.

    ``binary`` ``(q,)`` marks case/control phenotypes (``y`` 0/1, ``offsets`` ``(n, q)`` their
    covariate-only logits); the others are stacked by ridge regression.
    """
    glow = flavour == "glow"
    n_blocks, n_alpha0, n, q = pred0.shape
    w_all = rescale_level0(pred0, folds, flavour=flavour)
    p = n_blocks * n_alpha0
    if alphas is None:
        alphas = shrinkage_grid(p * q if glow else p, glow=glow)
    binary = np.zeros(q, dtype=bool) if binary is None else binary
    stacked = []
    contigs = np.unique(block_contigs)
    loco = np.empty((contigs.size, n, q))
    prediction = np.empty((n, q))
    for j in range(q):
        w = w_all[:, :, :, j].transpose(2, 0, 1).reshape(n, p)  # block-major, alpha-minor
        if binary[j]:
            assert offsets is not None
            fit = stack_logistic(w, y[:, j], offsets[:, j], folds, alphas)
        else:
            fit = stack_ridge(w, y[:, j], folds, alphas, fixed=fixed, exact_inverse=glow)
        stacked.append(fit)
        prediction[:, j] = fit.prediction
        loco[:, :, j] = loco_predictions(w, fit, folds, block_contigs, n_alpha0, fixed=fixed)
    return WgrFit(contigs, loco, prediction, tuple(stacked))


def block_starts(contigs: np.ndarray, size: int) -> np.ndarray:
    """Start index of each block of at most ``size`` consecutive variants, never across a
    contig boundary (``contigs`` sorted by contig)."""
    breaks = np.flatnonzero(np.diff(contigs)) + 1
    edges = np.concatenate([[0], breaks, [contigs.size]])
    return np.concatenate([np.arange(a, b, size) for a, b in itertools.pairwise(edges)])


def wgr_arrays(
    g: np.ndarray,
    y: np.ndarray,
    contigs: np.ndarray,
    *,
    covariates: np.ndarray | None = None,
    block_size: int = 1000,
    folds: np.ndarray,
    alphas0: np.ndarray | None = None,
    alphas1: np.ndarray | None = None,
    flavour: str = "regenie",
) -> tuple[np.ndarray, WgrFit]:
    """Levels 0 and 1 for quantitative phenotypes on arrays; see the module docstring.

    ``g`` ``(n, m)`` dosages (no missing), ``y`` ``(n, q)``, ``contigs`` ``(m,)`` sorted
    integer codes. Returns the level-0 predictions ``(b, a, n, q)`` and the level-1 fit.
    In the ``"regenie"`` flavour the covariates (with an intercept) are projected out of the
    phenotypes and genotypes first and everything is scaled to unit variance.
    """
    glow = flavour == "glow"
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {FLAVOURS}, got {flavour!r}")
    starts = block_starts(contigs, block_size)
    stops = np.append(starts[1:], contigs.size)
    if glow:
        gs = standardise(g, ddof=1)
        ys = standardise(y)
        fixed = None if covariates is None else standardise(covariates)
    else:
        n = y.shape[0]
        x = np.ones((n, 1)) if covariates is None else np.hstack([np.ones((n, 1)), covariates])
        qx = np.linalg.qr(x)[0]
        ys = standardise(y - qx @ (qx.T @ y))
        gs = standardise(g - qx @ (qx.T @ g))
        fixed = None
    if alphas0 is None:
        alphas0 = shrinkage_grid(g.shape[1], glow=glow)
    pred0 = np.stack(
        [
            level0_block(gs[:, a:b], ys, folds, alphas0, fixed=fixed, flavour=flavour)
            for a, b in zip(starts, stops, strict=True)
        ]
    )
    fit = level1(
        pred0,
        ys,
        folds,
        contigs[starts],
        fixed=fixed,
        alphas=alphas1,
        flavour=flavour,
    )
    return pred0, fit
