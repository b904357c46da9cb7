"""Electromagnetic showers from the GFlash parametrisation, deposited as energy spots.

Grindhammer & Peters, "The parameterized simulation of electromagnetic showers in homogeneous and sampling
calorimeters", hep-ex/0001020; parameter values as in Geant4's ``GVFlashHomoShowerTuning``. With y = E/E_c:

- longitudinal (individual showers, correlated): ⟨ln T⟩ = ln(ln y − 0.812), ⟨ln α⟩ = ln(0.81 + (0.458 + 2.26/Z) ln y),
  σ(ln T) = 1/(−1.4 + 1.26 ln y), σ(ln α) = 1/(−0.58 + 0.86 ln y), ρ = 0.705 − 0.023 ln y;
  dE/dt = E · Gamma(t; α, β) with β = (α − 1)/T and t in X0;
- radial, in Molière units, τ = t/T: f(r) = p·2rR_C²/(r² + R_C²)² + (1 − p)·2rR_T²/(r² + R_T²)², sampled as
  r = R √(u/(1 − u)).

Photons first travel an exponential conversion depth with mean 9/7 X0, so their maximum lies about one X0 deeper
(PDG: t_max = ln(E/E_c) − 0.5 for electrons, + 0.5 for photons). A finite number of spots with Gamma-distributed
weights carries the shower-to-shower and cell-to-cell fluctuations. A soft halo (a small energy fraction in many
low-energy spots with a wide exponential lateral profile) stands for the low-energy photons Geant4 tracks far from
the core; it is what makes the outer cells of a real calorimeter sparsely but not entirely empty. Before the
shower builds up, the primary electron (or the conversion pair) ionises along the axis at the minimum-ionising rate
with Landau fluctuations, over the first half of the way to the maximum; this energy is taken from the profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.detectors.physics.ionisation import mip_track_spots
from showerml.detectors.physics.materials import Material
from showerml.detectors.physics.spots import Spots

__all__ = ["EMConfig", "gflash_mean_alpha", "gflash_longitudinal", "gflash_radial", "gflash_radial_scales",
           "gflash_core_probability", "em_shower_spots", "gamma_weights", "CONVERSION_DEPTH_X0"]

#: mean photon conversion depth in X0 (pair-production mean free path, 9/7 X0)
CONVERSION_DEPTH_X0 = 9.0 / 7.0


@dataclass(frozen=True)
class EMConfig:
    """Spot sampling and the soft halo (defaults calibrated against Geant4 CaloGAN showers)."""

    spots_per_gev: float = 60.0  # core spots: spots_per_gev · E^spots_power (E in GeV)
    spots_power: float = 0.6
    min_spots: int = 12
    spot_weight_shape: float = 3.0  # Gamma shape of spot weights (∞ → equal weights)
    halo_fraction: float = 0.02  # energy fraction in the soft halo
    halo_scale_mm: float = 60.0  # 2D-exponential lateral scale of the halo
    halo_spots_per_gev: float = 12.0
    halo_depth_stretch: float = 1.3  # mean halo depth / mean core depth
    halo_shape_factor: float = 0.5  # halo Gamma shape / core Gamma shape (< 1: a broader depth profile)
    depth_shift_x0: float = 0.0  # added to T (sampling-calorimeter correction of the homogeneous tuning)
    max_radius_rm: float = 5.0  # the core/tail profile is truncated here; beyond lies only the halo
    primary_track_fraction: float = 0.5  # the primary ionises along the axis over this fraction of T
    primary_track_step_x0: float = 0.25
    escape_mean: float = 0.005  # mean fraction of energy leaving as albedo / soft escaping photons
    escape_std: float = 0.003


def gflash_mean_alpha(energy_mev: np.ndarray, material: Material) -> np.ndarray:
    """exp⟨ln α⟩ = 0.81 + (0.458 + 2.26/Z) ln y, y = E/E_c: the typical Gamma shape of individual showers."""
    ln_y = np.log(np.maximum(np.asarray(energy_mev) / material.ec, 8.0))
    return 0.81 + (0.458 + 2.26 / material.z) * ln_y


def gflash_longitudinal(
    energy_mev: np.ndarray, material: Material, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per-shower (α, T): Gamma shape and depth of the maximum T (in X0), with correlated fluctuations."""
    ln_y = np.log(np.maximum(energy_mev / material.ec, 8.0))
    mean_ln_t = np.log(ln_y - 0.812)
    mean_ln_a = np.log(gflash_mean_alpha(energy_mev, material))
    sig_t = 1.0 / (-1.4 + 1.26 * ln_y)
    sig_a = 1.0 / (-0.58 + 0.86 * ln_y)
    rho = np.clip(0.705 - 0.023 * ln_y, -1.0, 1.0)
    z1, z2 = rng.standard_normal((2, len(energy_mev)))
    a, b = np.sqrt((1 + rho) / 2), np.sqrt((1 - rho) / 2)
    t_max = np.exp(mean_ln_t + sig_t * (a * z1 + b * z2))
    alpha = np.exp(mean_ln_a + sig_a * (a * z1 - b * z2))
    return np.maximum(alpha, 1.05), t_max


