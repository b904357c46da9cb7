"""The figures of merit of the TA-like SD reconstruction (issue 21), as plain functions on per-event arrays.

- 68 % opening angle between reconstructed and true arrival directions (TA's angular resolution).
- Explained variance of the standard reconstruction's error, EV = 1 − Var(e − ê)/Var(e), e = true − standard, ê the
  network's estimate of e (Ivanov et al., arXiv:2005.07117, Sec. 4 uses it for the zenith-angle error).
- ΔE/E bias and resolution: median and half the 16–84 % range of E_rec/E_true − 1
  (:func:`showerml.metrics.reco.bias_resolution`), overall and per bin of log10(E_true/eV).
- Δcos θ: half the 16–84 % range of cos θ_rec − cos θ_true.
- Composition fractions of a mixture: the classifier's mean class probabilities p̄ unfolded with the response
  matrix R_jk = ⟨p_j⟩ over validation events of true class k (R f = p̄, f ≥ 0, Σ f = 1; a least-squares solution
  by NNLS with the sum constraint as a heavily weighted row), so that a classifier trained on another prior still
  returns unbiased fractions (Kalashev et al., arXiv:2112.02072 quote the fractions' absolute errors).
- ⟨ln A⟩ resolution: the standard deviation of ln A_rec − ln A_true per event (hadrons only).
- Photon efficiency vs hadron rejection: the hadron rejection 1/ε_B at a given photon efficiency
  (:func:`showerml.metrics.reco.rejection_at_efficiency`).
"""

from __future__ import annotations

import numpy as np

from showerml.metrics import reco as M

__all__ = ["opening_angle_deg", "psf68_deg", "explained_variance", "energy_bias_resolution", "dcos_theta_68",
           "response_matrix", "unfold_fractions", "mixture_fraction_errors", "ln_a_resolution",
           "photon_rejection", "LOG10E_EDGES"]

#: log10(E/eV) bins of the energy figures
LOG10E_EDGES = (18.0, 18.5, 19.0, 19.5, 20.0, 20.6)


def _axis(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    t, p = np.asarray(theta, np.float64), np.asarray(phi, np.float64)
    return np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)


def opening_angle_deg(theta1: np.ndarray, phi1: np.ndarray, theta2: np.ndarray, phi2: np.ndarray) -> np.ndarray:
    """Angle (deg) between the directions (θ1, φ1) and (θ2, φ2)."""
    c = (_axis(theta1, phi1) * _axis(theta2, phi2)).sum(-1)
    return np.asarray(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def psf68_deg(angle_deg: np.ndarray) -> float:
    """68 % quantile of opening angles (NaN when empty)."""
    a = np.asarray(angle_deg, np.float64)
    return float(np.quantile(a, 0.68)) if len(a) else float("nan")


def explained_variance(error: np.ndarray, estimate: np.ndarray) -> float:
    """1 − Var(error − estimate)/Var(error) (1: the error is fully predicted; ≤ 0: no better than nothing)."""
    e, p = np.asarray(error, np.float64), np.asarray(estimate, np.float64)
    if len(e) < 2 or np.var(e) == 0:
        return float("nan")
    return float(1.0 - np.var(e - p) / np.var(e))


def energy_bias_resolution(e_rec: np.ndarray, e_true: np.ndarray) -> tuple[float, float]:
    """(median, half 16–84 % range) of E_rec/E_true − 1."""
    return M.bias_resolution(e_rec, e_true)


def dcos_theta_68(theta_rec: np.ndarray, theta_true: np.ndarray) -> float:
    """Half the 16–84 % range of cos θ_rec − cos θ_true."""
    d = np.cos(np.asarray(theta_rec, np.float64)) - np.cos(np.asarray(theta_true, np.float64))
    if len(d) == 0:
        return float("nan")
    q16, q84 = np.quantile(d, [0.16, 0.84])
    return float(0.5 * (q84 - q16))


def response_matrix(prob: np.ndarray, label: np.ndarray, n_classes: int) -> np.ndarray:
    """R[j, k] = mean probability of class j over events of true class k (columns sum to 1)."""
    r = np.zeros((n_classes, n_classes))
    for k in range(n_classes):
        sel = label == k
        r[:, k] = prob[sel].mean(0) if sel.any() else np.eye(n_classes)[k]
    return r


def unfold_fractions(prob: np.ndarray, response: np.ndarray) -> np.ndarray:
    """Fractions f ≥ 0, Σ f = 1, that best explain the mean probabilities of a mixture: R f ≈ p̄."""
    from scipy.optimize import nnls

    k = response.shape[1]
    pbar = np.asarray(prob, np.float64).mean(0)
    a = np.vstack([response, 100.0 * np.ones((1, k))])
    b = np.concatenate([pbar, [100.0]])
    f, _ = nnls(a, b)
    return np.asarray(f / max(f.sum(), 1e-12))


def mixture_fraction_errors(prob: np.ndarray, label: np.ndarray, response: np.ndarray, per_class: int,
                            n_mixtures: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Equal-fraction test mixtures of ``per_class`` events per class drawn (without replacement within a mixture)
    from the test events: (mean unfolded fractions (K,), RMS over mixtures of the fraction error (K,))."""
    rng = np.random.default_rng(seed)
    k = response.shape[1]
    by_class = [np.flatnonzero(label == c) for c in range(k)]
    if min(len(b) for b in by_class) < per_class:
        raise ValueError(f"need {per_class} test events of every class for the mixtures")
    est = []
    for _ in range(n_mixtures):
        idx = np.concatenate([rng.choice(b, per_class, replace=False) for b in by_class])
        est.append(unfold_fractions(prob[idx], response))
    e = np.array(est)
    return e.mean(0), np.sqrt(((e - 1.0 / k) ** 2).mean(0))


def ln_a_resolution(ln_a_rec: np.ndarray, ln_a_true: np.ndarray) -> float:
    """Standard deviation of ln A_rec − ln A_true."""
    d = np.asarray(ln_a_rec, np.float64) - np.asarray(ln_a_true, np.float64)
    return float(np.std(d)) if len(d) > 1 else float("nan")


def photon_rejection(score: np.ndarray, is_photon: np.ndarray, efficiency: float = 0.5) -> M.Rejection:
    """Hadron rejection 1/ε_B at photon efficiency ``efficiency`` (larger score = more photon-like)."""
    s = np.asarray(score, np.float64)
    y = np.asarray(is_photon, bool)
    return M.rejection_at_efficiency(s[y], s[~y], efficiency)
