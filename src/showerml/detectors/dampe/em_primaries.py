"""e± and γ in the DAMPE-like detector: where they start showering, the tracks they leave, their BGO showers.

- e± start showering at the PSD top; the ≈ 0.94 X0 in front of the BGO shift the GFlash profile up (energy radiated
  there is lost, its pairs become STK tracks);
- γ convert after an Exp(9/7 X0) depth, in the tracker (a pair of tracks, no PSD signal) or in the BGO.
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.dampe.bgo import BGO_DEPTH, bgo_depth_to_z, bin_bgo
from showerml.detectors.dampe.particles import Particle
from showerml.detectors.dampe.readout import ORIGIN
from showerml.detectors.dampe.showers import FAR, NO_INTERACTION_Z, PrimaryShowers, track_lines
from showerml.detectors.dampe.tracks import SLAB_X0, X0_BEFORE_BGO, Lines, preshower_lines, slab_z_at
from showerml.detectors.physics.em import CONVERSION_DEPTH_X0, EMConfig, em_shower_spots
from showerml.detectors.physics.materials import BGO

__all__ = ["DAMPE_EM", "electromagnetic_showers"]

#: EM settings: GFlash defaults; the soft halo keeps its 2 % but with fewer spots (25 mm bars do not resolve it) and
#: the CaloGAN-fitted lateral scale (60 mm ≈ 1.7 R_M of Pb/LAr) rescaled to BGO's Molière radius: 1.7 × 22.6 mm
DAMPE_EM = EMConfig(halo_spots_per_gev=2.0, halo_scale_mm=1.7 * BGO.moliere_radius)


def electromagnetic_showers(primary: Particle, energy: np.ndarray, tracks: geo.Tracks, rng: np.random.Generator,
                            config: EMConfig = DAMPE_EM) -> PrimaryShowers:
    """Showers of e± and γ of ``energy`` (MeV) along ``tracks`` (``primary`` electromagnetic)."""
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
    spots = em_shower_spots(energy[showering], BGO, rng, photon=False, config=config, event=showering)
    spots.s += s0[spots.event]
    return PrimaryShowers(bin_bgo(spots, tracks, n), lines, z_int, depth_bgo, s0, spots)
