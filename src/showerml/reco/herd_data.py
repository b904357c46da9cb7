"""HERD files → one in-memory sample, and the inputs of the new architectures for both detectors.

- :func:`load_herd_sample`: HERD files (:func:`showerml.io.herd.read_herd`; a file of another detector is a one-line
  :class:`~showerml.errors.DataFileError`) concatenated into a :class:`~showerml.reco.data.RecoSample` with the
  sparse calorimeter padded to a common width.
- Images: (N, 2, 21, 21, 21) — cube energy share 20 E/ΣE and log(1 + E/MeV)/12 (the DAMPE CNN's two channels in
  3D). Point clouds: the K most energetic cells (position, log energy, share) with a mask. Scalars: log10 of the
  deposit, the charge-layer signal and the classical axis (:mod:`showerml.reco.herd_direction`).
- DAMPE point clouds: the hit BGO bars as points (z, measured coordinate, view), for the graph network on the same
  events as the 2D CNN.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from showerml.detectors.dampe import geometry as dgeo
from showerml.detectors.herd import geometry as geo
from showerml.detectors.physics.materials import LYSO
from showerml.errors import InputError
from showerml.io.herd import dense_calo, read_herd
from showerml.reco.herd_direction import principal_axes
from showerml.reco.sample import RecoSample

__all__ = ["load_herd_sample", "sample_detector", "herd_images", "herd_points", "herd_scalars", "dampe_points",
           "shower_moments", "N_SCALARS_HERD"]

N_SCALARS_HERD = 11


def load_herd_sample(paths: Sequence[str | os.PathLike[str]], max_events: int | None = None) -> RecoSample:
    """Read HERD files (the first ``max_events`` of each) into one sample (attribute-free arrays + sources)."""
    if not paths:
        raise InputError("give at least one HERD file")
    parts = []
    for path in paths:
        ev = read_herd(path, slice(0, max_events) if max_events else None)
        arrays = dict(ev.arrays)
        width = max(int(arrays["calo_n_hits"].max()), 1)
        arrays["calo_index"], arrays["calo_energy"] = arrays["calo_index"][:, :width], arrays["calo_energy"][:, :width]
        parts.append(arrays)
    width = max(p["calo_index"].shape[1] for p in parts)
    for p in parts:
        pad = width - p["calo_index"].shape[1]
        p["calo_index"] = np.pad(p["calo_index"], ((0, 0), (0, pad)), constant_values=-1)
        p["calo_energy"] = np.pad(p["calo_energy"], ((0, 0), (0, pad)))
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    arrays["detector_herd"] = np.ones(len(arrays["energy"]), bool)
    return RecoSample(arrays, [str(p) for p in paths], "herd")


def sample_detector(s: RecoSample) -> str:
    """'herd' or 'dampe' from the arrays a sample holds."""
    if "calo_index" in s.arrays:
        return "herd"
    if "bgo" in s.arrays:
        return "dampe"
    raise InputError("the sample holds neither HERD cubes nor DAMPE BGO bars")


def herd_images(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 2, 21, 21, 21) float32: 20 E/ΣE and log(1 + E/MeV)/12 per cube, [k, j, i] = (z, y, x)."""
    img = dense_calo(arrays["calo_index"], arrays["calo_energy"], np.float32)
    total = np.maximum(img.sum(axis=(1, 2, 3)), 1e-9)[:, None, None, None]
    return np.stack([20.0 * img / total, np.log1p(img) / 12.0], axis=1).astype(np.float32)


