"""Fit of a smoothly broken power law (:class:`~showerml.inference.spectra.BrokenPowerLaw`, Δ fixed) to binned
counts: least squares of (nᵢ − N fᵢ(γ₁, γ₂, E_b))/σᵢ with the per-bin errors σᵢ (bootstrap errors for unfolded
spectra, √n for a truth histogram); parameter errors from the Jacobian at the minimum (scipy ``least_squares``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy.optimize import least_squares

from showerml.errors import InputError
from showerml.inference.spectra import BrokenPowerLaw

__all__ = ["SpectralFit", "fit_broken_power_law"]


@dataclass
class SpectralFit:
    gamma1: float
    gamma1_err: float
    gamma2: float
    gamma2_err: float
    e_break: float
    e_break_err: float
    chi2_ndf: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def fit_broken_power_law(edges: np.ndarray, counts: np.ndarray, errors: np.ndarray,
                         start: BrokenPowerLaw) -> SpectralFit:
    """Fit γ₁, γ₂, E_b and the normalisation to ``counts`` ± ``errors`` in the bins ``edges`` (GeV)."""
    n, s = np.asarray(counts, dtype=float), np.asarray(errors, dtype=float)
    if len(n) < 5 or (s <= 0).any():
        raise InputError("a broken-power-law fit needs at least 5 bins with positive errors")

    def residuals(p: np.ndarray) -> np.ndarray:
        law = replace(start, gamma1=p[0], gamma2=p[1], e_break=float(np.exp(p[2])))
        return (n - np.exp(p[3]) * law.bin_fractions(edges)) / s

    p0 = np.array([start.gamma1, start.gamma2, np.log(start.e_break), np.log(n.sum())])
    fit = least_squares(residuals, p0, bounds=([1.0, 1.0, np.log(edges[1]), 0.0],
                                               [6.0, 8.0, np.log(edges[-2]), np.log(n.sum()) + 5]))
    cov = np.linalg.pinv(fit.jac.T @ fit.jac)
    err = np.sqrt(np.clip(np.diag(cov), 0, None))
    eb = float(np.exp(fit.x[2]))
    return SpectralFit(float(fit.x[0]), float(err[0]), float(fit.x[1]), float(err[1]), eb, eb * float(err[2]),
                       float(2 * fit.cost / max(len(n) - 4, 1)))
