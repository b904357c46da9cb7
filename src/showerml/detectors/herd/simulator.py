"""The HERD-like simulator: isotropic primaries over five faces into a cube calorimeter of 7,497 LYSO cubes.

Per chunk: energies from the spectrum, tracks from :func:`~showerml.detectors.herd.geometry.generate_tracks`, the
charge-layer hits (:mod:`.tracker`), the showers of the primary's family (:mod:`.showers`) as dense per-cube
deposits, then the read-out: cubes above ``threshold_mev`` kept sparse (indices + energies, by decreasing energy,
at most ``max_hits`` per event; what does not fit is summed in ``calo_lost_mev``). A chunk is split into batches of
bounded estimated memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from showerml.detectors.dampe.hadron_primaries import DAMPE_HADRON
from showerml.detectors.dampe.particles import Particle, parse_particle
from showerml.detectors.herd import geometry as geo
from showerml.detectors.herd.em import HERD_EM, CubeEMConfig
from showerml.detectors.herd.layout import HERD_LAYOUT
from showerml.detectors.herd.showers import NO_INTERACTION, HerdShowers, em_primaries, hadron_primaries
from showerml.detectors.herd.tracker import tracker_hits
from showerml.detectors.limits import EnergyRange
from showerml.detectors.physics.em_homogeneous import HomogeneousEMConfig
from showerml.detectors.physics.hadronic import HadronConfig
from showerml.detectors.physics.materials import LYSO
from showerml.errors import InputError
from showerml.spectra import Spectrum

__all__ = ["HerdSimulator", "HERD_EM_RANGE", "HERD_NUCLEI_RANGE", "sparse_readout"]

#: e±/γ 10 GeV–100 TeV, nuclei 40 GeV–1 PeV: HERD's design goals (electrons to 100 TeV, nuclei to the knee;
#: S. N. Zhang et al., Proc. SPIE 9144 (2014) 91440X), the lower ends as the DAMPE-like ranges' scale
HERD_EM_RANGE = EnergyRange(10.0, 1.0e5, "HERD's design range for electrons and photons, up to 100 TeV")
HERD_NUCLEI_RANGE = EnergyRange(40.0, 1.0e6, "HERD's design range for protons and nuclei, up to the PeV knee")
#: estimated 256-byte units per batch (≈ 256 MB of temporaries)
_BATCH_UNITS = 1_000_000


def sparse_readout(deposit: np.ndarray, threshold_mev: float, max_hits: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(index (n, M) int16, energy (n, M) float32, n_hits, lost MeV) of dense (n, N_CELLS) deposits: cubes at or
    above ``threshold_mev``, by decreasing energy, −1 / 0 padding; deposits beyond M are summed in ``lost``."""
    n = len(deposit)
    above = np.where(deposit >= threshold_mev, deposit, 0.0)
    order = np.argsort(-above, axis=1, kind="stable")
    top = order[:, :max_hits]
    energy = np.take_along_axis(above, top, axis=1)
    valid = energy > 0
    index = np.where(valid, top, -1).astype(np.int16)
    overflow = (above > 0).sum(axis=1) > max_hits
    lost = np.where(overflow, above.sum(axis=1) - energy.sum(axis=1), 0.0)
    return (index, np.where(valid, energy, 0.0).astype(np.float32), valid.sum(axis=1).astype(np.int32),
            np.maximum(lost, 0.0).astype(np.float32).reshape(n))


