"""Shower geometry and arrival times.

Coordinates: x east, y north, z up, the array at z = 0; θ zenith and φ the azimuth of the arrival direction measured
from x towards y: the shower travels along −u, u = (sin θ cos φ, sin θ sin φ, cos θ).
A station at d = (x, y, 0) − core is reached by the shower plane at t_plane = −d·u / c and lies r = |d − (d·u) u|
from the axis.

Particles arrive behind the plane on the curved, thick front of the Linsley form used by AGASA and TA
(Teshima et al., J. Phys. G 12 (1986) 1097; TA SD: AbuZayyad et al., ApJ 768 (2013) L1; Ivanov et al.,
arXiv:2005.07117): delay T_d = a (1 + r/R_L)^1.5 ρ^−0.5 and spread T_s = b (1 + r/R_L)^1.5 ρ^−0.3, R_L = 30 m,
a = 2.6 ns, b = 1.3 ns, ρ the particle density in m⁻² (here the expected signal density, floored at 0.3 m⁻² where the
form was not fitted). EM particles are drawn from a Gamma distribution with mean T_d and standard deviation T_s; muons,
which come from higher up and scatter less, with 0.6 T_d and 0.6 T_s (earlier and narrower; assumed factor). A tail of
late particles (delayed neutrons and low-energy secondaries) follows the EM front with an extra exponential delay of
mean 1 µs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["C_M_PER_NS", "axis", "plane_time_and_distance", "front_delay", "MUON_TIME_FACTOR", "LATE_DELAY_NS"]

C_M_PER_NS = 0.299792458
R_L = 30.0
A_NS, B_NS = 2.6, 1.3
RHO_FLOOR = 0.3
MUON_TIME_FACTOR = 0.6
LATE_DELAY_NS = 1000.0


def axis(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Unit vectors u (..., 3) pointing back to the source."""
    st = np.sin(theta)
    return np.stack([st * np.cos(phi), st * np.sin(phi), np.cos(theta)], axis=-1)


def plane_time_and_distance(xy: np.ndarray, core: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t_plane in ns, r in m) of stations ``xy`` (..., 2) for showers with ``core`` (..., 2), axis ``u`` (..., 3)."""
    d = xy - core
    du = d[..., 0] * u[..., 0] + d[..., 1] * u[..., 1]
    r = np.sqrt(np.maximum((d**2).sum(axis=-1) - du**2, 1.0))
    return -du / C_M_PER_NS, r


def front_delay(r: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T_d, T_s) in ns of the EM front at ``r`` (m) where the density is ``rho`` (m⁻²)."""
    g = (1.0 + np.asarray(r) / R_L) ** 1.5
    rho = np.maximum(np.asarray(rho, dtype=float), RHO_FLOOR)
    return A_NS * g * rho**-0.5, B_NS * g * rho**-0.3
