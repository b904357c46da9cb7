"""Performance of TA's standard SD reconstruction on a simulated TA file: 68 % angular resolution and energy
resolution above a threshold, after the standard quality cuts.

The energy table (:mod:`showerml.reco.ta_energy`) is built from the even-numbered events that pass the cuts and
applied to the odd-numbered ones, so no event is used for both. Angular resolution: the 68 % quantile of the
opening angle between the reconstructed and true directions; energy: median and half the 16–84 % range of
E_rec/E_true − 1 (:func:`showerml.metrics.reco.bias_resolution`). TA's own figures above 10 EeV: ≈ 1.5° and ≈ 20 %
(Abu-Zayyad et al., ApJL 768 (2013) L1; Ivanov et al., arXiv:2005.07117) [recalled; not verified].
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.io.ta import read_ta
from showerml.metrics import reco as M
from showerml.reco.ta_energy import build_energy_table
from showerml.reco.ta_reconstruct import StandardReco, reconstruct
from showerml.reco.ta_shower import axis
from showerml.reco.ta_stations import StationArrays

__all__ = ["StandardPerformance", "opening_angle_deg", "evaluate_file"]

_DATASETS = ("station_xy", "station_state", "station_signal", "station_time", "energy_eev", "theta", "phi", "core")


@dataclass(frozen=True)
class StandardPerformance:
    n_events: int
    n_passed: int
    n_test_above: int
    e_min_eev: float
    psf68_deg: float
    energy_bias: float
    energy_resolution: float
    events_per_s: float
    cpu_s_per_event: float
    cut_failures: dict[str, int]
    table: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def opening_angle_deg(theta1: np.ndarray, phi1: np.ndarray, theta2: np.ndarray, phi2: np.ndarray) -> np.ndarray:
    """Angle (deg) between the directions (θ1, φ1) and (θ2, φ2)."""
    c = (axis(theta1, phi1) * axis(theta2, phi2)).sum(-1)
    return np.asarray(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def evaluate_file(path: str | os.PathLike[str], max_events: int | None = None, e_min_eev: float = 10.0,
                  saturated: str = "exclude") -> tuple[StandardPerformance, StandardReco]:
    """Reconstruct (up to ``max_events`` of) a TA file and measure the standard reconstruction's performance."""
    ev = read_ta(path, events=None if max_events is None else slice(0, max_events), datasets=_DATASETS)
    st = StationArrays.from_mapping(ev.arrays)
    cpu0 = time.process_time()
    rec = reconstruct(st, ev.grid_xy, saturated=saturated)
    cpu = time.process_time() - cpu0
    j, ok = rec.joint, rec.quality.passed
    e_true = np.asarray(ev["energy_eev"], np.float64)
    even = np.arange(len(e_true)) % 2 == 0
    build = ok & even
    test = ok & ~even & (e_true > e_min_eev)
    if build.sum() < 120 or test.sum() < 10:
        raise InputError(f"{path}: too few events pass the cuts ({int(build.sum())} to build the energy table, "
                         f"{int(test.sum())} above {e_min_eev} EeV to test); simulate more")
    table = build_energy_table(e_true[build], j.s800[build], j.theta[build])
    e_rec = table.energy(j.s800, j.theta)
    ang = opening_angle_deg(j.theta, j.phi, ev["theta"], ev["phi"])
    bias, res = M.bias_resolution(e_rec[test], e_true[test])
    perf = StandardPerformance(
        n_events=len(e_true), n_passed=int(ok.sum()), n_test_above=int(test.sum()), e_min_eev=e_min_eev,
        psf68_deg=float(np.quantile(ang[test], 0.68)), energy_bias=float(bias), energy_resolution=float(res),
        events_per_s=rec.events_per_s, cpu_s_per_event=cpu / len(e_true), cut_failures=rec.quality.counts(),
        table=table.to_json())
    return perf, rec