@dataclass(frozen=True)
class HerdSimulator:
    """Events of ``particle`` (e-, e+, gamma, p, He, C, O, Fe, Z=N) in the HERD-like calorimeter."""

    particle: str = "p"
    incidence: str = "isotropic"  # or "vertical"
    threshold_mev: float = 5.0
    max_hits: int = 2048
    chunk_size: int = 200
    em: HomogeneousEMConfig = field(default_factory=lambda: HERD_EM)
    hadron: HadronConfig = field(default_factory=lambda: DAMPE_HADRON)
    cubes: CubeEMConfig = field(default_factory=CubeEMConfig)

    def __post_init__(self) -> None:
        self.primary  # noqa: B018 - validates the particle
        if self.incidence not in ("isotropic", "vertical"):
            raise InputError(f"unknown incidence '{self.incidence}': choose isotropic or vertical")
        if not (np.isfinite(self.threshold_mev) and 0.0 <= self.threshold_mev <= 1000.0):
            raise InputError(f"--threshold must be a deposit from 0 to 1000 MeV, got {self.threshold_mev}")
        if not 1 <= self.max_hits <= geo.N_CUBES:
            raise InputError(f"--max-hits must be between 1 and {geo.N_CUBES} (the cubes), got {self.max_hits}")
        if self.chunk_size < 1:
            raise InputError("chunk_size must be positive")
        if not isinstance(self.em, HomogeneousEMConfig) or self.em.material != LYSO:
            raise InputError("the HERD-like calorimeter takes a HomogeneousEMConfig in LYSO")
        if not self.hadron.first_interaction:
            raise InputError("the HERD-like calorimeter uses the refined hadron model (first_interaction: true)")

    @cached_property
    def primary(self) -> Particle:
        return parse_particle(self.particle)

    @property
    def energy_range(self) -> EnergyRange:
        return HERD_EM_RANGE if self.primary.electromagnetic else HERD_NUCLEI_RANGE

    #: estimated memory units (256 B) simulated at once
    spot_batch = _BATCH_UNITS

    def spots_per_event(self, energy_mev: np.ndarray) -> np.ndarray:
        """Batching cost of an event in 256-byte units: the dense cube array (3 copies) + ≈ 1,500 quadrature points
        per EM (sub-)shower at ≈ 150 B each; hadrons 2 + 2 ln(E/GeV) sub-showers plus their non-EM spots."""
        e_gev = np.maximum(np.asarray(energy_mev, dtype=float) / 1000.0, 1.0)
        dense = 3.0 * geo.N_CELLS * 8 / 256.0
        shower = 1500.0 * 150.0 / 256.0
        if self.primary.electromagnetic:
            return np.full(e_gev.shape, dense + shower)
        n_sub = 2.0 + 2.0 * np.log(e_gev)
        return dense + n_sub * shower + self.hadron.spots_per_gev * e_gev**self.hadron.spots_power

    def attrs(self) -> dict[str, Any]:
        p = self.primary
        return {
            "detector": "herd",
            "layout": "herd",
            "particle": p.name,
            "charge_z": p.z,
            "mass_number": p.a,
            "incidence": self.incidence,
            "threshold_mev": self.threshold_mev,
            "max_hits": self.max_hits,
            "n_side": geo.N_SIDE,
            "pitch_mm": geo.PITCH,
            "n_cubes": geo.N_CUBES,
            "units": "energies MeV, lengths mm, angles rad",
            "datasets": HERD_LAYOUT.describe(),
            "geometry": f"HERD-like: {geo.N_CUBES} LYSO cubes of 30 mm in a 21^3 octagonal prism (55 X0, 3 lambda_I), "
            "two five-sided charge layers; Zhang et al., Proc. SPIE 9144 (2014) 91440X",
        }

    def finish_attrs(self, n_written: int) -> dict[str, Any]:
        return {"acceptance_generation_m2sr": geo.acceptance_generation_m2sr() if self.incidence == "isotropic"
                else 0.0}

    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        energy = spectrum.sample(rng, n)
        tracks = geo.generate_tracks(rng, n, self.incidence)
        cost = np.cumsum(self.spots_per_event(energy))
        cuts = np.unique(np.searchsorted(cost, np.arange(_BATCH_UNITS, cost[-1], _BATCH_UNITS)))
        parts = [self._batch(energy[b], _take(tracks, b), rng) for b in np.split(np.arange(n), cuts) if len(b)]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def showers(self, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator) -> HerdShowers:
        """Dense per-cube deposits (before the read-out) of primaries of ``energy`` (MeV) along ``tracks``."""
        if self.primary.electromagnetic:
            return em_primaries(self.primary, energy, tracks, rng, self.em, self.cubes)
        return hadron_primaries(self.primary, energy, tracks, rng, self.hadron, self.em, self.cubes)

    def _batch(self, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n = len(energy)
        p = self.primary
        hits, signal, face = tracker_hits(tracks, p.z, rng)
        sh = self.showers(energy, tracks, rng)
        index, cube_e, n_hits, lost = sparse_readout(sh.deposit, self.threshold_mev, self.max_hits)
        depth = sh.depth if not p.electromagnetic else np.full(n, NO_INTERACTION)
        return {
            "calo_index": index,
            "calo_energy": cube_e,
            "calo_n_hits": n_hits,
            "calo_lost_mev": lost,
            "deposit_true": sh.deposit.sum(axis=1).astype(np.float32),
            "tracker_hits": hits.astype(np.float32),
            "tracker_signal": signal.astype(np.float32),
            "tracker_face": face,
            "energy": energy,
            "charge": np.full(n, p.z, np.int8),
            "pdg": np.full(n, p.pdg_like, np.int64),
            "direction": tracks.direction.astype(np.float32),
            "entry": tracks.entry.astype(np.float32),
            "theta": tracks.theta.astype(np.float32),
            "phi": tracks.phi.astype(np.float32),
            "path_length": tracks.path.astype(np.float32),
            "first_interaction_depth": depth.astype(np.float32),
            "n_trials": tracks.n_trials.astype(np.int32),
        }


def _take(t: geo.Tracks, idx: np.ndarray) -> geo.Tracks:
    return geo.Tracks(t.origin[idx], t.direction[idx], t.t_in[idx], t.t_out[idx], t.n_trials[idx])
