"""Reconstruction metrics for space-borne calorimeters: plain functions on arrays.

References: DAMPE e/p identification (Chang et al., Nature 552 (2017) 63; Droz et al., arXiv:2102.05534), the
track CNN chain (Tykhonov et al., arXiv:2206.04532), saturation correction (arXiv:2507.06626).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy import stats

from showerml.io.records import Record

__all__ = [
    "Rejection", "rejection_at_efficiency", "rejection_per_bin", "roc_rejection", "space_angle", "psf68",
    "impact_resolution", "efficiency", "track_efficiency", "peak_separation", "misidentification",
    "bias_resolution", "confusion_matrix", "accuracy", "binned",
]

_ONE_SIGMA = 0.682689


@dataclass(frozen=True)
class Rejection(Record):
    """Background rejection 1/ε_B at a fixed signal efficiency, with a Clopper–Pearson 68 % interval; for a row of
    :func:`rejection_per_bin`, the bin ``low ≤ x < high`` it was measured in (NaN: not binned)."""

    rejection: float
    rejection_low: float
    rejection_high: float
    eps_b: float
    threshold: float
    n_signal: int
    n_background: int
    n_passed: int
    lower_limit: bool  # no background passed: ``rejection`` is the 68 % CL lower limit
    low: float = math.nan
    high: float = math.nan

    def as_dict(self) -> dict[str, float | int | bool]:
        return asdict(self)


def _clopper_pearson(k: int, n: int, cl: float = _ONE_SIGMA) -> tuple[float, float]:
    a = (1.0 - cl) / 2.0
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1.0 - a, k + 1, n - k))
    return lo, hi


def rejection_at_efficiency(score_signal: np.ndarray, score_background: np.ndarray,
                            efficiency: float = 0.9) -> Rejection:
    """Rejection R = 1/ε_B with ε_B = N_B(s > t)/N_B and t the (1 − ε_S) quantile of the signal scores.

    Larger score = more signal-like. The interval is the Clopper–Pearson 68 % interval of ε_B (binomial, k of N);
    with k = 0 the upper bound of ε_B gives the quoted lower limit on R. Scores ≥ t count as passing.
    """
    s = np.asarray(score_signal, dtype=np.float64)
    b = np.asarray(score_background, dtype=np.float64)
    if len(s) == 0 or len(b) == 0:
        return Rejection(np.nan, np.nan, np.nan, np.nan, np.nan, len(s), len(b), 0, False)
    t = float(np.quantile(s, 1.0 - efficiency, method="lower"))
    k = int((b >= t).sum())
    lo, hi = _clopper_pearson(k, len(b))
    if k == 0:
        return Rejection(1.0 / hi, 1.0 / hi, np.inf, 0.0, t, len(s), len(b), 0, True)
    eps = k / len(b)
    return Rejection(1.0 / eps, 1.0 / hi, 1.0 / lo if lo > 0 else np.inf, eps, t, len(s), len(b), k, False)


def rejection_per_bin(score: np.ndarray, is_signal: np.ndarray, energy: np.ndarray, edges: Sequence[float],
                      efficiency: float = 0.9) -> list[Rejection]:
    """:func:`rejection_at_efficiency` in bins ``edges[i] ≤ energy < edges[i+1]`` (the threshold is set per bin)."""
    out = []
    sig = np.asarray(is_signal, dtype=bool)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (energy >= lo) & (energy < hi)
        r = rejection_at_efficiency(score[m & sig], score[m & ~sig], efficiency)
        out.append(replace(r, low=float(lo), high=float(hi)))
    return out


def roc_rejection(score_signal: np.ndarray, score_background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ε_S, 1/ε_B) along the ROC curve (points with ε_B = 0 dropped), for a log-axis rejection plot."""
    from sklearn.metrics import roc_curve

    y = np.concatenate([np.ones(len(score_signal)), np.zeros(len(score_background))])
    fpr, tpr, _ = roc_curve(y, np.concatenate([score_signal, score_background]))
    ok = fpr > 0
    return tpr[ok], 1.0 / fpr[ok]


def space_angle(slope_a: np.ndarray, slope_b: np.ndarray) -> np.ndarray:
    """Angle (rad) between the directions (k_x, k_y, 1) of two sets of slopes (N, 2): atan2(|a × b|, a · b)."""
    a = np.column_stack([slope_a, np.ones(len(slope_a))])
    b = np.column_stack([slope_b, np.ones(len(slope_b))])
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), (a * b).sum(axis=1))


