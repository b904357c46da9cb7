"""A small, fast synthetic CaloGAN-geometry shower generator for the evaluation tests (numpy only).

Not physics: Gaussian core + halo lateral profiles with energy-dependent, per-shower-fluctuating widths, layer
fractions that drift with log E, a stochastic response and gamma-distributed cell fluctuations (≈ Poisson in the
number of 0.5 MeV quanta), zero-suppressed at 1 keV. Enough structure for metrics to have something to see.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from showerml.detectors.geometries import CALOGAN
from showerml.io.showers import ShowerData

__all__ = ["toy_showers"]

GEV = 1000.0
_SIGMA = (4.0, 16.0, 30.0)  # mm, core width per layer at 10 GeV


def _cell_fractions(edges: np.ndarray, centre: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    z = (edges[None, :] - centre[:, None]) / (np.sqrt(2.0) * sigma[:, None])
    return 0.5 * np.diff(erf(z), axis=1)


def toy_showers(n: int, seed: int, e_min_gev: float = 10.0, e_max_gev: float = 100.0) -> ShowerData:
    rng = np.random.default_rng(seed)
    e_inc = rng.uniform(e_min_gev, e_max_gev, n) * GEV
    le = np.log(e_inc / (10 * GEV))
    f0 = np.clip(0.25 - 0.04 * le + 0.05 * rng.standard_normal(n), 0.01, 0.6)
    f2 = np.clip(0.03 + 0.01 * le + 0.01 * rng.standard_normal(n), 0.001, 0.2)
    response = 0.95 * (1.0 + 0.1 / np.sqrt(e_inc / GEV) * rng.standard_normal(n))
    e_vis = e_inc * np.clip(response, 0.5, 1.2)
    fractions = (f0, 1.0 - f0 - f2, f2)
    x0, y0 = 3.0 * rng.standard_normal(n), 3.0 * rng.standard_normal(n)
    width = np.exp(0.1 * rng.standard_normal(n)) * (e_inc / (10 * GEV)) ** -0.05
    layers = []
    for i, layer in enumerate(CALOGAN.layers):
        ex = np.arange(layer.nx + 1) * layer.cell_x - 0.5 * layer.nx * layer.cell_x
        ey = np.arange(layer.ny + 1) * layer.cell_y - 0.5 * layer.ny * layer.cell_y
        img = np.zeros((n, layer.ny, layer.nx))
        for weight, scale in ((0.85, 1.0), (0.15, 3.0)):
            sig = _SIGMA[i] * width * scale
            img += weight * _cell_fractions(ey, y0, sig)[:, :, None] * _cell_fractions(ex, x0, sig)[:, None, :]
        mean = img * (fractions[i] * e_vis)[:, None, None]
        quanta = 0.5  # MeV
        k = mean / quanta
        fluct = np.where(k > 0, rng.gamma(np.maximum(k, 1e-12), quanta), 0.0)
        fluct[fluct < 1e-3] = 0.0
        layers.append(fluct.reshape(n, -1))
    voxels = np.concatenate(layers, axis=1).astype(np.float32)
    return ShowerData(e_inc, voxels, CALOGAN, attrs={"generator": "toy", "seed": seed})
