"""The 3D CNN, the vision transformer and the graph network: shapes, k-NN graph, training through the one loop,
save/load of every model, and models refused on another detector's events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from showerml.errors import DataFileError, InputError
from showerml.reco.graph import knn
from showerml.reco.herd_direction import axis_angle_deg, principal_axes, psf68_axis
from showerml.reco.herd_models import ArchModel, n_parameters
from showerml.reco.tasks.herd import arch_spec, bce_loss
from showerml.reco.tasks.herd_dampe import dampe_arch_spec

_SPECS = [("cnn3d", *arch_spec("cnn3d")), ("vit3d", *arch_spec("vit")), ("gnn3d", *arch_spec("gnn")),
          ("vit2d", *dampe_arch_spec("vit")), ("gnn2d", *dampe_arch_spec("gnn"))]


def _inputs(name: str, args: dict, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    if name == "GraphNet":
        k = 40
        nodes = rng.random((n, k, args["n_features"])).astype(np.float32)
        mask = (rng.random((n, k)) < 0.7).astype(np.float32)
        return nodes * mask[..., None], mask, rng.random((n, args["n_scalars"])).astype(np.float32)
    grid = args.get("grid", [21, 21, 21])
    image = rng.random((n, args["in_channels"], *grid)).astype(np.float32)
    return image, rng.random((n, args["n_scalars"])).astype(np.float32)


@pytest.mark.parametrize(("label", "name", "args"), _SPECS, ids=[s[0] for s in _SPECS])
def test_every_model_saves_and_loads_with_identical_outputs(label: str, name: str, args: dict, tmp_path: Path) -> None:
    x = _inputs(name, args, 4, np.random.default_rng(1))
    model = ArchModel(name, args, "herd" if label.endswith("3d") else "dampe", {"note": label})
    out = model.apply(*x)
    assert out.shape == (4, 1) and np.isfinite(out).all()
    model.save(tmp_path / label)
    again = ArchModel.load(tmp_path / label)
    np.testing.assert_allclose(again.apply(*x), out, rtol=1e-5, atol=1e-6)
    assert again.detector == model.detector and again.meta["note"] == label


@pytest.mark.slow
@pytest.mark.parametrize(("label", "name", "args"), _SPECS, ids=[s[0] for s in _SPECS])
def test_every_model_trains_through_the_loop_and_round_trips(label: str, name: str, args: dict,
                                                            tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = _inputs(name, args, 24, rng)
    y = (rng.random(24) < 0.5).astype(np.float32)
    model = ArchModel(name, args, "herd" if label.endswith("3d") else "dampe")
    from showerml.reco.estimators import train_config

    model.fit(bce_loss, (*x, y), (*x, y), train_config(1, 0, batch_size=12))
    assert model.meta["epochs_run"] == 1 and model.meta["n_parameters"] == n_parameters(model.net)
    out = model.apply(*x)
    assert out.shape == (24, 1) and np.isfinite(out).all()
    model.save(tmp_path / label)
    again = ArchModel.load(tmp_path / label)
    np.testing.assert_allclose(again.apply(*x), out, rtol=1e-5, atol=1e-6)
    assert again.detector == model.detector


def test_comparable_parameter_counts() -> None:
    from showerml.reco.nets import ImageResNet

    herd = [n_parameters(ArchModel(*arch_spec(m), "herd").net) for m in ("cnn3d", "vit", "gnn")]
    assert max(herd) / min(herd) < 1.3
    cnn2d = n_parameters(ImageResNet(2, 6, 1))
    for m in ("vit", "gnn"):
        assert 0.8 < n_parameters(ArchModel(*dampe_arch_spec(m), "dampe").net) / cnn2d < 1.2


def test_a_model_of_one_detector_is_refused_on_another(tmp_path: Path) -> None:
    model = ArchModel(*arch_spec("cnn3d"), "herd")
    with pytest.raises(InputError, match="trained on 'herd' events and cannot be applied to 'dampe'"):
        model.check_detector("dampe")
    (tmp_path / "junk").mkdir()
    with pytest.raises(DataFileError, match="not a showerml model folder"):
        ArchModel.load(tmp_path / "junk")
    with pytest.raises(InputError, match="unknown network"):
        ArchModel("ResNet152", {}, "herd")


def test_knn_picks_the_nearest_valid_neighbours() -> None:
    pos = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [3, 0, 0], [0.5, 0, 0], [9, 9, 9]]])
    mask = torch.tensor([[True, True, True, True, False]])
    nbr = knn(pos, mask, 2)[0]
    assert set(nbr[0].tolist()) == {3, 1}  # not itself, not the padded node 4
    assert set(nbr[2].tolist()) == {1, 3}


def test_principal_axis_and_psf_metric_can_fail() -> None:
    # cubes along a line in direction (1, 0, -1)/√2 through the centre: the fit recovers it
    k = np.arange(5, 16)
    idx = (k * 21 + 10) * 21 + (20 - k)  # i = 20 − k, j = 10, k: x decreases as z increases
    axis = principal_axes(idx[None], np.ones((1, len(k))))
    truth = np.array([[1.0, 0.0, -1.0]]) / np.sqrt(2)
    assert axis_angle_deg(axis, truth)[0] < 1e-6
    # the metric sees a wrong axis: 45° off
    assert psf68_axis(np.array([[0.0, 0.0, -1.0]]), truth) == pytest.approx(45.0)
    assert psf68_axis(-axis, truth) < 1e-6  # sense-free
