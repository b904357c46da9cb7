"""The CaloChallenge protocol pinned to a direct transcription of the official definitions on a small dataset-2 file.

The reference functions below are written from the definitions in code/HighLevelFeatures.py, code/XMLHandler.py
and code/evaluate_plotting_helper.py of the CaloChallenge homepage repository (arXiv:2410.21611) — plain loops over
layers with the official coordinates (r: mid-points of the XML radial edges; α: mid-points of n_α equal sectors of
[−π, π]; voxels ordered α-major, r-minor), the official threshold and the official histogram ranges — and are
independent of showerml's implementation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from showerml.detectors.calochallenge import CaloChallenge2Simulator
from showerml.features.calochallenge import challenge_features, challenge_fpd_inputs, voxel_histogram
from showerml.io.showers import ShowerData
from showerml.metrics.calochallenge import challenge_histograms, voxel_edges
from showerml.metrics.distances import challenge_fpd, challenge_kpd
from showerml.metrics.distortion import distort_showers
from showerml.pipelines.simulate import simulate_showers
from showerml.spectra import parse_spectrum

MIN_ENERGY = 0.5e-3 / 0.033  # evaluate.py, datasets 2 and 3
R_EDGES = [0, 4.65, 9.3, 13.95, 18.6, 23.25, 27.9, 32.55, 37.2, 41.85]  # binning_dataset_2.xml, every layer
N_ALPHA, N_LAYERS = 16, 45


def _official_features(showers: np.ndarray, e_inc: np.ndarray) -> dict[str, np.ndarray]:
    data = np.where(showers < MIN_ENERGY, 0.0, showers)  # float32, as read from the file
    r_mid = [R_EDGES[i] + (R_EDGES[i + 1] - R_EDGES[i]) / 2 for i in range(len(R_EDGES) - 1)]
    a_edges = np.linspace(-math.pi, math.pi, N_ALPHA + 1)
    a_mid = [a_edges[j] + (a_edges[j + 1] - a_edges[j]) / 2 for j in range(N_ALPHA)]
    r_list = [r_mid[i] for j in range(N_ALPHA) for i in range(len(r_mid))]
    a_list = [a_mid[j] for j in range(N_ALPHA) for i in range(len(r_mid))]
    eta = np.array(r_list) * np.cos(a_list)
    phi = np.array(r_list) * np.sin(a_list)
    r = np.array(r_list)
    n_vox = len(r_list)
    out = {"E_tot": data.sum(axis=-1), "E_tot/E_inc": data.sum(axis=-1) / e_inc}
    for layer in range(N_LAYERS):
        e = data[:, layer * n_vox : (layer + 1) * n_vox]
        out[f"E_layer_{layer}"] = e.sum(axis=-1)
        out[f"sparsity_{layer}"] = 1.0 - (e > 0).mean(axis=-1)
        for name, x in (("eta", eta), ("phi", phi), ("r", r)):
            ec = (x * e).sum(axis=-1) / (e.sum(axis=-1) + 1e-16)
            w2 = (x * x * e).sum(axis=-1) / (e.sum(axis=-1) + 1e-16)
            out[f"EC_{name}_{layer}"] = ec
            out[f"width_{name}_{layer}"] = np.sqrt((w2 - ec**2).clip(min=0.0))
    return out


def _official_separation(ref: np.ndarray, gen: np.ndarray, bins: np.ndarray) -> float:
    h1 = np.histogram(ref, bins=bins, density=True)[0] * np.diff(bins)
    h2 = np.histogram(gen, bins=bins, density=True)[0] * np.diff(bins)
    return float(0.5 * ((h1 - h2) ** 2 / (h1 + h2 + 1e-16)).sum())


def _official_bins(name: str, ref: dict[str, np.ndarray]) -> np.ndarray:
    if name == "E_tot/E_inc":
        return np.linspace(0.5, 1.5, 101)
    if name.startswith("E_layer"):
        return np.logspace(np.log10(MIN_ENERGY), np.log10(ref[name].max()), 40)
    if name.startswith("EC_eta") or name.startswith("EC_phi"):
        return np.linspace(-30.0, 30.0, 101)
    return np.linspace(0.0, 30.0, 101)  # width_eta, width_phi


@pytest.fixture(scope="module")
def samples() -> dict[str, ShowerData]:
    sim = CaloChallenge2Simulator()
    spec = parse_spectrum("loguniform:1,1000")
    ref, gen = simulate_showers(sim, 300, spec, 1), simulate_showers(sim, 300, spec, 2)
    return {"ref": ref, "gen": gen, "dist": distort_showers(gen, {k: 1.05 for k in range(10)})}


def test_features_equal_the_official_definitions(samples) -> None:
    ref = samples["ref"]
    official = _official_features(np.asarray(ref.voxels), np.asarray(ref.incident))
    mine = challenge_features((ref.subset(slice(a, a + 70)) for a in range(0, len(ref), 70)), ref.geometry).table
    assert set(official) <= set(mine.names)
    for name, values in official.items():
        # a one-voxel layer's width is √(float32 rounding) in the official sums: ≤ ≈ 10⁻² mm, not 0 (bins: 0.3 mm)
        atol = 2e-2 if name.startswith("width") else 1e-9
        np.testing.assert_allclose(mine[name], values, rtol=1e-5, atol=atol, err_msg=name)
    # sparsity is the fraction of *empty* voxels: most of a dataset-2 layer is empty
    assert np.mean([mine[f"sparsity_{i}"].mean() for i in range(N_LAYERS)]) > 0.5


@pytest.mark.parametrize("which", ["gen", "dist"])
def test_separation_powers_equal_the_official_ones(samples, which) -> None:
    ref, gen = samples["ref"], samples[which]
    o_ref = _official_features(np.asarray(ref.voxels), np.asarray(ref.incident))
    o_gen = _official_features(np.asarray(gen.voxels), np.asarray(gen.incident))
    t_ref = challenge_features([ref], ref.geometry)
    t_gen = challenge_features([gen], gen.geometry)
    edges = voxel_edges(MIN_ENERGY, t_ref.voxel_max)
    counts = (voxel_histogram([ref], edges, MIN_ENERGY), voxel_histogram([gen], edges, MIN_ENERGY))
    hists = challenge_histograms(t_ref.table, t_gen.table, MIN_ENERGY, counts, edges)
    sep = hists.separation_powers(official_only=True)
    names = ["E_tot/E_inc"] + [
        f"{stem}_{i}" for stem in ("E_layer", "EC_eta", "EC_phi", "width_eta", "width_phi") for i in range(N_LAYERS)
    ]
    assert set(sep) == set(names) | {"voxel"}
    for name in names:
        assert sep[name] == pytest.approx(_official_separation(o_ref[name], o_gen[name], _official_bins(name, o_ref)),
                                          rel=1e-6, abs=1e-12), name
    # the voxel-energy histogram: all voxels of all showers after the threshold, 50 log bins up to the reference max
    ref_v = np.where(ref.voxels < MIN_ENERGY, 0, ref.voxels).ravel()
    gen_v = np.where(gen.voxels < MIN_ENERGY, 0, gen.voxels).ravel()
    v_bins = np.logspace(np.log10(MIN_ENERGY), np.log10(ref_v.max()), 50)
    assert sep["voxel"] == pytest.approx(_official_separation(ref_v, gen_v, v_bins), rel=1e-6)


def test_a_five_percent_scale_of_layers_0_to_9_shows_in_those_layers_only(samples) -> None:
    """The distorted copy of the same showers: its layer-0–9 energies move, nothing that the scale keeps does."""
    geo = samples["gen"].geometry
    gen = challenge_features([samples["gen"]], geo).table
    dist = challenge_histograms(gen, challenge_features([samples["dist"]], geo).table, MIN_ENERGY).separation_powers()
    assert min(dist[f"E_layer_{i}"] for i in range(10)) > 1e-4
    assert max(dist[f"E_layer_{i}"] for i in range(10, N_LAYERS)) == 0.0
    assert dist["E_tot/E_inc"] > 1e-3
    assert max(dist[f"EC_eta_{i}"] for i in range(N_LAYERS)) < 1e-6


def test_fpd_inputs_are_the_official_high_level_classifier_inputs(samples) -> None:
    ref = samples["ref"]
    o = _official_features(np.asarray(ref.voxels), np.asarray(ref.incident))
    cols = [np.log10(ref.incident)] + [np.log10(o[f"E_layer_{i}"] + 1e-8) for i in range(N_LAYERS)]
    for stem in ("EC_eta", "EC_phi", "width_eta", "width_phi"):
        cols += [o[f"{stem}_{i}"] / 1e2 for i in range(N_LAYERS)]
    cols += [np.log10(o["E_tot"] + 1e-8)] + [o[f"sparsity_{i}"] for i in range(N_LAYERS)]
    cols += [o[f"EC_r_{i}"] / 1e2 for i in range(N_LAYERS)] + [o[f"width_r_{i}"] / 1e2 for i in range(N_LAYERS)]
    table = challenge_features([ref], ref.geometry).table
    np.testing.assert_allclose(challenge_fpd_inputs(table, ref.geometry), np.stack(cols, axis=1), rtol=1e-5, atol=2e-4)


def _poly4_mmd(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    kxx, kyy, kxy = ((a @ b.T / d + 1.0) ** 4 for a, b in ((x, x), (y, y), (x, y)))
    m, n = len(x), len(y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean()
    )


def test_challenge_kpd_and_fpd_follow_the_official_settings() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(3000, 6)), rng.normal(size=(3000, 6)) * 1.1 + 0.05
    res = challenge_kpd(x, y, n_batches=4, batch_size=500, seed=42)
    scale = np.abs(x).max(axis=0)
    direct = []
    for b in range(4):
        g = np.random.default_rng(42 + 1000 * b)
        i, j = g.choice(3000, size=500), g.choice(3000, size=500)
        direct.append(_poly4_mmd(x[i] / scale, y[j] / scale))
    assert res.value == pytest.approx(float(np.median(direct)), rel=1e-9)
    same = challenge_fpd(x, rng.normal(size=(3000, 6)), min_samples=500, max_samples=2000, n_batches=4)
    shifted = challenge_fpd(x, y + 0.2, min_samples=500, max_samples=2000, n_batches=4)
    assert same.value >= 0.0 and shifted.value > 10 * max(same.value, same.error)
