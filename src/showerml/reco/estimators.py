"""Torch models behind one interface: build from a config, train through :func:`showerml.nn.training.train`,
save as ``config.json`` + ``weights.safetensors``, predict in batches with events/s timing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from showerml.errors import DataFileError
from showerml.nn.devices import placed
from showerml.nn.serialization import load_state, save_state
from showerml.nn.training import TrainConfig, TrainResult, train
from showerml.reco.nets import NETS

__all__ = ["TorchModel", "train_config"]


def train_config(epochs: int, seed: int, lr: float = 2e-3, batch_size: int = 128, patience: int = 4,
                 description: str = "training", progress: bool = False, lr_schedule: str = "constant"
                 ) -> TrainConfig:
    """The training settings used by every reco network (early stopping on the validation loss)."""
    return TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, seed=seed,
                       progress=progress, description=description, grad_clip=5.0, lr_schedule=lr_schedule)


@dataclass
class TorchModel:
    """A network from :data:`~showerml.reco.nets.NETS` with its constructor arguments and metadata (task, scales)."""

    net_name: str
    net_args: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    net: nn.Module | None = None
    history: TrainResult | None = None

    def __post_init__(self) -> None:
        if self.net is None:
            self.net = NETS[self.net_name](**self.net_args)

    def fit(self, loss_fn: Callable[[nn.Module, tuple[torch.Tensor, ...]], torch.Tensor],
            train_data: Sequence[np.ndarray], val_data: Sequence[np.ndarray], config: TrainConfig,
            checkpoint_dir: str | os.PathLike[str] | None = None, resume: bool = False) -> TrainResult:
        torch.manual_seed(config.seed)
        self.net = NETS[self.net_name](**self.net_args)  # same seed → same initial weights
        tr = [torch.as_tensor(np.ascontiguousarray(a)) for a in train_data]
        va = [torch.as_tensor(np.ascontiguousarray(a)) for a in val_data]
        self.history = train(self.net, loss_fn, tr, va, config, checkpoint_dir, resume)
        self.meta["train_seconds"] = self.history.seconds
        self.meta["epochs_run"] = self.history.epochs_run
        self.meta["best_val_loss"] = self.history.best_val
        return self.history

    @torch.no_grad()
    def apply(self, *inputs: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Network outputs for all events (eval mode); records inference events/s in ``meta``."""
        assert self.net is not None
        self.net.eval()
        t0 = time.perf_counter()
        outs = []
        with placed(self.net) as dev:  # the current device (--device); on the CPU nothing moves
            for s in range(0, len(inputs[0]), batch_size):
                batch = (torch.as_tensor(np.ascontiguousarray(a[s:s + batch_size]), device=dev) for a in inputs)
                outs.append(self.net(*batch).cpu())
        dt = time.perf_counter() - t0
        self.meta["inference_events_per_s"] = len(inputs[0]) / max(dt, 1e-9)
        return torch.cat(outs).numpy() if outs else np.zeros((0,))

    def save(self, directory: str | os.PathLike[str]) -> None:
        assert self.net is not None
        save_state(directory, {"model": "torch", "net": self.net_name, "net_args": self.net_args, **self.meta},
                   dict(self.net.state_dict()))

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TorchModel:
        config, state = load_state(directory)
        if config.get("model") != "torch" or config.get("net") not in NETS:
            raise DataFileError(directory, f"holds a '{config.get('model')}' model, not a showerml network")
        meta = {k: v for k, v in config.items() if k not in ("model", "net", "net_args")}
        model = cls(config["net"], dict(config["net_args"]), meta)
        assert model.net is not None
        try:
            model.net.load_state_dict(state)
        except RuntimeError as exc:
            raise DataFileError(directory, f"weights do not match the network ({str(exc).splitlines()[0]})") from None
        model.net.eval()
        return model
