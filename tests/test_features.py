"""High-level shower features on hand-made showers (exact values) and on the real Geant4 sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from showerml.detectors.geometries import CALOCHALLENGE_2, CALOGAN
from showerml.errors import InputError
from showerml.features import high_level_inputs, informative_features, shower_features, voxel_inputs
from showerml.geometry import CylindricalLayer, Geometry
from showerml.io.showers import ShowerData, load_showers
from showerml.metrics import distort_showers
from tests.evaluate_toy import toy_showers


def _calogan(n: int = 1) -> tuple[np.ndarray, list[np.ndarray]]:
    vox = np.zeros((n, CALOGAN.n_voxels), dtype=np.float32)
    return vox, CALOGAN.split(vox)


def test_single_voxel_centres_widths_and_energies() -> None:
    vox, (l0, l1, l2) = _calogan()
    l0[0, 1, 50] = 100.0  # x centre of cell 50: (50.5) * 5 - 240 = 12.5 mm; y middle row: 0
    l1[0, 3, 8] = 300.0  # x = 8.5*40 - 240 = 100, y = 3.5*40 - 240 = -100
    l2[0, 0, 0] = 50.0
    t = shower_features(ShowerData(np.array([1000.0]), vox, CALOGAN))
    assert t["E_tot"][0] == pytest.approx(450.0)
    assert t["E_tot/E_inc"][0] == pytest.approx(0.45)
    assert [t[f"E_{i}"][0] for i in range(3)] == pytest.approx([100, 300, 50])
    assert sum(t[f"frac_{i}"][0] for i in range(3)) == pytest.approx(1.0)
    assert (t["x_centre_0"][0], t["y_centre_0"][0]) == pytest.approx((12.5, 0.0))
    assert (t["x_centre_1"][0], t["y_centre_1"][0]) == pytest.approx((100.0, -100.0))
    assert t["x_width_1"][0] == pytest.approx(0.0, abs=1e-6)
    assert t["sparsity_1"][0] == pytest.approx(143 / 144)  # the fraction of empty voxels (CaloChallenge)
    assert t["brightest_frac_1"][0] == pytest.approx(1.0)
    assert t["brightest_ratio_1"][0] == pytest.approx(1.0)
    depth = (0 * 100 + 1 * 300 + 2 * 50) / 450
    assert t["shower_depth"][0] == pytest.approx(depth)
    width = np.sqrt((300 + 4 * 50) / 450 - depth**2)
    assert t["shower_depth_width"][0] == pytest.approx(width)


def test_two_voxel_width_and_brightest_ratio() -> None:
    vox, (_, l1, _) = _calogan()
    l1[0, 5, 4] = 30.0  # x = -60
    l1[0, 5, 7] = 10.0  # x = +60
    t = shower_features(ShowerData(np.array([100.0]), vox, CALOGAN))
    mean = (30 * -60 + 10 * 60) / 40
    assert t["x_centre_1"][0] == pytest.approx(mean)
    assert t["x_width_1"][0] == pytest.approx(np.sqrt((30 * 3600 + 10 * 3600) / 40 - mean**2))
    assert t["brightest_ratio_1"][0] == pytest.approx((30 - 10) / 40)
    assert t["brightest_frac_1"][0] == pytest.approx(0.75)


def test_empty_layers_give_finite_zero_features() -> None:
    vox, _ = _calogan(2)
    t = shower_features(ShowerData(np.array([100.0, 100.0]), vox, CALOGAN))
    for name in t.names:
        expected = 1.0 if name.startswith("sparsity") else 0.0  # an empty layer is all empty voxels
        assert np.all(np.isfinite(t[name])) and np.all(t[name] == expected), name


def test_cylindrical_layers_radius_and_cartesian_projection() -> None:
    geo = Geometry("cyl", (CylindricalLayer(r_edges=(0.0, 2.0, 6.0), n_alpha=4, z0=0, z1=1),))
    vox = np.zeros((1, 8), dtype=np.float32)
    img = geo.split(vox)[0]
    img[0, 2, 1] = 5.0  # alpha bin 2: centre at 2*pi/4*2.5 - pi = pi/4; r centre = 4
    t = shower_features(ShowerData(np.array([10.0]), vox, geo))
    assert t["r_centre_0"][0] == pytest.approx(4.0)
    assert t["x_centre_0"][0] == pytest.approx(4 * np.cos(np.pi / 4))
    assert t["y_centre_0"][0] == pytest.approx(4 * np.sin(np.pi / 4))
    assert {"r_width_0", "sparsity_0", "brightest_frac_0"} <= set(t.names)


def test_calochallenge2_geometry_feature_count() -> None:
    rng = np.random.default_rng(0)
    vox = rng.exponential(1.0, (20, CALOCHALLENGE_2.n_voxels)).astype(np.float32)
    t = shower_features(ShowerData(np.full(20, 1e4), vox, CALOCHALLENGE_2))
    assert len(t.names) == 4 + 45 * 11
    assert t.matrix().shape == (20, len(t.names))
    assert np.isfinite(t.matrix()).all()


def test_inputs_shapes_and_informative_columns() -> None:
    data = toy_showers(300, seed=0)
    table = shower_features(data)
    used = informative_features(table)
    # the toy puts layer 0 in the middle of its three 160 mm rows: no y information there
    assert "y_centre_0" not in used and "x_width_0" in used
    assert voxel_inputs(data).shape == (300, CALOGAN.n_voxels + 2 * CALOGAN.n_layers + 2)
    assert high_level_inputs(data, table, used).shape == (300, len(used) + 1)
    with pytest.raises(InputError):
        shower_features(data.subset(slice(0, 0)))


def test_distortion_scales_layer0_and_widths_only() -> None:
    data = toy_showers(2000, seed=4)
    before = shower_features(data)
    after = shower_features(distort_showers(data, {0: 1.05}, width_scale=1.1, seed=1))
    assert after["E_0"] == pytest.approx(1.05 * before["E_0"], rel=1e-5)
    assert after["E_1"] == pytest.approx(before["E_1"], rel=1e-5)
    assert np.array_equal(after["sparsity_1"], before["sparsity_1"])
    for name in ("x_width_0", "x_width_1", "y_width_1", "x_width_2"):
        ratio = np.median(after[name] / before[name])
        assert 1.04 < ratio < 1.3, (name, ratio)  # ≈ s for Gaussian cores; more where halos dominate
    assert np.median(np.abs(after["x_centre_1"] - before["x_centre_1"])) < 0.5  # mm


def test_real_geant4_showers_have_physical_features(geant4_calogan: Path) -> None:
    data = load_showers(geant4_calogan)
    t = shower_features(data)
    assert len(t) == 51
    assert np.all((t["E_tot/E_inc"] > 0.5) & (t["E_tot/E_inc"] < 1.05))
    assert np.all(t["frac_1"] > t["frac_2"])  # the 347 mm middle layer holds most of an e+ shower
    assert np.all(t["x_width_1"] < 100)  # mm: EM showers are narrow
