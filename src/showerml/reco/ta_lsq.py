"""One χ² minimisation with fit errors, shared by the TA geometry and LDF fits.

χ²(p) = Σ_i r_i(p)², r_i the residual over its uncertainty, minimised with scipy's Levenberg–Marquardt
(MINPACK; Moré, Lecture Notes in Math. 630 (1978) 105). The parameter covariance is the inverse of
the Gauss–Newton Hessian at the minimum, V = (JᵀJ)⁻¹ (J = ∂r/∂p), which is what MIGRAD/HESSE give for a χ²
(James & Roos, Comput. Phys. Commun. 10 (1975) 343); errors are √diag V, not rescaled by χ²/ndf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

__all__ = ["LsqResult", "minimise"]


@dataclass(frozen=True)
class LsqResult:
    params: np.ndarray
    errors: np.ndarray
    cov: np.ndarray
    chi2: float
    ndf: int
    ok: bool


def minimise(residuals: Callable[[np.ndarray], np.ndarray], p0: np.ndarray,
             x_scale: np.ndarray | None = None) -> LsqResult:
    """Minimise Σ residuals(p)² from ``p0`` (Levenberg–Marquardt, MINPACK; parameters unbounded — callers map
    bounded quantities inside ``residuals``); ok = converged, ndf > 0 and V finite."""
    p0 = np.asarray(p0, np.float64)

    def safe(p: np.ndarray) -> np.ndarray:
        r = residuals(p)
        return np.where(np.isfinite(r), r, 1e6)

    res = least_squares(safe, p0, method="lm", x_scale="jac" if x_scale is None else x_scale,
                        max_nfev=100 * (len(p0) + 1))
    jac = res.jac
    ndf = int(len(res.fun) - len(p0))
    try:
        cov = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        cov = np.full((len(p0), len(p0)), np.nan)
    diag = np.diag(cov)
    errors = np.sqrt(np.where(diag >= 0, diag, np.nan))
    ok = bool(res.success and ndf > 0 and np.isfinite(errors).all())
    return LsqResult(res.x, errors, cov, float(2.0 * res.cost), ndf, ok)
