"""TA's standard SD reconstruction in one call: plane fit → Linsley timing fit → LDF fit → joint fit, then the
quality cuts (and, given a table, the energy).

The order follows TA's SD analysis (Abu-Zayyad et al., ApJL 768 (2013) L1, Sec. 2; Ivanov et al.,
arXiv:2005.07117, Sec. 2); see :mod:`showerml.reco.ta_geometry_fit`, :mod:`showerml.reco.ta_ldf_fit`,
:mod:`showerml.reco.ta_quality`, :mod:`showerml.reco.ta_energy`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from showerml.reco.ta_energy import EnergyTable
from showerml.reco.ta_geometry_fit import GeometryFit, fit_geometry
from showerml.reco.ta_ldf_fit import JointFit, LdfFit, fit_joint, fit_ldf
from showerml.reco.ta_quality import QualityCuts, QualityMask, apply_cuts
from showerml.reco.ta_stations import StationArrays

__all__ = ["StandardReco", "reconstruct"]


@dataclass(frozen=True)
class StandardReco:
    """The three fits, the quality mask, the energy (NaN without a table) and the wall time."""

    geometry: GeometryFit
    ldf: LdfFit
    joint: JointFit
    quality: QualityMask
    energy_eev: np.ndarray
    seconds: float

    @property
    def events_per_s(self) -> float:
        return len(self.energy_eev) / max(self.seconds, 1e-12)


def reconstruct(st: StationArrays, grid_xy: np.ndarray, table: EnergyTable | None = None,
                saturated: str = "exclude", cuts: QualityCuts | None = None) -> StandardReco:
    """Reconstruct every event of ``st``; ``grid_xy`` (S, 2) is the whole array (for the border cut)."""
    t0 = time.perf_counter()
    geo = fit_geometry(st)
    lf = fit_ldf(st, geo, saturated)
    jf = fit_joint(st, geo, lf, saturated)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = apply_cuts(geo.n_used, jf.theta, jf.core, grid_xy, jf.chi2_geom / jf.ndf_geom, jf.chi2_ldf / jf.ndf_ldf,
                       jf.pointing_err, jf.s800, jf.s800_err, cuts)
    energy = table.energy(jf.s800, jf.theta) if table is not None else np.full(st.n_events, np.nan)
    return StandardReco(geo, lf, jf, q, energy, time.perf_counter() - t0)
