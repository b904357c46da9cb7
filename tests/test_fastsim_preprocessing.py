"""Preprocessing: exact round trips on every geometry, dequantisation undone by the threshold, standardisation."""

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.generative.preprocessing import PreprocessConfig, ShowerPreprocessor, logit, sigmoid
from tests.fastsim_helpers import simulated, tiny_showers


@pytest.fixture(params=["calogan", "calochallenge2", "tiny"])
def showers(request):
    return tiny_showers(300) if request.param == "tiny" else simulated(request.param, 150)


def test_logit_and_sigmoid_are_inverse():
    p = np.array([0.0, 1e-9, 0.3, 0.999999, 1.0])
    for alpha in (1e-6, 1e-3):
        assert np.all(np.isfinite(logit(p, alpha)))
        np.testing.assert_allclose(sigmoid(logit(p, alpha), alpha), p, atol=1e-12)


def test_exact_round_trip_without_noise(showers):
    prep = ShowerPreprocessor(showers.geometry).fit(showers.incident, showers.voxels)
    y, c = prep.forward(showers.incident, showers.voxels)
    assert y.shape == (len(showers), showers.geometry.n_layers + showers.geometry.n_voxels)
    assert c.shape == (len(showers), 1)
    back = prep.inverse(y, showers.incident, threshold=False)
    scale = showers.voxels.max()
    np.testing.assert_allclose(back, showers.voxels, rtol=1e-4, atol=1e-6 * scale)
    np.testing.assert_allclose(prep.layer_energies(y, showers.incident),
                               showers.geometry.layer_energies(showers.voxels.astype(np.float64)), rtol=1e-6, atol=1e-6)


def test_dequantisation_is_removed_by_the_threshold(showers):
    cfg = PreprocessConfig(noise=1e-3, threshold=1e-3)
    prep = ShowerPreprocessor(showers.geometry, cfg).fit(showers.incident, showers.voxels)
    y, _ = prep.forward(showers.incident, showers.voxels, np.random.default_rng(1))
    back = prep.inverse(y, showers.incident)
    empty = showers.voxels == 0
    assert np.all(back[empty] == 0.0)  # noise below the threshold: empty voxels stay exactly empty
    above = showers.voxels > 2 * cfg.threshold
    err = np.abs(back[above] - showers.voxels[above])
    assert np.all(err <= cfg.noise * 1.001 + 1e-5 * showers.voxels[above])  # deposits move by less than the noise
    assert np.all((back == 0) | (back >= cfg.threshold))


def test_default_noise_fills_only_empty_voxels_and_the_default_cut_removes_it(showers):
    prep = ShowerPreprocessor(showers.geometry).fit(showers.incident, showers.voxels)
    assert prep.config.noise_on == "empty" and prep.config.noise == pytest.approx(0.01)
    noisy = prep.dequantise(showers.voxels, np.random.default_rng(2))
    empty = showers.voxels == 0
    assert np.all(noisy[~empty] == showers.voxels[~empty].astype(np.float64))  # real deposits untouched
    assert np.all((noisy[empty] >= 0) & (noisy[empty] < prep.config.noise)) and noisy[empty].std() > 0
    y, _ = prep.forward(showers.incident, showers.voxels, np.random.default_rng(2))
    back = prep.inverse(y, showers.incident)
    assert np.all(back[empty] == 0.0)
    kept = showers.voxels >= prep.config.noise
    np.testing.assert_allclose(back[kept], showers.voxels[kept], rtol=1e-4)


def test_training_batches_draw_fresh_noise_on_the_empty_voxels_only():
    import torch

    data = tiny_showers(100)
    prep = ShowerPreprocessor(data.geometry).fit(data.incident, data.voxels)
    inc, vox = torch.as_tensor(data.incident, dtype=torch.float64), torch.as_tensor(data.voxels)
    torch.manual_seed(0)
    (y1, c1), (y2, c2) = prep.forward_torch(inc, vox), prep.forward_torch(inc, vox)
    voxel_part = slice(prep.n_layers, None)
    empty = torch.as_tensor(data.voxels == 0)
    assert torch.equal(c1, c2)
    assert not torch.allclose(y1[:, voxel_part][empty], y2[:, voxel_part][empty])  # new noise in every batch
    exact, _ = prep.forward(data.incident, data.voxels)
    clean, c = prep.forward_torch(inc, vox, dequantise=False)
    np.testing.assert_allclose(clean.numpy(), exact, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c.numpy(), prep.context(data.incident), rtol=1e-6)


