"""The CaloGAN calorimeter: 80 × (2 mm Pb + 4 mm LAr), three read-out layers, every deposit recorded.

Geometry of hep-lbdl/CaloGAN (Paganini, de Oliveira, Nachman, PRD 97 (2018) 014021, arXiv:1712.10321): layers at
depth 0–90, 90–437 and 437–480 mm with cells of 5 × 160, 40 × 40 and 80 × 40 mm (x × y) in a ±240 mm window; what
falls outside the window goes to the layer's ``overflow``. Particles enter along +z at the centre. The Geant4
application records the deposits of absorber and gap alike, so cells + overflow ≈ the incident energy.

Showers come from :mod:`showerml.detectors.physics` on the effective Pb/LAr medium (X0 = 15.6 mm, R_M ≈ 35 mm,
λ_I ≈ 374 mm). The EM spot and halo settings are calibrated on the 51 Geant4 e+ showers of the CaloGAN
application (see ``tests/test_calogan_calibration.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from showerml.detectors.geometries import CALOGAN
from showerml.detectors.limits import em_spots, hadron_spots, spot_batches
from showerml.detectors.physics.em import EMConfig, em_shower_spots
from showerml.detectors.physics.hadronic import HadronConfig, first_interaction_depth, hadron_shower_spots
from showerml.detectors.physics.ionisation import mip_track_spots
from showerml.detectors.physics.materials import LAR, PB, mixture
from showerml.detectors.physics.spots import Spots
from showerml.errors import InputError
from showerml.geometry import CartesianLayer
from showerml.spectra import Spectrum

__all__ = ["CaloGANSimulator", "PB_LAR", "PARTICLES", "bin_spots"]

PB_LAR = mixture("Pb/LAr 2+4 mm", [(PB, 2.0), (LAR, 4.0)])
PARTICLES = ("e+", "e-", "gamma", "pi+")
DEPTH_MM = 480.0
HALF_WINDOW_MM = 240.0
_LAYER_BOUNDS = np.array([layer.z1 for layer in CALOGAN.layers])
_OFFSETS = np.concatenate([[0], np.cumsum(CALOGAN.layer_sizes)])

#: EM settings fitted to the Geant4 CaloGAN e+ sample (layer fractions, occupancies, response)
CALOGAN_EM = EMConfig(
    halo_spots_per_gev=55.0, halo_scale_mm=42.0, halo_depth_stretch=1.25, halo_shape_factor=0.5, depth_shift_x0=0.5
)


_LAYERS = [layer for layer in CALOGAN.layers if isinstance(layer, CartesianLayer)]
_CELL_X: np.ndarray = np.array([layer.cell_x for layer in _LAYERS] + [1.0])
_CELL_Y: np.ndarray = np.array([layer.cell_y for layer in _LAYERS] + [1.0])
_NX: np.ndarray = np.array([layer.nx for layer in _LAYERS] + [1])


def bin_spots(spots: Spots, n_events: int) -> tuple[np.ndarray, np.ndarray]:
    """(cells (n, 504), overflow (n, 3)) in MeV from spots at (x, y, z) = (u, v, s); deeper than 480 mm leaks."""
    layer = (spots.s >= _LAYER_BOUNDS[0]).astype(np.int64) + (spots.s >= _LAYER_BOUNDS[1]) + (spots.s >= DEPTH_MM)
    layer[spots.s < 0] = 3
    x = spots.u + HALF_WINDOW_MM
    y = spots.v + HALF_WINDOW_MM
    window = 2 * HALF_WINDOW_MM
    in_window = (x >= 0) & (x < window) & (y >= 0) & (y < window)
    ix = (x / _CELL_X[layer]).astype(np.int64)
    iy = (y / _CELL_Y[layer]).astype(np.int64)
    n_vox = CALOGAN.n_voxels
    # cells: ev * (n_vox + 4) + voxel; the last four slots per event hold the overflow of layers 0..2 and leakage
    voxel = np.where(in_window, _OFFSETS[np.minimum(layer, 2)] + iy * _NX[layer] + ix, n_vox + layer)
    voxel[layer == 3] = n_vox + 3
    flat = np.bincount(spots.event * (n_vox + 4) + voxel, weights=spots.energy, minlength=n_events * (n_vox + 4))
    flat = flat.reshape(n_events, n_vox + 4)
    return flat[:, :n_vox], flat[:, n_vox : n_vox + 3]


@dataclass(frozen=True)
class CaloGANSimulator:
    """Showers of ``particle`` (e+, e-, gamma, pi+) in the CaloGAN geometry, output in the CaloGAN layout."""

    particle: str = "e+"
    em: EMConfig = field(default_factory=lambda: CALOGAN_EM)
    hadron: HadronConfig = field(default_factory=lambda: HadronConfig(e0_gev=1.0))
    chunk_size: int = 1000

    def __post_init__(self) -> None:
        if self.particle not in PARTICLES:
            raise InputError(f"unknown particle '{self.particle}' for calogan: choose one of {', '.join(PARTICLES)}")

    def attrs(self) -> dict[str, Any]:
        return {
            "detector": "calogan",
            "particle": self.particle,
            "layout": "calogan",
            "geometry": CALOGAN.to_json(),
            "units": "energy: GeV; layer_*, overflow: MeV; mm",
            "material": f"{PB_LAR.name}: X0 {PB_LAR.x0:.2f} mm, R_M {PB_LAR.moliere_radius:.1f} mm",
        }

    def deposit(self, energy_mev: np.ndarray, rng: np.random.Generator) -> Spots:
        """Spots of ``len(energy_mev)`` particles entering at the centre along +z."""
        n = len(energy_mev)
        if self.particle in ("e+", "e-", "gamma"):
            return em_shower_spots(energy_mev, PB_LAR, rng, photon=self.particle == "gamma", config=self.em)
        s_int = first_interaction_depth(n, PB_LAR.lambda_i, rng)
        track = mip_track_spots(np.arange(n), np.zeros(n), np.minimum(s_int, DEPTH_MM), PB_LAR, rng)
        interacting = np.flatnonzero(s_int < DEPTH_MM)
        shower, _ = hadron_shower_spots(energy_mev[interacting], PB_LAR, rng, self.hadron, event=interacting)
        shower.s += s_int[shower.event]
        return Spots.concat([track, shower])

    def spots_per_event(self, energy_mev: np.ndarray) -> np.ndarray:
        """Estimated spots per shower (:mod:`showerml.detectors.limits`), for batching and memory estimates."""
        e_gev = np.asarray(energy_mev, dtype=float) / 1000.0
        if self.particle in ("e+", "e-", "gamma"):
            halo = self.em.halo_spots_per_gev if self.em.halo_fraction > 0 else 0.0
            return em_spots(e_gev, self.em.spots_per_gev, self.em.spots_power, self.em.min_spots, halo)
        h = self.hadron
        return hadron_spots(e_gev, h.spots_per_gev, h.spots_power, h.em.spots_per_gev, h.em.spots_power,
                            h.em.min_spots) + DEPTH_MM / 10.0

    def cells(self, energy_mev: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(cells (n, 504), overflow (n, 3)) in MeV for particles of the given incident energies, simulated in
        batches of bounded spot count (:func:`~showerml.detectors.limits.spot_batches`)."""
        parts = [bin_spots(self.deposit(energy_mev[b], rng), b.stop - b.start)
                 for b in spot_batches(self.spots_per_event(energy_mev))]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        energy = spectrum.sample(rng, n)
        cells, overflow = self.cells(energy, rng)
        layers = CALOGAN.split(cells.astype(np.float32))
        return {
            "energy": (energy / 1000.0)[:, None],
            "layer_0": layers[0],
            "layer_1": layers[1],
            "layer_2": layers[2],
            "overflow": overflow.astype(np.float32),
        }
