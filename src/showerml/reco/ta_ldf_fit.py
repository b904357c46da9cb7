"""TA SD lateral-distribution fit for S800, and the joint front + LDF fit.

LDF fit (Abu-Zayyad et al., ApJL 768 (2013) L1; AbuZayyad et al., NIM A 689 (2012) 87): with the direction of the
geometry fit fixed, χ²(x_core, y_core, S800) = Σ_i (ρ_i − S800·LDF(r_i))²/σ_ρ² over the triggered stations, σ_ρ of
:func:`showerml.reco.ta_shower.sigma_density` at the expected density, held fixed during a minimisation and
updated between three passes (iteratively re-weighted least squares: letting σ follow the model inside one
minimisation biases S800 upwards, as larger models buy larger σ; measured ~ +10 % with the brightest station
excluded). Saturated stations are excluded (TA's standard choice [recalled: D. Ivanov, PhD thesis, Rutgers (2012);
not verified]) or, with ``saturated="lower_limit"``, enter only
when the model falls below the measured (clipped) density — a one-sided χ² term. Stations that are off are blind and
never enter.

Joint fit (Ivanov et al., arXiv:2005.07117, Sec. 2: seven free parameters x_core, y_core, θ, φ, S800, t0, a): the
timing residuals of :mod:`showerml.reco.ta_geometry_fit` (same σ_t, same stations) and the LDF residuals minimised
together; the χ² is reported split into its timing and LDF parts, each with its own ndf (n_t − 5 and n_ρ − 2), so
that TA's two χ²/ndf cuts apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError
from showerml.reco.ta_geometry_fit import MAX_SIN, GeometryFit, angles_from_fit, front_model
from showerml.reco.ta_lsq import minimise
from showerml.reco.ta_shower import ldf, sigma_density, sigma_time
from showerml.reco.ta_stations import SATURATED, TRIGGERED, StationArrays

__all__ = ["SATURATION_MODES", "LdfFit", "fit_ldf", "JointFit", "fit_joint"]

SATURATION_MODES = ("exclude", "lower_limit")
_PASSES = 3


@dataclass(frozen=True)
class LdfFit:
    """Per-event LDF fit results (direction fixed)."""

    s800: np.ndarray
    s800_err: np.ndarray
    core: np.ndarray
    core_err: np.ndarray
    chi2: np.ndarray
    ndf: np.ndarray
    ok: np.ndarray


def _axis_r(xy: np.ndarray, core: np.ndarray, nx: float, ny: float) -> np.ndarray:
    d = xy - core
    along = d[:, 0] * nx + d[:, 1] * ny
    return np.sqrt(np.maximum((d**2).sum(1) - along**2, 0.0))


def _ldf_model(xy: np.ndarray, core: np.ndarray, nx: float, ny: float, s800: float) -> np.ndarray:
    theta = np.arcsin(min(float(np.hypot(nx, ny)), MAX_SIN))
    return np.asarray(s800 * ldf(_axis_r(xy, core, nx, ny), theta))


def _ldf_resid(xy: np.ndarray, rho: np.ndarray, sat: np.ndarray, core: np.ndarray, nx: float, ny: float,
               s800: float, lower_limit: bool, sigma: np.ndarray) -> np.ndarray:
    z = (rho - _ldf_model(xy, core, nx, ny, s800)) / sigma
    if lower_limit:
        z = np.where(sat, np.maximum(z, 0.0), z)
    return z


def _select(st: StationArrays, i: int, saturated: str) -> tuple[np.ndarray, np.ndarray]:
    """(station indices entering the LDF fit, their saturated flags)."""
    s = st.state[i]
    use = (s == TRIGGERED) | ((s == SATURATED) & (saturated == "lower_limit"))
    idx = np.flatnonzero(use)
    return idx, s[idx] == SATURATED


def _check_mode(saturated: str) -> None:
    if saturated not in SATURATION_MODES:
        raise InputError(f"saturated stations: choose {' or '.join(SATURATION_MODES)}, got '{saturated}'")


def _start_s800(rho: np.ndarray, r: np.ndarray, theta: float) -> float:
    lf = ldf(r, theta)
    return float(max(np.median(rho / lf), 1e-3))


def fit_ldf(st: StationArrays, geom: GeometryFit, saturated: str = "exclude") -> LdfFit:
    """Fit (x_core, y_core, S800) per event with the geometry fit's direction; needs ≥ 4 stations (ndf ≥ 1)."""
    _check_mode(saturated)
    n = st.n_events
    s800, s800_e, chi2 = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    core, core_e = np.full((n, 2), np.nan), np.full((n, 2), np.nan)
    ndf, ok = np.zeros(n, np.int64), np.zeros(n, bool)
    rho_all = st.density
    for i in range(n):
        idx, sat = _select(st, i, saturated)
        if len(idx) < 4 or not np.isfinite(geom.theta[i]):
            continue
        xy, rho = st.xy[i, idx], rho_all[i, idx]
        nx, ny = np.sin(geom.theta[i]) * np.cos(geom.phi[i]), np.sin(geom.theta[i]) * np.sin(geom.phi[i])
        c0 = geom.core[i]
        p0 = np.array([c0[0], c0[1], np.log(_start_s800(rho[~sat], _axis_r(xy[~sat], c0, nx, ny), geom.theta[i])
                                            if (~sat).any() else 10.0)])

        for _ in range(_PASSES):
            sigma = sigma_density(_ldf_model(xy, p0[:2], nx, ny, np.exp(p0[2])))

            def resid(p: np.ndarray, xy: np.ndarray = xy, rho: np.ndarray = rho, sat: np.ndarray = sat,
                      nx: float = nx, ny: float = ny, sigma: np.ndarray = sigma) -> np.ndarray:
                return _ldf_resid(xy, rho, sat, p[:2], nx, ny, np.exp(p[2]), saturated == "lower_limit", sigma)

            res = minimise(resid, p0, np.array([100.0, 100.0, 0.1]))
            p0 = res.params
        core[i], core_e[i] = res.params[:2], res.errors[:2]
        s800[i] = np.exp(res.params[2])
        s800_e[i], chi2[i], ndf[i], ok[i] = s800[i] * res.errors[2], res.chi2, res.ndf, res.ok
    return LdfFit(s800, s800_e, core, core_e, chi2, ndf, ok)


