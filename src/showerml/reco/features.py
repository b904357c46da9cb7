"""Calorimeter observables of the DAMPE-like BGO: layer statistics, the ζ variable, high-level features, line fit.

- Lateral RMS of layer i as DAMPE computes it: RMS_i = sqrt(Σ_j E_ij (x_j − c_i)² / Σ_j E_ij) over all 22 bars, x_j
  the bar centres (27.5 mm pitch), about the layer's core centre of gravity c_i = Σ_{j=m−1}^{m+1} E_ij x_j / Σ E_ij
  from the hottest bar m and its two neighbours (c_i = x_m when m is an edge bar; RMS_i = 0 for an empty layer).
- ζ = F_last · (Σ_i RMS_i)⁴ / (8 × 10⁶ mm⁴), F_last = E_13 / E_BGO the energy fraction of the last layer (DAMPE,
  Nature 552 (2017) 63, Methods; Chang et al., Astropart. Phys. 95 (2017) 6; the core-centroid RMS as in the DAMPE
  electron-analysis cuts): electrons have narrow showers that end inside the BGO, so small ζ; the cut
  ζ < :data:`ZETA_CUT` = 8.5 keeps ≈ 90 % of the electrons, after the preselection of
  :mod:`showerml.reco.preselection`.
- Classical direction: per projection, the weighted least-squares line x(z) = x0 + k z through the layer centroids
  of the layers measuring that projection, weights = layer energies.
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.dampe import geometry as geo

__all__ = ["BAR_CENTRES", "ZETA_CUT", "ZETA_NORM_MM4", "layer_stats", "core_centroid", "zeta", "zeta_terms",
           "line_fit", "fit_layer_positions", "high_level_features",
           "stk_layer_z", "bgo_layer_of_z"]

BAR_CENTRES = geo.BGO_BAR_CENTRES
#: DAMPE's electron cut: ζ < 8.5 (Nature 552 (2017) 63, Methods)
ZETA_CUT = 8.5
#: ζ's normalisation, mm⁴
ZETA_NORM_MM4 = 8.0e6
_EPS = 1e-9


def core_centroid(bgo: np.ndarray) -> np.ndarray:
    """Per layer, the centre of gravity (mm) of the hottest bar and its two neighbours (N, 14); an edge bar (0 or 21)
    is its own centre. Ties go to the lowest bar index."""
    e = np.asarray(bgo, dtype=np.float64)
    m = e.argmax(axis=2)
    n_bars = e.shape[2]
    idx = np.clip(m[..., None] + np.arange(-1, 2), 0, n_bars - 1)
    e3 = np.take_along_axis(e, idx, axis=2)
    core = (e3 * BAR_CENTRES[idx]).sum(axis=2) / np.maximum(e3.sum(axis=2), _EPS)
    edge = (m == 0) | (m == n_bars - 1)
    return np.where(edge, BAR_CENTRES[m], core)


def layer_stats(bgo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(layer energy (N, 14), energy-weighted centroid mm (N, 14), DAMPE lateral RMS mm (N, 14)) of bar images
    (N, 14, 22). The centroid (over all bars) feeds the axis fit; the RMS is about :func:`core_centroid` (module
    docstring), 0 for an empty layer."""
    e = np.asarray(bgo, dtype=np.float64)
    el = e.sum(axis=2)
    w = e / np.maximum(el, _EPS)[..., None]
    centroid = (w * BAR_CENTRES).sum(axis=2)
    var = (w * (BAR_CENTRES[None, None, :] - core_centroid(e)[..., None]) ** 2).sum(axis=2)
    return el, centroid, np.sqrt(np.maximum(var, 0.0))


def zeta_terms(bgo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F_last, Σ_i RMS_i in mm) per event: the two factors of ζ."""
    el, _, rms = layer_stats(bgo)
    return el[:, -1] / np.maximum(el.sum(axis=1), _EPS), rms.sum(axis=1)


def zeta(bgo: np.ndarray) -> np.ndarray:
    """ζ = F_last · (Σ_i RMS_i)⁴ / (8 × 10⁶ mm⁴) per event (module docstring); electrons: ζ < :data:`ZETA_CUT`."""
    f_last, sum_rms = zeta_terms(bgo)
    return f_last * sum_rms**4 / ZETA_NORM_MM4


def line_fit(bgo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classical calorimeter axis: (intercept (N, 2) mm at z = 0, slope (N, 2)) from weighted centroid fits."""
    el, centroid, _ = layer_stats(bgo)
    return fit_layer_positions(centroid, el)


