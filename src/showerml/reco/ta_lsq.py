"""One χ² minimisation with fit errors, shared by the TA geometry and LDF fits.

χ²(p) = Σ_i r_i(p)², r_i the residual over its uncertainty. Two minimisers (:data:`BACKENDS`):

- ``"minuit"``: MINUIT's MIGRAD then HESSE through iminuit (James & Roos, Comput. Phys. Commun. 10 (1975) 343;
  Dembinski et al., iminuit, doi:10.5281/zenodo.3949207), errordef 1 for a χ²; the covariance is HESSE's inverse
  of the numerical second-derivative matrix, the HEP convention.
- ``"lm"``: scipy's Levenberg–Marquardt (MINPACK; Moré, Lecture Notes in Math. 630 (1978) 105) on the residual
  vector; covariance V = (JᵀJ)⁻¹ (J = ∂r/∂p), the Gauss–Newton Hessian — what HESSE gives for a χ² up to the
  second-derivative terms of the residuals, which vanish at a good fit.

Errors are √diag V, not rescaled by χ²/ndf. :data:`DEFAULT_BACKEND` is what the reconstruction uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

__all__ = ["LsqResult", "minimise", "BACKENDS", "DEFAULT_BACKEND"]

BACKENDS = ("minuit", "lm")
DEFAULT_BACKEND = "lm"


@dataclass(frozen=True)
class LsqResult:
    params: np.ndarray
    errors: np.ndarray
    cov: np.ndarray
    chi2: float
    ndf: int
    ok: bool


def minimise(residuals: Callable[[np.ndarray], np.ndarray], p0: np.ndarray,
             x_scale: np.ndarray | None = None, backend: str | None = None) -> LsqResult:
    """Minimise Σ residuals(p)² from ``p0`` (parameters unbounded — callers map bounded quantities inside
    ``residuals``; ``x_scale``: typical parameter steps); ok = converged, ndf > 0 and V finite."""
    p0 = np.asarray(p0, np.float64)
    backend = backend or DEFAULT_BACKEND

    def safe(p: np.ndarray) -> np.ndarray:
        r = residuals(p)
        return np.where(np.isfinite(r), r, 1e6)

    if backend == "minuit":
        return _minuit(safe, p0, x_scale)
    if backend != "lm":
        raise ValueError(f"unknown minimiser {backend!r}: {BACKENDS}")

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


def _minuit(safe: Callable[[np.ndarray], np.ndarray], p0: np.ndarray, x_scale: np.ndarray | None) -> LsqResult:
    from iminuit import Minuit

    def chi2(p: np.ndarray) -> float:
        r = safe(np.asarray(p, np.float64))
        return float(r @ r)

    n_res = len(safe(p0))
    m = Minuit(chi2, p0)
    m.errordef = Minuit.LEAST_SQUARES
    m.errors = np.abs(x_scale) if x_scale is not None else np.maximum(0.1 * np.abs(p0), 1e-3)
    m.print_level = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # MIGRAD's trial steps may overflow; the
        m.migrad(ncall=200 * (len(p0) + 1))  # residuals of such points are mapped to 1e6 by ``safe``
        m.hesse()
    cov = np.array(m.covariance) if m.covariance is not None else np.full((len(p0), len(p0)), np.nan)
    params = np.array(m.values)
    diag = np.diag(cov)
    errors = np.sqrt(np.where(diag >= 0, diag, np.nan))
    ndf = int(n_res - len(p0))
    ok = bool(m.valid and ndf > 0 and np.isfinite(errors).all())
    return LsqResult(params, errors, cov, float(m.fval), ndf, ok)
