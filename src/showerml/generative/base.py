"""The one interface of every generative shower model (in the spirit of sbi's single estimator interface).

A :class:`ShowerGenerator` owns a :class:`~showerml.generative.preprocessing.ShowerPreprocessor` and a torch module
``net`` that models the preprocessed vector ``y`` given the context ``c``. Subclasses supply four hooks — ``_build``
(the module), ``_loss`` (for the shared loop :func:`showerml.nn.train`), ``_generate`` (``c → y`` with a seeded
``torch.Generator``) and optionally ``_log_prob`` — and get ``fit``, ``sample``, ``log_prob``, ``save`` and ``load``.
A model folder is ``config.json`` (kind, geometry, hyper-parameters, preprocessing, training record) plus
``weights.safetensors``; loading executes no code.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, cast

import numpy as np
import torch
from torch import nn

from showerml import __version__
from showerml.errors import DataFileError, InputError
from showerml.generative.config_schema import check_model_config
from showerml.generative.preprocessing import PreprocessConfig, ShowerPreprocessor, preprocess_config
from showerml.geometry import Geometry
from showerml.io.showers import ShowerData
from showerml.nn.devices import placed
from showerml.nn.serialization import load_state, save_state
from showerml.nn.splits import split_train_val
from showerml.nn.training import TrainConfig, TrainResult, train

__all__ = ["FORMAT", "ShowerGenerator"]

FORMAT = "showerml-generative-model"
Batch = tuple[torch.Tensor, ...]
BatchLoss = Callable[[nn.Module, Batch], torch.Tensor]
NetT = TypeVar("NetT", bound=nn.Module)


class ShowerGenerator(ABC, Generic[NetT]):
    """``fit(data)``, ``sample(incident)``, ``log_prob(data)`` (where defined), ``save(dir)``, ``load(dir)``."""

    kind: ClassVar[str]
    has_log_prob: ClassVar[bool] = False
    default_train: ClassVar[dict[str, Any]] = {}
    #: the kind of trained model this one is built from (a distilled student names its teacher), or None
    requires: ClassVar[str | None] = None
    #: hyper-parameters that act only when sampling (``fastsim sample --steps/--sampler`` may change them)
    sampling_options: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def inherited_hparams(cls, parent: ShowerGenerator[Any]) -> dict[str, Any]:
        """Hyper-parameters taken from the ``requires`` model (a student mirrors its teacher); none by default."""
        return {}

    def __init__(self, geometry: Geometry, preprocess: PreprocessConfig | None = None, **hparams: Any) -> None:
        self.geometry = geometry
        self.prep = ShowerPreprocessor(geometry, preprocess)
        self.hparams: dict[str, Any] = {**self.default_hparams(), **hparams}
        unknown = set(hparams) - set(self.default_hparams())
        if unknown:
            known = sorted(self.default_hparams())
            raise InputError(f"model '{self.kind}' has no option(s) {sorted(unknown)}; known: {known}")
        self._net: NetT | None = None  # built on first use: a MADE on thousands of voxels takes ~1 min to build
        self.record: dict[str, Any] = {}

    @property
    def net(self) -> NetT:
        if self._net is None:
            self._net = self._build()
        return self._net

    @net.setter
    def net(self, module: NetT) -> None:
        self._net = module

    def set_sampling(self, **options: Any) -> None:
        """Change sampling-only hyper-parameters (:attr:`sampling_options`; ``None`` keeps a value); a step count
        ≤ 0, an option the model does not have or a bad value → one-line :class:`InputError`."""
        given = {k: v for k, v in options.items() if v is not None}
        unknown = sorted(set(given) - set(self.sampling_options))
        if unknown:
            takes = ", ".join(self.sampling_options) or "none"
            raise InputError(f"model '{self.kind}' has no sampling option(s) {unknown}; it takes: {takes}")
        if "steps" in given and (not isinstance(given["steps"], int) or given["steps"] < 1):
            raise InputError(f"the sampler needs a positive number of steps, got {given['steps']}")
        trial = {**self.hparams, **given}
        self.check_sampling(trial)
        self.hparams = trial

    @staticmethod
    def check_sampling(hparams: dict[str, Any]) -> None:
        """Refuse sampling settings the sampler cannot run (one-line :class:`InputError`); nothing by default."""

    # -- hooks ---------------------------------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def default_hparams(cls) -> dict[str, Any]:
        """Hyper-parameters and their defaults (the keys a config file may set)."""

    @abstractmethod
    def _build(self) -> NetT: ...

    @abstractmethod
    def _loss(self, net: NetT, batch: Batch) -> torch.Tensor:
        """Training loss on ``batch = (y, c)``."""

    @abstractmethod
    def _generate(self, c: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``y`` for contexts ``c`` (N, 1)."""

    def _log_prob(self, y: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        raise InputError(f"model '{self.kind}' has no tractable log-likelihood; use a flow (caloflow, student)")

    # -- dimensions ----------------------------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return self.geometry.n_layers

    @property
    def dim(self) -> int:
        return self.prep.dim

    # -- interface -----------------------------------------------------------------------------------------------
    def prepare(self, data: ShowerData, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Fit the preprocessing; return the training tensors ``(incident, voxels)`` (float64, float32) that
        :meth:`training_loss` turns into dequantised ``(y, c)`` batch by batch."""
        self._check_geometry(data)
        self.prep.fit(data.incident, data.voxels, seed)
        return self.training_tensors(data)

    @staticmethod
    def training_tensors(data: ShowerData) -> tuple[torch.Tensor, torch.Tensor]:
        """``(incident float64, voxels float32)``: the raw tensors the training loop batches."""
        return (torch.as_tensor(np.asarray(data.incident), dtype=torch.float64),
                torch.as_tensor(np.asarray(data.voxels), dtype=torch.float32))

    def training_loss(self, loss: Callable[[NetT, Batch], torch.Tensor]) -> BatchLoss:
        """``loss`` on ``(y, c)`` → a loss on raw ``(incident, voxels)`` batches with fresh dequantisation noise."""

        def on_showers(net: nn.Module, batch: Batch) -> torch.Tensor:
            incident, voxels = batch
            return loss(cast(NetT, net), self.prep.forward_torch(incident, voxels))

        return on_showers

    def fit(
        self,
        data: ShowerData,
        config: TrainConfig | None = None,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        resume: bool = False,
        val_fraction: float = 0.1,
        parent: ShowerGenerator[Any] | None = None,
    ) -> TrainResult:
        """Train on ``data`` through the shared loop; the model ends with its best validation weights.

        ``parent`` is the trained model of kind :attr:`requires` for models built from another one (else ``None``).
        """
        if parent is not None:
            raise InputError(f"model '{self.kind}' is trained from data alone; it takes no parent model")
        cfg = config or TrainConfig(**self.default_train)
        inc, vox = self.prepare(data, cfg.seed)
        tr, va = split_train_val(len(inc), val_fraction, cfg.seed)
        torch.manual_seed(cfg.seed)
        self.net = self._build()
        result = train(self.net, self.training_loss(self._loss), (inc[tr], vox[tr]), (inc[va], vox[va]), cfg,
                       checkpoint_dir, resume)
        self._record(result, cfg, len(tr), len(va))
        self.calibrate(data, cfg.seed)
        return result

    @torch.no_grad()
    def calibrate(self, data: ShowerData, seed: int = 0) -> None:
        """Calibrate the empty-voxel cuts and deposit maps (:meth:`ShowerPreprocessor.calibrate`) on ``calib_showers``
        uncut samples at incident energies drawn from ``data`` (the training showers); ``calib_showers = 0`` keeps
        one cut."""
        n = min(int(self.prep.config.calib_showers), len(data.incident))
        self.prep.reset_calibration()
        if n <= 0:
            return
        pick = np.random.default_rng(seed + 7).choice(len(data.incident), n, replace=False)
        incident = np.asarray(data.incident, np.float64)[pick]
        self.net.eval()
        parts = []
        with placed(self.net) as dev:  # the current device (--device); on the CPU nothing moves
            generator = torch.Generator(device=dev).manual_seed(int(seed) + 7)
            for start in range(0, n, 10_000):
                e = incident[start : start + 10_000]
                c = torch.as_tensor(self.prep.context(e), dtype=torch.float32, device=dev)
                y = np.nan_to_num(self._generate(c, generator).cpu().double().numpy(), nan=0.0, posinf=30.0,
                                  neginf=-30.0)
                parts.append(self.prep.inverse(y, e, threshold=False))
        self.prep.calibrate(data.incident, data.voxels, np.concatenate(parts), incident)
        self.record["calibration"] = {"showers": n, "bins": len(self.prep.cuts)}

    def _record(self, result: TrainResult, cfg: TrainConfig, n_train: int, n_val: int) -> None:
        self.record = {"train": asdict(cfg), "n_train": n_train, "n_val": n_val, "epochs_run": result.epochs_run,
                       "best_epoch": result.best_epoch, "best_val": result.best_val, "seconds": result.seconds}

    @torch.no_grad()
    def sample(self, incident: np.ndarray, seed: int = 0, batch_size: int = 10_000) -> ShowerData:
        """Showers (MeV) at the incident energies ``incident`` (MeV); same seed → same showers."""
        incident = np.asarray(incident, dtype=np.float64).reshape(-1)
        if len(incident) == 0 or not np.all(np.isfinite(incident)) or np.any(incident <= 0):
            raise InputError("incident energies must be finite, positive and at least one")
        self.net.eval()
        parts = []
        with placed(self.net) as dev:  # the current device (--device); on the CPU nothing moves
            generator = torch.Generator(device=dev).manual_seed(int(seed))
            for start in range(0, len(incident), batch_size):
                e = incident[start : start + batch_size]
                c = torch.as_tensor(self.prep.context(e), dtype=torch.float32, device=dev)
                y = self._generate(c, generator).cpu().double().numpy()
                parts.append(self.prep.inverse(np.nan_to_num(y, nan=0.0, posinf=30.0, neginf=-30.0), e))
        attrs = {"generator": self.kind, "seed": int(seed), "showerml_version": __version__}
        return ShowerData(incident, np.concatenate(parts), self.geometry, None, attrs)

    @torch.no_grad()
    def log_prob(self, data: ShowerData) -> np.ndarray:
        """``log p(y | c)`` per shower in the preprocessed coordinates (no dequantisation noise)."""
        if not self.has_log_prob:
            self._log_prob(torch.empty(0), torch.empty(0))
        self._check_geometry(data)
        self.net.eval()
        y, c = self.prep.forward(data.incident, data.voxels)
        return self._log_prob(torch.as_tensor(y, dtype=torch.float32), torch.as_tensor(c, dtype=torch.float32)).numpy()

    def _check_geometry(self, data: ShowerData) -> None:
        if data.geometry.n_voxels != self.geometry.n_voxels or data.geometry.layer_sizes != self.geometry.layer_sizes:
            raise InputError(
                f"the showers have {data.geometry.n_voxels} voxels in {data.geometry.n_layers} layers, model "
                f"'{self.kind}' was built for '{self.geometry.name}' ({self.geometry.n_voxels} voxels in "
                f"{self.geometry.n_layers} layers)"
            )

    # -- persistence ---------------------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "showerml_version": __version__,
            "model": self.kind,
            "geometry": self.geometry.to_json(),
            "hparams": self.hparams,
            "preprocessing": self.prep.config_dict(),
            "record": self.record,
        }

    def save(self, directory: str | os.PathLike[str]) -> Path:
        state = {f"net.{k}": v for k, v in self.net.state_dict().items()}
        state |= {f"prep.{k}": torch.as_tensor(v) for k, v in self.prep.state().items()}
        return save_state(directory, self.config(), state)

    @classmethod
    def from_folder(
        cls, config: dict[str, Any], state: dict[str, torch.Tensor], folder: Path
    ) -> ShowerGenerator[Any]:
        geometry = Geometry.from_json(config["geometry"])
        pc = config["preprocessing"]
        model = cls(geometry, preprocess_config(pc), **config["hparams"])
        prep_state = {k[5:]: v.numpy() for k, v in state.items() if k.startswith("prep.")}
        model.prep = ShowerPreprocessor.restore(geometry, pc, prep_state)
        try:
            model.net.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("net.")})
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise DataFileError(folder, f"weights do not match the model config ({first})") from None
        model.net.eval()
        model.record = dict(config.get("record", {}))
        return model


def read_model_folder(directory: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Config and weights of a generative model folder, or a one-line :class:`DataFileError`."""
    folder = Path(directory)
    if not folder.is_dir():
        raise DataFileError(folder, "no such model folder; give the --out folder of 'showerml fastsim train'")
    config, state = load_state(folder)
    if config.get("format") != FORMAT or "model" not in config:
        raise DataFileError(folder, "not a showerml generative model (config.json lacks the fastsim model format)")
    check_model_config(config, folder / "config.json")
    return config, state
