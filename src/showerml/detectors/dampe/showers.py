"""What a family of primaries (e±/γ or hadrons/nuclei) hands to the DAMPE-like simulator: the BGO deposit of its
showers, the charged lines for tracker and PSD, and the truth of the first interaction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.dampe.tracks import Lines
from showerml.detectors.physics.spots import Spots

__all__ = ["PrimaryShowers", "NO_INTERACTION_Z", "FAR", "track_lines"]

#: first-interaction z stored for particles that cross the detector without interacting
NO_INTERACTION_Z = 1.0e4
#: a z far above (−) or below (+) the detector, for lines that start or end outside it
FAR = 1.0e9


@dataclass
class PrimaryShowers:
    """The showers of one batch of n primaries.

    deposit: (n, 14, 22) MeV in the BGO bars from the showers (before tracks, back-scatter and readout);
    lines: charged particles to pass through PSD/STK/BGO as MIPs; first_interaction_z (mm, ``NO_INTERACTION_Z``
    when none), first_interaction_depth (mm of BGO along the track, −1 in the tracker), shower_start s0 (BGO-
    equivalent mm along the track from the BGO top, −∞…+∞; +∞ when the primary never showers); spots: the explicit
    shower spots where the family draws them (None where deposits are aggregated per bar).
    """

    deposit: np.ndarray
    lines: Lines
    first_interaction_z: np.ndarray
    first_interaction_depth: np.ndarray
    shower_start: np.ndarray
    spots: Spots | None = None


def track_lines(event, tracks: geo.Tracks, charge, z_from, z_to, origin, slope=None) -> Lines:
    """Straight charged lines of the events ``event`` along their tracks (or ``slope``) from ``z_from`` to ``z_to``."""
    m = len(event)
    return Lines(event, tracks.intercept[event], tracks.slope[event] if slope is None else slope,
                 np.broadcast_to(np.asarray(charge, float), (m,)).copy(), np.broadcast_to(z_from, (m,)).astype(float),
                 np.broadcast_to(z_to, (m,)).astype(float), np.full(m, origin))
