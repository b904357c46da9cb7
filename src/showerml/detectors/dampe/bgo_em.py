"""Homogeneous GFlash EM showers (:mod:`showerml.detectors.physics.em_homogeneous`) deposited onto the 14 × 22 BGO
bars without drawing every spot.

Per shower the axis is cut into longitudinal steps: every layer crossing (25 mm of crystal, s = 25 k / cos θ along
the track) is split into ``steps_per_layer`` equal steps, clipped at the shower start. For a step [a, b]:
- energy ΔE = E [P(α, β t_b) − P(α, β t_a)] (P the regularised lower incomplete Gamma function, t in X0 from the
  shower start), spots λ = N_spot [P(α_s, β_s t_b) − P(α_s, β_s t_a)], rounded stochastically (at least one spot
  where ΔE > 0), all of equal energy ΔE / n (GFlash ``GFlashShowerModel``);
- the axis position and τ at the step middle; the spot offsets are isotropic in the shower's transverse plane
  (ê_u, ê_v of :func:`~showerml.detectors.dampe.bgo.spot_bars`), so the measured coordinate of a spot is the axis
  coordinate plus |w| times the 1D projection of the radial profile, w = (cos θ cos φ, −sin φ) for x layers and
  (cos θ sin φ, cos φ) for y layers: a bar's probability is the projected two-component CDF between its edges
  (:func:`~showerml.detectors.physics.em_homogeneous.projected_share`), the rest leaks beyond the BGO edge;
- the spots per bar are multinomial over (22 bars, leak), bar energy = ΔE · n_bar / n (with Gamma(k) spot
  weights: the sum over a bar's spots is Gamma(n_bar k), normalised by the step's sum).

This is exactly the distribution of drawing the n spots one by one (:func:`explicit_em_showers`) under the
geometric approximations of the model, which both samplers share: (1) a spot lies in the layer of its step's axis
depth — a transverse offset u of a tilted shower does not move it u sin θ in depth into the next layer (the explicit
spot path :func:`~showerml.detectors.dampe.bgo.spot_bars` does; ``explicit_em_showers(depth_shift=True)`` measures
the difference); (2) bars are long: only the measured coordinate bounds the BGO (as in ``spot_bars``); (3) the spots
of a step sit at its middle depth (GFlash spreads them along the step); (4) a shower tilted against its event's
track keeps the track's transverse plane and depth scale (tilts ≪ 1 rad).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.dampe.bgo import bin_bgo
from showerml.detectors.physics.em_homogeneous import (
    CONVERSION_DEPTH_X0,
    HomogeneousEMConfig,
    gflash_tau,
    homogeneous_profiles,
    projected_share,
    radial_parameters,
    spot_count,
    step_fractions,
)
from showerml.detectors.physics.spots import Spots

__all__ = ["DAMPE_EM", "deposit_em_showers", "explicit_em_showers", "em_step_cost"]

#: the DAMPE-like BGO's EM shower model: Geant4's homogeneous GFlash tuning
DAMPE_EM = HomogeneousEMConfig()

_N_CELLS = geo.BGO_N_LAYERS * geo.BGO_N_BARS


def _bar_edges() -> np.ndarray:
    """The 23 edges of the 22 bars in their measured coordinate (the outer two at the BGO edge, ±301.25 mm)."""
    edges = np.concatenate([geo.BGO_BAR_CENTRES - 0.5 * geo.BGO_PITCH, [geo.BGO_BAR_CENTRES[-1] + 0.5 * geo.BGO_PITCH]])
    edges[0], edges[-1] = -geo.BGO_HALF, geo.BGO_HALF
    return edges


_EDGES = _bar_edges()


def em_step_cost(energy_mev: np.ndarray, config: HomogeneousEMConfig = DAMPE_EM) -> np.ndarray:
    """Memory of one shower in units of 256-byte spots (for the simulator's batching): its steps' (22 + 1)-category
    arrays, or N_spot when every spot is drawn."""
    e = np.asarray(energy_mev, dtype=float)
    if config.explicit_spots:
        return spot_count(e / 1000.0, config)
    return np.full(e.shape, geo.BGO_N_LAYERS * config.steps_per_layer * (geo.BGO_N_BARS + 1) * 8 * 6 / 256.0)


@dataclass
class _Steps:
    """The longitudinal steps of a set of showers that hold energy (one row per step)."""

    shower: np.ndarray  # index into the showers
    event: np.ndarray
    layer: np.ndarray
    energy: np.ndarray  # ΔE (MeV)
    n_spots: np.ndarray  # spots in the step
    s_mid: np.ndarray  # BGO-equivalent depth of the step middle along the event's track (mm)
    centre: np.ndarray  # measured coordinate of the shower axis at s_mid (mm)
    w_u: np.ndarray  # d(measured coordinate)/du
    w_v: np.ndarray  # d(measured coordinate)/dv
    off_u: np.ndarray  # shower-axis offset from the track at s_mid (mm)
    off_v: np.ndarray
    r_core: np.ndarray  # R_C, R_T (mm, in the transverse plane) and p at the step's τ
    r_tail: np.ndarray
    p_core: np.ndarray


def _steps(event: np.ndarray, energy_mev: np.ndarray, s_start: np.ndarray, offset: np.ndarray, tilt: np.ndarray,
           photon: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator, cfg: HomogeneousEMConfig) -> _Steps:
    mat = cfg.material
    m = len(energy_mev)
    prof = homogeneous_profiles(energy_mev, rng, cfg)
    s_conv = s_start + np.where(photon, rng.exponential(CONVERSION_DEPTH_X0, m) * mat.x0, 0.0)
    cos_t = tracks.cos_theta[event]
    k = cfg.steps_per_layer
    n_steps = geo.BGO_N_LAYERS * k
    grid = np.arange(n_steps + 1) * (geo.BGO_BAR / k)  # crystal depth of the step edges (mm)
    edges = np.maximum(grid[None, :] / cos_t[:, None], s_conv[:, None])  # (m, S+1) along the track
    t_x0 = (edges - s_conv[:, None]) / mat.x0
    frac_e = step_fractions(t_x0[:, :-1], t_x0[:, 1:], prof.alpha[:, None], prof.beta[:, None])
    frac_s = step_fractions(t_x0[:, :-1], t_x0[:, 1:], prof.alpha_s[:, None], prof.beta_s[:, None])
    lam = prof.n_spot[:, None] * frac_s
    n_spots = np.floor(lam)
    n_spots += rng.random(lam.shape) < lam - n_spots
    e_step = energy_mev[:, None] * frac_e
    n_spots = np.where(e_step > 0, np.maximum(n_spots, 1.0), 0.0)
    sh, st = np.nonzero(n_spots > 0)
    s_mid = 0.5 * (edges[sh, st] + edges[sh, st + 1])
    layer = st // k
    ev = event[sh]
    # axis of the event's track at s_mid (gaps of 4 mm between layers hold no crystal), then the shower's offset
    z = geo.BGO_TOP_Z + (geo.BGO_LAYER_PITCH - geo.BGO_BAR) * layer + s_mid * cos_t[sh]
    measures_y = (layer & 1).astype(bool)
    icpt = np.where(measures_y, tracks.intercept[ev, 1], tracks.intercept[ev, 0])
    slope = np.where(measures_y, tracks.slope[ev, 1], tracks.slope[ev, 0])
    phi = tracks.phi[ev]
    cp, sp = np.cos(phi), np.sin(phi)
    w_u = np.where(measures_y, cos_t[sh] * sp, cos_t[sh] * cp)
    w_v = np.where(measures_y, cp, -sp)
    ds = s_mid - s_start[sh]
    off_u = offset[sh, 0] + tilt[sh, 0] * ds
    off_v = offset[sh, 1] + tilt[sh, 1] * ds
    centre = icpt + slope * z + off_u * w_u + off_v * w_v
    tau = gflash_tau((s_mid - s_conv[sh]) / mat.x0, prof, sh)
    r_core, r_tail, p_core = radial_parameters(tau, prof.energy_gev[sh], mat.z)
    rm = mat.moliere_radius
    return _Steps(sh, ev, layer, e_step[sh, st], n_spots[sh, st].astype(np.int64), s_mid, centre, w_u, w_v,
                  off_u, off_v, r_core * rm, r_tail * rm, p_core)


def _inputs(event: npt.ArrayLike, energy_mev: npt.ArrayLike, s_start: npt.ArrayLike, offset: npt.ArrayLike,
            tilt: npt.ArrayLike, photon: npt.ArrayLike) -> tuple[np.ndarray, ...]:
    event = np.asarray(event, dtype=np.int64)
    m = len(event)
    e = np.asarray(energy_mev, dtype=float).reshape(m)
    s0 = np.broadcast_to(np.asarray(s_start, dtype=float), (m,))
    off = np.broadcast_to(np.asarray(offset, dtype=float), (m, 2))
    tl = np.broadcast_to(np.asarray(tilt, dtype=float), (m, 2))
    ph = np.broadcast_to(np.asarray(photon, dtype=bool), (m,))
    return event, e, s0, off, tl, ph


def deposit_em_showers(event: npt.ArrayLike, energy_mev: npt.ArrayLike, s_start: npt.ArrayLike, offset: npt.ArrayLike,
                       tilt: npt.ArrayLike, photon: npt.ArrayLike, tracks: geo.Tracks, n_events: int,
                       rng: np.random.Generator, config: HomogeneousEMConfig = DAMPE_EM) -> np.ndarray:
    """(n_events, 14, 22) MeV deposited in the BGO bars by m EM showers, aggregated per bar.

    event (m,) int: the event (row of ``tracks``) of each shower; energy_mev (m,); s_start (m,): BGO-equivalent mm
    along the event's track from the BGO top where the shower starts (< 0: above the BGO; energy before s = 0 is
    lost); offset (m, 2): mm offset of the shower axis from the track at s_start along (ê_u, ê_v) of
    :func:`~showerml.detectors.dampe.bgo.spot_bars`; tilt (m, 2): d(offset)/ds (rad); photon (m,) or scalar: the
    shower starts after an Exp(9/7 X0) conversion depth. Scalars broadcast. With ``config.explicit_spots`` every
    spot is drawn and binned by :func:`~showerml.detectors.dampe.bgo.spot_bars` (:func:`explicit_em_showers`).
    """
    if config.explicit_spots:
        return explicit_em_showers(event, energy_mev, s_start, offset, tilt, photon, tracks, n_events, rng, config,
                                   depth_shift=True)[0]
    event, e, s0, off, tl, ph = _inputs(event, energy_mev, s_start, offset, tilt, photon)
    out = np.zeros(n_events * _N_CELLS)
    if len(event) == 0:
        return out.reshape(n_events, geo.BGO_N_LAYERS, geo.BGO_N_BARS)
    st = _steps(event, e, s0, off, tl, ph, tracks, rng, config)
    stretch = np.hypot(st.w_u, st.w_v)[:, None]
    share = projected_share(_EDGES[None, :] - st.centre[:, None], st.r_core[:, None] * stretch,
                            st.r_tail[:, None] * stretch, st.p_core[:, None])
    share = np.clip(share, 0.0, 1.0)
    pvals = np.concatenate([share, np.clip(1.0 - share.sum(axis=1, keepdims=True), 0.0, 1.0)], axis=1)
    pvals /= pvals.sum(axis=1, keepdims=True)
    counts = rng.multinomial(st.n_spots, pvals)
    if np.isfinite(config.spot_weight_shape):
        k = config.spot_weight_shape
        g = np.where(counts > 0, rng.standard_gamma(np.maximum(counts * k, 1e-12)), 0.0)
        bars = st.energy[:, None] * g[:, :-1] / np.maximum(g.sum(axis=1, keepdims=True), 1e-300)
    else:
        bars = st.energy[:, None] * counts[:, :-1] / st.n_spots[:, None]
    cell = (st.event * geo.BGO_N_LAYERS + st.layer)[:, None] * geo.BGO_N_BARS + np.arange(geo.BGO_N_BARS)
    out += np.bincount(cell.ravel(), weights=bars.ravel(), minlength=len(out))
    return out.reshape(n_events, geo.BGO_N_LAYERS, geo.BGO_N_BARS)


def explicit_em_showers(event: npt.ArrayLike, energy_mev: npt.ArrayLike, s_start: npt.ArrayLike, offset: npt.ArrayLike,
                        tilt: npt.ArrayLike, photon: npt.ArrayLike, tracks: geo.Tracks, n_events: int,
                        rng: np.random.Generator, config: HomogeneousEMConfig = DAMPE_EM,
                        depth_shift: bool = False) -> tuple[np.ndarray, Spots]:
    """The reference sampler of the same model: every spot drawn (r = R √(u/(1 − u)) with R = R_C with probability
    p, else R_T; uniform azimuth) and binned by :func:`~showerml.detectors.dampe.bgo.bin_bgo`. ``depth_shift=False``
    keeps each spot in its step's layer (the model); True lets the offset u move it u sin θ in depth as a real
    point would. Returns ((n_events, 14, 22) MeV, the spots along the events' tracks). Slow: tests and studies."""
    event, e, s0, off, tl, ph = _inputs(event, energy_mev, s_start, offset, tilt, photon)
    if len(event) == 0:
        return np.zeros((n_events, geo.BGO_N_LAYERS, geo.BGO_N_BARS)), Spots.empty()
    st = _steps(event, e, s0, off, tl, ph, tracks, rng, config)
    rep = np.repeat(np.arange(len(st.event)), st.n_spots)
    core = rng.random(len(rep)) < st.p_core[rep]
    u01 = rng.random(len(rep))
    r = np.where(core, st.r_core[rep], st.r_tail[rep]) * np.sqrt(u01 / (1.0 - u01))
    phi = rng.random(len(rep)) * (2.0 * np.pi)
    if np.isfinite(config.spot_weight_shape):
        w = rng.gamma(config.spot_weight_shape, 1.0, len(rep))
        norm = np.bincount(rep, weights=w, minlength=len(st.event))
        energy = st.energy[rep] * w / norm[rep]
    else:
        energy = (st.energy / st.n_spots)[rep]
    spots = Spots(st.event[rep], st.s_mid[rep], st.off_u[rep] + r * np.cos(phi), st.off_v[rep] + r * np.sin(phi),
                  energy)
    return bin_bgo(spots, tracks, n_events, depth_shift=depth_shift), spots
