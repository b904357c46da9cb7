"""Anomaly-detection figures of merit: ROC, significance improvement, background rejection, bump-hunt significance.

Plain functions on arrays (scores: higher = more signal-like; labels: 1 signal, 0 background).

- Signal efficiency ε_S and background efficiency ε_B of the cut ``score > t``, for every threshold t.
- SIC = ε_S / √ε_B, the factor by which a cut multiplies S/√B (Gallicchio et al., PRL 107 (2011) 172001). It is
  evaluated only where ε_B ≥ max(``eps_b_min``, ``min_background`` / N_B), so that one background event cannot
  dominate (CATHODE, Hallin et al., arXiv:2109.00546, require the ε_B⁻¹ statistical error below 20 %, i.e. ≥ 25
  background events). A random score gives SIC = √ε_B ≤ 1; a perfect one 1/√ε_B,min.
- Rejection R(ε_S) = 1/ε_B at the threshold that keeps a fraction ε_S of the signal. The same statistical floor
  applies: where fewer than ``min_background`` test background events pass the cut, ε_B is not measured and only
  the bound R ≥ N_B / ``min_background`` is reported (flagged, and printed as "≥ x"), never a value.
- Bump hunt: the m_jj histogram outside the signal region is fitted with the dijet function
  f(x) = p0 (1 − x)^p1 / x^(p2 + p3 ln x), x = m_jj/√s (CDF, PRD 79 (2009) 112002; ATLAS arXiv:1703.09127) by a
  binned Poisson likelihood; its integral over the SR gives the expected background b. With n events observed,
  Z = √(2 [n ln(n/b) − (n − b)]) for n > b, else 0 (Cowan et al., EPJC 71 (2011) 1554, eq. 97). The fit
  uncertainty on b is not included.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from sklearn.metrics import roc_auc_score, roc_curve

from showerml.errors import InputError

__all__ = [
    "AnomalyMetrics",
    "BumpHunt",
    "anomaly_metrics",
    "asimov_significance",
    "bump_hunt",
    "dijet_function",
    "efficiencies",
    "format_rejection",
    "max_sic",
    "rejection_at",
    "rejection_bound",
    "sic_curve",
]


def _check(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s, y = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(int)
    if s.shape != y.shape or s.ndim != 1:
        raise InputError(f"scores and labels must be 1-d arrays of one length, got {s.shape} and {y.shape}")
    if not (np.any(y == 1) and np.any(y == 0)):
        raise InputError("metrics need both signal (label 1) and background (label 0) events")
    if not np.all(np.isfinite(s)):
        raise InputError("scores contain NaN or infinite values")
    return s, y


def efficiencies(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ε_S, ε_B) of ``score ≥ t`` over all thresholds t, ε_B increasing."""
    s, y = _check(scores, labels)
    eps_b, eps_s, _ = roc_curve(y, s, drop_intermediate=False)
    return eps_s, eps_b


def _floor(labels: np.ndarray, eps_b_min: float, min_background: int) -> float:
    n_b = int(np.sum(np.asarray(labels) == 0))
    return max(eps_b_min, min_background / n_b)