def test_training_coordinates_are_standardised(showers):
    prep = ShowerPreprocessor(showers.geometry).fit(showers.incident, showers.voxels, seed=3)
    y, c = prep.forward(showers.incident, showers.voxels, np.random.default_rng(3))
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-6)
    std = y.std(axis=0)
    assert np.all((np.abs(std - 1) < 1e-6) | (std < 1e-6))
    assert abs(c.mean()) < 1e-9 and abs(c.std() - 1) < 1e-9
    assert prep.energy_range == (showers.incident.min(), showers.incident.max())


def test_state_restores_the_same_map():
    data = tiny_showers(200)
    prep = ShowerPreprocessor(data.geometry).fit(data.incident, data.voxels)
    again = ShowerPreprocessor.restore(data.geometry, prep.config_dict(), prep.state())
    y1, y2 = prep.forward(data.incident, data.voxels)[0], again.forward(data.incident, data.voxels)[0]
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(prep.inverse(y1, data.incident), again.inverse(y2, data.incident))


def test_wrong_voxel_count_is_a_one_line_error():
    data = tiny_showers(50)
    prep = ShowerPreprocessor(data.geometry)
    with pytest.raises(InputError, match="do not fit this model's geometry"):
        prep.forward(data.incident, data.voxels[:, :5])


def test_threshold_follows_a_read_out_threshold_in_the_data():
    data = simulated("calochallenge2", 150)  # showerml's dataset-2 simulation reads out deposits ≥ 15 keV
    smallest = data.voxels[data.voxels > 0].min()
    prep = ShowerPreprocessor(data.geometry).fit(data.incident, data.voxels)
    assert smallest > 10 * prep.config.threshold and prep.threshold == pytest.approx(smallest, rel=1e-5)
    y, _ = prep.forward(data.incident, data.voxels, np.random.default_rng(0))
    blurred = prep.inverse(y + 0.3 * np.random.default_rng(1).standard_normal(y.shape), data.incident)
    assert np.all((blurred == 0) | (blurred >= prep.threshold))
    again = ShowerPreprocessor.restore(data.geometry, prep.config_dict(), prep.state())
    assert again.threshold == prep.threshold


def test_calibrated_cuts_match_the_empty_fraction_and_are_saved():
    data = tiny_showers(2000)
    prep = ShowerPreprocessor(data.geometry).fit(data.incident, data.voxels)
    y, _ = prep.forward(data.incident, data.voxels, np.random.default_rng(0))
    blurred = y + 0.5 * np.random.default_rng(1).standard_normal(y.shape)  # a "model" that fills empty voxels
    uncut = prep.inverse(blurred, data.incident, threshold=False)
    assert (uncut == 0).mean() < 0.5 * (data.voxels == 0).mean()
    prep.calibrate(data.incident, data.voxels, uncut, data.incident)
    cut = prep.inverse(blurred, data.incident)
    assert np.all((cut == 0) | (cut >= prep.threshold))
    for s in data.geometry.layer_slices:  # exact per voxel and bin, except where the blur alone empties too many
        assert (cut[:, s] == 0).mean() == pytest.approx((data.voxels[:, s] == 0).mean(), abs=0.02)
    again = ShowerPreprocessor.restore(data.geometry, prep.config_dict(), prep.state())
    np.testing.assert_array_equal(again.inverse(blurred, data.incident), cut)


