"""Compare the CaloGAN simulator with Geant4 showers at matched incident energies.

Each Geant4 shower's incident energy is simulated ``repeats`` times, so the comparison is free of spectrum effects.
Figures: mean per-layer energy fraction, fraction of non-zero voxels per layer, Σ(cells + overflow)/E_inc.
Calibration tolerances (the README's Geant4 table): layer fractions within ±0.03 (layers 0, 1) and a factor 2
(layer 2), occupancies within ±0.10, response within 2 %.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from showerml.detectors.calogan import CaloGANSimulator
from showerml.detectors.geometries import CALOGAN
from showerml.io.showers import ShowerData, load_showers

__all__ = ["CalibrationFigures", "shower_figures", "compare_with_geant4", "DEFAULT_GEANT4"]

DEFAULT_GEANT4 = os.path.join("..", "shared", "data", "geant4_calogan_eplus_51.h5")


@dataclass
class CalibrationFigures:
    layer_fraction: np.ndarray  # (3,)
    occupancy: np.ndarray  # (3,) fraction of non-zero voxels
    response: float  # Σ(cells + overflow)/E_inc
    response_std: float


def shower_figures(data: ShowerData) -> CalibrationFigures:
    layers = data.geometry.layer_energies(data.voxels).astype(np.float64)
    total = layers.sum(1)
    occupancy = np.array([(data.voxels[:, s] > 0).mean() for s in data.geometry.layer_slices])
    overflow = data.overflow.sum(1) if data.overflow is not None else 0.0
    response = (total + overflow) / data.incident
    return CalibrationFigures(
        (layers / total[:, None]).mean(0), occupancy, float(response.mean()), float(response.std())
    )


def simulate_matched(incident_mev: np.ndarray, particle: str, repeats: int, seed: int) -> ShowerData:
    """CaloGAN showers at each of ``incident_mev`` repeated ``repeats`` times."""
    energy = np.repeat(incident_mev, repeats)
    cells, overflow = CaloGANSimulator(particle).cells(energy, np.random.default_rng(seed))
    return ShowerData(energy, cells.astype(np.float32), CALOGAN, overflow, {"particle": particle})


def compare_with_geant4(
    geant4_path: str | os.PathLike[str] = DEFAULT_GEANT4, repeats: int = 40, seed: int = 0
) -> tuple[list[dict], ShowerData, ShowerData]:
    """Rows of (quantity, Geant4, showerml, |difference|, target, ok) and the two samples."""
    g4 = load_showers(geant4_path)
    sim = simulate_matched(g4.incident, "e+", repeats, seed)
    a, b = shower_figures(g4), shower_figures(sim)
    rows = []
    for i in range(3):
        if i < 2:
            ok = abs(a.layer_fraction[i] - b.layer_fraction[i]) <= 0.03
            target = "±0.03"
        else:
            ratio = b.layer_fraction[i] / a.layer_fraction[i]
            ok = 0.5 <= ratio <= 2.0
            target = "factor 2"
        rows.append(_row(f"layer {i} energy fraction", a.layer_fraction[i], b.layer_fraction[i], target, ok))
    for i in range(3):
        ok = abs(a.occupancy[i] - b.occupancy[i]) <= 0.10
        rows.append(_row(f"layer {i} non-zero voxel fraction", a.occupancy[i], b.occupancy[i], "±0.10", ok))
    ok = abs(b.response / a.response - 1) <= 0.02
    rows.append(_row("Σ(cells + overflow) / E_inc", a.response, b.response, "±2 %", ok))
    return rows, g4, sim


def _row(name: str, geant4: float, ours: float, target: str, ok: bool) -> dict:
    return {
        "quantity": name,
        "Geant4": round(float(geant4), 4),
        "showerml": round(float(ours), 4),
        "difference": round(float(ours - geant4), 4),
        "target": target,
        "within target": "yes" if ok else "NO",
    }
