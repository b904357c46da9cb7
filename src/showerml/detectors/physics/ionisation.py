"""Ionisation energy loss of charged particles and nuclei in thin layers, with Landau fluctuations.

PDG Review "Passage of particles through matter" (2024), eqs. 34.10–34.12: for a layer of thickness x the Landau
width is ξ = (K/2) ⟨Z/A⟩ z² ρ x / β² with K = 0.307075 MeV cm²/mol, and at ultra-relativistic energies (the Fermi
plateau, where cosmic rays and collider muons/pions sit) the most probable loss is

    Δ_p = ξ [ ln(2 m_e c² ξ / (ħω_p)²) + 0.200 ],   ħω_p = 28.816 √(ρ ⟨Z/A⟩) eV.

For a nucleus of charge z, the loss is z² times that of a proton (Bethe–Bloch) with relative fluctuations shrinking
as 1/z: Δ(z) = z² [Δ_p + ξ (λ − λ_mp)/z], λ a standard Landau variate (``scipy.stats.landau``, mode λ_mp ≈ −0.2228).
This is the restricted-loss picture of thin detectors: δ-rays above a few MeV leave the layer, so the z² ln z² growth
of the unrestricted Landau most probable value does not appear, and the z²-fold number of soft collisions drives
the distribution towards a Gaussian (Vavilov), which is what makes PSD/STK charge peaks of heavy nuclei narrow.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import landau

from showerml.detectors.physics.materials import Material

__all__ = ["landau_parameters", "ionisation_loss", "birks_quenching", "LANDAU_MODE"]

K_MEV_CM2_PER_MOL = 0.307075
ELECTRON_MASS_EV = 0.51099895e6
#: mode of scipy's standard Landau density
LANDAU_MODE = -0.22278


def landau_parameters(material: Material, thickness_mm: np.ndarray, charge: np.ndarray | float = 1.0):
    """Unrestricted Landau (Δ_p, ξ) in MeV for the given path lengths and charges (β = 1, PDG eq. 34.12)."""
    x_cm = np.asarray(thickness_mm, dtype=float) / 10.0
    z2 = np.asarray(charge, dtype=float) ** 2
    xi = 0.5 * K_MEV_CM2_PER_MOL * material.z_over_a * material.density * x_cm * z2
    plasma_ev = 28.816 * np.sqrt(material.density * material.z_over_a)
    xi_ev = np.maximum(xi * 1e6, 1e-12)
    mpv = xi * (np.log(2 * ELECTRON_MASS_EV * xi_ev / plasma_ev**2) + 0.200)
    return np.maximum(mpv, 0.0), xi


def ionisation_loss(
    material: Material,
    thickness_mm: np.ndarray,
    rng: np.random.Generator,
    charge: np.ndarray | float = 1.0,
    max_fraction_of_mean: float = 50.0,
) -> np.ndarray:
    """Energy loss (MeV) for each path length: z² [Δ_p + ξ (λ − λ_mp)/z] with the unit-charge Δ_p, ξ.

    The Landau tail is cut at ``max_fraction_of_mean`` times the mean (Bethe) loss.
    """
    thickness = np.asarray(thickness_mm, dtype=float)
    z = np.abs(np.asarray(charge, dtype=float))
    mpv, xi = landau_parameters(material, thickness, 1.0)
    lam = landau.rvs(size=thickness.shape, random_state=rng)
    unit = np.clip(mpv + xi * (lam - LANDAU_MODE) / np.maximum(z, 1.0), 0.0, None)
    mean = material.mip_dedx * thickness
    return z**2 * np.minimum(unit, max_fraction_of_mean * mean + 1e-12)


def birks_quenching(deposit_mev: np.ndarray, path_mm: np.ndarray, kb_mm_per_mev: float) -> np.ndarray:
    """Visible light of a deposit, Birks' law L = ΔE / (1 + kB ΔE/Δx) (Birks, Proc. Phys. Soc. A 64 (1951) 874)."""
    dedx = deposit_mev / np.maximum(path_mm, 1e-9)
    return deposit_mev / (1.0 + kb_mm_per_mev * dedx)


def mip_track_spots(
    event: np.ndarray,
    s_start: np.ndarray,
    s_end: np.ndarray,
    material: Material,
    rng: np.random.Generator,
    charge: np.ndarray | float = 1.0,
    step_mm: float = 10.0,
):
    """Spots along straight tracks from ``s_start`` to ``s_end`` (mm on the axis), one per step, Landau losses."""
    from showerml.detectors.physics.spots import Spots

    length = np.maximum(np.asarray(s_end, float) - np.asarray(s_start, float), 0.0)
    n_steps = np.ceil(length / step_mm).astype(np.int64)
    idx = np.repeat(np.arange(len(length)), n_steps)
    first = np.repeat(np.cumsum(n_steps) - n_steps, n_steps)
    k = np.arange(len(idx)) - first
    lo = np.asarray(s_start, float)[idx] + k * step_mm
    hi = np.minimum(lo + step_mm, np.asarray(s_end, float)[idx])
    q = np.broadcast_to(np.asarray(charge, dtype=float), length.shape)[idx]
    energy = ionisation_loss(material, hi - lo, rng, q)
    zeros = np.zeros(len(idx))
    return Spots(np.asarray(event)[idx], 0.5 * (lo + hi), zeros, zeros.copy(), energy)