def herd_points(arrays: dict[str, np.ndarray], k: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """(nodes (N, K, 6), mask (N, K)) float32: the K most energetic cubes (stored sorted), features (x, y, z)/315 mm,
    log(1 + E/MeV)/12, 10 E/ΣE, 1."""
    idx = arrays["calo_index"][:, :k].astype(np.int64)
    e = arrays["calo_energy"][:, :k].astype(np.float64)
    if idx.shape[1] < k:
        pad = k - idx.shape[1]
        idx, e = np.pad(idx, ((0, 0), (0, pad)), constant_values=-1), np.pad(e, ((0, 0), (0, pad)))
    valid = idx >= 0
    geo.check_cube_indices(idx[valid], "calo_index")
    pos = geo.cube_centres(np.where(valid, idx, 0)) / geo.HALF
    total = np.maximum(arrays["calo_energy"].astype(np.float64).sum(axis=1), 1e-9)[:, None]
    feats = np.concatenate([pos, np.log1p(e)[..., None] / 12.0, (10.0 * e / total)[..., None],
                            np.ones_like(e)[..., None]], axis=-1) * valid[..., None]
    return feats.astype(np.float32), valid.astype(np.float32)


def herd_scalars(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 11) float32: log10(ΣE / 100 GeV), log(1 + outer charge-layer signal)/3, the classical principal axis
    (3, oriented downward), log10(hit cubes)/3, and the five classical shower moments (:func:`shower_moments`,
    scaled to O(1)) — as the DAMPE CNN sees the classical ζ among its scalars."""
    e = arrays["calo_energy"].astype(np.float64)
    total = np.maximum(e.sum(axis=1), 1e-9)
    axis = principal_axes(arrays["calo_index"], arrays["calo_energy"])
    sig = np.log1p(arrays["tracker_signal"][:, 1].astype(np.float64)) / 3.0
    n = np.log10(np.maximum(arrays["calo_n_hits"].astype(np.float64), 1.0)) / 3.0
    mom = shower_moments(arrays) / np.array([2.0, 10.0, 1.0, 1.0, 3.0])
    return np.column_stack([np.log10(total / 1e5), sig, axis, n, mom]).astype(np.float32)


def shower_moments(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 5) classical shower moments about the √E principal axis: transverse RMS / R_M, longitudinal RMS / X0, the
    largest cube's share, the share within 30 mm of the axis, log10 of the hit cubes."""
    idx = arrays["calo_index"].astype(np.int64)
    valid = idx >= 0
    e = np.where(valid, arrays["calo_energy"].astype(np.float64), 0.0)
    total = np.maximum(e.sum(axis=1), 1e-9)
    axis = principal_axes(idx, e, 0.5)
    pos = geo.cube_centres(np.where(valid, idx, 0))
    mean = (e[..., None] * pos).sum(axis=1) / total[:, None]
    d = pos - mean[:, None]
    along = (d * axis[:, None]).sum(axis=2)
    perp = np.linalg.norm(d - along[..., None] * axis[:, None], axis=2)
    rms_t = np.sqrt((e * perp**2).sum(axis=1) / total) / LYSO.moliere_radius
    rms_l = np.sqrt((e * along**2).sum(axis=1) / total) / LYSO.x0
    top = e.max(axis=1) / total
    core = (e * (perp < geo.PITCH)).sum(axis=1) / total
    n = np.log10(np.maximum(valid.sum(axis=1), 1))
    return np.column_stack([rms_t, rms_l, top, core, n])


def dampe_points(bgo: np.ndarray, k: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """(nodes (N, K, 6), mask (N, K)) float32 of DAMPE BGO bars: the K most energetic hit bars with (z/450 mm,
    measured coordinate/300 mm, view ±1 (x/y), log(1 + E/MeV)/12, 10 E/ΣE, 1); the first three are positions (the
    view coordinate keeps k-NN edges mostly within one view)."""
    e = np.asarray(bgo, dtype=np.float64).reshape(len(bgo), -1)
    order = np.argsort(-e, axis=1, kind="stable")[:, :k]
    ek = np.take_along_axis(e, order, axis=1)
    valid = ek > 0
    layer, bar = order // dgeo.BGO_N_BARS, order % dgeo.BGO_N_BARS
    z = dgeo.BGO_LAYER_Z[layer] / 450.0
    c = dgeo.BGO_BAR_CENTRES[bar] / 300.0
    view = np.where(layer % 2 == 0, 1.0, -1.0)
    total = np.maximum(e.sum(axis=1), 1e-9)[:, None]
    feats = np.stack([z, c, view, np.log1p(ek) / 12.0, 10.0 * ek / total, np.ones_like(ek)], axis=-1)
    return (feats * valid[..., None]).astype(np.float32), valid.astype(np.float32)
