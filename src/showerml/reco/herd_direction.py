"""Shower direction in the HERD-like calorimeter: the classical principal-axis fit and the angle metrics.

Classical fit: the shower axis is the principal axis of the energy-weighted cube centres — the eigenvector of the
largest eigenvalue of the weighted covariance Σ w (p − p̄)(p − p̄)ᵀ / Σ w with w = E (the moment analysis of a 3D
calorimeter shower). A second moment has no sense of flight, so every angle here is the axis angle
arccos |â · d| ∈ [0°, 90°] (the charge layers give the sense). PSF68 = the 68 % quantile of that angle.
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.herd import geometry as geo

__all__ = ["principal_axes", "axis_angle_deg", "psf68_axis", "align"]


def principal_axes(index: np.ndarray, energy: np.ndarray, power: float = 1.0) -> np.ndarray:
    """(N, 3) unit principal axes of sparse cube deposits (weights E^power), oriented with a negative z component
    (downward) or, when horizontal, positive x; events with < 2 cubes get (0, 0, −1)."""
    idx = np.asarray(index).astype(np.int64)
    valid = idx >= 0
    w = np.where(valid, np.maximum(np.asarray(energy, dtype=np.float64), 0.0), 0.0) ** power * valid
    pos = geo.cube_centres(np.where(valid, idx, 0))
    sw = np.maximum(w.sum(axis=1), 1e-12)
    mean = (w[..., None] * pos).sum(axis=1) / sw[:, None]
    d = pos - mean[:, None]
    cov = np.einsum("nk,nki,nkj->nij", w, d, d) / sw[:, None, None]
    _, vecs = np.linalg.eigh(cov)
    axis = vecs[:, :, -1]
    flip = (axis[:, 2] > 0) | ((axis[:, 2] == 0) & (axis[:, 0] < 0))
    axis = np.where(flip[:, None], -axis, axis)
    few = valid.sum(axis=1) < 2
    axis[few] = (0.0, 0.0, -1.0)
    return axis


def align(target: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``target`` unit vectors flipped to lie in the hemisphere of ``reference`` (the sign-free axis)."""
    s = np.sign((target * reference).sum(axis=1))
    return target * np.where(s == 0, 1.0, s)[:, None]


def axis_angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (deg) between the axes a and b regardless of sense: arccos |â · b̂|."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.degrees(np.arccos(np.clip(np.abs((a * b).sum(axis=1)), 0.0, 1.0)))


def psf68_axis(a: np.ndarray, b: np.ndarray) -> float:
    """PSF68 (deg): the 68 % quantile of :func:`axis_angle_deg`."""
    return float(np.quantile(axis_angle_deg(a, b), 0.68)) if len(a) else float("nan")
