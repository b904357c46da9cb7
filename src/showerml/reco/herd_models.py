"""The new architectures (3D CNN, vision transformer, graph network) behind one interface: built from a config,
trained through :func:`showerml.nn.training.train`, saved as ``config.json`` + ``weights.safetensors`` with the
detector they were trained on, applied in batches with events/s timing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from showerml.errors import DataFileError, InputError
from showerml.nn.serialization import load_state, save_state
from showerml.nn.training import TrainConfig, TrainResult, train
from showerml.reco.graph import GraphNet
from showerml.reco.nets_3d import Calo3DCNN
from showerml.reco.transformer import PatchTransformer

__all__ = ["ARCH_NETS", "ArchModel", "n_parameters"]

#: constructors by name, for loading from ``config.json``
ARCH_NETS: dict[str, type[nn.Module]] = {"Calo3DCNN": Calo3DCNN, "PatchTransformer": PatchTransformer,
                                         "GraphNet": GraphNet}


def n_parameters(net: nn.Module) -> int:
    return int(sum(p.numel() for p in net.parameters()))


@dataclass
class ArchModel:
    """A network of :data:`ARCH_NETS`, its constructor arguments, the detector its inputs come from, and metadata."""

    net_name: str
    net_args: dict[str, Any]
    detector: str
    meta: dict[str, Any] = field(default_factory=dict)
    net: nn.Module | None = None
    history: TrainResult | None = None

    def __post_init__(self) -> None:
        if self.net_name not in ARCH_NETS:
            raise InputError(f"unknown network '{self.net_name}': choose {', '.join(ARCH_NETS)}")
        if self.net is None:
            self.net = ARCH_NETS[self.net_name](**self.net_args)

    def check_detector(self, detector: str) -> None:
        """One-line :class:`InputError` when the inputs come from another detector than the training data."""
        if detector != self.detector:
            raise InputError(f"this {self.net_name} model was trained on '{self.detector}' events and cannot be "
                             f"applied to '{detector}' events")

    def fit(self, loss_fn: Callable[[nn.Module, tuple[torch.Tensor, ...]], torch.Tensor],
            train_data: Sequence[np.ndarray], val_data: Sequence[np.ndarray], config: TrainConfig,
            checkpoint_dir: str | os.PathLike[str] | None = None) -> TrainResult:
        torch.manual_seed(config.seed)
        self.net = ARCH_NETS[self.net_name](**self.net_args)  # same seed → same initial weights
        tr = [torch.as_tensor(np.ascontiguousarray(a)) for a in train_data]
        va = [torch.as_tensor(np.ascontiguousarray(a)) for a in val_data]
        self.history = train(self.net, loss_fn, tr, va, config, checkpoint_dir)
        self.meta.update(train_seconds=self.history.seconds, epochs_run=self.history.epochs_run,
                         best_val_loss=self.history.best_val, n_parameters=n_parameters(self.net))
        return self.history

    @torch.no_grad()
    def apply(self, *inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Network outputs for all events (eval mode); records inference events/s in ``meta``."""
        assert self.net is not None
        self.net.eval()
        t0 = time.perf_counter()
        outs = [self.net(*(torch.as_tensor(np.ascontiguousarray(a[s:s + batch_size])) for a in inputs))
                for s in range(0, len(inputs[0]), batch_size)]
        self.meta["inference_events_per_s"] = len(inputs[0]) / max(time.perf_counter() - t0, 1e-9)
        return torch.cat(outs).numpy() if outs else np.zeros((0,))

    def save(self, directory: str | os.PathLike[str]) -> None:
        assert self.net is not None
        save_state(directory, {"model": "arch", "net": self.net_name, "net_args": self.net_args,
                               "detector": self.detector, **self.meta}, dict(self.net.state_dict()))

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> ArchModel:
        config, state = load_state(directory)
        if config.get("model") != "arch" or config.get("net") not in ARCH_NETS:
            raise DataFileError(directory, f"holds a '{config.get('model')}' model, not a showerml 3D CNN, "
                                           f"transformer or graph network")
        meta = {k: v for k, v in config.items() if k not in ("model", "net", "net_args", "detector")}
        model = cls(config["net"], dict(config["net_args"]), str(config.get("detector")), meta)
        assert model.net is not None
        try:
            model.net.load_state_dict(state)
        except RuntimeError as exc:
            raise DataFileError(directory, f"weights do not match the network ({str(exc).splitlines()[0]})") from None
        model.net.eval()
        return model
