"""TA SD geometry: the plane fit, then the modified-Linsley timing fit of (x_core, y_core, θ, φ, t0, a).

1. Plane fit (start values): t_i = t0 − (x_i·n̂)/c, linear in (t0, n_x/c, n_y/c), weighted least squares.
2. Linsley fit (AbuZayyad et al., NIM A 689 (2012) 87; Abu-Zayyad et al., ApJL 768 (2013) L1; Ivanov et al.,
   arXiv:2005.07117, Eq. 1): t_i = t0 − (x_i − x_core)·n̂/c + a (1 + r_i/30 m)^1.5 LDF(r_i)^−0.5, χ² over the triggered
   stations (saturated ones too: their leading edge is measured) with σ_t of :func:`showerml.reco.ta_shower.sigma_time`,
   plus TA's core constraint to the signal-weighted centre of gravity, ((x_core − x_cog)/170 m)² per coordinate
   [recalled from D. Ivanov, PhD thesis, Rutgers (2012); not verified], so that five stations leave one degree of
   freedom.
   The direction is fitted as (n_x, n_y) = sin θ (cos φ, sin φ) (no singularity at the zenith); θ, φ and their errors
   follow by propagating the covariance. A station whose χ² contribution exceeds 10 is dropped and the fit repeated
   (at most 3 times, never below 5 stations); the count of dropped stations is a composition observable
   (TA Collaboration, PRD 99 (2019) 022002, arXiv:1808.03680).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.reco.ta_lsq import LsqResult, minimise
from showerml.reco.ta_shower import C_M_PER_NS, ldf, sigma_time
from showerml.reco.ta_stations import StationArrays

__all__ = ["COG_SIGMA_M", "OUTLIER_CHI2", "MAX_SIN", "angles_from_fit", "GeometryFit", "plane_fit", "fit_geometry",
           "front_model"]

COG_SIGMA_M = 170.0
OUTLIER_CHI2 = 10.0
_MAX_DROPS = 3
_MIN_STATIONS = 5
MAX_SIN = 0.99  # |n_xy| bound: θ < 81.9°


@dataclass(frozen=True)
class GeometryFit:
    """Per-event geometry fit results (N,) / (N, 2); ``used`` (N, M) marks the stations in the final fit."""

    core: np.ndarray
    core_err: np.ndarray
    theta: np.ndarray
    theta_err: np.ndarray
    phi: np.ndarray
    phi_err: np.ndarray
    t0: np.ndarray
    t0_err: np.ndarray
    a: np.ndarray
    a_err: np.ndarray
    chi2: np.ndarray
    ndf: np.ndarray
    n_used: np.ndarray
    n_excluded: np.ndarray
    ok: np.ndarray
    plane_theta: np.ndarray
    plane_phi: np.ndarray
    used: np.ndarray

    @property
    def pointing_err(self) -> np.ndarray:
        """σ_pointing = √(σ_θ² + sin²θ σ_φ²), rad (the quantity TA cuts on)."""
        return np.sqrt(self.theta_err**2 + (np.sin(self.theta) * self.phi_err) ** 2)


def _direction(nx: float, ny: float) -> tuple[float, float]:
    s = min(float(np.hypot(nx, ny)), MAX_SIN)
    return float(np.arcsin(s)), float(np.arctan2(ny, nx) % (2 * np.pi))


def plane_fit(xy: np.ndarray, t: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """(n_x, n_y, t0) of the plane front through stations (M, 2) with times t and weights w (1/σ²)."""
    a = np.column_stack([np.ones(len(t)), -xy[:, 0] / C_M_PER_NS, -xy[:, 1] / C_M_PER_NS])
    sw = np.sqrt(w)
    sol, *_ = np.linalg.lstsq(a * sw[:, None], t * sw, rcond=None)
    nx, ny = float(sol[1]), float(sol[2])
    s = np.hypot(nx, ny)
    if s > MAX_SIN:
        nx, ny = nx * MAX_SIN / s, ny * MAX_SIN / s
    return nx, ny, float(sol[0])


def front_model(xy: np.ndarray, core: np.ndarray, nx: float, ny: float, t0: float, a: float) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """(model times ns, axis distances m) of stations (M, 2) for the front through ``core`` at t0."""
    d = xy - core
    along = d[:, 0] * nx + d[:, 1] * ny
    r = np.sqrt(np.maximum((d**2).sum(1) - along**2, 0.0))
    theta = np.arcsin(min(float(np.hypot(nx, ny)), MAX_SIN))
    return t0 - along / C_M_PER_NS + a * (1.0 + r / 30.0) ** 1.5 / np.sqrt(ldf(r, theta)), r


def angles_from_fit(res: LsqResult) -> tuple[float, float, float, float]:
    nx, ny = res.params[2], res.params[3]
    s = float(np.hypot(nx, ny))
    theta, phi = _direction(nx, ny)
    c = np.sqrt(max(1.0 - s * s, 1e-12))
    # ∂θ/∂(nx, ny) = (nx, ny)/(s cos θ), ∂φ/∂(nx, ny) = (−ny, nx)/s²
    s = max(s, 1e-9)
    jt = np.array([nx, ny]) / (s * c)
    jp = np.array([-ny, nx]) / s**2
    v = res.cov[2:4, 2:4]
    return theta, float(np.sqrt(max(jt @ v @ jt, 0.0))), phi, float(np.sqrt(max(jp @ v @ jp, 0.0)))


def _fit_one(xy: np.ndarray, t: np.ndarray, rho: np.ndarray) -> tuple[LsqResult, np.ndarray, tuple[float, float]]:
    w_cog = np.maximum(rho, 0.0)
    cog = (xy * w_cog[:, None]).sum(0) / max(w_cog.sum(), 1e-12)
    # plane start: stations weighted by 1/σ_t² at their ground distance from the c.o.g. (the far, late and thick
    # part of the front counts little), then σ_t from the distances to the axis of that plane
    nx, ny, t0p = plane_fit(xy, t, 1.0 / sigma_time(np.hypot(*(xy - cog).T), rho) ** 2)
    plane = _direction(nx, ny)
    t_ref = float(t.min())
    _, r0 = front_model(xy, cog, nx, ny, 0.0, 0.0)
    sig = sigma_time(r0, rho)
    keep = np.ones(len(t), bool)
    p0 = np.array([cog[0], cog[1], nx, ny, t0p + (cog[0] * nx + cog[1] * ny) / C_M_PER_NS - t_ref, 1.0])
    scale = np.array([100.0, 100.0, 0.01, 0.01, 10.0, 1.0])
    for _ in range(_MAX_DROPS + 1):
        xk, tk, sk = xy[keep], t[keep] - t_ref, sig[keep]

        def resid(p: np.ndarray, xk: np.ndarray = xk, tk: np.ndarray = tk, sk: np.ndarray = sk) -> np.ndarray:
            s = np.hypot(p[2], p[3])
            nxp, nyp = (p[2], p[3]) if s <= MAX_SIN else (p[2] * MAX_SIN / s, p[3] * MAX_SIN / s)
            model, _ = front_model(xk, p[:2], nxp, nyp, p[4], p[5])
            return np.concatenate([(tk - model) / sk, (p[:2] - cog) / COG_SIGMA_M])

        res = minimise(resid, p0, scale)
        contrib = resid(res.params)[: keep.sum()] ** 2
        worst = int(np.argmax(contrib))
        if contrib[worst] <= OUTLIER_CHI2 or keep.sum() <= _MIN_STATIONS:
            break
        keep[np.flatnonzero(keep)[worst]] = False
        p0 = res.params
    res = LsqResult(res.params + np.array([0, 0, 0, 0, t_ref, 0]), res.errors, res.cov, res.chi2, res.ndf, res.ok)
    return res, keep, plane


def fit_geometry(st: StationArrays) -> GeometryFit:
    """Fit every event; events with fewer than 4 triggered stations (fewer residuals, with the two core
    constraints, than the six parameters) get NaN and ok = False."""
    n, m = st.state.shape
    out = {k: np.full(n, np.nan) for k in ("theta", "theta_err", "phi", "phi_err", "t0", "t0_err", "a", "a_err",
                                           "chi2", "plane_theta", "plane_phi")}
    core, core_err = np.full((n, 2), np.nan), np.full((n, 2), np.nan)
    ndf, n_used, n_exc = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    ok, used = np.zeros(n, bool), np.zeros((n, m), bool)
    hit, rho = st.hit, st.density
    for i in range(n):
        idx = np.flatnonzero(hit[i])
        if len(idx) < 4:
            continue
        res, keep, plane = _fit_one(st.xy[i, idx], st.time[i, idx], rho[i, idx])
        th, th_e, ph, ph_e = angles_from_fit(res)
        core[i], core_err[i] = res.params[:2], res.errors[:2]
        for k, v in (("theta", th), ("theta_err", th_e), ("phi", ph), ("phi_err", ph_e), ("t0", res.params[4]),
                     ("t0_err", res.errors[4]), ("a", res.params[5]), ("a_err", res.errors[5]), ("chi2", res.chi2),
                     ("plane_theta", plane[0]), ("plane_phi", plane[1])):
            out[k][i] = v
        ndf[i], n_used[i], n_exc[i], ok[i] = res.ndf, keep.sum(), (~keep).sum(), res.ok
        used[i, idx[keep]] = True
    return GeometryFit(core=core, core_err=core_err, ndf=ndf, n_used=n_used, n_excluded=n_exc, ok=ok, used=used,
                       **out)