def psf68(slope_pred: np.ndarray, slope_true: np.ndarray) -> float:
    """PSF68 (degrees): the space angle containing 68 % of the events (Fermi-LAT / DAMPE convention)."""
    if len(slope_pred) == 0:
        return float("nan")
    return float(np.degrees(np.quantile(space_angle(slope_pred, slope_true), 0.68)))


def impact_resolution(intercept_pred: np.ndarray, slope_pred: np.ndarray, intercept_true: np.ndarray,
                      slope_true: np.ndarray, z: float) -> float:
    """68 % containment radius (mm) of the distance between predicted and true track points at depth ``z``."""
    if len(intercept_pred) == 0:
        return float("nan")
    d = (intercept_pred + slope_pred * z) - (intercept_true + slope_true * z)
    return float(np.quantile(np.hypot(d[:, 0], d[:, 1]), 0.68))


def efficiency(passed: np.ndarray) -> tuple[float, float]:
    """(ε, σ_ε) = (k/n, √(ε(1 − ε)/n)) of a boolean array (σ floored at 1/n for ε ∈ {0, 1})."""
    p = np.asarray(passed, dtype=bool)
    n = len(p)
    if n == 0:
        return float("nan"), float("nan")
    e = float(p.mean())
    return e, max(float(np.sqrt(e * (1 - e) / n)), 1.0 / n)


def track_efficiency(distance_mm: np.ndarray, tolerance_mm: float) -> tuple[float, float]:
    """Track-finding efficiency: the fraction of events whose track passes within ``tolerance_mm`` of the truth.

    ``distance_mm`` is NaN (or inf) when no track was found; such events count as failures.
    """
    d = np.asarray(distance_mm, dtype=np.float64)
    return efficiency(np.isfinite(d) & (d < tolerance_mm))


def _robust(x: np.ndarray) -> tuple[float, float]:
    """(median, σ₆₈ = half the 16–84 % range)."""
    q16, q50, q84 = np.quantile(x, [0.15866, 0.5, 0.84134])
    return float(q50), float(0.5 * (q84 - q16))


def peak_separation(z_a: np.ndarray, z_b: np.ndarray) -> float:
    """Separation S = (m_b − m_a)/√(σ_a² + σ_b²) of two charge peaks (medians m, robust widths σ₆₈)."""
    ma, sa = _robust(np.asarray(z_a))
    mb, sb = _robust(np.asarray(z_b))
    return float((mb - ma) / np.sqrt(sa**2 + sb**2 + 1e-12))


def misidentification(z_est: np.ndarray, lower: float, upper: float) -> float:
    """Fraction of events (all of one true charge Z) whose estimate falls outside the window [lower, upper)."""
    z = np.asarray(z_est)
    if len(z) == 0:
        return float("nan")
    return float(((z < lower) | (z >= upper)).mean())


def bias_resolution(pred: np.ndarray, true: np.ndarray) -> tuple[float, float]:
    """(bias, resolution) of r = pred/true − 1: median(r) and half the 16–84 % range of r."""
    r = np.asarray(pred, dtype=np.float64) / np.asarray(true, dtype=np.float64) - 1.0
    if len(r) == 0:
        return float("nan"), float("nan")
    return _robust(r)


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """C[i, j] = number of events of class i predicted as j."""
    c = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(c, (np.asarray(true, int), np.asarray(pred, int)), 1)
    return c


def accuracy(true: np.ndarray, pred: np.ndarray, tolerance: int = 0) -> float:
    """Fraction with |pred − true| ≤ ``tolerance`` (0: exact class)."""
    t, p = np.asarray(true), np.asarray(pred)
    return float((np.abs(t - p) <= tolerance).mean()) if len(t) else float("nan")


def binned(metric: Callable[..., float | tuple[float, ...]], x: np.ndarray, edges: Sequence[float],
           *arrays: np.ndarray, min_count: int = 1) -> list[dict[str, object]]:
    """Apply ``metric(*arrays[mask])`` in bins of ``x``; rows with the bin edges, count and value."""
    out: list[dict[str, object]] = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (x >= lo) & (x < hi)
        n = int(m.sum())
        value = metric(*(a[m] for a in arrays)) if n >= min_count else float("nan")
        out.append({"low": float(lo), "high": float(hi), "n": n, "value": value})
    return out
