"""``--device``: one resolution function, one CLI option; a device the machine lacks is one line, exit 2, nothing
written; under torchrun only rank 0 writes. CUDA tests run only where a GPU is."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from showerml.errors import InputError
from showerml.nn import TrainConfig, train
from showerml.nn.devices import current_device, resolve_device, using
from tests.test_training import _data, _model, mse

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_resolution_and_the_current_device():
    assert resolve_device("cpu") == torch.device("cpu") == current_device()
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    with using("cpu") as dev:
        assert dev == current_device() == torch.device("cpu")
    for bad in ("tpu", "cuda:x", "cpu:1", ""):
        if bad:
            with pytest.raises(InputError, match="--device must be one of"):
                resolve_device(bad)


@no_cuda
def test_cuda_without_a_gpu_is_a_one_line_error():
    with pytest.raises(InputError, match="no CUDA GPU"):
        resolve_device("cuda")
    if not torch.backends.mps.is_available():
        with pytest.raises(InputError, match="MPS"):
            resolve_device("mps")


def _cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    from showerml.cli.main import run

    monkeypatch.setattr(sys, "argv", ["showerml", *args])
    with pytest.raises(SystemExit) as exc:
        run()
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


@no_cuda
@pytest.mark.parametrize("command", [
    ["fastsim", "train", "--data", "{data}", "--model", "vae", "--out", "{out}"],
    ["fastsim", "sample", "--model", "{data}", "--energy", "fixed:10", "--n", "5", "--out", "{out}.h5"],
    ["reco", "train", "ep", "--data", "{data}", "--out", "{out}"],
    ["reco", "evaluate", "ep", "--model", "{data}", "--data", "{data}"],
    ["anomaly", "run", "--data", "{data}", "--out", "{out}"],
    ["infer", "--out", "{out}"],
    ["unfold", "dampe", "--out", "{out}"],
    ["unfold", "files", "--sim", "{data}", "--data", "{data}", "--out", "{out}"],
])
def test_every_training_or_sampling_command_refuses_a_missing_gpu(command, tmp_path: Path, capsys, monkeypatch):
    data = tmp_path / "in.h5"
    data.write_bytes(b"never read")
    args = [a.format(data=data, out=tmp_path / "out") for a in command]
    code, out, err = _cli(capsys, monkeypatch, *args, "--device", "cuda")
    assert code == 2 and err.startswith("error: --device cuda") and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.h5"]  # nothing written
    code, _, err = _cli(capsys, monkeypatch, *args, "--device", "gpu")
    assert code == 2 and "--device must be one of" in err


@no_cuda
@pytest.mark.parametrize("command", [["reco", "train", "ep", "--data", "{data}"],
                                     ["anomaly", "run", "--data", "{data}"]])
def test_a_config_file_may_set_the_device(command, tmp_path: Path, capsys, monkeypatch):
    data = tmp_path / "in.h5"
    data.write_bytes(b"never read")
    (tmp_path / "c.yaml").write_text("device: cuda\n")
    args = [a.format(data=data) for a in command]
    code, _, err = _cli(capsys, monkeypatch, *args, "--out", str(tmp_path / "out"),
                        "--config", str(tmp_path / "c.yaml"))
    assert code == 2 and err.startswith("error: --device cuda"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "in.h5"]


def test_an_explicit_cpu_device_trains_exactly_as_the_default():
    tr, va = _data()
    cfg = TrainConfig(epochs=2, lr=1e-2, batch_size=64, progress=False)
    a, b = _model(), _model()
    train(a, mse, tr, va, cfg)
    with using("cpu"):
        train(b, mse, tr, va, cfg, device=torch.device("cpu"))
    for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y)


def test_rank_above_zero_writes_to_a_scratch_stand_in_and_prints_nothing(tmp_path: Path, monkeypatch, capsys):
    from showerml.cli.device import on_device

    monkeypatch.setenv("RANK", "1")
    with on_device("cpu") as outputs:
        stand_in = outputs(tmp_path / "run")
        assert stand_in != tmp_path / "run" and stand_in.is_dir() and stand_in.name == "run"
        print("rank 1 talks")
    assert not stand_in.exists() and not (tmp_path / "run").exists()
    assert "rank 1 talks" not in capsys.readouterr().out
    monkeypatch.setenv("RANK", "0")
    with on_device("cpu") as outputs:
        assert outputs(tmp_path / "run") == tmp_path / "run"


@needs_cuda
def test_training_on_cuda_follows_the_cpu_curve_and_hands_the_model_back_on_the_cpu():
    tr, va = _data()
    cfg = TrainConfig(epochs=4, lr=1e-2, batch_size=64, progress=False, patience=100)
    cpu, gpu = _model(), _model()
    r_cpu = train(cpu, mse, tr, va, cfg)
    with using("cuda"):
        r_gpu = train(gpu, mse, tr, va, cfg)
    assert next(gpu.parameters()).device.type == "cpu"
    torch.testing.assert_close(torch.tensor(r_gpu.val_loss), torch.tensor(r_cpu.val_loss), rtol=1e-3, atol=1e-5)
