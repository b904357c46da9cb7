"""The DAMPE-like simulator: isotropic primaries through PSD, STK and BGO, vectorised over all events of a chunk.

Per chunk: energies from the spectrum, tracks from :func:`~showerml.detectors.dampe.geometry.generate_tracks`, then
the showers of the primary's family — :mod:`.em_primaries` (e±, γ) or :mod:`.hadron_primaries` (protons, nuclei),
each returning its BGO deposit, charged lines and first-interaction truth (:class:`.showers.PrimaryShowers`) — then
MIP hits of the lines, back-scatter, pre-shower pairs, noise, clustering and saturation as in :mod:`.tracks` and
:mod:`.readout`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.dampe.bgo import BGO_DEPTH, bgo_depth_to_z
from showerml.detectors.dampe.bgo_em import DAMPE_EM, em_step_cost
from showerml.detectors.dampe.em_primaries import electromagnetic_showers
from showerml.detectors.dampe.hadron_primaries import DAMPE_HADRON, hadronic_showers
from showerml.detectors.dampe.layout import DAMPE_LAYOUT
from showerml.detectors.dampe.particles import Particle, parse_particle
from showerml.detectors.dampe.readout import ReadoutConfig, StkHits, bgo_readout, psd_readout, stk_clusters
from showerml.detectors.dampe.showers import PrimaryShowers
from showerml.detectors.dampe.tracks import backscatter_hits, line_hits
from showerml.detectors.limits import DAMPE_EM_RANGE, DAMPE_NUCLEI_RANGE, EnergyRange
from showerml.detectors.physics.em_homogeneous import HomogeneousEMConfig
from showerml.detectors.physics.hadronic import HadronConfig
from showerml.detectors.physics.materials import BGO
from showerml.detectors.physics.spots import Spots
from showerml.errors import InputError
from showerml.spectra import Spectrum

__all__ = ["DampeSimulator"]

_SPOT_BUDGET = 4_000_000


@dataclass(frozen=True)
class DampeSimulator:
    """Events of ``particle`` (e-, e+, gamma, p, He, C, O, Fe, Z=N) in the DAMPE-like detector."""

    particle: str = "p"
    saturation_mev: float = 4.0e6
    incidence: str = "isotropic"  # or "vertical" (beam-test-like: along z within ±100 mm of the axis)
    chunk_size: int = 500
    max_clusters: int = 1024
    em: HomogeneousEMConfig = field(default_factory=lambda: DAMPE_EM)
    hadron: HadronConfig = field(default_factory=lambda: DAMPE_HADRON)

    def __post_init__(self) -> None:
        self.primary  # noqa: B018 - validates the particle
        if not (np.isfinite(self.saturation_mev) and self.saturation_mev > 0):
            raise InputError(f"--saturation must be a positive deposit in MeV, got {self.saturation_mev}")
        if self.incidence not in ("isotropic", "vertical"):
            raise InputError(f"unknown incidence '{self.incidence}': choose isotropic or vertical")
        if self.max_clusters < 1 or self.chunk_size < 1:
            raise InputError("max_clusters and chunk_size must be positive")
        if not isinstance(self.em, HomogeneousEMConfig):
            raise InputError(f"the DAMPE-like BGO takes a HomogeneousEMConfig, got {type(self.em).__name__}")

    @cached_property
    def primary(self) -> Particle:
        return parse_particle(self.particle)

    @property
    def energy_range(self) -> EnergyRange:
        """Incident energies the simulator is valid for (see :mod:`showerml.detectors.limits`)."""
        return DAMPE_EM_RANGE if self.primary.electromagnetic else DAMPE_NUCLEI_RANGE

    #: estimated spots simulated at once (a chunk is split into batches of this cost)
    spot_batch = _SPOT_BUDGET

    def spots_per_event(self, energy_mev: np.ndarray) -> np.ndarray:
        """The batching cost of an event in 256-byte spot units, + 200 for its tracks: e±/γ the per-bar deposition's
        step arrays (:func:`~showerml.detectors.dampe.bgo_em.em_step_cost`); hadrons their explicit non-EM spots,
        ``spots_per_gev`` (E/GeV)^``spots_power``, plus 2 + 2 ln(E/GeV) π0 sub-showers at the EM step cost (a
        generous count of the π0s of the first interaction and of the later generations)."""
        e = np.asarray(energy_mev, dtype=float)
        if self.primary.electromagnetic:
            return em_step_cost(e, self.em) + 200.0
        e_gev = np.maximum(e / 1000.0, 1.0)
        n_sub = 2.0 + 2.0 * np.log(e_gev)
        return (self.hadron.spots_per_gev * e_gev**self.hadron.spots_power + n_sub * em_step_cost(e, self.em)
                + 200.0)

    @property
    def readout(self) -> ReadoutConfig:
        return ReadoutConfig(saturation=self.saturation_mev, max_clusters=self.max_clusters)

    def attrs(self) -> dict[str, Any]:
        p = self.primary
        return {
            "detector": "dampe",
            "layout": "dampe",
            "particle": p.name,
            "charge_z": p.z,
            "mass_number": p.a,
            "incidence": self.incidence,
            "saturation_mev": self.saturation_mev,
            "max_clusters": self.max_clusters,
            "units": "energies MeV, lengths mm, angles rad",
            "datasets": DAMPE_LAYOUT.describe(),
            "geometry": "DAMPE-like PSD (2x41 bars) + STK (6 x/y planes, 242 um readout) + BGO (14x22 bars); "
            "Chang et al., Astropart. Phys. 95 (2017) 6",
        }

    def finish_attrs(self, n_written: int) -> dict[str, Any]:
        """Geometry factor of the PSD-top × BGO-bottom selection (MC, 2×10⁶ trials) and its analytic value."""
        if self.incidence != "isotropic":
            return {"acceptance_m2sr": 0.0, "acceptance_note": "vertical incidence: no geometry factor"}
        g, dg = geo.geometric_factor_mc()
        return {
            "acceptance_m2sr": g,
            "acceptance_err_m2sr": dg,
            "acceptance_analytic_m2sr": geo.geometric_factor_analytic(),
            "acceptance_generation_m2sr": (2 * geo.PSD_HALF) ** 2 * np.pi * 1e-6,
        }

    # --- simulation ------------------------------------------------------------------------------------------
    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        energy = spectrum.sample(rng, n)
        tracks = geo.generate_tracks(rng, n, self.incidence)
        cost = np.cumsum(self.spots_per_event(energy))
        cuts = np.searchsorted(cost, np.arange(_SPOT_BUDGET, cost[-1], _SPOT_BUDGET))
        parts = [self._batch(energy[b], tracks.take(b), rng) for b in np.split(np.arange(n), np.unique(cuts))
                 if len(b)]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def _batch(self, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n = len(energy)
        p = self.primary
        showers = self.showers(energy, tracks, rng)
        lines, z_int, depth, s0 = (showers.lines, showers.first_interaction_z, showers.first_interaction_depth,
                                   showers.shower_start)
        truth = showers.deposit
        shower_dep = truth.sum(axis=(1, 2))
        hits = line_hits(lines, rng)
        np.add.at(truth, (hits.bgo[0][hits.bgo[2] >= 0], hits.bgo[1][hits.bgo[2] >= 0],
                          hits.bgo[2][hits.bgo[2] >= 0]), hits.bgo[3][hits.bgo[2] >= 0])

        # back-scatter from the shower start region (≈ first 2 X0 of the shower)
        showering = np.flatnonzero(np.isfinite(s0))
        d_origin = np.maximum(s0[showering], 0.0) + rng.exponential(2.0 * BGO.x0, len(showering))
        z_o = bgo_depth_to_z(np.minimum(d_origin * tracks.cos_theta[showering], BGO_DEPTH - 1.0))
        xo, yo = tracks.intercept[showering] .T + tracks.slope[showering].T * z_o
        back, n_back_s = backscatter_hits(showering, np.column_stack([xo, yo, z_o]), shower_dep[showering], rng)
        n_back = np.zeros(n, np.int32)
        n_back[showering] = n_back_s

        cfg = self.readout
        clusters, n_clusters, origin = stk_clusters(StkHits.concat([hits.stk, back.stk]), n, rng, cfg)
        psd_hits = [np.concatenate([a, b]) for a, b in zip(hits.psd, back.psd, strict=True)]
        psd = psd_readout(psd_hits[0], psd_hits[1], psd_hits[2], psd_hits[3], n, rng, cfg)
        bgo, n_sat = bgo_readout(truth, rng, cfg)
        impact = np.column_stack([*tracks.at(geo.BGO_TOP_Z), np.full(n, geo.BGO_TOP_Z)])
        return {
            "bgo": bgo,
            "bgo_true": truth.astype(np.float32),
            "bgo_n_saturated": n_sat,
            "psd": psd,
            "stk_clusters": clusters,
            "stk_n_clusters": n_clusters,
            "stk_cluster_origin": origin,
            "energy": energy,
            "charge": np.full(n, p.z, np.int8),
            "pdg": np.full(n, p.pdg_like, np.int64),
            "theta": tracks.theta.astype(np.float32),
            "phi": tracks.phi.astype(np.float32),
            "intercept": tracks.intercept.astype(np.float32),
            "slope": tracks.slope.astype(np.float32),
            "impact": impact.astype(np.float32),
            "first_interaction_z": z_int.astype(np.float32),
            "first_interaction_depth": depth.astype(np.float32),
            "deposit_bgo": truth.sum(axis=(1, 2)).astype(np.float32),
            "n_backscatter": n_back,
            "n_trials": tracks.n_trials.astype(np.int32),
        }

    def showers(self, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator) -> PrimaryShowers:
        """The showers of primaries of ``energy`` (MeV) along ``tracks`` (no tracker hits, back-scatter or readout)."""
        if self.primary.electromagnetic:
            return electromagnetic_showers(self.primary, energy, tracks, rng, self.em)
        return hadronic_showers(self.primary, energy, tracks, rng, self.hadron, self.em)

    def shower_spots(self, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator) -> Spots:
        """The explicit shower spots (before binning) of primaries of ``energy`` (MeV) along ``tracks``: for studies
        of what the bars can resolve (e±/γ: every spot of the same model, drawn as with ``em.explicit_spots``);
        refused where the shower model deposits per bar without drawing spots."""
        if self.primary.electromagnetic:
            em = dataclasses.replace(self.em, explicit_spots=True)
            spots = electromagnetic_showers(self.primary, energy, tracks, rng, em).spots
        else:
            spots = self.showers(energy, tracks, rng).spots
        if spots is None:
            raise InputError("this shower model deposits energy per bar and draws no spots")
        return spots