def _blurred_model_output(data, prep, seed=1):
    """A stand-in "model": the training showers' coordinates with Gaussian noise (fills empty voxels, smears
    the deposit spectra)."""
    y, _ = prep.forward(data.incident, data.voxels, np.random.default_rng(0))
    return y + 0.5 * np.random.default_rng(seed).standard_normal(y.shape)


def test_quantile_calibration_restores_each_voxels_deposit_spectrum_and_keeps_ranks():
    data = tiny_showers(3000)
    cut_only = ShowerPreprocessor(data.geometry, PreprocessConfig(calibration="cut")).fit(data.incident, data.voxels)
    mapped = ShowerPreprocessor(data.geometry, PreprocessConfig(calibration="quantile")).fit(data.incident,
                                                                                            data.voxels)
    for prep in (cut_only, mapped):
        blurred = _blurred_model_output(data, prep)
        prep.calibrate(data.incident, data.voxels, prep.inverse(blurred, data.incident, threshold=False),
                       data.incident)
    blurred = _blurred_model_output(data, cut_only, seed=2)  # fresh "model" showers, same training energies
    a, b = cut_only.inverse(blurred, data.incident), mapped.inverse(blurred, data.incident)
    np.testing.assert_array_equal(a > 0, b > 0)  # the same voxels are empty: the map only moves deposits

    def ks(x, y):  # two-sample Kolmogorov–Smirnov distance
        grid = np.sort(np.concatenate([x, y]))
        return np.abs(np.searchsorted(np.sort(x), grid, "right") / len(x)
                      - np.searchsorted(np.sort(y), grid, "right") / len(y)).max()

    def ratio(showers, v):  # log(E_v / E_inc) of the non-empty voxel v
        hit = showers[:, v] > 0
        return np.log(showers[hit, v].astype(np.float64) / data.incident[hit])

    d_cut, d_map = [], []
    for v in range(data.geometry.n_voxels):
        d_cut.append(ks(ratio(a, v), ratio(data.voxels, v)))
        d_map.append(ks(ratio(b, v), ratio(data.voxels, v)))
    assert np.median(d_cut) > 0.1  # the blur distorts every voxel's spectrum
    assert np.median(d_map) < 0.5 * np.median(d_cut) and np.max(d_map) < 0.12, (d_cut, d_map)
    # ranks of E_v/E_inc within a voxel and energy bin survive the map (monotone); layer energies are the modelled
    # ones (the map is followed by a per-layer rescaling)
    marg = mapped.map_marginals(a.astype(np.float64), data.incident) / data.incident[:, None]
    bins = np.searchsorted(mapped.cut_edges, np.log(data.incident))
    for v in range(data.geometry.n_voxels):
        sel = (bins == 0) & (a[:, v] > 0)
        order = np.argsort(a[sel, v] / data.incident[sel])
        assert np.all(np.diff(marg[sel, v][order]) >= -1e-6 * marg[sel, v].max())
    layers = mapped.layer_energies(blurred, data.incident)
    got = data.geometry.layer_energies(b.astype(np.float64))
    np.testing.assert_allclose(got[got > 0], layers[got > 0], rtol=1e-4)


def test_quantile_calibration_is_saved_and_unknown_methods_are_refused():
    data = tiny_showers(800)
    prep = ShowerPreprocessor(data.geometry).fit(data.incident, data.voxels)
    assert prep.config.calibration == "quantile"
    blurred = _blurred_model_output(data, prep)
    prep.calibrate(data.incident, data.voxels, prep.inverse(blurred, data.incident, threshold=False), data.incident)
    assert prep.map_gen.shape == (len(prep.cuts), data.geometry.n_voxels, prep.config.calib_knots)
    again = ShowerPreprocessor.restore(data.geometry, prep.config_dict(), prep.state())
    np.testing.assert_array_equal(again.inverse(blurred, data.incident), prep.inverse(blurred, data.incident))
    bad = ShowerPreprocessor(data.geometry, PreprocessConfig(calibration="isotonic")).fit(data.incident, data.voxels)
    with pytest.raises(InputError, match="calibration 'isotonic'"):
        bad.calibrate(data.incident, data.voxels, data.voxels, data.incident)
