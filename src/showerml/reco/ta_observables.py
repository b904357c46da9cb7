"""The 14 composition-sensitive observables of the TA SD BDT analysis, plus θ and S800, per event.

TA Collaboration, PRD 99 (2019) 022002, arXiv:1808.03680, Sec. III (definitions below as read there; the peak
criterion and r0 = 1200 m are recalled, not verified — check before quoting):
 1 ``linsley_a``   curvature parameter a of the Linsley front fit;
 2 ``aop_1200``    area-over-peak (trace integral / maximum bin, ns) at 1200 m, and
 3 ``aop_slope``   its slope, from the weighted line AoP(r) = α − β (r/1200 m − 1) through the stations;
 4 ``n_hit``       stations triggered;      5 ``n_excluded`` stations dropped from the front fit;
 6 ``chi2_ndf``    χ²/ndf of the front fit;
 7 ``s_b3``, 8 ``s_b45``  S_b = Σ_i ρ_i (r_i/1200 m)^b for b = 3 and 4.5 (Ros et al., Astropart. Phys. 35 (2011)
                   140, adopted by TA);
 9 ``sum_over_s800``  Σ_i ρ_i / S800;
10 ``asymmetry``   Σ_i |u_i − l_i| / Σ_i (u_i + l_i) over unsaturated triggered stations (upper/lower layer);
11 ``n_peaks``     peaks in all traces (layers summed); 12 ``n_peaks_max`` peaks in the station with the largest
                   signal; 13 ``n_peaks_upper_only`` / 14 ``n_peaks_lower_only`` peaks of one layer with no peak of
                   the other within ±1 bin. A peak is a bin above 0.2 VEM that exceeds each of the 3 bins before and
                   after it.
Observables 2, 3 and 11–14 need the FADC traces; without them they are NaN (``TRACE_OBSERVABLES``).
"""

from __future__ import annotations

import numpy as np

from showerml.reco.ta_geometry_fit import GeometryFit
from showerml.reco.ta_ldf_fit import JointFit
from showerml.reco.ta_stations import TRIGGERED, StationArrays

__all__ = ["OBSERVABLES", "TRACE_OBSERVABLES", "R0_M", "PEAK_VEM", "count_peaks", "observables"]

OBSERVABLES = ("linsley_a", "aop_1200", "aop_slope", "n_hit", "n_excluded", "chi2_ndf", "s_b3", "s_b45",
               "sum_over_s800", "asymmetry", "n_peaks", "n_peaks_max", "n_peaks_upper_only", "n_peaks_lower_only",
               "theta", "s800")
TRACE_OBSERVABLES = ("aop_1200", "aop_slope", "n_peaks", "n_peaks_max", "n_peaks_upper_only", "n_peaks_lower_only")
R0_M = 1200.0
PEAK_VEM = 0.2
_WIN = 3
_BIN_NS = 20.0


def _peak_mask(tr: np.ndarray) -> np.ndarray:
    """(..., T) bins that are peaks: > PEAK_VEM and larger than each of the _WIN bins on either side."""
    pad = np.pad(tr, [(0, 0)] * (tr.ndim - 1) + [(_WIN, _WIN)], constant_values=-np.inf)
    t = tr.shape[-1]
    is_peak = tr > PEAK_VEM
    for k in range(1, _WIN + 1):
        is_peak &= tr > pad[..., _WIN - k: _WIN - k + t]
        is_peak &= tr > pad[..., _WIN + k: _WIN + k + t]
    return is_peak


def count_peaks(trace: np.ndarray) -> np.ndarray:
    """Number of peaks along the last axis."""
    return _peak_mask(np.asarray(trace, np.float64)).sum(-1)


def _near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Peaks of ``a`` with no peak of ``b`` within ±1 bin, counted along the last axis."""
    bb = b.copy()
    bb[..., 1:] |= b[..., :-1]
    bb[..., :-1] |= b[..., 1:]
    return (a & ~bb).sum(-1)


def _axis_r(xy: np.ndarray, core: np.ndarray, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    nx, ny = np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi)
    d = xy - core[:, None, :]
    along = d[..., 0] * nx[:, None] + d[..., 1] * ny[:, None]
    return np.sqrt(np.maximum((d**2).sum(-1) - along**2, 0.0))


def _aop_line(aop: np.ndarray, r: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted line AoP = α − β (r/R0 − 1); NaN with fewer than 2 distinct distances."""
    w = np.where(np.isfinite(w), np.maximum(w, 0.0), 0.0)  # a noise-negative density carries no weight
    if (w > 0).sum() < 2 or np.ptp(r[w > 0]) < 1.0:
        return np.nan, np.nan
    x = r / R0_M - 1.0
    slope, icpt = np.polyfit(x, aop, 1, w=np.sqrt(w))
    return float(icpt), float(-slope)


def observables(st: StationArrays, geom: GeometryFit, joint: JointFit) -> np.ndarray:
    """(N, 16) observables in the order of :data:`OBSERVABLES` (NaN where not computable)."""
    n = st.n_events
    out = np.full((n, len(OBSERVABLES)), np.nan)
    col = {k: i for i, k in enumerate(OBSERVABLES)}
    hit = st.hit
    unsat = st.state == TRIGGERED
    rho = np.where(hit, st.density, 0.0)
    r = _axis_r(st.xy, joint.core, joint.theta, joint.phi)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, col["linsley_a"]] = joint.a
        out[:, col["n_hit"]] = hit.sum(1)
        out[:, col["n_excluded"]] = geom.n_excluded
        out[:, col["chi2_ndf"]] = geom.chi2 / geom.ndf
        out[:, col["s_b3"]] = (rho * (r / R0_M) ** 3).sum(1)
        out[:, col["s_b45"]] = (rho * (r / R0_M) ** 4.5).sum(1)
        out[:, col["sum_over_s800"]] = rho.sum(1) / joint.s800
        u, lo = st.signal[..., 0] * unsat, st.signal[..., 1] * unsat
        out[:, col["asymmetry"]] = np.abs(u - lo).sum(1) / (u + lo).sum(1)
    out[:, col["theta"]] = joint.theta
    out[:, col["s800"]] = joint.s800
    if st.traces is None:
        return out
    tr = np.asarray(st.traces, np.float64) * hit[..., None, None]
    both = tr.sum(2)
    pk_both, pk_u, pk_l = _peak_mask(both), _peak_mask(tr[:, :, 0]), _peak_mask(tr[:, :, 1])
    n_both = pk_both.sum(-1)
    out[:, col["n_peaks"]] = n_both.sum(1)
    largest = np.argmax(np.where(hit, st.signal.sum(2), -np.inf), axis=1)
    out[:, col["n_peaks_max"]] = n_both[np.arange(n), largest]
    out[:, col["n_peaks_upper_only"]] = _near(pk_u, pk_l).sum(1)
    out[:, col["n_peaks_lower_only"]] = _near(pk_l, pk_u).sum(1)
    peak = both.max(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        aop = np.where(peak > 0, both.sum(-1) / peak * _BIN_NS, np.nan)
    for i in range(n):
        ok = unsat[i] & np.isfinite(aop[i]) & np.isfinite(r[i])
        if ok.sum() >= 2:
            out[i, col["aop_1200"]], out[i, col["aop_slope"]] = _aop_line(aop[i, ok], r[i, ok], rho[i, ok])
    return out


