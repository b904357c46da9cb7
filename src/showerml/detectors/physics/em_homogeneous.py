"""GFlash electromagnetic showers in a homogeneous medium (the DAMPE-like BGO), as spot and energy profiles.

Grindhammer & Peters, "The parameterized simulation of electromagnetic showers in homogeneous and sampling
calorimeters", hep-ex/0001020, with the parameter values of Geant4's homogeneous tuning
(``GVFlashHomoShowerTuning.hh``) and the conventions of ``GFlashHomoShowerParameterisation.cc``
(Geant4 10/11, ``source/parameterisations/gflash``). y = E/E_c, Z the effective atomic number, E in GeV where a
formula has ln E, depths t in X0 from the shower start, r in Molière radii.

- Per shower, correlated (T, α) — :func:`~showerml.detectors.physics.em.gflash_longitudinal` (the same formula
  that em.py uses): ⟨ln T⟩ = ln(ln y − 0.812), ⟨ln α⟩ = ln(0.81 + (0.458 + 2.26/Z) ln y),
  σ(ln T) = 1/(−1.4 + 1.26 ln y), σ(ln α) = 1/(−0.58 + 0.86 ln y), ρ = 0.705 − 0.023 ln y; the energy profile is
  dE/dt = E · Gamma(t; α, β), β = (α − 1)/T.
- Spots: N_spot = 93 · ln Z · E^0.876 (``ParSpotN1``, ``ParSpotN2``), distributed in depth as Gamma(t; α_s, β_s)
  with T_s = T (0.698 + 0.00212 Z), α_s = α (0.639 + 0.00334 Z) (``ParSpotT1/T2``, ``ParSpotA1/A2``). All spots
  of one longitudinal step carry the same energy, ΔE_step / N_step (``GFlashShowerModel``).
- Radial profile at τ: f(r) = p·2rR_C²/(r² + R_C²)² + (1 − p)·2rR_T²/(r² + R_T²)² with R_C, R_T, p of
  :func:`~showerml.detectors.physics.em.gflash_radial_scales` and
  :func:`~showerml.detectors.physics.em.gflash_core_probability` (``ParRC1…4``, ``ParRT1…6``, ``ParWC1…6``).
  τ is the depth in units of the individual shower's maximum, rescaled as Geant4's ``ComputeTau`` does:
  τ = t/T · ((α − 1)/α) · (ᾱ/(ᾱ − 1)), ᾱ = exp⟨ln α⟩.
- Projection across one transverse axis (for bars): each component's 2D density R²/(π(r² + R²)²) projects to
  R²/(2(x² + R²)^{3/2}), CDF ½(1 + x/√(x² + R²)) (:func:`projected_cdf`); the tail's second moment diverges
  logarithmically, so the profile is truncated by the calorimeter edge: spots beyond it leak.

Differences from Geant4's implementation, stated: E_c and R_M are the material's (BGO: E_c = 10.50 MeV Rossi,
R_M = 22.6 mm, :mod:`.materials`), not Geant4's E_c = 2.66 (X0 Z/A)^1.1 MeV with E_s = 21 MeV (≈ 9.6 MeV and
24.5 mm for BGO); the per-step spot count is rounded stochastically (expectation N_spot ΔF_s) rather than floored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc

from showerml.detectors.physics.em import (
    CONVERSION_DEPTH_X0,
    gflash_core_probability,
    gflash_longitudinal,
    gflash_mean_alpha,
    gflash_radial_scales,
)
from showerml.detectors.physics.materials import BGO, Material
from showerml.errors import InputError

__all__ = ["HomogeneousEMConfig", "HomogeneousProfile", "homogeneous_profiles", "spot_count", "spot_shape",
           "gflash_tau", "step_fractions", "projected_cdf", "projected_share", "radial_parameters",
           "CONVERSION_DEPTH_X0", "SPOT_T1", "SPOT_T2", "SPOT_A1", "SPOT_A2", "SPOT_N1", "SPOT_N2"]

#: spot longitudinal profile, T_s = T (t1 + t2 Z), α_s = α (a1 + a2 Z) (``GVFlashHomoShowerTuning::ParSpotT/A``)
SPOT_T1, SPOT_T2, SPOT_A1, SPOT_A2 = 0.698, 0.00212, 0.639, 0.00334
#: spot count N_spot = n1 ln Z (E/GeV)^n2 (``GVFlashHomoShowerTuning::ParSpotN1/N2``)
SPOT_N1, SPOT_N2 = 93.0, 0.876


@dataclass(frozen=True)
class HomogeneousEMConfig:
    """Homogeneous GFlash showers in the BGO (defaults: Geant4's homogeneous tuning).

    spots_per_ln_z, spots_power: N_spot = spots_per_ln_z · ln Z · (E/GeV)^spots_power (93, 0.876);
    steps_per_layer: longitudinal steps per BGO layer crossing (the axis position and τ are evaluated at each
    step's middle); spot_weight_shape: Gamma shape of the spot weights within a step (∞ = GFlash's equal weights);
    explicit_spots: draw and bin every spot (the slow reference path, with the full spot geometry) instead of
    multinomial counts per bar.
    """

    spots_per_ln_z: float = SPOT_N1
    spots_power: float = SPOT_N2
    steps_per_layer: int = 4
    spot_weight_shape: float = math.inf
    explicit_spots: bool = False
    material: Material = BGO

    def __post_init__(self) -> None:
        if not (np.isfinite(self.spots_per_ln_z) and self.spots_per_ln_z > 0):
            raise InputError(f"spots_per_ln_z must be a positive finite spot-count normalisation (GFlash: 93), "
                             f"got {self.spots_per_ln_z}")
        if not (np.isfinite(self.spots_power) and 0.0 < self.spots_power <= 2.0):
            raise InputError(f"spots_power must lie in (0, 2] (GFlash: 0.876), got {self.spots_power}")
        if not (isinstance(self.steps_per_layer, int | np.integer) and 1 <= self.steps_per_layer <= 50):
            raise InputError(f"steps_per_layer must be an integer from 1 to 50, got {self.steps_per_layer}")
        if not (self.spot_weight_shape > 0 and not np.isnan(self.spot_weight_shape)):
            raise InputError(f"spot_weight_shape must be positive (inf = equal spot weights), "
                             f"got {self.spot_weight_shape}")
        if not isinstance(self.explicit_spots, bool | np.bool_):
            raise InputError(f"explicit_spots must be true or false, got {self.explicit_spots!r}")
        if not (self.material.z > 1 and self.material.x0 > 0 and self.material.ec > 0):
            raise InputError(f"material {self.material.name}: Z must exceed 1 and X0, E_c be positive")


@dataclass
class HomogeneousProfile:
    """Per-shower GFlash parameters: energy profile (α, β), spot profile (α_s, β_s), N_spot, ᾱ, E (GeV)."""

    alpha: np.ndarray
    beta: np.ndarray
    alpha_s: np.ndarray
    beta_s: np.ndarray
    n_spot: np.ndarray
    mean_alpha: np.ndarray
    t_max: np.ndarray
    energy_gev: np.ndarray


def spot_count(energy_gev: np.ndarray | float, config: HomogeneousEMConfig) -> np.ndarray:
    """N_spot = 93 · ln Z · (E/GeV)^0.876 (expected spots of one shower)."""
    e = np.asarray(energy_gev, dtype=float)
    return config.spots_per_ln_z * math.log(config.material.z) * np.maximum(e, 0.0) ** config.spots_power


def spot_shape(alpha: np.ndarray, t_max: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """(α_s, β_s) of the spot longitudinal profile: T_s = T (0.698 + 0.00212 Z), α_s = α (0.639 + 0.00334 Z)."""
    t_s = t_max * (SPOT_T1 + SPOT_T2 * z)
    a_s = np.maximum(alpha * (SPOT_A1 + SPOT_A2 * z), 1.0 + 1e-6)
    return a_s, (a_s - 1.0) / t_s


def homogeneous_profiles(energy_mev: np.ndarray, rng: np.random.Generator,
                         config: HomogeneousEMConfig) -> HomogeneousProfile:
    """Draw the per-shower (T, α) and derive the spot profile and N_spot for showers of ``energy_mev``."""
    e = np.asarray(energy_mev, dtype=float)
    mat = config.material
    alpha, t_max = gflash_longitudinal(e, mat, rng)
    a_s, b_s = spot_shape(alpha, t_max, mat.z)
    return HomogeneousProfile(alpha, (alpha - 1.0) / t_max, a_s, b_s, spot_count(e / 1000.0, config),
                              gflash_mean_alpha(e, mat), t_max, e / 1000.0)


def gflash_tau(t_x0: np.ndarray, prof: HomogeneousProfile, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """τ of depth ``t_x0`` (X0 from the shower start) for showers ``idx`` (Geant4 ``ComputeTau``):
    τ = t/T · ((α − 1)/α) · (ᾱ/(ᾱ − 1))."""
    a, abar, t = prof.alpha[idx], prof.mean_alpha[idx], prof.t_max[idx]
    return t_x0 / t * ((a - 1.0) / a) * (abar / np.maximum(abar - 1.0, 1e-3))


def step_fractions(t_lo: np.ndarray, t_hi: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """∫ Gamma(t; α, β) dt over [t_lo, t_hi] (X0 from the shower start; negative depths count as 0)."""
    lo, hi = np.maximum(t_lo, 0.0), np.maximum(t_hi, 0.0)
    return np.maximum(gammainc(alpha, beta * hi) - gammainc(alpha, beta * lo), 0.0)


def projected_cdf(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """CDF across one transverse axis of the 2D density R²/(π(r² + R²)²): ½(1 + x/√(x² + R²))."""
    return 0.5 * (1.0 + x / np.sqrt(x * x + scale * scale))


def projected_share(edges: np.ndarray, r_core: np.ndarray, r_tail: np.ndarray, p_core: np.ndarray) -> np.ndarray:
    """Probabilities that a spot's projected offset lies between consecutive ``edges`` (last axis, increasing):
    core (weight p) plus tail; scales and p broadcast against ``edges[..., :1]``."""
    cdf = p_core * projected_cdf(edges, r_core) + (1.0 - p_core) * projected_cdf(edges, r_tail)
    return np.diff(cdf, axis=-1)


def radial_parameters(tau: np.ndarray, energy_gev: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(R_C, R_T, p) in Molière units at ``tau`` (GFlash homogeneous radial profile, truncation left to the caller)."""
    r_core, r_tail = gflash_radial_scales(tau, energy_gev, z)
    return r_core, r_tail, gflash_core_probability(tau, energy_gev, z)
