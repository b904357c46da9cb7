"""Depth of shower maximum X_max per primary.

*Nuclei* — the generalised Gumbel distribution of De Domenico, Settimo, Riggi, Bertin, JCAP 07 (2013) 050,
arXiv:1305.2331 (eqs. 3.1–3.6, table 1, EPOS-LHC fit): with z = (X − μ)/σ,
g(X) = λ^λ / (σ Γ(λ)) exp(−λ z − λ e^−z); μ = p0 + p1 lg + p2 lg², σ = p0 + p1 lg, λ = p0 + p1 lg,
lg = log10(E / 10 EeV), each p_k = a_k0 + a_k1 ln A + a_k2 ln² A.
If G ~ Gamma(λ, 1/λ) then X = μ − σ ln G follows g (Adeyemi & Ojo, Kragujevac J. Math. 25 (2003) 19), so
⟨X_max⟩ = μ + σ (ln λ − ψ(λ)) and σ²(X_max) = σ² ψ'(λ).
The coefficients are those commonly transcribed from the paper's table 1 (EPOS-LHC) in public analysis code; the paper's
own PDF was not read here.

*Photons* — not from De Domenico (its photon table was not available here): the Heitler model of an EM cascade,
X_max = X_0 ln(E/E_c) (Matthews, Astropart. Phys. 22 (2005) 387; X_0 = 36.7 g/cm², E_c = 85 MeV in air), plus the
depth of the first pair conversion, exponential with mean 9/7 X_0 (PDG, "Passage of particles through matter"), and a
Gaussian cascade spread of 30 g/cm² (assumed). The LPM effect, which makes photon showers above ~10^19.5 eV deeper
still, and pre-showering in the geomagnetic field are not modelled.
"""

from __future__ import annotations

import numpy as np
from scipy.special import polygamma, psi

__all__ = ["gumbel_parameters", "xmax_moments", "sample_xmax", "photon_xmax_mean", "PHOTON_XMAX_SPREAD"]

#: EPOS-LHC coefficients of De Domenico et al. (2013), table 1: rows = (a_k0, a_k1, a_k2) for p0, p1, (p2)
_MU = np.array([[775.589, -7.047, -2.427], [57.589, -0.743, 0.214], [-0.820, -0.169, -0.027]])
_SIGMA = np.array([[29.403, 13.553, -3.154], [0.096, -0.961, 0.150]])
_LAMBDA = np.array([[0.563, 0.711, 0.058], [0.039, 0.067, -0.004]])

X0_AIR = 36.7  # g/cm², radiation length of air (PDG)
EC_AIR_EV = 85e6  # critical energy of air in the Heitler model (Matthews 2005)
PHOTON_XMAX_SPREAD = 30.0  # g/cm², cascade fluctuation beyond the first conversion (assumed)


def gumbel_parameters(energy_eev: np.ndarray, mass_number: np.ndarray) -> tuple[np.ndarray, ...]:
    """(μ, σ, λ) of the generalised Gumbel X_max distribution for nuclei of ``mass_number`` at ``energy_eev``."""
    lg = np.log10(np.asarray(energy_eev, dtype=float) / 10.0)
    ln_a = np.log(np.asarray(mass_number, dtype=float))
    d = np.stack([np.ones_like(ln_a), ln_a, ln_a**2])
    pm, ps, pl = _MU @ d, _SIGMA @ d, _LAMBDA @ d
    mu = pm[0] + pm[1] * lg + pm[2] * lg**2
    return mu, ps[0] + ps[1] * lg, pl[0] + pl[1] * lg


def photon_xmax_mean(energy_eev: np.ndarray) -> np.ndarray:
    """⟨X_max⟩ of photon showers: X_0 ln(E/E_c) + 9/7 X_0 (Heitler + the first conversion)."""
    return X0_AIR * np.log(np.asarray(energy_eev, dtype=float) * 1e18 / EC_AIR_EV) + 9.0 / 7.0 * X0_AIR


def xmax_moments(energy_eev: np.ndarray, mass_number: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(⟨X_max⟩, σ(X_max)) of the parametrisation (photons: A = 0)."""
    e = np.asarray(energy_eev, dtype=float)
    a = np.broadcast_to(np.asarray(mass_number, dtype=float), e.shape)
    photon = a == 0
    mu, s, lam = gumbel_parameters(e, np.where(photon, 1.0, a))
    mean = mu + s * (np.log(lam) - psi(lam))
    sd = s * np.sqrt(polygamma(1, lam))
    mean = np.where(photon, photon_xmax_mean(e), mean)
    sd = np.where(photon, np.hypot(9.0 / 7.0 * X0_AIR, PHOTON_XMAX_SPREAD), sd)
    return mean, sd


def sample_xmax(rng: np.random.Generator, energy_eev: np.ndarray, mass_number: np.ndarray) -> np.ndarray:
    """One X_max (g/cm²) per shower."""
    e = np.asarray(energy_eev, dtype=float)
    a = np.asarray(mass_number, dtype=float)
    photon = a == 0
    mu, s, lam = gumbel_parameters(e, np.where(photon, 1.0, a))
    x = mu - s * np.log(rng.gamma(lam, 1.0 / lam))
    xg = (X0_AIR * np.log(e * 1e18 / EC_AIR_EV) + rng.exponential(9.0 / 7.0 * X0_AIR, e.shape)
          + rng.normal(0.0, PHOTON_XMAX_SPREAD, e.shape))
    return np.where(photon, xg, x)
