"""e± and γ in the DAMPE-like detector: where they start showering, the tracks they leave, their BGO showers.

- e± start showering at the PSD top; the ≈ 0.94 X0 in front of the BGO shift the GFlash profile up (energy radiated
  there is lost, its pairs become STK tracks);
- γ convert after an Exp(9/7 X0) depth (the pair-production mean free path; Geant4 GFlash
  ``GenerateExponential``), in the tracker (a pair of tracks, no PSD signal) or in the BGO.

The BGO is a homogeneous calorimeter: its showers follow GFlash's homogeneous-medium tuning
(:mod:`showerml.detectors.physics.em_homogeneous`; Grindhammer & Peters, hep-ex/0001020; Geant4
``GVFlashHomoShowerTuning``), deposited per bar by :func:`~showerml.detectors.dampe.bgo_em.deposit_em_showers`.
The extras of the CaloGAN-calibrated sampling model (:mod:`showerml.detectors.physics.em`) are not used here:
- the soft halo (2 % of E in a 1.7 R_M exponential) was fitted to Geant4's Pb/LAr cells; GFlash's homogeneous
  radial profile was fitted to complete showers in homogeneous media and its tail component R_T (≈ 0.5–2 R_M,
  growing with depth) already holds the wide part — no source supports an extra halo in BGO;
- the energy escape (albedo, 0.5 ± 0.3 %) was a Pb/LAr calibration: GFlash's profile integrates to the full E,
  and what really escapes a finite BGO leaks here through its faces (spots beyond the edge, the profile beyond
  14 layers, the profile before the BGO top);
- the primary's separate minimum-ionising track before the shower: GFlash's dE/dt is the total deposit from t = 0,
  the primary's ionisation included, so a separate track would count it twice (≈ 9 MeV/cm, < 10⁻³ of E above
  10 GeV, either way).
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.dampe.bgo import BGO_DEPTH, bgo_depth_to_z
from showerml.detectors.dampe.bgo_em import DAMPE_EM, deposit_em_showers, explicit_em_showers
from showerml.detectors.dampe.particles import Particle
from showerml.detectors.dampe.readout import ORIGIN
from showerml.detectors.dampe.showers import FAR, NO_INTERACTION_Z, PrimaryShowers, track_lines
from showerml.detectors.dampe.tracks import SLAB_X0, X0_BEFORE_BGO, Lines, preshower_lines, slab_z_at
from showerml.detectors.physics.em_homogeneous import CONVERSION_DEPTH_X0, HomogeneousEMConfig
from showerml.detectors.physics.materials import BGO

__all__ = ["DAMPE_EM", "electromagnetic_showers"]


def electromagnetic_showers(primary: Particle, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator,
                            config: HomogeneousEMConfig = DAMPE_EM) -> PrimaryShowers:
    """Showers of e± and γ of ``energy`` (MeV) along ``tracks`` (``primary`` electromagnetic); the explicit spots
    are kept only when ``config.explicit_spots``."""
    n = len(energy)
    cos_t = tracks.cos_theta
    ev = np.arange(n)
    cum_x0 = np.cumsum(SLAB_X0)
    if primary.photon:
        t_conv = rng.exponential(CONVERSION_DEPTH_X0, n) * cos_t  # normal-incidence X0 from the PSD top
        in_tracker = t_conv < X0_BEFORE_BGO
        z_c = np.where(in_tracker, slab_z_at(cum_x0, t_conv), 0.0)
        x0_start = np.where(in_tracker, t_conv, X0_BEFORE_BGO)
        conv = np.flatnonzero(in_tracker)
        pair_ev = np.repeat(conv, 2)
        pair_slope = tracks.slope[pair_ev] + rng.normal(0.0, 2e-3, (len(pair_ev), 2))
        pair_lines = track_lines(pair_ev, tracks, 1.0, z_c[pair_ev], geo.BGO_TOP_Z, ORIGIN["primary"], pair_slope)
        pair_lines.intercept = tracks.intercept[pair_ev] + (tracks.slope[pair_ev] - pair_slope) * z_c[pair_ev, None]
        # conversion inside the BGO (memoryless: a fresh Exp(9/7 X0) from its top)
        depth_bgo = np.where(in_tracker, -1.0, rng.exponential(CONVERSION_DEPTH_X0, n) * BGO.x0)
        inside = ~in_tracker & (depth_bgo * cos_t < BGO_DEPTH)
        z_int = np.where(in_tracker, z_c, np.where(inside, bgo_depth_to_z(depth_bgo * cos_t), NO_INTERACTION_Z))
        depth_bgo = np.where(in_tracker | inside, depth_bgo, NO_INTERACTION_Z)
        s0 = np.where(in_tracker, -(X0_BEFORE_BGO - t_conv) / cos_t * BGO.x0, depth_bgo)
        s0 = np.where(in_tracker | inside, s0, np.inf)
        pre = preshower_lines(pair_ev[::2], tracks.intercept[conv], tracks.slope[conv], energy[conv],
                              x0_start[conv], z_c[conv], geo.BGO_TOP_Z, rng)
        lines = Lines.concat([pair_lines, pre])
    else:
        z_int = np.full(n, geo.PSD_TOP_Z)
        depth_bgo = np.full(n, -1.0)
        s0 = np.full(n, -X0_BEFORE_BGO * BGO.x0) / cos_t
        primary_line = track_lines(ev, tracks, 1.0, -FAR, geo.BGO_TOP_Z, ORIGIN["primary"])
        pre = preshower_lines(ev, tracks.intercept, tracks.slope, energy, np.zeros(n), np.full(n, -FAR),
                              geo.BGO_TOP_Z, rng)
        lines = Lines.concat([primary_line, pre])
    showering = np.flatnonzero(np.isfinite(s0))
    args = (showering, energy[showering], s0[showering], 0.0, 0.0, False, tracks, n, rng, config)
    if config.explicit_spots:
        deposit, spots = explicit_em_showers(*args, depth_shift=True)
        return PrimaryShowers(deposit, lines, z_int, depth_bgo, s0, spots)
    return PrimaryShowers(deposit_em_showers(*args), lines, z_int, depth_bgo, s0, None)
