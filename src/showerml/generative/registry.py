"""Model kinds by name, and loading any generative model folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from showerml.errors import DataFileError, InputError
from showerml.generative.base import ShowerGenerator, read_model_folder
from showerml.generative.config_schema import check_model_config
from showerml.generative.diffusion import DDPM, FlowMatching
from showerml.generative.flows import CaloFlowStudent, CaloFlowTeacher
from showerml.generative.latent import ConditionalGAN, ConditionalVAE
from showerml.generative.preprocessing import PreprocessConfig
from showerml.generative.score import EDMDiffusion
from showerml.geometry import Geometry

__all__ = ["MODELS", "build_model", "load_model", "model_class"]

MODELS: dict[str, type[ShowerGenerator[Any]]] = {
    cls.kind: cls
    for cls in (CaloFlowTeacher, CaloFlowStudent, FlowMatching, DDPM, EDMDiffusion, ConditionalVAE, ConditionalGAN)
}


def model_class(kind: str) -> type[ShowerGenerator[Any]]:
    """The class registered under ``kind``, or a one-line :class:`InputError` listing the known kinds."""
    if kind not in MODELS:
        raise InputError(f"unknown model '{kind}'; choose one of {', '.join(MODELS)}")
    return MODELS[kind]


def build_model(
    kind: str, geometry: Geometry, hparams: dict[str, Any] | None = None, preprocess: PreprocessConfig | None = None
) -> ShowerGenerator[Any]:
    """A fresh model of ``kind`` (any key of :data:`MODELS`) for ``geometry``."""
    return model_class(kind)(geometry, preprocess, **(hparams or {}))


def load_model(directory: str | os.PathLike[str]) -> ShowerGenerator[Any]:
    """Any model folder written by :meth:`ShowerGenerator.save`; a folder that is not one → :class:`DataFileError`."""
    config, state = read_model_folder(directory)
    if config["model"] not in MODELS:
        raise DataFileError(directory, f"unknown model kind '{config['model']}' (newer showerml?)")
    cls = MODELS[config["model"]]
    check_model_config(config, Path(directory) / "config.json", cls.default_hparams())
    try:
        return cls.from_folder(config, state, Path(directory))
    except (KeyError, TypeError, InputError) as exc:
        raise DataFileError(directory, f"damaged model config ({exc})") from None
