"""The CaloChallenge 2022 high-level features, computed chunk by chunk as its official evaluation defines them.

Definitions from ``code/HighLevelFeatures.py`` and ``code/evaluate.py`` of the challenge's homepage repository
(Krause et al., arXiv:2410.21611). Voxels below the read-out threshold ``t`` are set to 0 first (``min_energy``:
0.5 keV / 0.033 = 15.15 keV for datasets 2 and 3). For a shower with voxel energies ``E_v`` at bin centres
``(r_v, α_v)`` (mid-points of the radial edges and of ``n_α`` equal sectors of [−π, π]), ``η_v = r_v cos α_v``,
``φ_v = r_v sin α_v``, and layer energies ``E_l = Σ_{v∈l} E_v``:

- ``E_inc``, ``E_tot = Σ_v E_v``, ``E_tot / E_inc``; ``E_layer_l = E_l``;
- centres ``EC_x_l = Σ x_v E_v / (E_l + 10⁻¹⁶)`` and widths ``width_x_l = √max(0, Σ x_v² E_v / (E_l + 10⁻¹⁶) −
  EC_x_l²)`` for x = η, φ (layers binned in α) and r (every layer), mm;
- ``sparsity_l = 1 − mean_{v∈l}(E_v > 0)``: the fraction of *empty* voxels (after the threshold).

:func:`challenge_fpd_inputs` is the feature matrix the challenge's FPD/KPD and high-level classifier use
(``prepare_high_data_for_classifier``): ``[log10 E_inc, log10(E_l + 10⁻⁸), EC_η/100, EC_φ/100, width_η/100,
width_φ/100, log10(E_tot + 10⁻⁸), sparsity, EC_r/100, width_r/100]``.

Voxels are float32 as in the files; energy sums are taken in float32 as the official script does (centres and
widths in float64). Only one chunk of voxels is held at a time; the features (float64, ~8 L + 3 columns) and, for the
reference, the largest voxel (which sets the voxel-histogram range) are what is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from showerml.detectors.calochallenge import THRESHOLD_MEV
from showerml.errors import InputError
from showerml.features.showers import FeatureTable
from showerml.geometry import CylindricalLayer, Geometry
from showerml.io.showers import ShowerData

__all__ = [
    "ChallengeFeatures",
    "challenge_dataset",
    "challenge_features",
    "challenge_fpd_inputs",
    "challenge_threshold",
    "voxel_histogram",
]

#: voxel counts of the challenge's electron datasets 2 and 3 (45 × 16 × 9 and 45 × 50 × 18)
_DATASET_VOXELS = {6480: "2", 40500: "3"}
_TINY = 1e-16  # the official denominators' offset


def challenge_dataset(geometry: Geometry) -> str | None:
    """``"2"`` or ``"3"`` for the challenge's electron geometries (all-cylindrical, 6480 / 40500 voxels), else None."""
    if not all(isinstance(layer, CylindricalLayer) for layer in geometry.layers):
        return None
    return _DATASET_VOXELS.get(geometry.n_voxels)


def challenge_threshold(geometry: Geometry) -> float:
    """The challenge's voxel threshold (MeV) for datasets 2 and 3, 0.5 keV / 0.033 (code/evaluate.py)."""
    if challenge_dataset(geometry) is None:
        raise InputError(
            f"the CaloChallenge protocol is defined here for datasets 2 and 3 (6480 / 40500 cylindrical voxels), not "
            f"'{geometry.name}' ({geometry.n_voxels} voxels); use --protocol showerml"
        )
    return THRESHOLD_MEV


@dataclass
class ChallengeFeatures:
    """The features (one float64 column each) and the largest voxel energy seen (MeV, after the threshold)."""

    table: FeatureTable
    voxel_max: float


def _layer_coords(geometry: Geometry) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]]:
    out = []
    for layer in geometry.layers:
        assert isinstance(layer, CylindricalLayer)
        r = np.ascontiguousarray(layer.centres()[0].reshape(-1), dtype=np.float64)
        eta, phi = (np.ascontiguousarray(c.reshape(-1), dtype=np.float64) for c in layer.cartesian_centres())
        out.append((r, eta, phi, layer.n_alpha > 1))
    return out


