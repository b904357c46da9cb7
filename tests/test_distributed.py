"""The one training loop on 2 gloo processes (as under torchrun): the same loss curve and weights as 1 process at the
same global batch size, one checkpoint written by rank 0, and resume across a change of the number of processes.

One spawn of 2 processes serves every check (a process start costs seconds): the workers run the 2-process
scenarios in one process group and write their results; the test compares them with 1-process runs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file
from torch import nn

from showerml.nn import TrainConfig, train
from tests.test_training import _data, _model, mse

EPOCHS = 6


def _cfg(epochs: int = EPOCHS) -> TrainConfig:
    return TrainConfig(epochs=epochs, lr=1e-2, batch_size=32, progress=False, patience=100)


def _save(path, model, result) -> None:
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path) + ".safetensors")
    with open(str(path) + ".json", "w") as fh:
        json.dump({"train": result.train_loss, "val": result.val_loss, "epochs_run": result.epochs_run}, fh)


def _load(path):
    with open(str(path) + ".json") as fh:
        return load_file(str(path) + ".safetensors"), json.load(fh)


class _WithCritic(nn.Module):
    """A model that steps an optimiser of its own inside the loss (as the GAN's discriminator)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.main = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        self.critic = nn.Linear(3, 1)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=1e-2)

    def auxiliary_optimizers(self):
        return {"critic": self.critic_opt}


def _critic_loss(model, batch):
    x, y = batch
    if model.training:
        model.critic_opt.zero_grad(set_to_none=True)
        ((model.critic(x).squeeze(-1) - y) ** 2).mean().backward()
        model.critic_opt.step()
    return ((model.main(x).squeeze(-1) - y) ** 2).mean()


def _worker(rank: int, world: int, port: int, folder: str) -> None:
    """What ``torchrun --nproc-per-node 2`` would start: the environment it sets, then the training code."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    tr, va = _data()
    model = _model()
    result = train(model, mse, tr, va, _cfg())  # joins the gloo group on first use
    _save(os.path.join(folder, f"straight2_rank{rank}"), model, result)
    train(_model(), mse, tr, va, _cfg(3), checkpoint_dir=os.path.join(folder, "c2"))  # a run "killed" after epoch 3
    model = _model()
    result = train(model, mse, tr, va, _cfg(), checkpoint_dir=os.path.join(folder, "c1"), resume=True)
    if rank == 0:
        _save(os.path.join(folder, "resumed2_from1"), model, result)
    model = _WithCritic()
    result = train(model, _critic_loss, tr, va, _cfg(3))
    if rank == 0:
        _save(os.path.join(folder, "critic2"), model, result)
    from showerml.nn.streaming import H5Rows

    rows = H5Rows(os.path.join(folder, "toy.h5"), ["x", "y"])  # each rank reads only its slices
    model = _model()
    result = train(model, mse, rows.subset(range(400)), rows.subset(range(400, 512)), _cfg())
    if rank == 0:
        _save(os.path.join(folder, "streamed2"), model, result)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1))
    result = train(model, mse, tr, va, _cfg(1))
    _save(os.path.join(folder, f"batchnorm_rank{rank}"), model, result)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    tr, va = _data()
    with h5py.File(folder / "toy.h5", "w") as f:
        f["x"], f["y"] = torch.cat([tr[0], va[0]]).numpy(), torch.cat([tr[1], va[1]]).numpy()
    model = _model()
    result = train(model, mse, tr, va, _cfg())
    _save(folder / "straight1", model, result)
    train(_model(), mse, tr, va, _cfg(3), checkpoint_dir=folder / "c1")  # 1 process, "killed" after epoch 3
    mp.start_processes(_worker, args=(2, _free_port(), str(folder)), nprocs=2, join=True, start_method="spawn")
    model = _model()
    result = train(model, mse, tr, va, _cfg(), checkpoint_dir=folder / "c2", resume=True)  # 2 → 1 process
    _save(folder / "resumed1_from2", model, result)
    model = _WithCritic()
    result = train(model, _critic_loss, tr, va, _cfg(3))
    _save(folder / "critic1", model, result)
    return folder


def _close(a, b) -> None:
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_two_processes_follow_the_one_process_loss_curve(runs):
    one, curve1 = _load(runs / "straight1")
    two, curve2 = _load(runs / "straight2_rank0")
    other_rank, _ = _load(runs / "straight2_rank1")
    assert curve1["epochs_run"] == curve2["epochs_run"] == EPOCHS
    assert curve2["val"][-1] < 0.5 * curve2["val"][0]  # it learns
    torch.testing.assert_close(torch.tensor(curve2["train"]), torch.tensor(curve1["train"]), rtol=1e-4, atol=0)
    torch.testing.assert_close(torch.tensor(curve2["val"]), torch.tensor(curve1["val"]), rtol=1e-4, atol=0)
    _close(two, one)
    for k in two:  # every rank holds the same model
        assert torch.equal(two[k], other_rank[k])


def test_rank_zero_alone_writes_the_checkpoint(runs):
    assert sorted(p.name for p in (runs / "c2").iterdir()) == ["checkpoint.pt"]
    state = torch.load(runs / "c2" / "checkpoint.pt", weights_only=True)
    assert state["result"]["epochs_run"] == EPOCHS  # written by the 2-process run, continued by 1 process


def test_resume_across_a_change_of_world_size_and_streamed_ranks(runs):
    one, curve1 = _load(runs / "straight1")
    for name in ("resumed1_from2", "resumed2_from1", "streamed2"):
        resumed, curve = _load(runs / name)
        assert curve["epochs_run"] == EPOCHS and len(curve["val"]) == EPOCHS
        torch.testing.assert_close(torch.tensor(curve["val"]), torch.tensor(curve1["val"]), rtol=1e-4, atol=0)
        _close(resumed, one)


def test_an_auxiliary_optimiser_and_batch_norm_follow_one_process(runs):
    one, curve1 = _load(runs / "critic1")
    two, curve2 = _load(runs / "critic2")
    torch.testing.assert_close(torch.tensor(curve2["val"]), torch.tensor(curve1["val"]), rtol=1e-3, atol=0)
    _close({k: v for k, v in two.items() if k.startswith("critic.")},
           {k: v for k, v in one.items() if k.startswith("critic.")})
    assert not torch.equal(two["critic.weight"], _WithCritic().critic.weight.detach())  # the critic learned


def test_batch_norm_statistics_agree_across_ranks(runs):
    rank0, _ = _load(runs / "batchnorm_rank0")
    rank1, _ = _load(runs / "batchnorm_rank1")
    assert torch.equal(rank0["1.running_mean"], rank1["1.running_mean"])
    assert torch.equal(rank0["1.running_var"], rank1["1.running_var"])
    assert not torch.equal(rank0["1.running_mean"], torch.zeros(8))


def test_rank_seeds_differ_by_rank_and_epoch_and_repeat():
    from showerml.nn.distributed import rank_seed

    seeds = {rank_seed(7, r, e) for r in range(4) for e in range(10)}
    assert len(seeds) == 40 and rank_seed(7, 1, 3) == rank_seed(7, 1, 3) != rank_seed(8, 1, 3)
    assert all(0 <= s < 2**63 for s in seeds)


REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "geant4_calogan_eplus_51.h5"


@pytest.mark.slow
@pytest.mark.skipif(not REFERENCE.is_file(), reason="reference data ../shared/data absent")
def test_the_command_line_under_torchrun_writes_one_model(tmp_path):
    """``torchrun --nproc-per-node 2 --no-python showerml fastsim train …``: one model folder, rank 0's log, no
    scratch left; the run then resumes on one process."""
    cfg = tmp_path / "small.yaml"
    cfg.write_text("model: {width: 16, blocks: 1, latent: 2}\ntrain: {epochs: 2, batch_size: 16}\n"
                   "preprocessing: {calib_showers: 20}\n")
    showerml = str(Path(sys.executable).with_name("showerml"))
    args = ["fastsim", "train", "--data", str(REFERENCE), "--model", "vae", "--config", str(cfg), "--out",
            str(tmp_path / "m")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                        "--no-python", showerml, *args], capture_output=True, text=True, env=env, timeout=600,
                       check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("vae: 2 epochs") == 1  # rank 0 alone reports
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["checkpoints", "config.json", "training.json",
                                                                   "weights.safetensors"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "small.yaml"]
    cfg.write_text(cfg.read_text().replace("epochs: 2", "epochs: 3"))
    r = subprocess.run([showerml, *args, "--resume"], capture_output=True, text=True, env=env, timeout=600,
                       check=False)
    assert r.returncode == 0 and "vae: 3 epochs" in r.stdout, r.stderr[-2000:]