def gflash_radial_scales(tau: np.ndarray, energy_gev: np.ndarray | float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """(R_C, R_T) in Molière units at relative depth ``tau`` = t/T: the core and tail scales of the GFlash
    two-component radial profile (Grindhammer & Peters, hep-ex/0001020)."""
    ln_e = np.log(np.maximum(energy_gev, 1e-3))
    r_core = 0.0251 + 0.00319 * ln_e + (0.1162 - 0.000381 * z) * tau
    k1, k2, k3, k4 = 0.659 - 0.00309 * z, 0.645, -2.59, 0.3585 + 0.0412 * ln_e
    r_tail = k1 * (np.exp(np.clip(k3 * (tau - k2), None, 50)) + np.exp(np.clip(k4 * (tau - k2), None, 50)))
    return r_core, r_tail


def gflash_radial(
    tau: np.ndarray, energy_gev: np.ndarray, z: float, u: np.ndarray, core: np.ndarray, r_max: float = np.inf
) -> np.ndarray:
    """Radius in Molière units at relative depth ``tau`` = t/T; ``core`` picks R_C (else R_T) for each spot.

    ``u`` ~ U(0, 1) is mapped through the inverse CDF r²/(r² + R²) truncated at ``r_max``.
    """
    r_core, r_tail = gflash_radial_scales(tau, energy_gev, z)
    scale = np.where(core, r_core, r_tail)
    u_max = r_max**2 / (r_max**2 + scale**2) if np.isfinite(r_max) else 1.0 - 1e-9
    u = u * u_max
    return scale * np.sqrt(u / (1.0 - u))


def gflash_core_probability(tau: np.ndarray, energy_gev: np.ndarray, z: float) -> np.ndarray:
    """p(τ): the core weight of the two-component radial profile."""
    ln_e = np.log(np.maximum(energy_gev, 1e-3))
    p1, p2, p3 = 2.632 - 0.00094 * z, 0.401 + 0.00187 * z, 1.313 - 0.0686 * ln_e
    x = (p2 - tau) / p3
    return np.clip(p1 * np.exp(x - np.exp(np.clip(x, None, 50))), 0.0, 1.0)


def gamma_weights(rng: np.random.Generator, event: np.ndarray, totals: np.ndarray, shape: float) -> np.ndarray:
    """Spot energies: Gamma(shape) weights normalised so each event's spots sum to ``totals[event]``."""
    w = rng.gamma(shape, 1.0, len(event)) if np.isfinite(shape) else np.ones(len(event))
    norm = np.bincount(event, weights=w, minlength=len(totals))
    safe = np.where(norm > 0, norm, 1.0)
    return totals[event] * w / safe[event]


def em_shower_spots(
    energy_mev: np.ndarray,
    material: Material,
    rng: np.random.Generator,
    photon: np.ndarray | bool = False,
    config: EMConfig | None = None,
    event: np.ndarray | None = None,
) -> Spots:
    """Spots of EM showers of energies ``energy_mev`` starting at s = 0 (photons convert first).

    ``event`` maps each shower to a parent event index (default: one shower per event); the deposited total is
    E (1 − escape) with escape ~ Gamma(mean ``escape_mean``, std ``escape_std``).
    """
    cfg = config or EMConfig()
    e = np.asarray(energy_mev, dtype=float)
    n = len(e)
    parent = np.arange(n) if event is None else np.asarray(event)
    e_gev = e / 1000.0
    alpha, t_max = gflash_longitudinal(e, material, rng)
    t_max = t_max + cfg.depth_shift_x0
    beta = (alpha - 1.0) / t_max
    is_photon = np.broadcast_to(np.asarray(photon, dtype=bool), (n,))
    start = np.where(is_photon, rng.exponential(CONVERSION_DEPTH_X0, n), 0.0)
    if cfg.escape_std > 0:
        k = (cfg.escape_mean / cfg.escape_std) ** 2
        escape = rng.gamma(k, cfg.escape_mean / k, n)
    else:
        escape = np.full(n, cfg.escape_mean)
    deposit = e * np.clip(1.0 - escape, 0.0, 1.0)

    # the primary (or the conversion pair) ionises along the axis until about half-way to the maximum
    track_len = cfg.primary_track_fraction * t_max
    track = mip_track_spots(
        np.arange(n),
        start * material.x0,
        (start + track_len) * material.x0,
        material,
        rng,
        charge=np.where(is_photon, np.sqrt(2.0), 1.0),
        step_mm=cfg.primary_track_step_x0 * material.x0,
    )
    track_energy = np.minimum(track.total_per_event(n), 0.5 * deposit)
    deposit = deposit - track_energy

    # core spots (first n_c) and soft-halo spots (rest), filled into one set of arrays
    n_core = np.maximum(rng.poisson(cfg.spots_per_gev * e_gev**cfg.spots_power), cfg.min_spots)
    n_halo = rng.poisson(cfg.halo_spots_per_gev * e_gev) if cfg.halo_fraction > 0 else np.zeros(n, dtype=int)
    has_halo = n_halo > 0
    idx = np.repeat(np.arange(n), n_core)
    hidx = np.repeat(np.arange(n), n_halo)
    n_c = len(idx)
    shape_h = cfg.halo_shape_factor * alpha[hidx]
    shapes = np.concatenate([alpha[idx], shape_h])
    scales = np.concatenate([1.0 / beta[idx], cfg.halo_depth_stretch * alpha[hidx] / (beta[hidx] * shape_h)])
    t = rng.standard_gamma(shapes) * scales
    r = np.empty_like(t)
    tau = t[:n_c] / t_max[idx]
    core = rng.random(n_c) < gflash_core_probability(tau, e_gev[idx], material.z)
    r[:n_c] = gflash_radial(tau, e_gev[idx], material.z, rng.random(n_c), core, cfg.max_radius_rm)
    r[:n_c] *= material.moliere_radius
    r[n_c:] = rng.standard_gamma(2.0, len(hidx), dtype=np.float32) * cfg.halo_scale_mm
    all_idx = np.concatenate([idx, hidx])
    t += start[all_idx]
    t *= material.x0
    phi = rng.random(len(t), dtype=np.float32) * np.float32(2 * np.pi)  # float32 trig is ~10× faster

    # energies: Gamma weights normalised within (shower, component)
    core_total = deposit * np.where(has_halo, 1.0 - cfg.halo_fraction, 1.0)
    weights = np.empty_like(t)
    weights[:n_c] = rng.gamma(cfg.spot_weight_shape, 1.0, n_c) if np.isfinite(cfg.spot_weight_shape) else 1.0
    weights[n_c:] = rng.standard_exponential(len(hidx), dtype=np.float32)
    group = all_idx * 2
    group[n_c:] += 1
    totals = np.empty(2 * n)
    totals[0::2], totals[1::2] = core_total, deposit * cfg.halo_fraction * has_halo
    norm = np.bincount(group, weights=weights, minlength=2 * n)
    energy = weights * (totals / np.where(norm > 0, norm, 1.0))[group]
    shower = Spots(all_idx, t, r * np.cos(phi), r * np.sin(phi), energy)
    raw = track.total_per_event(n)
    track.energy *= (track_energy / np.where(raw > 0, raw, 1.0))[track.event]
    spots = Spots.concat([track, shower])
    spots.event = parent[spots.event]
    return spots
