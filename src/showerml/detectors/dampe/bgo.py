"""Where showers meet the BGO: BGO-equivalent depth ↔ z, and spots binned into the 14 × 22 bars.

Depths are BGO-equivalent: mm of crystal along the axis from the BGO top (the 4 mm gaps between layers hold no
material); the layer structure is 25 mm of BGO every 29 mm (Chang et al., Astropart. Phys. 95 (2017) 6).
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.physics.spots import Spots

__all__ = ["BGO_DEPTH", "bgo_depth_to_z", "spot_bars", "bin_bgo"]

#: mm of BGO crossed at normal incidence (14 layers of 25 mm)
BGO_DEPTH = geo.BGO_N_LAYERS * geo.BGO_BAR


def bgo_depth_to_z(t: np.ndarray) -> np.ndarray:
    """z (mm) of a BGO-equivalent depth t (mm at normal incidence): 25 mm of crystal every 29 mm."""
    t = np.asarray(t, dtype=float)
    k = np.clip(np.floor(t / geo.BGO_BAR), 0, geo.BGO_N_LAYERS - 1)
    return geo.BGO_TOP_Z + geo.BGO_LAYER_PITCH * k + (t - geo.BGO_BAR * k)


def spot_bars(spots: Spots, tracks: geo.Tracks, depth_shift: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(layer, coordinate across the layer's bars (mm), inside) of every spot (s = BGO-equivalent depth along the
    axis from the BGO top).

    With t = s cos θ in layer k = ⌊t/25⌋ the axis point lies at z = 46 + 4k + t; the transverse offsets (u, v) are
    along ê_u = (cos θ cos φ, cos θ sin φ, −sin θ) and ê_v = (−sin φ, cos φ, 0). Even layers measure x, odd ones y.
    The offset u moves a spot −u sin θ in z (into another layer, possibly); ``depth_shift=False`` keeps it in the
    layer of its axis depth.
    """
    ev = spots.event
    cos_t = tracks.cos_theta
    sin_t = np.sqrt(1.0 - cos_t**2)
    cp, sp = np.cos(tracks.phi), np.sin(tracks.phi)
    coef = np.column_stack([cos_t, tracks.intercept, tracks.slope, cos_t * cp, cos_t * sp, -sp, cp, -sin_t])[ev]
    t = spots.s * coef[:, 0]
    z = geo.BGO_TOP_Z + t + (geo.BGO_LAYER_PITCH - geo.BGO_BAR) * np.floor(t * (1.0 / geo.BGO_BAR))
    u, v = spots.u, spots.v
    x = coef[:, 1] + coef[:, 3] * z + u * coef[:, 5] + v * coef[:, 7]
    y = coef[:, 2] + coef[:, 4] * z + u * coef[:, 6] + v * coef[:, 8]
    if depth_shift:
        z += u * coef[:, 9]
    layer = np.floor((z - (geo.BGO_TOP_Z - 2.0)) * (1.0 / geo.BGO_LAYER_PITCH)).astype(np.int64)
    coord = np.where(layer & 1, y, x)
    inside = ((t >= 0) & (t < BGO_DEPTH) & (layer >= 0) & (layer < geo.BGO_N_LAYERS)
              & (np.abs(coord) < geo.BGO_HALF))
    return layer, coord, inside


def bin_bgo(spots: Spots, tracks: geo.Tracks, n: int, depth_shift: bool = True) -> np.ndarray:
    """Deposit spots into the (n, 14, 22) bars (:func:`spot_bars`); what leaves the bars leaks."""
    layer, coord, ok = spot_bars(spots, tracks, depth_shift)
    bar = np.floor((coord + 11 * geo.BGO_PITCH) * (1.0 / geo.BGO_PITCH)).astype(np.int64)
    cell = (spots.event * geo.BGO_N_LAYERS + layer) * geo.BGO_N_BARS + np.minimum(bar, geo.BGO_N_BARS - 1)
    flat = np.bincount(cell[ok], weights=spots.energy[ok], minlength=n * geo.BGO_N_LAYERS * geo.BGO_N_BARS)
    return flat.reshape(n, geo.BGO_N_LAYERS, geo.BGO_N_BARS)
