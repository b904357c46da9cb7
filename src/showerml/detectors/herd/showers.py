"""Showers of e±/γ and of protons/nuclei in the HERD-like LYSO cube calorimeter, as dense per-cube deposits.

- e± shower from the point where the track enters the calorimeter; γ after an Exp(9/7 X0) conversion depth
  (:mod:`.em`; the GFlash energy profile holds the primary's own ionisation, as in the DAMPE-like BGO).
- Protons and nuclei: the same refined hadron model as the DAMPE-like BGO
  (:data:`~showerml.detectors.dampe.hadron_primaries.DAMPE_HADRON`, :func:`~showerml.detectors.physics.hadronic.
  hadron_shower_parts`) in LYSO: the first interaction after Exp(λ_I) of LYSO (nuclei: Bradt–Peters scaled,
  :mod:`showerml.detectors.physics.nuclear`, with LYSO's nuclei), a minimum-ionising Z² track before it, a spectator
  fragment Z_f ~ Binomial(Z − 1, ½) carrying A_f/A of the energy straight on, π0 sub-showers as homogeneous GFlash
  photon showers on their own tilted axes (:mod:`.em`), the non-EM part as explicit spots (Bock longitudinal, core +
  halo lateral) placed in 3D around the hadron axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.detectors.dampe.particles import Particle
from showerml.detectors.herd import geometry as geo
from showerml.detectors.herd.em import HERD_EM, CubeEMConfig, deposit_em_cubes, transverse_basis
from showerml.detectors.physics.em_homogeneous import HomogeneousEMConfig
from showerml.detectors.physics.hadronic import HadronConfig, hadron_shower_parts
from showerml.detectors.physics.materials import LYSO
from showerml.detectors.physics.nuclear import interaction_length_scale

__all__ = ["LYSO_NUCLEI", "HerdShowers", "em_primaries", "hadron_primaries", "mip_deposit", "NO_INTERACTION"]

#: (A, atoms per formula unit) of Lu1.8Y0.2SiO5 (standard atomic weights)
LYSO_NUCLEI: tuple[tuple[float, float], ...] = ((175.0, 1.8), (88.9, 0.2), (28.1, 1.0), (16.0, 5.0))
#: first-interaction depth stored when the primary crosses without interacting (mm)
NO_INTERACTION = 1.0e4
_MIP_STEP = 3.0  # mm between the sample points of a minimum-ionising track


@dataclass
class HerdShowers:
    """Dense deposits (n, N_CELLS) MeV and the truth of the first interaction / conversion: its depth along the track
    from the calorimeter entry (mm; :data:`NO_INTERACTION` when none) and point (n, 3)."""

    deposit: np.ndarray
    depth: np.ndarray
    point: np.ndarray


def mip_deposit(event: np.ndarray, start: np.ndarray, direction: np.ndarray, length: np.ndarray,
                charge: np.ndarray, n_events: int) -> np.ndarray:
    """(n_events, N_CELLS) MeV of straight minimum-ionising tracks: Z² dE/dx_min(LYSO) over ``length`` mm from
    ``start`` along ``direction``, sampled every 3 mm (the cube of each sample point gets its segment)."""
    out = np.zeros(n_events * geo.N_CELLS)
    length = np.maximum(np.asarray(length, dtype=float), 0.0)
    n_pts = np.ceil(length / _MIP_STEP).astype(np.int64)
    rep = np.repeat(np.arange(len(event)), n_pts)
    if len(rep) == 0:
        return out.reshape(n_events, geo.N_CELLS)
    first = np.cumsum(n_pts) - n_pts
    j = np.arange(len(rep)) - first[rep]
    seg = np.minimum(_MIP_STEP, length[rep] - j * _MIP_STEP)
    s = j * _MIP_STEP + 0.5 * seg
    pts = start[rep] + s[:, None] * direction[rep]
    cell = geo.cube_index(pts)
    ok = cell >= 0
    de = seg * LYSO.mip_dedx * np.asarray(charge, dtype=float)[rep] ** 2
    out += np.bincount((event[rep] * geo.N_CELLS + cell)[ok], weights=de[ok], minlength=len(out))
    return out.reshape(n_events, geo.N_CELLS)


def em_primaries(primary: Particle, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator,
                 em: HomogeneousEMConfig = HERD_EM, cubes: CubeEMConfig | None = None) -> HerdShowers:
    """e± and γ showers starting at the calorimeter entry (γ: the conversion depth is drawn inside
    :func:`~showerml.detectors.herd.em.deposit_em_cubes` and not returned: the truth depth is 0)."""
    n = len(energy)
    entry = tracks.entry
    dep = deposit_em_cubes(np.arange(n), energy, entry, tracks.direction, primary.photon, n, rng, em, cubes)
    return HerdShowers(dep.reshape(n, geo.N_CELLS), np.zeros(n), entry)


def hadron_primaries(primary: Particle, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator,
                     hadron: HadronConfig, em: HomogeneousEMConfig = HERD_EM, cubes: CubeEMConfig | None = None
                     ) -> HerdShowers:
    """Protons and nuclei: MIP track, first interaction, fragment, π0 sub-showers and non-EM spots."""
    n = len(energy)
    ev = np.arange(n)
    entry, d, path = tracks.entry, tracks.direction, tracks.path
    lam = LYSO.lambda_i * float(interaction_length_scale(primary.a, LYSO_NUCLEI))
    depth = rng.exponential(lam, n)
    hit = depth < path
    depth = np.where(hit, depth, NO_INTERACTION)
    point = entry + np.minimum(depth, path)[:, None] * d
    # the primary ionises up to its interaction (or through), the spectator fragment from there on
    z = float(primary.z)
    deposit = mip_deposit(ev, entry, d, np.where(hit, depth, path), np.full(n, z), n)
    z_f = rng.binomial(primary.z - 1, 0.5, n) * hit if primary.z > 1 else np.zeros(n, np.int64)
    frag = np.flatnonzero(z_f > 0)
    deposit += mip_deposit(frag, point[frag], d[frag], path[frag] - depth[frag], z_f[frag], n)
    e_shower = energy * (1.0 - z_f / primary.z)
    idx = np.flatnonzero(hit)
    if len(idx) == 0:
        return HerdShowers(deposit, depth, point)
    subs, had, _ = hadron_shower_parts(e_shower[idx], LYSO, rng, hadron, event=idx)
    eu, ev3 = transverse_basis(d)
    # π0 sub-showers: origin = interaction point + start along the axis + (u, v) offset; axis tilted by (du, dv)
    k = subs.event
    origin = (point[k] + subs.start[:, None] * d[k] + subs.offset[:, :1] * eu[k] + subs.offset[:, 1:] * ev3[k])
    axis = d[k] + subs.tilt[:, :1] * eu[k] + subs.tilt[:, 1:] * ev3[k]
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    deposit += deposit_em_cubes(k, subs.energy, origin, axis, True, n, rng, em, cubes)
    # non-EM spots around the hadron axis
    h = had.event
    pts = point[h] + had.s[:, None] * d[h] + had.u[:, None] * eu[h] + had.v[:, None] * ev3[h]
    cell = geo.cube_index(pts)
    ok = cell >= 0
    flat = deposit.reshape(-1)
    flat += np.bincount((h * geo.N_CELLS + cell)[ok], weights=had.energy[ok], minlength=flat.size)
    return HerdShowers(deposit, depth, point)
