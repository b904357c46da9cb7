"""Controlled distortions of a shower sample, to show that a metric can fail (a realistic, small distortion).

:func:`distort_showers` applies, in order,

1. layer energy scales ``E_v → f_l E_v`` for the voxels of layer ``l`` (e.g. layer 0 × 1.05);
2. a per-shower lateral width factor ``s = width_scale · (1 + width_smear · z)``, z ~ N(0, 1) clipped to ±3,
   realised by a power transform of each layer's cell energies, ``E_v → E_l · E_v^p / Σ_u E_u^p`` with
   ``p = 1/s²``. For a Gaussian profile ``exp(−u²/2σ²)^p`` has width ``σ/√p = sσ``, so lateral widths scale by
   ≈ s in every direction and geometry (more where low-energy halos and cell noise dominate the width, since the
   transform lifts small deposits), while each layer's energy, the set of hit cells (sparsity) and the centre of
   a symmetric profile are kept. Cell fluctuations are reshaped too, which a classifier may also notice.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from showerml.errors import InputError
from showerml.io.showers import ShowerData

__all__ = ["distort_showers"]


def distort_showers(
    data: ShowerData,
    layer_scale: Mapping[int, float] | None = None,
    width_smear: float = 0.0,
    width_scale: float = 1.0,
    seed: int | np.random.Generator = 0,
) -> ShowerData:
    """A distorted copy of ``data`` (see module docstring); the input is not modified."""
    geometry = data.geometry
    if width_smear < 0 or width_scale <= 0:
        raise InputError("width_smear must be ≥ 0 and width_scale > 0")
    voxels = np.array(data.voxels, dtype=np.float64, copy=True)
    for layer, factor in (layer_scale or {}).items():
        if not 0 <= layer < geometry.n_layers or factor < 0:
            raise InputError(f"cannot scale layer {layer} by {factor}: geometry has {geometry.n_layers} layers")
        voxels[:, geometry.layer_slices[layer]] *= factor
    if width_smear > 0 or width_scale != 1.0:
        rng = np.random.default_rng(seed)
        s = width_scale * (1.0 + width_smear * np.clip(rng.standard_normal(len(data)), -3.0, 3.0))
        p = 1.0 / np.clip(s, 0.2, None) ** 2
        for sl in geometry.layer_slices:
            block = voxels[:, sl]
            e_layer = block.sum(axis=1)
            peak = block.max(axis=1)
            rel = np.divide(block, peak[:, None], out=np.zeros_like(block), where=peak[:, None] > 0)
            powered = np.power(rel, p[:, None], where=rel > 0, out=np.zeros_like(rel))
            norm = powered.sum(axis=1)
            voxels[:, sl] = powered * np.divide(e_layer, norm, out=np.zeros_like(norm), where=norm > 0)[:, None]
    attrs = dict(data.attrs) | {
        "distortion": f"layer_scale={dict(layer_scale or {})}, width_smear={width_smear}, width_scale={width_scale}"
    }
    overflow = None if data.overflow is None else np.array(data.overflow, copy=True)
    return ShowerData(np.array(data.incident, copy=True), voxels.astype(np.float32), geometry, overflow, attrs)
