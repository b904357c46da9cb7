"""The classifier test and its multiclass version on Gaussians, where AUC and JSD are known analytically; its
bounded-memory inputs and the voxel modes' input definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.integrate import quad
from scipy.stats import norm

from showerml.detectors.geometries import CALOGAN
from showerml.errors import InputError
from showerml.features.inputs import (
    CALOCHALLENGE_MIN_ENERGY,
    calochallenge_voxel_inputs,
    voxel_input_groups,
    voxel_inputs,
)
from showerml.io.showers import ShowerData, ShowerFile, write_showers
from showerml.metrics import (
    ClassifierConfig,
    calochallenge_voxel_config,
    classifier_test,
    multiclass_test,
    showerml_voxel_config,
    voxel_classifier_test,
)
from showerml.metrics.classifier_data import build_classifier_data
from showerml.metrics.classifier_nets import LayerProjectionNet

FAST = ClassifierConfig(hidden=(32, 32), dropout=0.0, epochs=15, patience=3, batch_size=512, lr=2e-3)


def _jsd_bits_unit_gaussians(mu: float) -> float:
    """JSD(N(0,1), N(mu,1)) in bits by numerical integration."""

    def integrand(x: float) -> float:
        p, q = norm.pdf(x), norm.pdf(x, mu)
        m = 0.5 * (p + q)
        return 0.5 * (p * np.log2(p / m) + q * np.log2(q / m))

    return quad(integrand, -12, 12 + mu)[0]


def test_shifted_gaussians_match_analytic_auc_and_jsd() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20_000, 1)), rng.normal(size=(20_000, 1)) + 1.0
    res = classifier_test(x, y, FAST, seed=0)
    assert res.auc == pytest.approx(norm.cdf(1 / np.sqrt(2)), abs=0.015)  # 0.760
    assert res.jsd_bits == pytest.approx(_jsd_bits_unit_gaussians(1.0), abs=0.02)  # 0.166
    assert res.jsd_nats == pytest.approx(res.jsd_bits * np.log(2))
    assert res.n_test == 8_000 and res.n_train == 24_000


def test_identical_gaussians_give_auc_one_half() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(15_000, 10)), rng.normal(size=(15_000, 10))
    res = classifier_test(x, y, FAST, seed=0)
    assert res.auc == pytest.approx(0.5, abs=0.02)
    assert abs(res.jsd_bits) < 0.02


def test_same_seed_same_result() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(1_000, 3)), rng.normal(size=(1_000, 3)) + 0.3
    a, b = classifier_test(x, y, FAST, seed=5), classifier_test(x, y, FAST, seed=5)
    assert (a.auc, a.bce, a.epochs) == (b.auc, b.bce, b.epochs)


def test_multiclass_ranks_generators_by_closeness() -> None:
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(6_000, 2))
    gens = [rng.normal(size=(6_000, 2)) + shift for shift in (1.5, 0.05, 0.5)]
    res = multiclass_test(ref, gens, ["far", "close", "middle"], FAST, seed=0)
    assert res.ranking == ["close", "middle", "far"]
    assert res.reference_share["close"] > res.reference_share["far"]
    assert res.accuracy["far"] > res.accuracy["close"]


def test_too_few_or_mismatched_inputs() -> None:
    with pytest.raises(InputError, match="at least 50"):
        classifier_test(np.zeros((10, 2)), np.zeros((10, 2)))
    with pytest.raises(InputError):
        classifier_test(np.zeros((100, 2)), np.zeros((100, 3)))
    with pytest.raises(InputError):
        multiclass_test(np.zeros((100, 2)), [np.zeros((100, 2))], ["a", "b"])


# --- bounded-memory inputs and the voxel modes ------------------------------------------------------------------


def _toy_showers(n: int, seed: int) -> ShowerData:
    rng = np.random.default_rng(seed)
    inc = rng.uniform(1e3, 1e5, n)
    vox = rng.gamma(0.5, 1.0, (n, CALOGAN.n_voxels)) * (inc[:, None] / 2e3) * (rng.random((n, CALOGAN.n_voxels)) < 0.3)
    return ShowerData(inc, vox.astype(np.float32), CALOGAN)


def test_inputs_are_split_balanced_standardised_views() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(3.0, 2.0, (1_000, 4)), rng.normal(0.0, 1.0, (700, 4))
    data = build_classifier_data([a, b], (0.6, 0.2), np.random.default_rng(1))
    assert data.sizes == (420, 140, 140) and data.x.dtype == torch.float16
    (xt, yt), (_, ys) = data.part(0), data.part(2)
    assert xt.data_ptr() == data.x.data_ptr()  # a view, not a copy
    assert (yt == 0).sum() == (yt == 1).sum() == 420 and (ys == 1).sum() == 140
    train = xt.float().numpy()
    assert np.allclose(train.mean(axis=0), 0.0, atol=2e-3) and np.allclose(train.std(axis=0), 1.0, atol=2e-3)
    assert data.nbytes == 2 * 700 * 4 * 2


def test_grouped_columns_share_one_scale() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(0, 1, 2_000), rng.normal(0, 10, 2_000), rng.normal(5, 3, 2_000)])
    data = build_classifier_data(
        [x, x], (0.6, 0.2), np.random.default_rng(0), groups=np.array([0, 0, 1]), dtype=torch.float32
    )
    assert data.scale[0] == data.scale[1] == pytest.approx(np.sqrt((1 + 100) / 2), rel=0.05)
    assert data.scale[2] == pytest.approx(3.0, rel=0.05)


def test_file_chunks_give_the_same_bytes_as_memory(tmp_path) -> None:
    ref, gen = _toy_showers(700, 1), _toy_showers(600, 2)
    write_showers(tmp_path / "ref.h5", ref)
    groups = voxel_input_groups(CALOGAN)
    mem = build_classifier_data([ref, gen], (0.6, 0.2), np.random.default_rng(3), voxel_inputs, groups, chunk=128)
    files = build_classifier_data(
        [ShowerFile(tmp_path / "ref.h5"), gen], (0.6, 0.2), np.random.default_rng(3), voxel_inputs, groups, chunk=100
    )
    assert torch.equal(mem.x, files.x) and torch.equal(mem.y, files.y)


def test_showerml_voxel_inputs_hold_the_layer_energies() -> None:
    data = _toy_showers(50, 0)
    x = voxel_inputs(data)
    n_vox, n_lay = CALOGAN.n_voxels, CALOGAN.n_layers
    layers = CALOGAN.layer_energies(data.voxels.astype(np.float64)) / data.incident[:, None]
    assert x.shape == (50, n_vox + 2 * n_lay + 2)
    assert np.allclose(x[:, n_vox : n_vox + n_lay], layers, rtol=1e-5)
    for i, sl in enumerate(CALOGAN.layer_slices):  # the voxel columns sum to the layer columns
        assert np.allclose(x[:, sl].sum(axis=1), layers[:, i], rtol=1e-4)
    assert np.allclose(x[:, -2], layers.sum(axis=1), rtol=1e-5)
    assert np.allclose(x[:, -1], np.log10(data.incident), rtol=1e-6)
    groups = voxel_input_groups(CALOGAN)
    assert len(groups) == x.shape[1] and len(set(groups[n_vox:])) == 2 * n_lay + 2
    # the scale of the file cancels: 30x smaller deposits give inputs 30x smaller, the same after standardising
    scaled = ShowerData(data.incident, data.voxels / np.float32(30.0), CALOGAN)
    assert np.allclose(voxel_inputs(scaled)[:, :n_vox] * 30.0, x[:, :n_vox], rtol=1e-5)


def test_calochallenge_inputs_are_the_official_ones() -> None:
    """``[log10 E_inc, E_v / E_inc]`` with voxels below 0.5 keV / 0.033 zeroed (written from the definitions)."""
    inc = np.array([1_000.0, 50_000.0])
    vox = np.zeros((2, CALOGAN.n_voxels), dtype=np.float32)
    vox[0, :3] = [0.010, 0.020, 500.0]
    vox[1, 5] = 0.016
    x = calochallenge_voxel_inputs(ShowerData(inc, vox, CALOGAN), CALOCHALLENGE_MIN_ENERGY)
    assert CALOCHALLENGE_MIN_ENERGY == pytest.approx(0.01515, rel=1e-3)
    assert x.shape == (2, 1 + CALOGAN.n_voxels)
    assert np.allclose(x[:, 0], [3.0, np.log10(50_000.0)])
    assert x[0, 1] == 0.0 and x[0, 2] == pytest.approx(0.02 / 1_000) and x[0, 3] == pytest.approx(0.5)
    assert x[1, 6] == pytest.approx(0.016 / 50_000)


def test_mode_settings_and_unknown_mode() -> None:
    cc = calochallenge_voxel_config()
    assert (cc.hidden, cc.dropout, cc.lr, cc.batch_size, cc.epochs) == ((2048,) * 3, 0.0, 2e-4, 1000, 50)
    assert (cc.selection, cc.auc_from, cc.standardise, cc.leaky_slope) == ("accuracy", "calibrated", False, 0.01)
    assert cc.patience > cc.epochs  # no early stopping
    own = showerml_voxel_config()
    assert own.patience > own.epochs and own.selection == "loss"
    data = _toy_showers(200, 0)
    with pytest.raises(InputError, match="unknown voxel classifier mode"):
        voxel_classifier_test(data, data, mode="fancy")
    with pytest.raises(InputError, match="unknown model selection"):
        ClassifierConfig(selection="auc")


def test_accuracy_selection_and_calibrated_auc_on_gaussians() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(6_000, 1)), rng.normal(size=(6_000, 1)) + 1.0
    cfg = ClassifierConfig(
        hidden=(16,),
        dropout=0.0,
        epochs=6,
        patience=7,
        batch_size=500,
        lr=3e-3,
        selection="accuracy",
        auc_from="calibrated",
    )
    res = classifier_test(x, y, cfg, seed=0)
    assert res.auc == res.auc_calibrated <= res.auc_raw + 1e-9  # isotonic ties can only lower the AUC
    assert res.auc == pytest.approx(norm.cdf(1 / np.sqrt(2)), abs=0.03)
    assert 1 <= res.best_epoch <= res.epochs == 6


def test_layer_projection_net_forms_layer_energies() -> None:
    """Unit projection weights give each layer's sum (padding of the shorter layer adds nothing)."""
    net = LayerProjectionNet([3, 2], n_in=6, n_out=1, projections=1, hidden=(), dropout=0.0)
    with torch.no_grad():
        net.weight.fill_(1.0)
        net.bias.zero_()
        head = net.head[0]
        head.weight.zero_()
        head.bias.zero_()
    x = torch.tensor([[1.0, 2.0, 3.0, 10.0, 20.0, 7.0]])
    for col, expected in ((0, 6.0), (1, 30.0), (2, 7.0)):  # layer 0, layer 1, the summary column
        with torch.no_grad():
            head.weight.zero_()
            head.weight[0, col] = 1.0
            assert float(net(x)) == pytest.approx(expected)


