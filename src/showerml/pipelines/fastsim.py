"""Fast shower simulation recipes: train a generative model from a shower file, sample showers into a file.

A training run writes one folder: the model (``config.json`` + ``weights.safetensors``), the training checkpoint
(``checkpoints/checkpoint.pt``, for ``resume`` after a kill) and ``training.json`` (resolved configuration, data,
loss history). Sampling writes a CaloGAN- or CaloChallenge-layout file (by geometry) whose attributes say which model,
seed and energies made it; energies outside the training range are allowed but recorded as a ``warning`` attribute.
A YAML ``--config`` may hold ``model:`` (hyper-parameters), ``train:`` (:class:`~showerml.nn.TrainConfig` fields),
``preprocessing:`` (:class:`~showerml.generative.PreprocessConfig` fields) and ``max_events``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from showerml import __version__
from showerml.errors import InputError
from showerml.generative import PreprocessConfig, ShowerGenerator, build_model, load_model, model_class
from showerml.generative.config_schema import hparams_schema
from showerml.io.config import read_yaml, validate
from showerml.io.hdf5 import check_output_path
from showerml.io.runfolder import RunFolder
from showerml.io.showers import ShowerData, load_showers, write_showers
from showerml.nn.training import TrainConfig
from showerml.spectra import parse_spectrum

__all__ = [
    "FastsimConfig", "PreprocessSettings", "TrainSettings", "load_parent", "read_config", "sample_incident",
    "sample_to_file", "train_from_file", "train_model",
]

TRAINING_RECORD = "training.json"
CHECKPOINTS = "checkpoints"


Count = Annotated[int, Field(ge=1)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def overrides(self) -> dict[str, Any]:
        """The settings given (unset ones keep the model's or the loop's defaults)."""
        return self.model_dump(exclude_none=True)


class TrainSettings(_Section):
    """``train:`` — overrides of :class:`~showerml.nn.TrainConfig` (seed and progress come from the command line)."""

    epochs: Count | None = None
    batch_size: Count | None = None
    lr: Positive | None = None
    weight_decay: NonNegative | None = None
    patience: Annotated[int, Field(ge=0)] | None = None
    min_delta: NonNegative | None = None
    grad_clip: Positive | None = None
    lr_schedule: Literal["constant", "cosine"] | None = None


class PreprocessSettings(_Section):
    """``preprocessing:`` — overrides of :class:`~showerml.generative.PreprocessConfig` (MeV)."""

    noise: NonNegative | None = None
    noise_on: Literal["empty", "all"] | None = None
    threshold: NonNegative | None = None
    alpha: Annotated[float, Field(gt=0, lt=0.5)] | None = None
    calib_showers: Annotated[int, Field(ge=0)] | None = None
    calib_bins: Count | None = None
    calibration: Literal["cut", "quantile"] | None = None
    calib_knots: Annotated[int, Field(ge=2)] | None = None


class FastsimConfig(BaseModel):
    """A fastsim run configuration (YAML ``--config``): ``model:`` hyper-parameters (checked against the model kind's
    own schema when the model is built), ``train:``, ``preprocessing:`` and ``max_events``."""

    model_config = ConfigDict(extra="forbid")

    model: dict[str, Any] = {}
    train: TrainSettings = TrainSettings()
    preprocessing: PreprocessSettings = PreprocessSettings()
    max_events: Count | None = None


def read_config(path: str | os.PathLike[str] | None) -> FastsimConfig:
    """Read and check a YAML run configuration (unknown sections or fields, wrong types → one-line error)."""
    if path is None:
        return FastsimConfig()
    return validate(FastsimConfig, read_yaml(path), Path(path))


def check_finite(data: ShowerData, name: str) -> None:
    if not (np.all(np.isfinite(data.voxels)) and np.all(np.isfinite(data.incident))):
        raise InputError(f"{name} contains NaN or infinite values; clean the file before training")


def train_model(
    data: ShowerData,
    kind: str,
    out: str | os.PathLike[str] | None = None,
    config: FastsimConfig | None = None,
    parent: ShowerGenerator | None = None,
    resume: bool = False,
    seed: int = 0,
    progress: bool = True,
) -> ShowerGenerator:
    """Build, train (through the shared loop) and, with ``out``, save a model of ``kind`` on ``data``.

    ``parent`` is the trained model a model of this kind is built from (its class's ``requires``, e.g. the student's
    teacher); its inherited hyper-parameters come first, the config's ``model:`` section may not contradict them.
    """
    cfg = config or read_config(None)
    check_finite(data, "the training data")
    cls = model_class(kind)
    hparams = {**(cls.inherited_hparams(parent) if parent is not None else {}), **cfg.model}
    validate(hparams_schema(kind, cls.default_hparams()), hparams, "--config", "model")
    model = build_model(kind, data.geometry, hparams, PreprocessConfig(**cfg.preprocessing.overrides()))
    train_cfg = TrainConfig(**{**model.default_train, **cfg.train.overrides(), "seed": seed, "progress": progress,
                               "description": f"training {kind}"})
    ckpt = None if out is None else Path(out) / CHECKPOINTS
    model.fit(data, train_cfg, ckpt, resume, parent=parent)
    if out is not None:
        model.save(out)
    return model


def load_parent(kind: str, parent_dir: str | os.PathLike[str] | None) -> ShowerGenerator | None:
    """The trained model a ``kind`` model is built from (``--teacher DIR``), checked against its ``requires``."""
    needed = model_class(kind).requires
    if needed is None:
        if parent_dir is not None:
            raise InputError(f"--teacher is only used by models built from another one, not by '{kind}'")
        return None
    if parent_dir is None:
        raise InputError(f"--model {kind} is built from a trained '{needed}' model: pass --teacher DIR")
    loaded = load_model(parent_dir)
    if loaded.kind != needed:
        raise InputError(
            f"--teacher {parent_dir} is a '{loaded.kind}' model; '{kind}' is built from a '{needed}' model"
        )
    return loaded


def train_from_file(
    data: str | os.PathLike[str],
    kind: str,
    out: str | os.PathLike[str],
    teacher: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
    resume: bool = False,
    seed: int = 0,
    progress: bool = True,
    binning: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """``showerml fastsim train``: read ``data``, train, write the run folder ``out``; return the training record.

    The folder is written in place so that a checkpoint survives a kill (``--resume``); a run that fails before its
    first checkpoint leaves no folder.
    """
    folder = RunFolder(out, resume=resume, in_place=True, keep=lambda p: (p / CHECKPOINTS).exists())
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed}")
    cfg = read_config(config)
    model_class(kind)
    parent = load_parent(kind, teacher)
    showers = load_showers(data, cfg.max_events, binning)
    with folder as run:
        model = train_model(showers, kind, run.path, cfg, parent, resume, seed, progress)
        record = {"showerml_version": __version__, "data": str(data), "n_showers": len(showers),
                  "geometry": showers.geometry.name, "model": kind,
                  "teacher": None if teacher is None else str(teacher),
                  "config": cfg.model_dump(), "seed": seed, **model.record}
        run.write_json(TRAINING_RECORD, record)
    return record


def sample_incident(
    n: int | None, energy: str | None, energies_from: str | os.PathLike[str] | None, seed: int
) -> tuple[np.ndarray, str]:
    """Incident energies (MeV) from a spectrum (``n`` draws) or from a shower file; returns them and a description."""
    if (energy is None) == (energies_from is None):
        raise InputError("give exactly one of --energy SPEC or --energies-from FILE")
    if energy is not None:
        if n is None:
            raise InputError("--energy needs --n, the number of showers to generate (or use --energies-from FILE)")
        if n <= 0:
            raise InputError(f"--n must be a positive number of showers, got {n}")
        spectrum = parse_spectrum(energy)
        return spectrum.sample(np.random.default_rng(seed), n), spectrum.spec
    assert energies_from is not None
    incident = load_showers(energies_from).incident
    if n is not None:
        if n <= 0:
            raise InputError(f"--n must be a positive number of showers, got {n}")
        incident = incident[:n]
    return incident, f"energies of {energies_from}"


def sample_to_file(
    model_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    n: int | None = None,
    energy: str | None = None,
    energies_from: str | os.PathLike[str] | None = None,
    seed: int = 0,
    overwrite: bool = False,
    batch_size: int = 10_000,
    sampling: dict[str, Any] | None = None,
) -> tuple[Path, list[str]]:
    """``showerml fastsim sample``: write generated showers to ``out``; returns the path and any warnings.

    ``sampling`` overrides sampling-only hyper-parameters (``steps``, ``sampler``; see
    :meth:`~showerml.generative.ShowerGenerator.set_sampling`), recorded in the file's ``sampling`` attribute."""
    check_output_path(out, overwrite)
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed}")
    model = load_model(model_dir)
    given = {k: v for k, v in (sampling or {}).items() if v is not None}
    model.set_sampling(**given)
    incident, source = sample_incident(n, energy, energies_from, seed)
    lo, hi = model.prep.energy_range
    warnings = []
    outside = int(np.sum((incident < lo * (1 - 1e-9)) | (incident > hi * (1 + 1e-9))))
    if outside:
        warnings.append(f"{outside} of {len(incident)} incident energies lie outside the training range "
                        f"{lo / 1e3:.4g}–{hi / 1e3:.4g} GeV; the model extrapolates there")
    showers = model.sample(incident, seed=seed, batch_size=batch_size)
    attrs = {"generator": model.kind, "model": str(Path(model_dir).resolve()), "seed": seed, "energies": source,
             "training_energy_range_mev": json.dumps([lo, hi]), "showerml_version": __version__}
    if given:
        attrs["sampling"] = json.dumps(given)
    if warnings:
        attrs["warning"] = "; ".join(warnings)
    return write_showers(out, showers, attrs=attrs, overwrite=overwrite), warnings


def model_summary(model: ShowerGenerator) -> dict[str, Any]:
    """Kind, geometry, parameter count and training record of a model (for printing)."""
    n_params = sum(p.numel() for p in model.net.parameters())
    return {"model": model.kind, "geometry": model.geometry.name, "parameters": n_params,
            "hparams": model.hparams, "preprocessing": asdict(model.prep.config), **model.record}
