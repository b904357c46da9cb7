"""The five-sided charge layers of the HERD-like detector (simplified): where the track crosses each, and its signal.

Two layers, 50 and 100 mm outside the calorimeter's top and lateral faces (:mod:`.geometry`), record the crossing
point of a charged primary with a Gaussian resolution of ``resolution_mm`` in the two coordinates of the face and a
signal in MIP units Z² / |cos α| (α the angle to the face normal: the path through the layer) with a relative
Gaussian spread ``signal_spread`` (a stand-in for the Landau spread; not tuned to HERD's FIT/SCD). Neutral primaries
(γ) leave no hit; back-splash and secondaries are not simulated here.
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.herd import geometry as geo

__all__ = ["tracker_hits"]

_NORMALS = np.array([[0, 0, 1], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]], dtype=float)


def tracker_hits(tracks: geo.Tracks, charge: int, rng: np.random.Generator, resolution_mm: float = 0.1,
                 signal_spread: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hits (n, 2, 3) mm, signal (n, 2) MIP, face (n, 2) int8) of the two charge layers (inner, outer)."""
    n = len(tracks)
    hits = np.zeros((n, 2, 3))
    signal = np.zeros((n, 2))
    face = np.full((n, 2), -1, np.int8)
    if charge == 0:
        return hits, signal, face
    for layer, gap in enumerate(geo.LAYER_GAPS):
        t, f = geo.box_entry(tracks.origin, tracks.direction, gap)
        ok = f >= 0
        p = tracks.origin + t[:, None] * tracks.direction
        normal = _NORMALS[np.maximum(f, 0)]
        smear = rng.normal(0.0, resolution_mm, (n, 3)) * (1.0 - np.abs(normal))  # in the face's plane only
        hits[:, layer] = np.where(ok[:, None], p + smear, 0.0)
        cos_a = np.abs((tracks.direction * normal).sum(axis=1))
        s = charge**2 / np.maximum(cos_a, 0.05) * (1.0 + signal_spread * rng.standard_normal(n))
        signal[:, layer] = np.where(ok, np.maximum(s, 0.0), 0.0)
        face[:, layer] = f
    return hits, signal, face
