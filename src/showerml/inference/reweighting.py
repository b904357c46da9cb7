"""Density ratios from a classifier: the likelihood-ratio trick.

A classifier D(x) trained with binary cross-entropy to tell sample 1 (weights w₁) from sample 0 (weights w₀), with the
two classes' total weights made equal, converges to D = p₁/(p₁ + p₀), so D/(1 − D) = p₁(x)/p₀(x) (Neyman–Pearson;
Cranmer et al., arXiv:1506.02169; DCTR, Andreassen & Nachman, arXiv:1907.08209). Here the classifier is scikit-learn's
histogram gradient boosting (log-loss, so its outputs are probabilities) on the standardised features.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from showerml.errors import InputError

__all__ = ["density_ratio"]

_CLIP = 1e-6


def density_ratio(x0: np.ndarray, x1: np.ndarray, w0: np.ndarray | None = None, w1: np.ndarray | None = None,
                  evaluate: np.ndarray | None = None, seed: int = 0, max_iter: int = 100,
                  min_samples_leaf: int = 200) -> np.ndarray:
    """p₁/p₀ (each normalised) at ``evaluate`` (default: the points x0)."""
    a, b = np.asarray(x0, dtype=float), np.asarray(x1, dtype=float)
    a, b = (a[:, None] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)
    if a.shape[1] != b.shape[1] or len(a) < 10 or len(b) < 10:
        raise InputError(f"a density ratio needs two samples (≥ 10 events) of equal width, got {a.shape}, {b.shape}")
    wa = np.ones(len(a)) if w0 is None else np.asarray(w0, dtype=float)
    wb = np.ones(len(b)) if w1 is None else np.asarray(w1, dtype=float)
    x = np.concatenate([a, b])
    y = np.concatenate([np.zeros(len(a)), np.ones(len(b))])
    w = np.concatenate([wa / wa.sum(), wb / wb.sum()]) * (len(a) + len(b)) / 2
    clf = HistGradientBoostingClassifier(max_iter=max_iter, min_samples_leaf=min_samples_leaf, random_state=seed,
                                         early_stopping=False)
    e = a if evaluate is None else (evaluate[:, None] if np.ndim(evaluate) == 1 else np.asarray(evaluate))
    with threadpool_limits(1):  # OpenMP's spinning threads stall on a shared, oversubscribed machine
        clf.fit(x, y, sample_weight=w)
        d = np.clip(clf.predict_proba(e)[:, 1], _CLIP, 1 - _CLIP)
    return d / (1 - d)
