"""The CaloChallenge 2022 dataset-2 calorimeter: a cylindrical W/Si sampling calorimeter with 6480 voxels.

Detector (CaloChallenge description, Krause et al., arXiv:2410.21611; ``../shared/data/README.md``): 90 layers
alternating 1.4 mm W and 0.3 mm Si (153 mm, ≈ 36 X0), read out as 45 layers of two physical layers each; per layer
9 radial bins of 4.65 mm and 16 angular bins; voxels flattened as (layer, α, r); electrons log-uniform between
1 GeV and 1 TeV. Only the silicon is active.

Energy scale, as the challenge's files: its dataset-creation notebook (``Dataset_creation.ipynb``, "Dataset 2",
CaloChallenge homepage repository) multiplies the Geant4 silicon deposits by ``1/0.033`` ("rescale by
sampling_fraction"), so the files hold E_tot/E_inc ≈ 1. Its evaluation (``code/evaluate.py``, ``min_energy``) then
zeroes voxels below ``0.5 keV / 0.033 = 15.15 keV`` *of the scaled voxels* — 0.5 keV in silicon. showerml does the
same: silicon deposits × :data:`ENERGY_SCALE`, then the :data:`THRESHOLD_MEV` cut on the scaled voxels.

Model: GFlash showers (:mod:`showerml.detectors.physics.em`) on the effective W/Si medium; the silicon sees the
fraction :data:`SAMPLING_FRACTION` = 0.033 of the deposited energy, the challenge's Geant4 sampling fraction quoted
above (the minimum-ionising estimate f_mip = t_Si (dE/dx)_Si / Σ t (dE/dx) = :data:`MIP_FRACTION` ≈ 0.036 puts its
e/mip at ≈ 0.91), with shower-by-shower sampling fluctuations σ/E = a/√(E/GeV) (a = 17 %, as measured for SiW
ECALs, CALICE, NIM A 608 (2009) 372).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from showerml.detectors.geometries import CALOCHALLENGE_2, CALOCHALLENGE_2_LAYER_DEPTH
from showerml.detectors.limits import em_spots, spot_batches
from showerml.detectors.physics.em import EMConfig, em_shower_spots
from showerml.detectors.physics.materials import SI, W, mixture
from showerml.detectors.physics.spots import Spots
from showerml.errors import InputError
from showerml.spectra import Spectrum

__all__ = ["CaloChallenge2Simulator", "ENERGY_SCALE", "MIP_FRACTION", "SAMPLING_FRACTION", "THRESHOLD_MEV", "W_SI"]

W_SI = mixture("W/Si 1.4+0.3 mm", [(W, 1.4), (SI, 0.3)])
#: visible (silicon) fraction of a minimum-ionising particle's loss
MIP_FRACTION = 0.3 * SI.mip_dedx / (0.3 * SI.mip_dedx + 1.4 * W.mip_dedx)
#: the challenge's sampling fraction of its Geant4 dataset-2 detector (Dataset_creation.ipynb, "Dataset 2")
SAMPLING_FRACTION = 0.033
#: factor from silicon deposits to the challenge's file scale (the same notebook: ``sampling_fraction = 1./0.033``)
ENERGY_SCALE = 1.0 / 0.033
#: voxel read-out threshold on the scaled voxels, MeV: 0.5 keV in silicon × ENERGY_SCALE (code/evaluate.py)
THRESHOLD_MEV = 0.5e-3 * ENERGY_SCALE
N_LAYERS, N_ALPHA, N_R = 45, 16, 9
R_BIN_MM = 4.65
DEPTH_MM = N_LAYERS * CALOCHALLENGE_2_LAYER_DEPTH
PARTICLES = ("e-", "e+", "gamma")

DS2_EM = EMConfig(halo_fraction=0.01, halo_scale_mm=15.0, halo_spots_per_gev=4.0, escape_mean=0.005)


def bin_cylindrical(spots: Spots, n_events: int) -> np.ndarray:
    """Spots → (n, 6480) voxel energies (layer, α, r); outside r < 41.85 mm or beyond 153 mm is lost."""
    layer = (spots.s / CALOCHALLENGE_2_LAYER_DEPTH).astype(np.int64)
    r = np.hypot(spots.u, spots.v)
    ir = (r / R_BIN_MM).astype(np.int64)
    keep = (spots.s >= 0) & (layer < N_LAYERS) & (ir < N_R)
    alpha = np.arctan2(spots.v[keep], spots.u[keep])
    ia = np.minimum(((alpha + np.pi) / (2 * np.pi) * N_ALPHA).astype(np.int64), N_ALPHA - 1)
    voxel = (layer[keep] * N_ALPHA + ia) * N_R + ir[keep]
    n_vox = CALOCHALLENGE_2.n_voxels
    flat = np.bincount(spots.event[keep] * n_vox + voxel, weights=spots.energy[keep], minlength=n_events * n_vox)
    return flat.reshape(n_events, n_vox)


@dataclass(frozen=True)
class CaloChallenge2Simulator:
    """Electron (or photon) showers in the dataset-2 geometry, output in the CaloChallenge layout (MeV)."""

    particle: str = "e-"
    em: EMConfig = field(default_factory=lambda: DS2_EM)
    sampling_fraction: float = SAMPLING_FRACTION
    sampling_term: float = 0.17
    energy_scale: float = ENERGY_SCALE
    threshold_mev: float = THRESHOLD_MEV
    chunk_size: int = 250

    def __post_init__(self) -> None:
        if self.particle not in PARTICLES:
            raise InputError(
                f"unknown particle '{self.particle}' for calochallenge2: choose one of {', '.join(PARTICLES)}"
            )

    def attrs(self) -> dict[str, Any]:
        return {
            "detector": "calochallenge2",
            "particle": self.particle,
            "layout": "calochallenge",
            "geometry": CALOCHALLENGE_2.to_json(),
            "units": "MeV, mm",
            "sampling_fraction": self.sampling_fraction,
            "energy_scale": self.energy_scale,
            "energy_scale_note": "silicon deposits x energy_scale (the challenge's 1/0.033); E_tot/E_inc ~ 1",
            "threshold_mev": self.threshold_mev,
            "threshold_note": "applied to the scaled voxels (0.5 keV in silicon), as the challenge's evaluate.py",
            "material": f"{W_SI.name}: X0 {W_SI.x0:.2f} mm, R_M {W_SI.moliere_radius:.1f} mm",
        }

    def visible_showers(self, energy_mev: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(n, 6480) voxels at the challenge's scale (silicon deposits × ``energy_scale``), zero below threshold."""
        n = len(energy_mev)
        spots = em_shower_spots(energy_mev, W_SI, rng, photon=self.particle == "gamma", config=self.em)
        scale = self.sampling_fraction * self.energy_scale * np.clip(
            rng.normal(1.0, self.sampling_term / np.sqrt(energy_mev / 1000.0)), 0.05, None
        )
        spots.energy = spots.energy * scale[spots.event]
        voxels = bin_cylindrical(spots, n)
        voxels[voxels < self.threshold_mev] = 0.0
        return voxels

    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        energy = spectrum.sample(rng, n)
        showers = np.concatenate([self.visible_showers(energy[b], rng).astype(np.float32)
                                  for b in spot_batches(self.spots_per_event(energy))])
        return {"incident_energies": energy[:, None], "showers": showers}

    def spots_per_event(self, energy_mev: np.ndarray) -> np.ndarray:
        """Estimated spots per shower (:mod:`showerml.detectors.limits`), for batching and memory estimates."""
        halo = self.em.halo_spots_per_gev if self.em.halo_fraction > 0 else 0.0
        return em_spots(np.asarray(energy_mev) / 1000.0, self.em.spots_per_gev, self.em.spots_power,
                        self.em.min_spots, halo)
