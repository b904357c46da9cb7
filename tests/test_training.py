"""The shared training loop: it learns, stops early, checkpoints atomically and resumes exactly."""

import torch
from torch import nn

from showerml.nn import TrainConfig, load_state, save_state, train


def _data(seed=0, n=512):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([1.5, -2.0, 0.5]) + 0.1 * torch.randn(n, generator=g)
    return (x[:400], y[:400]), (x[400:], y[400:])


def mse(model, batch):
    x, y = batch
    return ((model(x).squeeze(-1) - y) ** 2).mean()


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))


def test_loop_learns_a_linear_map():
    tr, va = _data()
    model = _model()
    result = train(model, mse, tr, va, TrainConfig(epochs=60, lr=1e-2, batch_size=64, progress=False))
    assert result.val_loss[0] > 0.5 and result.best_val < 0.1
    assert result.best_val == min(result.val_loss)


def test_early_stopping_restores_the_best_weights():
    tr, va = _data()
    model = _model()
    cfg = TrainConfig(epochs=500, lr=5e-2, batch_size=8, patience=3, progress=False)
    result = train(model, mse, tr, va, cfg)
    assert result.stopped_early and result.epochs_run < 500
    assert result.epochs_run - 1 - result.best_epoch == 3
    from showerml.nn.training import evaluate_loss

    assert abs(evaluate_loss(model, mse, va, 1024) - result.best_val) < 1e-6


def test_resume_after_a_kill_gives_the_same_model(tmp_path):
    tr, va = _data()
    straight = _model()
    train(straight, mse, tr, va, TrainConfig(epochs=6, lr=1e-2, batch_size=32, progress=False, patience=100))

    interrupted = _model()
    train(
        interrupted,
        mse,
        tr,
        va,
        TrainConfig(epochs=3, lr=1e-2, batch_size=32, progress=False, patience=100),
        checkpoint_dir=tmp_path,
    )
    assert (tmp_path / "checkpoint.pt").exists() and not list(tmp_path.glob(".checkpoint*"))
    resumed = _model()
    result = train(
        resumed,
        mse,
        tr,
        va,
        TrainConfig(epochs=6, lr=1e-2, batch_size=32, progress=False, patience=100),
        checkpoint_dir=tmp_path,
        resume=True,
    )
    assert result.epochs_run == 6 and len(result.val_loss) == 6
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)


def test_save_and_load_model_folder(tmp_path):
    model = _model()
    save_state(tmp_path / "m", {"kind": "mlp", "hidden": 16}, model.state_dict())
    config, state = load_state(tmp_path / "m")
    other = _model()
    other.load_state_dict(state)
    assert config == {"hidden": 16, "kind": "mlp"}
    x = torch.randn(4, 3)
    torch.testing.assert_close(model(x), other(x))


def test_cosine_schedule_decays_the_lr_and_resumes_exactly(tmp_path):
    """The cosine learning rate depends on the epoch alone: a run killed mid-way and resumed ends identical."""
    import pytest

    from showerml.errors import InputError

    tr, va = _data()
    cfg = TrainConfig(epochs=6, lr=1e-2, batch_size=32, progress=False, patience=100, lr_schedule="cosine")
    straight = _model()
    train(straight, mse, tr, va, cfg)

    calls = {"n": 0}

    def dies_in_epoch_three(model, batch):
        calls["n"] += 1
        if calls["n"] > 3 * 13:  # 13 training batches + 1 validation batch an epoch: dies inside the third epoch
            raise KeyboardInterrupt
        return mse(model, batch)

    killed = _model()
    with pytest.raises(KeyboardInterrupt):
        train(killed, dies_in_epoch_three, tr, va, cfg, checkpoint_dir=tmp_path)
    resumed = _model()
    result = train(resumed, mse, tr, va, cfg, checkpoint_dir=tmp_path, resume=True)
    assert result.epochs_run == 6
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)
    constant = _model()
    train(constant, mse, tr, va, TrainConfig(epochs=6, lr=1e-2, batch_size=32, progress=False, patience=100))
    assert any(not torch.equal(a, b) for a, b in zip(constant.state_dict().values(),
                                                     straight.state_dict().values(), strict=True))
    with pytest.raises(InputError, match="schedule"):
        train(_model(), mse, tr, va, TrainConfig(epochs=1, progress=False, lr_schedule="step"))


def test_progress_is_one_line_per_epoch_in_a_log(capsys):
    """With output not a terminal (as under pytest), the loop prints a line per epoch instead of a live bar."""
    tr, va = _data()
    train(_model(), mse, tr, va, TrainConfig(epochs=3, lr=1e-2, batch_size=64, progress=True, patience=100,
                                             description="toy"))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("toy: epoch")]
    assert [line.split(",")[0] for line in lines] == ["toy: epoch 1/3", "toy: epoch 2/3", "toy: epoch 3/3"]


def test_saved_weights_are_checked_against_their_digest(tmp_path):
    import json

    import pytest

    from showerml.errors import DataFileError

    save_state(tmp_path / "m", {"kind": "mlp"}, _model().state_dict())
    assert len(json.loads((tmp_path / "m" / "config.json").read_text())["weights_sha256"]) == 64
    weights = tmp_path / "m" / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-4:] = b"\x00\x00\x80\x7f"  # the last float becomes +inf: still a valid safetensors file
    weights.write_bytes(bytes(data))
    with pytest.raises(DataFileError, match="SHA-256"):
        load_state(tmp_path / "m")