def test_unstandardised_inputs_are_restored_precisely_from_float16() -> None:
    """The CaloChallenge mode's raw inputs (E_v/E_inc down to 1e-8, below float16's range) reach the network intact."""
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.uniform(3.0, 6.0, 2_000), rng.exponential(1e-8, 2_000), rng.exponential(0.1, 2_000)])
    data = build_classifier_data([x, x], (0.6, 0.2), np.random.default_rng(0), standardise=False)
    assert data.restore and data.x.dtype == torch.float16
    seen = data.inputs(data.x).numpy()
    for col in range(3):  # both samples are x, so every value is seen twice, in shuffled order
        ref = np.sort(x[:, col])
        got = np.sort(seen[:, col])[::2]
        assert np.allclose(got, ref, rtol=0, atol=2e-3 * x[:, col].std() + 1e-12)


def test_calochallenge_recipes() -> None:
    """official = the challenge's defaults (3 × 2048, 50 epochs, all run); reduced = its --cls_n_hidden 256
    --cls_n_layer 2 --cls_n_epochs 20; each value can be replaced; out-of-range values are refused."""
    from showerml.metrics.classifier import calochallenge_recipe

    assert calochallenge_recipe() == calochallenge_voxel_config()
    reduced = calochallenge_recipe("reduced")
    assert reduced.hidden == (256, 256, 256) and reduced.epochs == 20 and reduced.patience == 21
    assert reduced.lr == 2e-4 and reduced.selection == "accuracy" and reduced.auc_from == "calibrated"
    assert calochallenge_recipe("reduced", n_layer=0, epochs=5).hidden == (256,)
    for kwargs in ({"recipe": "big"}, {"n_hidden": 0}, {"n_layer": 33}, {"epochs": 0}, {"epochs": 2.5}):
        with pytest.raises(InputError):
            calochallenge_recipe(**kwargs)  # type: ignore[arg-type]