def sic_curve(
    scores: np.ndarray, labels: np.ndarray, eps_b_min: float = 1e-4, min_background: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """(ε_S, SIC = ε_S/√ε_B) on the thresholds where ε_B is above the floor (see module docstring)."""
    eps_s, eps_b = efficiencies(scores, labels)
    keep = eps_b >= _floor(labels, eps_b_min, min_background)
    return eps_s[keep], eps_s[keep] / np.sqrt(eps_b[keep])


def max_sic(scores: np.ndarray, labels: np.ndarray, eps_b_min: float = 1e-4, min_background: int = 25) -> float:
    """max over thresholds of ε_S/√ε_B with ε_B above the floor."""
    _, sic = sic_curve(scores, labels, eps_b_min, min_background)
    return float(np.max(sic)) if len(sic) else float("nan")


def rejection_at(scores: np.ndarray, labels: np.ndarray, eps_s: float, min_background: int = 1) -> float:
    """1/ε_B at signal efficiency ``eps_s`` (linear interpolation of the ROC curve).

    ε_B is floored at ``min_background``/N_B: below it the value is the lower bound N_B/``min_background``
    (:func:`rejection_bound` says which).
    """
    return rejection_bound(scores, labels, eps_s, min_background)[0]


def rejection_bound(
    scores: np.ndarray, labels: np.ndarray, eps_s: float, min_background: int = 25
) -> tuple[float, bool]:
    """(R, is_lower_bound): R = 1/ε_B at ``eps_s``, or N_B/``min_background`` flagged when fewer background events
    than ``min_background`` pass the cut (ε_B below its statistical floor)."""
    if not 0.0 < eps_s <= 1.0:
        raise InputError(f"signal efficiency must be in (0, 1], got {eps_s}")
    es, eb = efficiencies(scores, labels)
    n_b = int(np.sum(np.asarray(labels) == 0))
    floor = max(min_background, 1) / n_b
    eps_b = float(np.interp(eps_s, es, eb))
    if eps_b < floor:
        return 1.0 / floor, True
    return 1.0 / eps_b, False


def format_rejection(value: float | None, lower_bound: bool) -> str:
    """"≥ 320" for a bound, "45.1" for a measured rejection, "n/a" for none."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"≥ {value:.0f}" if lower_bound else f"{value:.1f}"


@dataclass(frozen=True)
class AnomalyMetrics:
    auc: float
    max_sic: float
    rejection_02: float
    rejection_05: float
    n_signal: int
    n_background: int
    rejection_02_lower_bound: bool = False  # True: fewer than min_background events pass; only R ≥ value is known
    rejection_05_lower_bound: bool = False

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def anomaly_metrics(
    scores: np.ndarray, labels: np.ndarray, eps_b_min: float = 1e-4, min_background: int = 25
) -> AnomalyMetrics:
    """AUC, max SIC, rejection at ε_S = 0.2 and 0.5 (with their lower-bound flags) in one call."""
    s, y = _check(scores, labels)
    r02, b02 = rejection_bound(s, y, 0.2, min_background)
    r05, b05 = rejection_bound(s, y, 0.5, min_background)
    return AnomalyMetrics(
        auc=float(roc_auc_score(y, s)),
        max_sic=max_sic(s, y, eps_b_min, min_background),
        rejection_02=r02,
        rejection_05=r05,
        n_signal=int(np.sum(y == 1)),
        n_background=int(np.sum(y == 0)),
        rejection_02_lower_bound=b02,
        rejection_05_lower_bound=b05,
    )


def _tev(pair: tuple[float, float]) -> str:
    return f"{pair[0] / 1000:g}–{pair[1] / 1000:g} TeV"


def dijet_function(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """f(x) = p0 (1 − x)^p1 / x^(p2 + p3 ln x), with p = (ln p0, p1, p2[, p3])."""
    p3 = p[3] if len(p) > 3 else 0.0
    return np.exp(p[0] + p[1] * np.log1p(-x) - (p[2] + p3 * np.log(x)) * np.log(x))


def asimov_significance(n: float, b: float) -> float:
    """Z = √(2 [n ln(n/b) − (n − b)]) for n > b > 0, else 0 (Cowan et al. 2011, eq. 97)."""
    if b <= 0 or n <= b:
        return 0.0
    return float(np.sqrt(2.0 * (n * np.log(n / b) - (n - b))))


@dataclass(frozen=True)
class BumpHunt:
    n_observed: int
    n_expected: float
    significance: float
    params: tuple[float, ...]
    edges: tuple[float, ...]

    def to_dict(self) -> dict[str, float | int]:
        return {"n_observed": self.n_observed, "n_expected": self.n_expected, "significance": self.significance}


def bump_hunt(
    mjj: np.ndarray,
    sr: tuple[float, float],
    fit_range: tuple[float, float],
    sqrt_s: float = 13000.0,
    bin_width: float = 100.0,
    n_params: int = 3,
) -> BumpHunt:
    """Fit the dijet function to the m_jj histogram (GeV) in ``fit_range`` outside ``sr`` and compare in the SR."""
    lo, hi = fit_range
    if not (lo < sr[0] < sr[1] < hi):
        raise InputError(f"the signal region {_tev(sr)} must lie inside the fit range {_tev(fit_range)}")
    inner = np.arange(sr[0], sr[1] + 0.5 * bin_width, bin_width)
    edges = np.unique(np.concatenate([np.arange(sr[0], lo - 1e-9, -bin_width)[::-1], inner,
                                      np.arange(sr[1], hi + 1e-9, bin_width)]))
    counts, _ = np.histogram(mjj, edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    in_sr = (centres > sr[0]) & (centres < sr[1])
    x, n, width = centres[~in_sr] / sqrt_s, counts[~in_sr], np.diff(edges)[~in_sr]
    if n.sum() < 10:
        raise InputError(f"only {n.sum()} events in the sidebands of the fit range {_tev(fit_range)}; widen it")

    def nll(p: np.ndarray) -> float:
        mu = np.clip(dijet_function(x, p) * width, 1e-12, 1e12)
        return float(np.sum(mu - n * np.log(mu)))

    start = np.zeros(n_params)
    start[1:3] = (10.0, 5.0)
    start[0] = np.log(max(n.sum(), 1) / np.sum(dijet_function(x, start) * width))
    best = minimize(nll, start, method="Nelder-Mead", options={"maxiter": 20000, "xatol": 1e-6, "fatol": 1e-8})
    mu_sr = dijet_function(centres[in_sr] / sqrt_s, best.x) * np.diff(edges)[in_sr]
    n_obs, b = int(counts[in_sr].sum()), float(mu_sr.sum())
    return BumpHunt(n_obs, b, asimov_significance(n_obs, b), tuple(map(float, best.x)), tuple(map(float, edges)))
