"""Longitudinal development and the EM particle density at the ground, from which S800 follows.

- Site: 1,400 m a.s.l., vertical depth X_v = 880 g/cm² (TA SD, AbuZayyad et al., NIM A 689 (2012) 87); a flat
  atmosphere gives the slant depth X = X_v sec θ (good to < 1 % for θ < 45°).
- EM energy: a hadron of energy E and mass A leaves (E/(A ξ_c))^(β−1) of its energy in the hadronic channel after the
  cascade (Heitler–Matthews, Matthews, Astropart. Phys. 22 (2005) 387, ξ_c = 20 GeV, β = 0.9 as in
  :mod:`.muons`), so E_em = E [1 − (E/(A ξ_c))^(β−1)]; photons put all their energy in the EM cascade.
- Size at maximum: Greisen's N_max = 0.31/√ln(E_em/E_c) · E_em/E_c, E_c = 84 MeV (Greisen, Prog. Cosmic Ray Phys. 3
  (1956) 1; PDG "Cosmic rays").
- Size at depth X: Gaisser–Hillas in the (L, R) form of Andringa, Conceição, Pimenta, Astropart. Phys. 34 (2011) 360,
  N(X)/N_max = (1 + R x/L)^(1/R²) e^(−x/(R L)), x = X − X_max, with the mean shape measured by the Pierre Auger
  Observatory, L ≈ 227 g/cm², R ≈ 0.26 (JCAP 03 (2019) 018).
- Lateral density: NKG, ρ(r) = N C(s)/r_M² (r/r_M)^(s−2) (1 + r/r_M)^(s−4.5), C(s) = Γ(4.5−s)/(2π Γ(s) Γ(4.5−2s)),
  with the longitudinal age s = 3X/(X + 2X_max) (Kamata & Nishimura 1958; Greisen 1960) and the Molière radius at the
  site r_M = 9.6 g/cm² / ρ_air(1,400 m) ≈ 90 m (ρ_air = 1.07 kg/m³, US standard atmosphere) — the R_m of TA's LDF.

NKG with the longitudinal age overstates how fast the density far from the axis grows with age (the lateral age
at several hundred metres varies much less than s); the lateral age used here is s_⊥ = 1.2 + κ (s − 1.2) with
κ = 0.25, the value with which the model's S(800) attenuation with sec θ (mixed composition, 10 EeV: 0.78 at 30°,
0.34 at 45° relative to vertical) comes closest to AGASA's constant-intensity attenuation of S(600),
exp(−X_v/Λ1 (sec θ − 1) − X_v/Λ2 (sec θ − 1)²), X_v = 920 g/cm², Λ1 = 500, Λ2 = 594 g/cm² (Yoshida et al.,
Astropart. Phys. 3 (1995) 105; 0.72 and 0.36). So S_em(800 m) = ε_em ρ_NKG(800 m; N(X), s_⊥) with ε_em = 1.2 VEM
per NKG electron in the upper layer (electrons ≈ 1 VEM plus converted photons, assumed). Slanted showers are older
at the ground: the attenuation of S800 with sec θ comes out of X = X_v sec θ through N(X) and s_⊥.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

__all__ = ["SITE_DEPTH", "MOLIERE_RADIUS", "slant_depth", "em_energy_fraction", "greisen_nmax", "gh_ratio",
           "shower_age", "nkg_density", "em_density", "EM_VEM_PER_PARTICLE"]

SITE_DEPTH = 880.0  # g/cm², vertical
MOLIERE_RADIUS = 90.0  # m at 1,400 m a.s.l.
EC_AIR_EV = 84e6  # Greisen's critical energy
XI_C_EV = 20e9  # Heitler–Matthews pion critical energy
BETA = 0.9
GH_L, GH_R = 227.0, 0.26
EM_VEM_PER_PARTICLE = 1.2
LATERAL_AGE_REF, LATERAL_AGE_SLOPE = 1.2, 0.25


def slant_depth(theta: np.ndarray) -> np.ndarray:
    return SITE_DEPTH / np.cos(theta)


def em_energy_fraction(energy_eev: np.ndarray, mass_number: np.ndarray) -> np.ndarray:
    """1 − (E/(A ξ_c))^(β−1) for nuclei, 1 for photons (A = 0)."""
    a = np.asarray(mass_number, dtype=float)
    e = np.asarray(energy_eev, dtype=float) * 1e18
    frac = 1.0 - (e / (np.maximum(a, 1.0) * XI_C_EV)) ** (BETA - 1.0)
    return np.where(a == 0, 1.0, frac)


def greisen_nmax(em_energy_ev: np.ndarray) -> np.ndarray:
    y = np.asarray(em_energy_ev, dtype=float) / EC_AIR_EV
    return 0.31 / np.sqrt(np.log(y)) * y


def gh_ratio(depth: np.ndarray, xmax: np.ndarray) -> np.ndarray:
    """N(X)/N_max of the Gaisser–Hillas profile in the (L, R) form (0 before its start)."""
    x = np.asarray(depth, dtype=float) - np.asarray(xmax, dtype=float)
    base = 1.0 + GH_R * x / GH_L
    with np.errstate(divide="ignore", invalid="ignore"):
        log = np.log(np.maximum(base, 1e-300)) / GH_R**2 - x / (GH_R * GH_L)
    return np.where(base > 0, np.exp(log), 0.0)


def shower_age(depth: np.ndarray, xmax: np.ndarray) -> np.ndarray:
    """s = 3X/(X + 2X_max), kept within NKG's range [0.5, 2.0]."""
    return np.clip(3.0 * depth / (depth + 2.0 * xmax), 0.5, 2.0)


def nkg_density(r: float | np.ndarray, size: np.ndarray, age: np.ndarray, r_m: float = MOLIERE_RADIUS) -> np.ndarray:
    """NKG electron density (m⁻²) at distance ``r`` (m) from the axis."""
    s = np.asarray(age, dtype=float)
    log_c = gammaln(4.5 - s) - np.log(2 * np.pi) - gammaln(s) - gammaln(4.5 - 2 * s)
    x = np.asarray(r, dtype=float) / r_m
    return np.asarray(size) * np.exp(log_c + (s - 2) * np.log(x) + (s - 4.5) * np.log1p(x)) / r_m**2


def em_density(r: float | np.ndarray, energy_eev: np.ndarray, mass_number: np.ndarray, xmax: np.ndarray,
               theta: np.ndarray) -> np.ndarray:
    """EM signal density (VEM/m²) at ``r`` in the shower plane: ε_em × NKG density of the GH size at the ground."""
    e = np.asarray(energy_eev, dtype=float)
    depth = slant_depth(np.asarray(theta, dtype=float))
    size = greisen_nmax(e * 1e18 * em_energy_fraction(e, mass_number)) * gh_ratio(depth, xmax)
    s = shower_age(depth, np.asarray(xmax, dtype=float))
    return EM_VEM_PER_PARTICLE * nkg_density(r, size, LATERAL_AGE_REF + LATERAL_AGE_SLOPE * (s - LATERAL_AGE_REF))