@dataclass(frozen=True)
class JointFit:
    """Per-event joint front + LDF fit: the seven parameters, their errors, and the split χ²."""

    core: np.ndarray
    core_err: np.ndarray
    theta: np.ndarray
    theta_err: np.ndarray
    phi: np.ndarray
    phi_err: np.ndarray
    s800: np.ndarray
    s800_err: np.ndarray
    t0: np.ndarray
    a: np.ndarray
    a_err: np.ndarray
    chi2_geom: np.ndarray
    ndf_geom: np.ndarray
    chi2_ldf: np.ndarray
    ndf_ldf: np.ndarray
    ok: np.ndarray

    @property
    def pointing_err(self) -> np.ndarray:
        """σ_pointing = √(σ_θ² + sin²θ σ_φ²), rad."""
        return np.sqrt(self.theta_err**2 + (np.sin(self.theta) * self.phi_err) ** 2)


def fit_joint(st: StationArrays, geom: GeometryFit, ldf_fit: LdfFit, saturated: str = "exclude") -> JointFit:
    """Refit all seven parameters together, starting from the geometry and LDF fits."""
    _check_mode(saturated)
    n = st.n_events
    keys = ("theta", "theta_err", "phi", "phi_err", "s800", "s800_err", "t0", "a", "a_err", "chi2_geom", "chi2_ldf")
    out = {k: np.full(n, np.nan) for k in keys}
    core, core_e = np.full((n, 2), np.nan), np.full((n, 2), np.nan)
    ndf_g, ndf_l, ok = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, bool)
    rho_all = st.density
    for i in range(n):
        if not (np.isfinite(ldf_fit.s800[i]) and np.isfinite(geom.theta[i])):
            continue
        ti = np.flatnonzero(geom.used[i])
        li, sat = _select(st, i, saturated)
        xt, tt, xl, rl = st.xy[i, ti], st.time[i, ti], st.xy[i, li], rho_all[i, li]
        nx, ny = np.sin(geom.theta[i]) * np.cos(geom.phi[i]), np.sin(geom.theta[i]) * np.sin(geom.phi[i])
        sig_t = sigma_time(_axis_r(xt, geom.core[i], nx, ny), rho_all[i, ti])
        t_ref = float(tt.min())
        n_t = len(ti)
        sig_l = sigma_density(_ldf_model(xl, ldf_fit.core[i], nx, ny, ldf_fit.s800[i]))

        def resid(p: np.ndarray, xt: np.ndarray = xt, tt: np.ndarray = tt - t_ref, sig_t: np.ndarray = sig_t,
                  xl: np.ndarray = xl, rl: np.ndarray = rl, sat: np.ndarray = sat,
                  sig_l: np.ndarray = sig_l) -> np.ndarray:
            s = np.hypot(p[2], p[3])
            nxp, nyp = (p[2], p[3]) if s <= MAX_SIN else (p[2] * MAX_SIN / s, p[3] * MAX_SIN / s)
            model, _ = front_model(xt, p[:2], nxp, nyp, p[4], p[5])
            zl = _ldf_resid(xl, rl, sat, p[:2], nxp, nyp, np.exp(p[6]), saturated == "lower_limit",
                            sig_l)
            return np.concatenate([(tt - model) / sig_t, zl])

        p0 = np.array([ldf_fit.core[i, 0], ldf_fit.core[i, 1], nx, ny, geom.t0[i] - t_ref, geom.a[i],
                       np.log(ldf_fit.s800[i])])
        res = minimise(resid, p0, np.array([100.0, 100.0, 0.01, 0.01, 10.0, 1.0, 0.1]))
        z = resid(res.params)
        th, th_e, ph, ph_e = angles_from_fit(res)
        core[i], core_e[i] = res.params[:2], res.errors[:2]
        s8 = float(np.exp(res.params[6]))
        for k, v in (("theta", th), ("theta_err", th_e), ("phi", ph), ("phi_err", ph_e), ("s800", s8),
                     ("s800_err", s8 * res.errors[6]), ("t0", res.params[4] + t_ref), ("a", res.params[5]),
                     ("a_err", res.errors[5]), ("chi2_geom", float((z[:n_t] ** 2).sum())),
                     ("chi2_ldf", float((z[n_t:] ** 2).sum()))):
            out[k][i] = v
        ndf_g[i], ndf_l[i], ok[i] = n_t - 5, len(li) - 2, res.ok
    return JointFit(core=core, core_err=core_e, ndf_geom=ndf_g, ndf_ldf=ndf_l, ok=ok, **out)