def fit_layer_positions(position: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares lines x(z) = x0 + k z through per-layer positions (N, 14) (even layers x, odd y)
    at the BGO layer depths: (intercept (N, 2) mm at z = 0, slope (N, 2)); fewer than two weighted layers in a
    projection give slope 0."""
    n = len(position)
    intercept, slope = np.zeros((n, 2)), np.zeros((n, 2))
    for proj in (0, 1):
        layers = np.arange(proj, geo.BGO_N_LAYERS, 2)
        z = geo.BGO_LAYER_Z[layers][None, :]
        w = weight[:, layers]
        c = position[:, layers]
        sw = w.sum(axis=1)
        ok = (w > 0).sum(axis=1) >= 2
        sw = np.maximum(sw, _EPS)
        zm = (w * z).sum(axis=1) / sw
        cm = (w * c).sum(axis=1) / sw
        szz = (w * (z - zm[:, None]) ** 2).sum(axis=1)
        szc = (w * (z - zm[:, None]) * (c - cm[:, None])).sum(axis=1)
        k = np.where(ok, szc / np.maximum(szz, _EPS), 0.0)
        slope[:, proj] = k
        intercept[:, proj] = cm - k * zm
    return intercept, slope


def stk_layer_z(plane: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """z (mm) of an STK cluster from its plane (0–5) and projection (0 = x, 1 = y)."""
    return geo.STK_LAYER_Z[np.clip(2 * plane.astype(np.int64) + projection.astype(np.int64), 0, 11)]


def bgo_layer_of_z(z: np.ndarray) -> np.ndarray:
    """BGO layer index (0–13) of a depth z, −1 above the BGO, 14 below it."""
    k = np.floor((np.asarray(z) - (geo.BGO_TOP_Z - 2.0)) / geo.BGO_LAYER_PITCH).astype(np.int64)
    return np.where(np.asarray(z) < geo.BGO_TOP_Z, -1, np.minimum(k, geo.BGO_N_LAYERS))


def high_level_features(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """BDT inputs: energy, layer fractions, RMS, shower maximum, ζ, F_last, bar counts, axis, STK and PSD sums."""
    bgo = np.asarray(arrays["bgo"], dtype=np.float64)
    n = len(bgo)
    el, _, rms = layer_stats(bgo)
    total = np.maximum(el.sum(axis=1), _EPS)
    frac = el / total[:, None]
    depth = np.arange(geo.BGO_N_LAYERS)
    t_mean = (frac * depth).sum(axis=1)
    t_max = el.argmax(axis=1).astype(float)
    bars_hit = (bgo > 0).reshape(n, -1).sum(axis=1)
    max_bar = bgo.reshape(n, -1).max(axis=1) / total
    _, slope = line_fit(bgo)
    cos_t = 1.0 / np.sqrt(1.0 + (slope**2).sum(axis=1))
    clusters = arrays["stk_clusters"]
    valid = np.arange(clusters.shape[1])[None, :] < arrays["stk_n_clusters"][:, None]
    q = np.where(valid, clusters[..., 3], 0.0)
    top = valid & (clusters[..., 0] <= 1)
    psd = arrays["psd"]
    cols = [np.log10(total), frac, rms, t_mean, t_max, np.log10(zeta(bgo) + 1e-6), frac[:, -1], bars_hit,
            max_bar, cos_t, arrays["stk_n_clusters"].astype(float), np.log1p(q.sum(axis=1)),
            top.sum(axis=1).astype(float), psd.max(axis=2), psd.sum(axis=2)]
    names = (["log10_deposit"] + [f"frac_{i}" for i in depth] + [f"rms_{i}" for i in depth]
             + ["t_mean", "t_max", "log10_zeta", "f_last", "bars_hit", "max_bar_frac", "cos_theta", "stk_n",
                "log_stk_q", "stk_top_n", "psd_max_0", "psd_max_1", "psd_sum_0", "psd_sum_1"])
    x = np.column_stack([np.asarray(c, dtype=np.float64).reshape(n, -1) for c in cols])
    return x.astype(np.float32), names
