"""Models on disk as ``config.json`` + ``weights.safetensors``: no pickle, loading never executes code."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from showerml.errors import DataFileError
from showerml.io.atomic import atomic_write_bytes, make_public

__all__ = ["save_state", "load_state"]

CONFIG = "config.json"
WEIGHTS = "weights.safetensors"


def save_state(directory: str | os.PathLike[str], config: dict[str, Any], state: dict[str, torch.Tensor]) -> Path:
    """Save a model folder atomically (weights first, then the config that marks the folder complete)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".weights.", suffix=".tmp", dir=out)
    os.close(fd)
    make_public(tmp)
    try:
        save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, tmp)
        os.replace(tmp, out / WEIGHTS)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    atomic_write_bytes(out / CONFIG, json.dumps(config, indent=2, sort_keys=True).encode())
    return out


def load_state(directory: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a model folder written by :func:`save_state`."""
    folder = Path(directory)
    if not (folder / CONFIG).is_file() or not (folder / WEIGHTS).is_file():
        raise DataFileError(folder, f"not a showerml model folder (needs {CONFIG} and {WEIGHTS})")
    try:
        config = json.loads((folder / CONFIG).read_text())
        state = load_file(folder / WEIGHTS)
    except (OSError, ValueError, SafetensorError) as exc:
        raise DataFileError(folder, f"damaged model folder ({str(exc).splitlines()[0]})") from None
    return config, state
