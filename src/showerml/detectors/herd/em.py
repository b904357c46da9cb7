"""Homogeneous GFlash EM showers (:mod:`showerml.detectors.physics.em_homogeneous`) deposited into the LYSO cubes.

The same model as the DAMPE-like BGO (Grindhammer & Peters, hep-ex/0001020; Geant4 ``GVFlashHomoShowerTuning``) in
a 3D grid: per shower, correlated (T, α) and N_spot = 93 ln Z (E/GeV)^0.876; the axis (any direction) is cut into
steps of ``step_x0`` X0 from the shower start (γ: after an Exp(9/7 X0) conversion depth). For a step [a, b]:

- ΔE = E [P(α, β b) − P(α, β a)], spots λ = N_spot [P(α_s, β_s b) − P(α_s, β_s a)] (P the regularised incomplete
  Gamma function);
- the two-component radial profile at the step's τ (R_C, R_T, p) is represented by fixed quantile points in the
  plane transverse to the axis: core radii R_C √(u/(1 − u)) and tail radii R_T √(u/(1 − u)) at the mid-quantiles
  u = (q + ½)/n_q, at ``n_phi`` azimuths (rotated at random per step), weights p / n_core and (1 − p) / n_tail;
- each point gets Poisson(λ w) spots — by Poisson additivity a cube's spot count is Poisson(λ Σ w over its points),
  i.e. GFlash's spot fluctuations per cube — and the step's energy is shared as ΔE k / Σk (the spots are of equal
  energy, GFlash ``GFlashShowerModel``); points outside the calorimeter carry energy that leaks.

Approximations (stated): a point stands for the spots of its quantile cell (the 30 mm cubes are 1.45 R_M wide,
larger than the quantile spacing of the core; the tail's outer quantile is at 3.9 R_T); spots sit at the step's
middle depth; the medium is homogeneous along the axis (vacuum in the cut staircase of the octagon is ignored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.detectors.herd import geometry as geo
from showerml.detectors.physics.em_homogeneous import (
    CONVERSION_DEPTH_X0,
    HomogeneousEMConfig,
    gflash_tau,
    homogeneous_profiles,
    radial_parameters,
    step_fractions,
)
from showerml.detectors.physics.materials import LYSO
from showerml.errors import InputError

__all__ = ["HERD_EM", "CubeEMConfig", "transverse_basis", "deposit_em_cubes"]

_ACTIVE = geo.active_mask().ravel()

#: the HERD-like calorimeter's EM shower model: Geant4's homogeneous GFlash tuning in LYSO
HERD_EM = HomogeneousEMConfig(material=LYSO)


@dataclass(frozen=True)
class CubeEMConfig:
    """Step and quadrature of the per-cube deposition: step length (X0), maximum depth (X0), core/tail radial
    quantiles, azimuths per quantile, the fraction of a shower's energy below which a step is skipped (its energy
    shared among the kept steps), and the coarser (n_core, n_tail, n_phi) of showers below ``coarse_below_gev``
    (the many soft π0 sub-showers of hadrons)."""

    step_x0: float = 1.0
    max_depth_x0: float = 60.0
    n_core: int = 2
    n_tail: int = 4
    n_phi: int = 6
    min_step_fraction: float = 1e-4
    coarse_below_gev: float = 100.0
    coarse: tuple[int, int, int] = (1, 3, 4)

    def __post_init__(self) -> None:
        if not (0.05 <= self.step_x0 <= 5.0 and 5.0 <= self.max_depth_x0 <= 200.0):
            raise InputError("step_x0 must lie in 0.05–5 X0 and max_depth_x0 in 5–200 X0")
        quads = (self.n_core, self.n_tail, self.n_phi, *self.coarse)
        if len(self.coarse) != 3 or min(quads) < 1 or max(quads) > 64:
            raise InputError("n_core, n_tail, n_phi and the three coarse values must be integers from 1 to 64")
        if not 0.0 <= self.min_step_fraction < 0.01:
            raise InputError("min_step_fraction must lie in [0, 0.01)")


def transverse_basis(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (ê_u, ê_v) ⟂ the unit axes ``d`` (n, 3), right-handed with d (ê_u × ê_v = d)."""
    a = np.where((np.abs(d[:, 0]) < 0.9)[:, None], [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    eu = a - (a * d).sum(axis=1, keepdims=True) * d
    eu /= np.linalg.norm(eu, axis=1, keepdims=True)
    ev = np.cross(d, eu)
    return eu, ev


def _quadrature(n_core: int, n_tail: int, n_phi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(radius in units of the component scale, is-core, azimuth index) of the quadrature points."""
    uc = (np.arange(n_core) + 0.5) / n_core
    ut = (np.arange(n_tail) + 0.5) / n_tail
    r = np.concatenate([np.sqrt(uc / (1 - uc)), np.sqrt(ut / (1 - ut))])
    core = np.concatenate([np.ones(n_core, bool), np.zeros(n_tail, bool)])
    r = np.repeat(r, n_phi)
    core = np.repeat(core, n_phi)
    phi_k = np.tile(np.arange(n_phi), n_core + n_tail)
    return r, core, phi_k


def deposit_em_cubes(event: np.ndarray, energy_mev: np.ndarray, start: np.ndarray, axis: np.ndarray,
                     photon: np.ndarray | bool, n_events: int, rng: np.random.Generator,
                     config: HomogeneousEMConfig = HERD_EM, cubes: CubeEMConfig | None = None) -> np.ndarray:
    """(n_events, N_CELLS) MeV deposited by m EM showers: ``event`` (m,) their event, ``energy_mev`` (m,),
    ``start`` (m, 3) where each starts (mm), ``axis`` (m, 3) unit direction, ``photon``: starts after an
    Exp(9/7 X0) conversion depth. Showers below ``cubes.coarse_below_gev`` use the coarse quadrature."""
    cq = cubes or CubeEMConfig()
    out = np.zeros(n_events * geo.N_CELLS)
    m = len(event)
    if m == 0:
        return out.reshape(n_events, geo.N_CELLS)
    e = np.asarray(energy_mev, dtype=float).reshape(m)
    ph = np.broadcast_to(np.asarray(photon, dtype=bool), (m,))
    ev = np.asarray(event, dtype=np.int64)
    st, d = np.asarray(start, dtype=float), np.asarray(axis, dtype=float)
    coarse = e < cq.coarse_below_gev * 1000.0
    for sel, quad in ((~coarse, (cq.n_core, cq.n_tail, cq.n_phi)), (coarse, cq.coarse)):
        if sel.any():
            _deposit(out, ev[sel], e[sel], st[sel], d[sel], ph[sel], rng, config, cq, quad)
    return out.reshape(n_events, geo.N_CELLS)


def _deposit(out: np.ndarray, event: np.ndarray, e: np.ndarray, start: np.ndarray, d: np.ndarray, ph: np.ndarray,
             rng: np.random.Generator, config: HomogeneousEMConfig, cq: CubeEMConfig,
             quad: tuple[int, int, int]) -> None:
    """Add the showers' deposits to the flat (n_events · N_CELLS) ``out`` with quadrature (n_core, n_tail, n_phi)."""
    m = len(e)
    mat = config.material
    prof = homogeneous_profiles(e, rng, config)
    s_conv = np.where(ph, rng.exponential(CONVERSION_DEPTH_X0, m), 0.0)  # X0 along the axis
    n_steps = int(np.ceil(cq.max_depth_x0 / cq.step_x0))
    t = np.arange(n_steps + 1) * cq.step_x0  # X0 from the shower start (conversion point)
    frac_e = step_fractions(t[None, :-1], t[None, 1:], prof.alpha[:, None], prof.beta[:, None])
    frac_s = step_fractions(t[None, :-1], t[None, 1:], prof.alpha_s[:, None], prof.beta_s[:, None])
    keep = frac_e > cq.min_step_fraction
    # the skipped steps' energy is shared among the kept ones (≤ a few 1e-3 of E, in the far tails)
    frac_e *= (frac_e.sum(axis=1) / np.maximum((frac_e * keep).sum(axis=1), 1e-300))[:, None]
    sh, stp = np.nonzero(keep)
    lam = prof.n_spot[sh] * frac_s[sh, stp]
    de = e[sh] * frac_e[sh, stp]
    t_mid = 0.5 * (t[stp] + t[stp + 1])
    tau = gflash_tau(t_mid, prof, sh)
    r_core, r_tail, p_core = radial_parameters(tau, prof.energy_gev[sh], mat.z)
    rm = mat.moliere_radius
    eu, ev = transverse_basis(d)
    centre = start[sh] + ((s_conv[sh] + t_mid) * mat.x0)[:, None] * d[sh]
    n_core, n_tail, n_phi = quad
    r_unit, core, phi_k = _quadrature(n_core, n_tail, n_phi)
    w = np.where(core[None, :], p_core[:, None] / n_core, (1.0 - p_core[:, None]) / n_tail)
    radius = r_unit[None, :] * np.where(core[None, :], r_core[:, None], r_tail[:, None]) * rm  # (S, Q) mm
    phi = (phi_k[None, :] + rng.random((len(sh), 1))) * (2 * np.pi / n_phi)
    cu, cv = radius * np.cos(phi), radius * np.sin(phi)
    k = rng.poisson(lam[:, None] * w).astype(float)
    total = k.sum(axis=1, keepdims=True)
    share = np.where(total > 0, k / np.maximum(total, 1.0), w)  # no spot drawn: the expected shares
    energy = de[:, None] * share
    flat = np.zeros(cu.shape, np.int64)
    inside = np.ones(cu.shape, bool)
    for c, stride in ((0, 1), (1, geo.N_SIDE), (2, geo.N_SIDE * geo.N_SIDE)):
        x = centre[:, c:c + 1] + cu * eu[sh][:, c:c + 1] + cv * ev[sh][:, c:c + 1]
        i = np.floor((x + geo.HALF) * (1.0 / geo.PITCH)).astype(np.int64)
        inside &= (i >= 0) & (i < geo.N_SIDE)
        flat += i * stride
    ok = inside & (energy > 0)
    ok[ok] = _ACTIVE[flat[ok]]
    cell = (event[sh][:, None] * geo.N_CELLS + flat)[ok]
    out += np.bincount(cell, weights=energy[ok], minlength=len(out))
