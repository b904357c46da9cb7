"""TA's standard SD quality cuts, as a mask with the reason of every failure, applied identically to every method.

Cuts of the TA SD spectrum analysis (Abu-Zayyad et al., ApJL 768 (2013) L1, Sec. 2; the same set in Ivanov et al.,
arXiv:2005.07117, Sec. 2) [values recalled, not verified — check before quoting]:
  ≥ 5 stations in the fit; θ < 45°; core ≥ 1.2 km inside the array border; χ²/ndf < 4 for the geometry and for the
  LDF fit; pointing error √(σ_θ² + sin²θ σ_φ²) < 5°; σ_S800/S800 < 0.25.
The border distance is the distance from the core to the boundary of the convex hull of the grid (positive inside);
for a non-convex layout this overestimates it near re-entrant corners.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import ConvexHull

from showerml.errors import InputError

__all__ = ["CUTS", "QualityCuts", "QualityMask", "border_distance", "apply_cuts"]

#: cut names in the order they are listed
CUTS = ("n_stations", "zenith", "border", "chi2_geom", "chi2_ldf", "pointing", "s800_err")


@dataclass(frozen=True)
class QualityCuts:
    """The cut values (TA's, see the module docstring)."""

    min_stations: int = 5
    max_theta_deg: float = 45.0
    min_border_m: float = 1200.0
    max_chi2_ndf_geom: float = 4.0
    max_chi2_ndf_ldf: float = 4.0
    max_pointing_deg: float = 5.0
    max_s800_rel_err: float = 0.25


@dataclass(frozen=True)
class QualityMask:
    """``passed`` (N,) and, per cut name, the (N,) events that fail it (NaN inputs fail)."""

    passed: np.ndarray
    failed: dict[str, np.ndarray] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Events failing each cut (an event can fail several)."""
        return {k: int(v.sum()) for k, v in self.failed.items()}

    def reasons(self, i: int) -> list[str]:
        return [k for k, v in self.failed.items() if v[i]]


def border_distance(core: np.ndarray, grid_xy: np.ndarray) -> np.ndarray:
    """Signed distance (m) from cores (N, 2) to the convex hull of the grid (S, 2): positive inside."""
    grid_xy = np.asarray(grid_xy, np.float64)
    if grid_xy.ndim != 2 or grid_xy.shape[1] != 2 or len(grid_xy) < 3 or not np.isfinite(grid_xy).all():
        raise InputError(f"grid_xy must be (S ≥ 3, 2) finite station positions, got shape {grid_xy.shape}")
    hull = ConvexHull(grid_xy)
    # hull.equations: n·x + b ≤ 0 inside, |n| = 1 → distance inside = −(n·x + b); min over facets
    eq = hull.equations
    d = -(np.asarray(core, np.float64) @ eq[:, :2].T + eq[:, 2])
    return np.asarray(d.min(axis=1))


def apply_cuts(n_stations: np.ndarray, theta: np.ndarray, core: np.ndarray, grid_xy: np.ndarray,
               chi2_ndf_geom: np.ndarray, chi2_ndf_ldf: np.ndarray, pointing_err: np.ndarray, s800: np.ndarray,
               s800_err: np.ndarray, cuts: QualityCuts | None = None) -> QualityMask:
    """The mask of the standard cuts; angles in rad, distances in m."""
    c = cuts or QualityCuts()
    n = len(theta)
    arrays = (n_stations, theta, core, chi2_ndf_geom, chi2_ndf_ldf, pointing_err, s800, s800_err)
    if any(len(a) != n for a in arrays):
        raise InputError("quality cuts: every per-event array must have the same length")
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.asarray(s800_err) / np.asarray(s800)
        failed = {
            "n_stations": ~(np.asarray(n_stations) >= c.min_stations),
            "zenith": ~(np.asarray(theta) < np.radians(c.max_theta_deg)),
            "border": ~(border_distance(core, grid_xy) >= c.min_border_m),
            "chi2_geom": ~(np.asarray(chi2_ndf_geom) < c.max_chi2_ndf_geom),
            "chi2_ldf": ~(np.asarray(chi2_ndf_ldf) < c.max_chi2_ndf_ldf),
            "pointing": ~(np.asarray(pointing_err) < np.radians(c.max_pointing_deg)),
            "s800_err": ~(rel < c.max_s800_rel_err),
        }
    bad = np.zeros(n, bool)
    for v in failed.values():
        bad |= v
    return QualityMask(~bad, failed)
