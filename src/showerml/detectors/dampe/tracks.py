"""Charged tracks through the DAMPE-like detector and the secondaries that reach the PSD and the STK.

- :class:`Lines`: straight charged tracks (primaries, e± pairs, nuclear fragments, hadronic secondaries) between two
  depths; each leaves Landau-distributed ionisation (ξ ∝ z², :mod:`showerml.detectors.physics.ionisation`) in the PSD
  bars, STK layers and BGO bars it crosses, with path length thickness / cos θ.
- Pre-shower in the tracker: a TeV electron radiates ≈ (4/3) ln(E/E_min) photons per X0 above E_min (Rossi;
  PDG "Passage of particles through matter"), and each converts in a 1 mm W plate (0.285 X0) with probability
  1 − exp(−7/9 · 0.285/cos θ); the pairs add tracks in the planes below.
- Back-scatter (albedo) from the calorimeter: MeV photons and electrons leave the shower start backwards and hit the
  STK and PSD. Their number grows sub-linearly with the calorimeter deposit, here ⟨N⟩ = κ (E_BGO / 100 GeV)^0.55
  with κ = 8, so a few tens of extra hits at 1 TeV and hundreds above 100 TeV (where the primary track becomes a
  needle in a haystack, as in the DAMPE track-finding studies, arXiv:2206.04532). Directions isotropic over the
  upward hemisphere; each secondary converts or Compton-scatters in one STK layer (80 %) or a PSD bar (20 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.detectors.dampe.geometry import (
    BGO_BAR,
    BGO_LAYER_Z,
    BGO_N_LAYERS,
    PSD_BAR_THICKNESS,
    PSD_SUBLAYER_Z,
    STK_LAYER_Z,
    STK_N_LAYERS,
    STK_SI_THICKNESS,
    STK_W_Z,
    bgo_bar,
    psd_bar,
)
from showerml.detectors.dampe.readout import ORIGIN, StkHits
from showerml.detectors.physics.ionisation import ionisation_loss
from showerml.detectors.physics.materials import BGO, PLASTIC_SCINTILLATOR, SI, W
from showerml.detectors.physics.nuclear import PLASTIC_NUCLEI, SI_NUCLEI, W_NUCLEI, interaction_length_scale

__all__ = ["Lines", "Hits", "line_hits", "preshower_lines", "backscatter_hits", "X0_BEFORE_BGO", "BACKSCATTER_KAPPA",
           "SLAB_Z", "SLAB_X0", "slab_lambda", "slab_z_at"]

#: thin slabs in front of the BGO (z, material, mm): the four PSD sub-layers count half (a track crosses one of the
#: two staggered bars of a layer, both in the 8 mm overlaps), the 12 Si layers and the 3 W plates
_SLABS = sorted(
    [(z, PLASTIC_SCINTILLATOR, 0.5 * PSD_BAR_THICKNESS) for z in PSD_SUBLAYER_Z]
    + [(z, SI, STK_SI_THICKNESS) for z in STK_LAYER_Z]
    + [(z, W, 1.0) for z in STK_W_Z],
    key=lambda t: t[0],
)
SLAB_Z = np.array([z for z, _, _ in _SLABS])
#: X0 of each slab at normal incidence
SLAB_X0 = np.array([t / m.x0 for _, m, t in _SLABS])
X0_BEFORE_BGO = float(SLAB_X0.sum())
_SLAB_NUCLEI = {"plastic": PLASTIC_NUCLEI, "Si": SI_NUCLEI, "W": W_NUCLEI}


def slab_lambda(mass_number: int) -> np.ndarray:
    """Interaction lengths λ_I of each slab at normal incidence for a projectile of mass number A (Bradt–Peters)."""
    return np.array([t / (m.lambda_i * float(interaction_length_scale(mass_number, _SLAB_NUCLEI[m.name])))
                     for _, m, t in _SLABS])


def slab_z_at(cumulative: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """z of the slab where a running thickness ``depth`` (same units as ``cumulative``) is reached."""
    k = np.searchsorted(cumulative, depth, side="right")
    return SLAB_Z[np.clip(k, 0, len(SLAB_Z) - 1)]
BACKSCATTER_KAPPA = 8.0
BACKSCATTER_POWER = 0.55


@dataclass
class Lines:
    """Straight tracks of parent event ``event`` with |charge| ``charge``, ionising for ``z_from`` ≤ z < ``z_to``."""

    event: np.ndarray
    intercept: np.ndarray  # (m, 2) at z = 0
    slope: np.ndarray  # (m, 2)
    charge: np.ndarray
    z_from: np.ndarray
    z_to: np.ndarray
    origin: np.ndarray

    @classmethod
    def concat(cls, parts: list[Lines]) -> Lines:
        fields = ("event", "intercept", "slope", "charge", "z_from", "z_to", "origin")
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))


@dataclass
class Hits:
    """Detector hits of one batch: STK deposits, PSD (event, layer, bar, MeV), BGO (event, layer, bar, MeV)."""

    stk: StkHits
    psd: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    bgo: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _crossings(lines: Lines, z: np.ndarray, coord_axis: np.ndarray):
    """(line index, layer index, measured coordinate) for every plane z[j] with z_from ≤ z < z_to."""
    inside = (z[None, :] >= lines.z_from[:, None]) & (z[None, :] < lines.z_to[:, None])
    li, lj = np.nonzero(inside)
    axis = coord_axis[lj]
    coord = lines.intercept[li, axis] + lines.slope[li, axis] * z[lj]
    return li, lj, coord


def line_hits(lines: Lines, rng: np.random.Generator) -> Hits:
    """Ionisation of ``lines`` in the PSD sub-layers, STK layers and BGO layers they cross."""
    inv_cos = np.sqrt(1.0 + (lines.slope**2).sum(axis=1))
    # PSD: sub-layers 0, 1 measure y (layer 0), 2, 3 measure x (layer 1)
    li, lj, coord = _crossings(lines, PSD_SUBLAYER_Z, np.array([1, 1, 0, 0]))
    bar = np.where(lj % 2 == 0, psd_bar(coord, 0), psd_bar(coord, 1))
    e = ionisation_loss(PLASTIC_SCINTILLATOR, PSD_BAR_THICKNESS * inv_cos[li], rng, lines.charge[li])
    psd = (lines.event[li], lj // 2, bar, e)
    # STK: even layers measure x
    li, lj, coord = _crossings(lines, STK_LAYER_Z, np.arange(STK_N_LAYERS) % 2)
    e = ionisation_loss(SI, STK_SI_THICKNESS * inv_cos[li], rng, lines.charge[li])
    stk = StkHits(lines.event[li], lj, coord, e, lines.origin[li])
    # BGO: even layers measure x
    li, lj, coord = _crossings(lines, BGO_LAYER_Z, np.arange(BGO_N_LAYERS) % 2)
    e = ionisation_loss(BGO, BGO_BAR * inv_cos[li], rng, lines.charge[li])
    bgo = (lines.event[li], lj, bgo_bar(coord), e)
    return Hits(stk, psd, bgo)


def preshower_lines(
    event: np.ndarray,
    intercept: np.ndarray,
    slope: np.ndarray,
    energy_mev: np.ndarray,
    x0_start: np.ndarray,
    z_start: np.ndarray,
    z_end: float,
    rng: np.random.Generator,
    spread_rad: float = 0.02,
) -> Lines:
    """e± pairs from bremsstrahlung photons converting in the W plates below ``z_start``.

    ``x0_start``: X0 crossed (at normal incidence) before the radiating electron(s) appear, measured from the PSD top;
    at plate i the photon population is (4/3) ln(E/1 GeV) · t_i (t_i = X0 radiated so far / cos θ, one electron
    for e±, two for a converted pair) and a fraction 1 − exp(−7/9 · t_W/cos θ) converts.
    """
    inv_cos = np.sqrt(1.0 + (slope**2).sum(axis=1))
    ln_e = np.log(np.maximum(energy_mev / 1000.0, 1.0))
    plate_x0 = 1.0 / W.x0  # per mm of W
    parts = []
    for zw in STK_W_Z:
        x0_here = SLAB_X0[SLAB_Z < zw].sum()  # X0 at normal incidence from the PSD top to the plate
        radiated = np.clip(x0_here - x0_start, 0.0, None) * inv_cos
        active = z_start < zw
        photons = (4.0 / 3.0) * ln_e * radiated * active
        p_conv = 1.0 - np.exp(-7.0 / 9.0 * plate_x0 * inv_cos)
        n_pairs = rng.poisson(photons * p_conv)
        idx = np.repeat(np.arange(len(event)), 2 * n_pairs)
        if not len(idx):
            continue
        k = slope[idx] + rng.normal(0.0, spread_rad, (len(idx), 2))
        x_at = intercept[idx] + slope[idx] * zw  # start on the parent track at the plate
        parts.append(Lines(event[idx], x_at - k * zw, k, np.ones(len(idx)), np.full(len(idx), zw),
                           np.full(len(idx), z_end), np.full(len(idx), ORIGIN["secondary"])))
    if not parts:
        return _no_lines()
    return Lines.concat(parts)


def _no_lines() -> Lines:
    z = np.zeros(0)
    return Lines(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros((0, 2)), z, z, z, np.zeros(0, np.int64))


def backscatter_hits(
    event: np.ndarray, origin_xyz: np.ndarray, deposit_mev: np.ndarray, rng: np.random.Generator
) -> tuple[Hits, np.ndarray]:
    """Hits of albedo secondaries from ``origin_xyz`` (m, 3) of showers depositing ``deposit_mev``, and N per shower."""
    mean = BACKSCATTER_KAPPA * (np.maximum(deposit_mev, 0.0) / 1e5) ** BACKSCATTER_POWER
    n = rng.poisson(mean)
    idx = np.repeat(np.arange(len(event)), n)
    m = len(idx)
    cos_t = rng.random(m) * 0.98 + 0.02  # upward hemisphere, isotropic (grazing directions cut)
    phi = rng.uniform(0.0, 2 * np.pi, m)
    tan_t = np.sqrt(1.0 - cos_t**2) / cos_t
    in_psd = rng.random(m) < 0.2
    layer = np.where(in_psd, rng.integers(0, 4, m), rng.integers(0, STK_N_LAYERS, m))
    z_target = np.where(in_psd, PSD_SUBLAYER_Z[layer % 4], STK_LAYER_Z[layer % STK_N_LAYERS])
    dz = origin_xyz[idx, 2] - z_target  # > 0: travelling up
    x = origin_xyz[idx, 0] + tan_t * np.cos(phi) * dz
    y = origin_xyz[idx, 1] + tan_t * np.sin(phi) * dz
    ev = event[idx]
    # STK: one layer each, Landau of a unit charge over the inclined path
    s = ~in_psd
    coord = np.where(layer % 2 == 0, x, y)[s]
    e_stk = ionisation_loss(SI, STK_SI_THICKNESS / cos_t[s], rng, 1.0)
    stk = StkHits(ev[s], layer[s], coord, e_stk, np.full(int(s.sum()), ORIGIN["backscatter"]))
    # PSD: Compton electrons of MeV photons, ⟨ΔE⟩ ≈ 1 MeV
    p = in_psd
    sub = layer[p]
    coord = np.where(sub < 2, y[p], x[p])
    bar = np.where(sub % 2 == 0, psd_bar(coord, 0), psd_bar(coord, 1))
    psd = (ev[p], sub // 2, bar, rng.exponential(1.0, int(p.sum())))
    empty = np.zeros(0, np.int64)
    return Hits(stk, psd, (empty, empty, empty, np.zeros(0))), n
