"""The shower model TA's standard SD reconstruction fits: lateral distribution, Linsley front, their uncertainties.

- LDF (AGASA form as modified by TA; Abu-Zayyad et al., ApJL 768 (2013) L1, Eq. 1–2; Ivanov et al.,
  arXiv:2005.07117, Eq. 2): f(r) = (r/R_M)^-1.2 (1 + r/R_M)^-(η-1.2) (1 + r²/R_1²)^-0.6, R_M = 90 m, R_1 = 1000 m,
  η = 3.97 - 1.79 (sec θ - 1); S(r) = S800 · LDF(r), LDF(r) = f(r)/f(800 m).
- Front (modified Linsley; Ivanov et al. arXiv:2005.07117, Eq. 1; Linsley, J. Phys. G 12 (1986) 51):
  t = t0 + t_plane + a (1 + r/R_L)^1.5 LDF(r)^-0.5, R_L = 30 m; t_plane = -(x - x_core)·n̂/c with n̂ the unit vector
  towards the arrival direction (θ, φ) and r the distance of the station from the axis.
- Density uncertainty σ_ρ² = 0.56 ρ + 6.3·10⁻³ ρ² (ρ in VEM/m²) [recalled, not verified: the TA LDF fit,
  D. Ivanov, PhD thesis, Rutgers (2012); check before quoting].
- Time uncertainty: the 20 ns FADC bin (σ = 20/√12 ns) in quadrature with Linsley's disk thickness
  σ_L = 1.6 ns (1 + r/30 m)^1.5 (Linsley 1986) reduced by √n for the first of n ≈ ρ·3 m² particles.
"""

from __future__ import annotations

import numpy as np

from showerml.reco.ta_stations import AREA_M2

__all__ = ["R_M", "R_1", "R_L", "R_REF", "C_M_PER_NS", "eta", "ldf", "axis", "shower_frame", "linsley_delay",
           "sigma_density", "sigma_time"]

R_M, R_1, R_L, R_REF = 90.0, 1000.0, 30.0, 800.0
C_M_PER_NS = 0.299792458
_BIN_NS = 20.0
_LINSLEY_NS = 1.6
_R_MIN = 1.0  # m: the LDF diverges at the axis; distances are floored here


def eta(theta: np.ndarray | float) -> np.ndarray:
    """η(θ) = 3.97 − 1.79 (sec θ − 1)."""
    return 3.97 - 1.79 * (1.0 / np.cos(np.asarray(theta, np.float64)) - 1.0)


def _f(r: np.ndarray, e: np.ndarray) -> np.ndarray:
    x = r / R_M
    return np.power(x, -1.2) * np.power(1.0 + x, -(e - 1.2)) * np.power(1.0 + (r / R_1) ** 2, -0.6)


def ldf(r: np.ndarray | float, theta: np.ndarray | float) -> np.ndarray:
    """LDF(r) = f(r)/f(800 m) at zenith θ (broadcasting)."""
    r = np.maximum(np.asarray(r, np.float64), _R_MIN)
    e = eta(theta)
    return _f(r, e) / _f(np.full_like(r, R_REF), e)


def axis(theta: np.ndarray | float, phi: np.ndarray | float) -> np.ndarray:
    """Unit vector(s) towards the arrival direction, (..., 3)."""
    t, p = np.asarray(theta, np.float64), np.asarray(phi, np.float64)
    return np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)


def shower_frame(xy: np.ndarray, core: np.ndarray, theta: float, phi: float) -> tuple[np.ndarray, np.ndarray]:
    """(distance along n̂ towards the source, distance from the axis) of ground stations (M, 2) for one event."""
    n = axis(theta, phi)
    d = xy - core
    along = d[:, 0] * n[0] + d[:, 1] * n[1]
    perp2 = d[:, 0] ** 2 + d[:, 1] ** 2 - along**2
    return along, np.sqrt(np.maximum(perp2, 0.0))


def linsley_delay(r: np.ndarray, theta: float, a: float) -> np.ndarray:
    """a (1 + r/R_L)^1.5 LDF(r)^-0.5, ns for ``a`` in ns."""
    return a * np.power(1.0 + r / R_L, 1.5) / np.sqrt(ldf(r, theta))


def sigma_density(rho: np.ndarray) -> np.ndarray:
    """σ_ρ (VEM/m²) of a measured or expected density ρ; floored at the 1-particle level."""
    rho = np.maximum(np.asarray(rho, np.float64), 1.0 / AREA_M2)
    return np.sqrt(0.56 * rho + 6.3e-3 * rho**2)


def sigma_time(r: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """σ_t (ns) = √((20/√12)² + σ_L(r)²/n), n = max(ρ·3 m², 1)."""
    n = np.maximum(np.asarray(rho, np.float64) * AREA_M2, 1.0)
    thick = _LINSLEY_NS * np.power(1.0 + np.asarray(r, np.float64) / R_L, 1.5)
    return np.sqrt((_BIN_NS**2) / 12.0 + thick**2 / n)
