"""Hadronic showers: first interaction, fluctuating π0 (EM) fraction, invisible energy, long and wide hadronic part.

- First interaction at a depth ~ Exp(λ_I); before it a charged hadron is a MIP (see :mod:`.ionisation`).
- EM fraction (Gabriel et al., NIM A 338 (1994) 336; Wigmans, "Calorimetry"): ⟨f_em⟩ = 1 − (E/E0)^(k−1) with
  k = 0.82, E0 = 1 GeV for pions and 2.6 GeV for protons, drawn event by event from a Beta distribution
  (σ ≈ 0.12). The EM part is split among a few π0 sub-showers simulated with GFlash (:mod:`.em`).
- Invisible energy (nuclear binding, neutrons, neutrinos): a Beta-distributed fraction of the non-EM part, so the
  response to hadrons is lower and broader than to electrons (e/h > 1).
- Hadronic longitudinal profile from the interaction point (Bock et al., NIM 186 (1981) 533, hadronic term):
  dE/dx ∝ (x/λ_I)^(a−1) e^(−d x/λ_I), a = 0.6165 + 0.3183 ln E, d = 0.9099 − 0.0237 ln E (E in GeV).
- Lateral: 2D-exponential density with scale 0.21 λ_I, so 95 % lies within one λ_I (PDG).
- Optionally (``subshower_delay_lambda`` > 0, ``subshower_pt_gev`` > 0) the π0 sub-showers start where the cascade
  makes them: the first at the interaction point, the others after secondary hadrons travelled Exp(f λ_I) to their
  own interactions; each leaves the axis at an angle p_T/E_sub (p_T ≈ 0.35 GeV, the mean transverse momentum of
  secondaries in hadronic interactions, PDG). This widens and lengthens the EM core of a hadron shower in a
  thin (1.5 λ_I) calorimeter such as DAMPE's. Off by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from showerml.detectors.physics.em import EMConfig, em_shower_spots, gamma_weights
from showerml.detectors.physics.materials import Material
from showerml.detectors.physics.spots import Spots

__all__ = ["HadronConfig", "mean_em_fraction", "sample_beta", "first_interaction_depth", "hadron_shower_spots"]


@dataclass(frozen=True)
class HadronConfig:
    e0_gev: float = 1.0  # 1 GeV for pions, 2.6 GeV for protons
    k: float = 0.82
    em_fraction_std: float = 0.12
    invisible_mean: float = 0.30
    invisible_std: float = 0.08
    lateral_scale_lambda: float = 0.21
    subshower_offset_lambda: float = 0.05
    spots_per_gev: float = 40.0
    spots_power: float = 0.6
    min_spots: int = 10
    em: EMConfig = field(default_factory=lambda: EMConfig(halo_fraction=0.0, escape_mean=0.0, escape_std=0.0))
    subshower_delay_lambda: float = 0.0  # > 0: π0 sub-showers after the first start at Exp(f λ_I) (0: all at s = 0)
    subshower_pt_gev: float = 0.0  # > 0: π0 sub-showers leave the axis at p_T / E_sub rad


def mean_em_fraction(energy_gev: np.ndarray, e0_gev: float, k: float) -> np.ndarray:
    """⟨f_em⟩ = 1 − (E/E0)^(k−1), zero below E0."""
    return np.clip(1.0 - (np.maximum(energy_gev, e0_gev) / e0_gev) ** (k - 1.0), 0.0, 0.98)


def sample_beta(rng: np.random.Generator, mean: np.ndarray, std: float) -> np.ndarray:
    """Beta variates with the given mean and standard deviation (std shrunk where the mean is near 0 or 1)."""
    m = np.clip(np.asarray(mean, dtype=float), 1e-3, 1 - 1e-3)
    var = np.minimum(std**2, 0.9 * m * (1 - m))
    kappa = m * (1 - m) / var - 1.0
    return rng.beta(m * kappa, (1 - m) * kappa)


def first_interaction_depth(n: int, interaction_length_mm: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Depth of the first inelastic interaction, ~ Exp(λ_I) (mm)."""
    return rng.exponential(interaction_length_mm, n)


def hadron_shower_spots(
    energy_mev: np.ndarray,
    material: Material,
    rng: np.random.Generator,
    config: HadronConfig | None = None,
    event: np.ndarray | None = None,
) -> tuple[Spots, np.ndarray]:
    """Spots of hadron showers starting at the interaction point (s = 0); returns (spots, f_em per shower)."""
    cfg = config or HadronConfig()
    e = np.asarray(energy_mev, dtype=float)
    n = len(e)
    parent = np.arange(n) if event is None else np.asarray(event)
    e_gev = e / 1000.0
    f_em = sample_beta(rng, mean_em_fraction(e_gev, cfg.e0_gev, cfg.k), cfg.em_fraction_std)
    f_inv = sample_beta(rng, np.full(n, cfg.invisible_mean), cfg.invisible_std)

    # π0 sub-showers: 1 + Poisson(ln E/GeV) photons-initiated showers sharing f_em E
    n_sub = 1 + rng.poisson(np.log(np.maximum(e_gev, 1.0)))
    sub_parent = np.repeat(np.arange(n), n_sub)
    share = gamma_weights(rng, sub_parent, f_em * e, 1.0)
    keep = share > 1.0  # below 1 MeV nothing to shower
    em = em_shower_spots(share[keep], material, rng, photon=True, config=cfg.em)
    offset = rng.normal(0.0, cfg.subshower_offset_lambda * material.lambda_i, (2, int(keep.sum())))
    em.u += offset[0][em.event]
    em.v += offset[1][em.event]
    if cfg.subshower_delay_lambda > 0 or cfg.subshower_pt_gev > 0:
        first = np.concatenate([[True], np.diff(sub_parent) != 0])[keep]
        start = np.where(first, 0.0, rng.exponential(cfg.subshower_delay_lambda * material.lambda_i, len(first)))
        angle = np.minimum(cfg.subshower_pt_gev * 1000.0 / share[keep], 0.7)
        phi = rng.uniform(0.0, 2 * np.pi, len(angle))
        reach = angle[em.event] * (start[em.event] + em.s)  # lateral distance of the sub-shower axis
        em.u += reach * np.cos(phi)[em.event]
        em.v += reach * np.sin(phi)[em.event]
        em.s += start[em.event]
    em.event = sub_parent[keep][em.event]

    # hadronic part (Bock profile, wide 2D-exponential lateral spread)
    visible_had = (1.0 - f_em) * (1.0 - f_inv) * e
    ln_e = np.log(np.maximum(e_gev, 0.1))
    a = np.maximum(0.6165 + 0.3183 * ln_e, 0.3)
    d = 0.9099 - 0.0237 * ln_e
    n_had = np.maximum(rng.poisson(cfg.spots_per_gev * e_gev**cfg.spots_power), cfg.min_spots)
    idx = np.repeat(np.arange(n), n_had)
    s = rng.gamma(a[idx], material.lambda_i / d[idx])
    r = rng.gamma(2.0, cfg.lateral_scale_lambda * material.lambda_i, len(idx))
    phi = rng.uniform(0, 2 * np.pi, len(idx))
    had = Spots(idx, s, r * np.cos(phi), r * np.sin(phi), gamma_weights(rng, idx, visible_had, 1.5))

    spots = Spots.concat([em, had])
    spots.event = parent[spots.event]
    return spots, f_em