def _chunk_features(
    voxels: np.ndarray, incident: np.ndarray, geometry: Geometry, coords: list
) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {"E_inc": incident.astype(np.float64)}
    # energy sums in float32 as the official script takes them (same values to the last bit: its histogram edges
    # come from the reference's maxima of these sums)
    e_tot = voxels.sum(axis=-1).astype(np.float64)
    cols["E_tot"] = e_tot
    cols["E_tot/E_inc"] = e_tot / cols["E_inc"]
    for i, (s, (r, eta, phi, binned_alpha)) in enumerate(zip(geometry.layer_slices, coords, strict=True)):
        layer32 = voxels[:, s]
        e_l = layer32.sum(axis=-1).astype(np.float64)
        layer = layer32.astype(np.float64)
        cols[f"E_layer_{i}"] = e_l
        denom = e_l + _TINY
        axes = (("eta", eta), ("phi", phi), ("r", r)) if binned_alpha else (("r", r),)
        for name, x in axes:
            centre = (layer @ x) / denom
            second = (layer @ (x * x)) / denom
            cols[f"EC_{name}_{i}"] = centre
            cols[f"width_{name}_{i}"] = np.sqrt(np.clip(second - centre * centre, 0.0, None))
        cols[f"sparsity_{i}"] = 1.0 - (layer > 0).mean(axis=1)
    return cols


def _unit(name: str) -> str:
    if name == "E_tot/E_inc" or name.startswith("sparsity"):
        return ""
    return "MeV" if name.startswith("E_") else "mm"


def _thresholded(voxels: np.ndarray, threshold: float) -> np.ndarray:
    """float32 voxels with ``E < threshold`` set to 0 (a new array only when something changes)."""
    v = np.asarray(voxels, dtype=np.float32)
    if threshold > 0:
        below = v < np.float32(threshold)
        if below.any():
            v = np.where(below, np.float32(0.0), v)
    return v


def challenge_features(
    chunks: Iterable[ShowerData], geometry: Geometry, threshold: float | None = None
) -> ChallengeFeatures:
    """The challenge's high-level features of every shower in ``chunks`` (e.g. ``ShowerFile.iter_chunks()``)."""
    thr = challenge_threshold(geometry) if threshold is None else threshold
    coords = _layer_coords(geometry)
    parts: list[dict[str, np.ndarray]] = []
    vmax = 0.0
    for chunk in chunks:
        if chunk.geometry.n_voxels != geometry.n_voxels:
            raise InputError(f"showers of {chunk.geometry.n_voxels} voxels for a {geometry.n_voxels}-voxel geometry")
        vox = _thresholded(chunk.voxels, thr)
        if len(vox):
            vmax = max(vmax, float(vox.max()))
            parts.append(_chunk_features(vox, np.asarray(chunk.incident), geometry, coords))
    if not parts:
        raise InputError("no showers to compute features of")
    names = list(parts[0])
    cols = {n: np.concatenate([p[n] for p in parts]) for n in names}
    return ChallengeFeatures(FeatureTable(cols, {n: _unit(n) for n in names}), vmax)


def voxel_histogram(chunks: Iterable[ShowerData], edges: np.ndarray, threshold: float) -> np.ndarray:
    """Counts of all voxel energies (after the threshold) in ``edges``; values outside the edges are not counted
    (as ``plot_cell_dist`` of the challenge's evaluation)."""
    counts = np.zeros(len(edges) - 1, dtype=np.float64)
    if edges[0] <= 0:
        raise InputError("voxel-histogram edges must start above 0")
    for chunk in chunks:
        v = _thresholded(chunk.voxels, threshold).ravel()
        # float32 values as the official script bins them; zeros lie below any edge either way
        counts += np.histogram(v[v > 0], bins=edges)[0]
    return counts


def challenge_fpd_inputs(table: FeatureTable, geometry: Geometry) -> np.ndarray:
    """``(N, 2 + 8L)`` (fewer for layers without α bins): the challenge's FPD/KPD and high-level classifier inputs."""
    n_layers = geometry.n_layers
    alpha = [i for i in range(n_layers) if f"EC_eta_{i}" in table.columns]
    cols = [np.log10(table["E_inc"])]
    cols += [np.log10(table[f"E_layer_{i}"] + 1e-8) for i in range(n_layers)]
    for name in ("EC_eta", "EC_phi", "width_eta", "width_phi"):
        cols += [table[f"{name}_{i}"] / 1e2 for i in alpha]
    cols.append(np.log10(table["E_tot"] + 1e-8))
    cols += [table[f"sparsity_{i}"] for i in range(n_layers)]
    cols += [table[f"EC_r_{i}"] / 1e2 for i in range(n_layers)]
    cols += [table[f"width_r_{i}"] / 1e2 for i in range(n_layers)]
    return np.stack(cols, axis=1)
