"""DCTR: classifier reweighting of a generated sample to a reference (Andreassen & Nachman, Phys. Rev. D 101
(2020) 091901, arXiv:1907.08209).

A classifier D trained to tell the reference (label 1) from the generated sample (label 0) and calibrated by isotonic
regression on held-out events (Zadrozny & Elkan 2002) estimates D = p_ref/(p_ref + p_gen) for balanced classes, so
w(x) = D/(1 − D) = p_ref(x)/p_gen(x) carries the generated sample onto the reference. Weights are *cross-fitted*: the
sample is split in two folds and each fold's weights come from the classifier trained on the other, so no event is
weighted by a classifier that saw it. Reported: the effective sample size ESS = (Σw)²/Σw² (Kish 1965), the separation
power per feature before and after weighting (½ Σ_b (h_b − g_b)²/(h_b + g_b) of the normalised histograms;
CaloChallenge, arXiv:2410.21611), and the AUC of a fresh classifier (on held-out events, weighted) before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from showerml.errors import InputError

__all__ = ["DctrResult", "cross_fitted_weights", "dctr", "ess", "weighted_separation_power"]

_EPS = 1e-4


def ess(w: np.ndarray) -> float:
    """Kish's effective sample size (Σw)²/Σw²."""
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2))


def weighted_separation_power(ref: np.ndarray, gen: np.ndarray, w_gen: np.ndarray | None = None,
                              n_bins: int = 50) -> float:
    """½ Σ (h − g)²/(h + g) of normalised histograms on bins spanning the reference's 0.5–99.5 % range."""
    lo, hi = np.quantile(ref, [0.005, 0.995])
    if hi <= lo:
        hi = lo + 1e-9
    edges = np.linspace(lo, hi, n_bins + 1)
    h = np.histogram(np.clip(ref, lo, hi), edges)[0].astype(float)
    g = np.histogram(np.clip(gen, lo, hi), edges, weights=w_gen)[0].astype(float)
    h, g = h / h.sum(), g / g.sum()
    s = h + g
    return float(0.5 * np.sum(np.divide((h - g) ** 2, s, out=np.zeros_like(s), where=s > 0)))


def _classifier(seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, min_samples_leaf=50,
                                          early_stopping=True, validation_fraction=0.2, random_state=seed)


def _fit_calibrated(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int
                    ) -> tuple[HistGradientBoostingClassifier, IsotonicRegression]:
    """HGB on 75 % of the rows, isotonic calibration on the other 25 %; class weights balanced."""
    rng = np.random.default_rng(seed)
    cal = rng.random(len(y)) < 0.25
    wb = w / np.where(y == 1, w[y == 1].sum(), w[y == 0].sum()) * len(y) / 2
    clf = _classifier(seed).fit(x[~cal], y[~cal], sample_weight=wb[~cal])
    iso = IsotonicRegression(y_min=_EPS, y_max=1 - _EPS, out_of_bounds="clip")
    iso.fit(clf.predict_proba(x[cal])[:, 1], y[cal], sample_weight=wb[cal])
    return clf, iso


def cross_fitted_weights(ref: np.ndarray, gen: np.ndarray, seed: int = 0, folds: int = 2) -> np.ndarray:
    """w = D/(1 − D) per generated event from a calibrated classifier trained on the other folds; Σw = N_gen."""
    if ref.ndim != 2 or gen.ndim != 2 or ref.shape[1] != gen.shape[1]:
        raise InputError(f"reweighting needs two feature matrices of equal width, got {ref.shape} and {gen.shape}")
    if min(len(ref), len(gen)) < 20 * folds:
        raise InputError(f"reweighting needs at least {20 * folds} events per sample")
    rng = np.random.default_rng(seed)
    fr, fg = rng.integers(0, folds, len(ref)), rng.integers(0, folds, len(gen))
    w = np.empty(len(gen))
    for k in range(folds):
        x = np.concatenate([ref[fr != k], gen[fg != k]])
        y = np.concatenate([np.ones((fr != k).sum()), np.zeros((fg != k).sum())])
        clf, iso = _fit_calibrated(x, y, np.ones(len(y)), seed + k)
        d = iso.predict(clf.predict_proba(gen[fg == k])[:, 1])
        w[fg == k] = d / (1 - d)
    return w * len(w) / w.sum()


def _auc(ref: np.ndarray, gen: np.ndarray, w_gen: np.ndarray, seed: int) -> float:
    """AUC of a classifier trained on half the events (weighted) and evaluated, weighted, on the other half."""
    rng = np.random.default_rng([seed, 11])
    x = np.concatenate([ref, gen])
    y = np.concatenate([np.ones(len(ref)), np.zeros(len(gen))])
    w = np.concatenate([np.ones(len(ref)) / len(ref), w_gen / w_gen.sum()]) * len(y) / 2
    test = rng.random(len(y)) < 0.5
    clf = _classifier(seed).fit(x[~test], y[~test], sample_weight=w[~test])
    return float(roc_auc_score(y[test], clf.predict_proba(x[test])[:, 1], sample_weight=w[test]))


@dataclass
class DctrResult:
    weights: np.ndarray = field(repr=False)
    names: list[str]
    separation_before: dict[str, float]
    separation_after: dict[str, float]
    auc_before: float
    auc_after: float
    ess: float
    ess_fraction: float

    @property
    def mean_separation_before(self) -> float:
        return float(np.mean(list(self.separation_before.values())))

    @property
    def mean_separation_after(self) -> float:
        return float(np.mean(list(self.separation_after.values())))

    def as_dict(self) -> dict[str, object]:
        return {"auc_before": self.auc_before, "auc_after": self.auc_after, "ess": self.ess,
                "ess_fraction": self.ess_fraction, "mean_separation_before": self.mean_separation_before,
                "mean_separation_after": self.mean_separation_after, "separation_before": self.separation_before,
                "separation_after": self.separation_after,
                "weights": {"mean": float(self.weights.mean()), "max": float(self.weights.max()),
                            "quantiles_1_50_99": np.quantile(self.weights, [0.01, 0.5, 0.99]).tolist()}}


def dctr(ref: np.ndarray, gen: np.ndarray, names: list[str] | None = None, seed: int = 0) -> DctrResult:
    """Cross-fitted DCTR weights for ``gen`` and the before/after comparison (module docstring); one OpenMP thread
    (spinning threads stall on a shared, oversubscribed machine)."""
    with threadpool_limits(1):
        return _dctr(ref, gen, names, seed)


def _dctr(ref: np.ndarray, gen: np.ndarray, names: list[str] | None, seed: int) -> DctrResult:
    w = cross_fitted_weights(ref, gen, seed)
    names = names or [f"x{i}" for i in range(ref.shape[1])]
    before = {n: weighted_separation_power(ref[:, i], gen[:, i]) for i, n in enumerate(names)}
    after = {n: weighted_separation_power(ref[:, i], gen[:, i], w) for i, n in enumerate(names)}
    e = ess(w)
    return DctrResult(w, names, before, after, _auc(ref, gen, np.ones(len(gen)), seed), _auc(ref, gen, w, seed), e,
                      e / len(w))
