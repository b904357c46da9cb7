"""Hadronic showers: first interaction, fluctuating π0 (EM) fraction, invisible energy, long and wide hadronic part.

Default model (CaloGAN's pions; its output is unchanged for a fixed seed):

- First interaction at a depth ~ Exp(λ_I); before it a charged hadron is a MIP (see :mod:`.ionisation`).
- EM fraction (Gabriel et al., NIM A 338 (1994) 336; Wigmans, "Calorimetry"): ⟨f_em⟩ = 1 − (E/E0)^(k−1) with
  k = 0.82, E0 = 1 GeV for pions and 2.6 GeV for protons, drawn event by event from a Beta distribution
  (σ ≈ 0.12). The EM part is split among a few π0 sub-showers simulated with GFlash (:mod:`.em`).
- Invisible energy (nuclear binding, neutrons, neutrinos): a Beta-distributed fraction of the non-EM part, so the
  response to hadrons is lower and broader than to electrons (e/h > 1), and an event with a large f_em loses little.
- Hadronic longitudinal profile from the interaction point (Bock et al., NIM 186 (1981) 533, hadronic term):
  dE/dx ∝ (x/λ_I)^(a−1) e^(−d x/λ_I), a = 0.6165 + 0.3183 ln E, d = 0.9099 − 0.0237 ln E (E in GeV).
- Lateral: 2D-exponential density with scale 0.21 λ_I, so 95 % lies within one λ_I (PDG "Calorimetry").
- Optionally (``subshower_delay_lambda`` > 0, ``subshower_pt_gev`` > 0) the π0 sub-showers start where the cascade
  makes them: the first at the interaction point, the others after secondary hadrons travelled Exp(f λ_I) to their
  own interactions; each leaves the axis at an angle p_T/E_sub (p_T ≈ 0.35 GeV, the mean transverse momentum of
  secondaries in hadronic interactions, PDG).

Opt-in refinements (``first_interaction=True``, ``lateral_halo_fraction`` > 0), used for the DAMPE-like BGO:

- **Explicit first interaction.** The leading baryon keeps a fraction x_B ~ U(0, 1) of the energy (the flat
  leading-nucleon spectrum, mean inelasticity ⟨K⟩ ≈ 0.5; Gaisser, Engel & Resconi, "Cosmic Rays and Particle
  Physics", 2nd ed., ch. 4 [recalled]). The mesons share W = 1 − x_B by stick breaking with Beta(1, θ) splits
  (GEM(θ)), whose inclusive spectrum is θ (1 − x/W)^(θ−1)/x: a flat rapidity plateau of θ mesons per unit rapidity
  (Feynman scaling) that, folded with the flat x_B, falls as (1 − x)^θ at large x. θ = 3 reproduces both the
  quark-counting exponent of pions from a proton, (1 − x)^3 (Brodsky & Farrar, PRL 31 (1973) 1153; Gunion, PRD 10
  (1974) 242), and a plateau of ≈ 3 pions (≈ 2 charged) per unit rapidity (PDG, "Plots of cross sections and
  related quantities" [recalled]). Each meson is a π0 (or η, both → γγ) with probability 1/3 (isospin), the factor
  Groom's generation model is built on (Groom, NIM A 572 (2007) 633). A leading π0 that takes most of the energy —
  a soft baryon and a hard neutral meson, the proton's analogue of pion charge exchange — makes an electron-like
  shower: the electron-like protons that form DAMPE's background (Chang et al., Astropart. Phys. 95 (2017) 6).
- **Skewed f_em.** f_em = x1 + (1 − x1) g with x1 the first-interaction π0 fraction and g ~ Beta the π0 fraction of
  the later generations, its mean chosen so that ⟨f_em⟩ = 1 − (E/E0)^(m−1) exactly (Groom's mean, PDG
  "Calorimetry": m ≈ 0.83, E0 ≈ 2.6 GeV for protons). x1 has a long tail towards 1, so f_em is skewed towards
  high values — the asymmetric f_em distribution of Groom (2007) and Wigmans ("Calorimetry", sec. 2.3 [recalled]).
  The first-interaction π0s above ``pi0_subshower_min`` E are their own sub-showers starting at the interaction
  point on the axis, tilted by p_T/E_π0; the softer ones form one sub-shower there; the later generations' π0s
  come from the secondary hadrons' own interactions: in Groom's generation model generation k holds p(1 − p)^(k−1)
  of the energy (p = 1/3) over n = (1 − m) ln(E/E0)/ln(1/(1 − p)) generations (the same model gives Groom's mean),
  so a later sub-shower belongs to generation 1 + K, K ~ Geometric(p) truncated at n − 1, and starts
  Gamma(K, ``subshower_delay_lambda`` λ_I) after the first interaction, off the axis by ``subshower_offset_lambda``
  λ_I. With ``subshower_delay_lambda`` = 1 the secondaries interact after one λ_I (pions' λ_I is ≈ 1.1–1.3 times
  the protons' [recalled], not modelled).
- **Hadronic core + isotropic halo.** The visible non-EM energy is split in two (λ_I units): the ionisation of the
  charged hadrons and spallation protons, deposited where the cascade's nuclear interactions happen (core: Bock
  longitudinal profile, 2D-exponential lateral spread), and a halo of evaporation neutrons and nuclear
  de-excitation photons, emitted isotropically from those points (Wigmans, "Calorimetry", ch. 2: evaporation
  nucleons and γs are isotropic), so part of it goes backwards into the layers above the interaction — the
  back-splash that widens the top layers of a late proton shower. The halo takes ``lateral_halo_fraction`` of the
  visible non-EM energy and travels a 3D-exponential distance with scale ``lateral_halo_lambda``; the core scale is
  then solved so that 95 % of the non-EM energy lies within ``lateral_containment_lambda`` = 1 λ_I of the axis
  (PDG "Calorimetry"). The halo share 0.2 is our reading of Wigmans' energy breakdown of hadron showers in lead
  (neutron kinetic energy and nuclear γs next to ≈ 56 % charged ionisation [recalled, not checked]); the halo scale
  0.1 λ_I (≈ 23 mm in BGO, ≈ 2 attenuation lengths of MeV photons) is NOT from a published parametrisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq

from showerml.detectors.physics.em import EMConfig, em_shower_spots, gamma_weights
from showerml.detectors.physics.materials import Material
from showerml.detectors.physics.spots import Spots
from showerml.errors import InputError

__all__ = ["HadronConfig", "SubShowers", "mean_em_fraction", "sample_beta", "first_interaction_depth",
           "first_interaction_pi0", "mean_first_interaction_pi0", "core_scale", "hadron_shower_parts",
           "subshower_spots", "hadron_shower_spots"]


@dataclass(frozen=True)
class HadronConfig:
    """Hadron-shower settings; the defaults are the CaloGAN pion model, the opt-in fields refine it (module doc)."""

    e0_gev: float = 1.0  # 1 GeV for pions, 2.6 GeV for protons
    k: float = 0.82  # Groom's m
    em_fraction_std: float = 0.12  # σ of f_em (with first_interaction: σ of the later generations' fraction g)
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
    # --- opt-in refinements (off by default) ---
    first_interaction: bool = False  # explicit first interaction: leading baryon + GEM(θ) mesons, 1/3 of them π0
    meson_plateau: float = 3.0  # θ: mesons per unit rapidity
    pi0_probability: float = 1.0 / 3.0  # isospin
    meson_steps: int = 12  # stick-breaking steps; what remains after them joins the later generations
    pi0_subshower_min: float = 0.02  # first-interaction π0s above this fraction of E shower on their own
    lateral_halo_fraction: float = 0.0  # > 0: share of the visible non-EM energy in an isotropic halo
    lateral_halo_lambda: float = 0.1  # 3D-exponential scale of the halo (λ_I units)
    lateral_containment_lambda: float = 1.0  # radius holding 95 % of the non-EM energy (PDG: ≈ 1 λ_I)

    def __post_init__(self) -> None:
        checks = (
            (0.1 <= self.e0_gev <= 10.0, "e0_gev", "0.1 ≤ E0 ≤ 10 GeV (E0 ≈ 1 GeV for pions, 2.6 GeV for protons)",
             self.e0_gev),
            (0.0 < self.k < 1.0, "k", "0 < m < 1 (Groom's exponent, m ≈ 0.80–0.87)", self.k),
            (0.0 <= self.em_fraction_std < 0.5, "em_fraction_std", "0 ≤ σ < 0.5", self.em_fraction_std),
            (0.0 <= self.invisible_mean < 1.0, "invisible_mean", "0 ≤ mean < 1", self.invisible_mean),
            (0.0 <= self.invisible_std < 0.5, "invisible_std", "0 ≤ σ < 0.5", self.invisible_std),
            (self.lateral_scale_lambda > 0, "lateral_scale_lambda", "> 0 (λ_I units)", self.lateral_scale_lambda),
            (self.subshower_offset_lambda >= 0, "subshower_offset_lambda", "≥ 0 (λ_I units)",
             self.subshower_offset_lambda),
            (self.spots_per_gev > 0, "spots_per_gev", "a positive spot count per GeV", self.spots_per_gev),
            (0.0 <= self.spots_power <= 1.0, "spots_power", "0 ≤ p ≤ 1", self.spots_power),
            (self.min_spots >= 1, "min_spots", "a positive spot count", self.min_spots),
            (self.em.spots_per_gev > 0, "em.spots_per_gev", "a positive spot count per GeV", self.em.spots_per_gev),
            (self.em.min_spots >= 1, "em.min_spots", "a positive spot count", self.em.min_spots),
            (self.subshower_delay_lambda >= 0, "subshower_delay_lambda", "≥ 0 (λ_I units)",
             self.subshower_delay_lambda),
            (0.0 <= self.subshower_pt_gev <= 2.0, "subshower_pt_gev", "0 ≤ p_T ≤ 2 GeV", self.subshower_pt_gev),
            (0.0 < self.meson_plateau <= 20.0, "meson_plateau", "0 < θ ≤ 20 mesons per unit rapidity",
             self.meson_plateau),
            (0.0 < self.pi0_probability <= 1.0, "pi0_probability", "0 < p ≤ 1", self.pi0_probability),
            (1 <= self.meson_steps <= 64, "meson_steps", "1 ≤ steps ≤ 64", self.meson_steps),
            (0.0 < self.pi0_subshower_min <= 1.0, "pi0_subshower_min", "0 < fraction ≤ 1", self.pi0_subshower_min),
            (0.0 <= self.lateral_halo_fraction <= 0.5, "lateral_halo_fraction", "0 ≤ fraction ≤ 0.5",
             self.lateral_halo_fraction),
            (0.0 < self.lateral_halo_lambda <= 0.15 * self.lateral_containment_lambda, "lateral_halo_lambda",
             "0 < halo scale ≤ 0.15 × the containment radius (λ_I units)", self.lateral_halo_lambda),
            (0.2 <= self.lateral_containment_lambda <= 3.0, "lateral_containment_lambda", "0.2–3 λ_I",
             self.lateral_containment_lambda),
        )
        for ok, name, valid, value in checks:
            if not (ok and np.isfinite(float(value))):
                raise InputError(f"hadron shower parameter {name} = {value} is out of range: need {valid}")


@dataclass
class SubShowers:
    """π0/η photon sub-showers of hadron cascades, in the hadron's shower frame.

    event: parent index; energy (MeV); start: depth s of the sub-shower origin along the hadron axis from the
    interaction point (mm); offset: (m, 2) transverse (u, v) position of the sub-shower axis at its origin (mm);
    tilt: (m, 2) angle of the sub-shower axis to the hadron axis (rad, small-angle: du/ds, dv/ds).
    """

    event: np.ndarray
    energy: np.ndarray
    start: np.ndarray
    offset: np.ndarray
    tilt: np.ndarray

    def __len__(self) -> int:
        return len(self.event)

    @classmethod
    def concat(cls, parts: list[SubShowers]) -> SubShowers:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("event", "energy", "start", "offset",
                                                                              "tilt")))


def mean_em_fraction(energy_gev: np.ndarray, e0_gev: float, k: float) -> np.ndarray:
    """⟨f_em⟩ = 1 − (E/E0)^(k−1), zero below E0 (Groom, NIM A 572 (2007) 633; PDG "Calorimetry")."""
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


def mean_first_interaction_pi0(cfg: HadronConfig) -> float:
    """⟨x1⟩ = p_π0 ⟨W⟩ (1 − (θ/(θ+1))^steps), ⟨W⟩ = ½: the mean first-interaction π0 energy fraction."""
    theta = cfg.meson_plateau
    return cfg.pi0_probability * 0.5 * (1.0 - (theta / (theta + 1.0)) ** cfg.meson_steps)


def first_interaction_pi0(n: int, rng: np.random.Generator, cfg: HadronConfig) -> np.ndarray:
    """(n, steps) energy fractions of the π0/η made in the first interaction (zero for the charged mesons).

    Leading baryon x_B ~ U(0, 1); the mesons split W = 1 − x_B by GEM(θ) stick breaking, V ~ Beta(1, θ); each is a
    π0 with probability ``pi0_probability`` (module docstring).
    """
    w = 1.0 - rng.random(n)
    v = rng.beta(1.0, cfg.meson_plateau, (n, cfg.meson_steps))
    left = np.cumprod(1.0 - v, axis=1)
    before = np.concatenate([np.ones((n, 1)), left[:, :-1]], axis=1)
    pieces = w[:, None] * v * before
    return np.where(rng.random((n, cfg.meson_steps)) < cfg.pi0_probability, pieces, 0.0)


def _isotropic(rng: np.random.Generator, scale: float | np.ndarray, n: int) -> np.ndarray:
    """(n, 3) isotropic displacements (u, v, s) with a 3D-exponential length, |d| ~ Gamma(3, scale)."""
    rho = rng.gamma(3.0, scale, n)
    cos_t = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2 * np.pi, n)
    sin_t = np.sqrt(1.0 - cos_t**2)
    return rho[:, None] * np.column_stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t])


@lru_cache(maxsize=16)
def core_scale(halo_fraction: float, halo_scale: float, containment: float, quantile: float = 0.95) -> float:
    """Scale s_c of the core 2D exponential (radial density r e^(−r/s_c)/s_c²) such that, with the fraction
    ``halo_fraction`` displaced isotropically by ``halo_scale`` 3D exponentials, ``quantile`` of the energy lies
    within ``containment`` of the axis (same units); from 50,000 fixed-seed samples."""
    rng = np.random.default_rng(20_000)
    n = 50_000
    x = rng.gamma(2.0, 1.0, n)
    phi = rng.uniform(0.0, 2 * np.pi, n)
    unit = np.column_stack([x * np.cos(phi), x * np.sin(phi)])
    halo = np.arange(n) < int(round(halo_fraction * n))
    d = np.zeros((n, 2))
    d[halo] = _isotropic(rng, halo_scale, int(halo.sum()))[:, :2]

    def excess(s: float) -> float:
        return float(np.mean(np.hypot(*(unit * s + d).T) < containment)) - quantile

    return float(brentq(excess, 1e-3 * containment, containment, xtol=1e-5 * containment))


def hadron_shower_parts(
    energy_mev: np.ndarray,
    material: Material,
    rng: np.random.Generator,
    config: HadronConfig | None = None,
    event: np.ndarray | None = None,
) -> tuple[SubShowers, Spots, np.ndarray]:
    """The refined model (``first_interaction=True``): (π0 sub-showers, non-EM spots, f_em per shower), in the
    frame of the interaction point (s = 0 there)."""
    cfg = config or HadronConfig(first_interaction=True)
    e = np.asarray(energy_mev, dtype=float)
    n = len(e)
    parent = np.arange(n) if event is None else np.asarray(event)
    e_gev = e / 1000.0
    lam = material.lambda_i

    # EM fraction: first interaction x1 + later generations g, ⟨f_em⟩ = Groom's mean
    f_mean = mean_em_fraction(e_gev, cfg.e0_gev, cfg.k)
    x1_mean = mean_first_interaction_pi0(cfg)
    pieces = first_interaction_pi0(n, rng, cfg) * np.minimum(1.0, f_mean / x1_mean)[:, None]
    x1 = pieces.sum(axis=1)
    g_mean = np.clip((f_mean - x1_mean) / (1.0 - x1_mean), 0.0, 0.98)
    g = np.where(g_mean > 0, sample_beta(rng, g_mean, cfg.em_fraction_std), 0.0)
    f_em = x1 + (1.0 - x1) * g
    f_inv = sample_beta(rng, np.full(n, cfg.invisible_mean), cfg.invisible_std)

    # first-interaction π0s: the hard ones on their own, the soft ones as one sub-shower; all from s = 0 on the axis
    hard = pieces >= cfg.pi0_subshower_min
    ev_h, col = np.nonzero(hard)
    soft = np.where(hard, 0.0, pieces).sum(axis=1)
    ev_s = np.flatnonzero(soft * e > 1.0)
    first_ev = np.concatenate([ev_h, ev_s])
    first_e = np.concatenate([pieces[ev_h, col] * e[ev_h], soft[ev_s] * e[ev_s]])
    first = SubShowers(first_ev, first_e, np.zeros(len(first_ev)), np.zeros((len(first_ev), 2)),
                       np.zeros((len(first_ev), 2)))
    # later generations: 1 + Poisson(ln E) sub-showers share g (1 − x1) E, after Exp(f λ_I), off the axis
    n_sub = 1 + rng.poisson(np.log(np.maximum(e_gev, 1.0)))
    sub_parent = np.repeat(np.arange(n), n_sub)
    share = gamma_weights(rng, sub_parent, g * (1.0 - x1) * e, 1.0)
    keep = share > 1.0  # below 1 MeV nothing to shower
    m = int(keep.sum())
    # generation k ≥ 2 of Groom's cascade holds ⅓(⅔)^(k−1) of the energy: a sub-shower belongs to generation 1 + K,
    # K ~ Geometric(p_π0), and starts after K further interaction lengths of the secondary hadrons, Gamma(K, f λ_I)
    # truncated at Groom's number of generations n = (1 − m) ln(E/E0) / ln(1/(1 − p)) (K ≤ max(1, ⌈n⌉ − 1))
    p0 = cfg.pi0_probability
    n_gen = (1.0 - cfg.k) * np.log(np.maximum(e_gev, cfg.e0_gev) / cfg.e0_gev) / -np.log1p(-p0)
    k_max = np.maximum(1.0, np.ceil(n_gen) - 1.0)[sub_parent[keep]]
    u = rng.random(m) * (1.0 - (1.0 - p0) ** k_max)
    generation = np.maximum(np.ceil(np.log1p(-u) / np.log1p(-p0)), 1.0)
    later = SubShowers(sub_parent[keep], share[keep], rng.gamma(generation, cfg.subshower_delay_lambda * lam),
                       rng.normal(0.0, cfg.subshower_offset_lambda * lam, (m, 2)), np.zeros((m, 2)))
    subs = SubShowers.concat([first, later])
    # each sub-shower leaves the axis at p_T / E_sub (≤ 0.7 rad); its origin sits where that line meets s = start
    angle = np.minimum(cfg.subshower_pt_gev * 1000.0 / np.maximum(subs.energy, 1.0), 0.7)
    phi = rng.uniform(0.0, 2 * np.pi, len(subs))
    subs.tilt = angle[:, None] * np.column_stack([np.cos(phi), np.sin(phi)])
    subs.offset = subs.offset + subs.tilt * subs.start[:, None]

    # non-EM part: Bock longitudinal profile, core + halo lateral
    visible_had = (1.0 - f_em) * (1.0 - f_inv) * e
    ln_e = np.log(np.maximum(e_gev, 0.1))
    a = np.maximum(0.6165 + 0.3183 * ln_e, 0.3)
    d = 0.9099 - 0.0237 * ln_e
    n_had = np.maximum(rng.poisson(cfg.spots_per_gev * e_gev**cfg.spots_power), cfg.min_spots)
    idx = np.repeat(np.arange(n), n_had)
    s = rng.gamma(a[idx], lam / d[idx])
    if cfg.lateral_halo_fraction > 0:
        r = rng.gamma(2.0, core_scale(cfg.lateral_halo_fraction, cfg.lateral_halo_lambda,
                                      cfg.lateral_containment_lambda) * lam, len(idx))
    else:
        r = rng.gamma(2.0, cfg.lateral_scale_lambda * lam, len(idx))
    phi_h = rng.uniform(0, 2 * np.pi, len(idx))
    u, v = r * np.cos(phi_h), r * np.sin(phi_h)
    if cfg.lateral_halo_fraction > 0:
        halo = np.flatnonzero(rng.random(len(idx)) < cfg.lateral_halo_fraction)
        d = _isotropic(rng, cfg.lateral_halo_lambda * lam, len(halo))
        u[halo] += d[:, 0]
        v[halo] += d[:, 1]
        s[halo] += d[:, 2]
    had = Spots(parent[idx], s, u, v, gamma_weights(rng, idx, visible_had, 1.5))
    subs.event = parent[subs.event]
    return subs, had, f_em


def subshower_spots(subs: SubShowers, material: Material, rng: np.random.Generator, config: EMConfig) -> Spots:
    """GFlash photon-shower spots of the sub-showers, placed along their tilted axes in the hadron's frame."""
    em = em_shower_spots(subs.energy, material, rng, photon=True, config=config)
    k = em.event
    em.u += subs.offset[k, 0] + subs.tilt[k, 0] * em.s
    em.v += subs.offset[k, 1] + subs.tilt[k, 1] * em.s
    em.s += subs.start[k]
    em.event = subs.event[k]
    return em


def hadron_shower_spots(
    energy_mev: np.ndarray,
    material: Material,
    rng: np.random.Generator,
    config: HadronConfig | None = None,
    event: np.ndarray | None = None,
) -> tuple[Spots, np.ndarray]:
    """Spots of hadron showers starting at the interaction point (s = 0); returns (spots, f_em per shower)."""
    cfg = config or HadronConfig()
    if cfg.first_interaction:
        subs, had, f_em = hadron_shower_parts(energy_mev, material, rng, cfg, event)
        return Spots.concat([subshower_spots(subs, material, rng, cfg.em), had]), f_em
    e = np.asarray(energy_mev, dtype=float)
    n = len(e)
    parent = np.arange(n) if event is None else np.asarray(event)
    e_gev = e / 1000.0
    f_em = sample_beta(rng, mean_em_fraction(e_gev, cfg.e0_gev, cfg.k), cfg.em_fraction_std)
    f_inv = sample_beta(rng, np.full(n, cfg.invisible_mean), cfg.invisible_std)

    # π0 sub-showers: 1 + Poisson(ln E) photons-initiated showers sharing f_em E
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
