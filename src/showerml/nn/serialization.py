"""Models on disk as ``config.json`` + ``weights.safetensors``: no pickle, loading never executes code.

``config.json`` records the SHA-256 digest of the weights file (``weights_sha256``) when it is saved; loading
recomputes it and refuses a weights file that was modified or damaged since (folders saved before the digest existed
load without the check).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from showerml.errors import DataFileError
from showerml.io.atomic import atomic_write_bytes, make_temp, remove_stale_temp_files

__all__ = ["save_state", "load_state", "file_sha256"]

CONFIG = "config.json"
WEIGHTS = "weights.safetensors"
DIGEST = "weights_sha256"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_state(directory: str | os.PathLike[str], config: dict[str, Any], state: dict[str, torch.Tensor]) -> Path:
    """Save a model folder atomically (weights first, then the config that marks the folder complete)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(out / WEIGHTS)
    tmp = make_temp(out / WEIGHTS)
    try:
        save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, tmp)
        digest = file_sha256(tmp)
        os.replace(tmp, out / WEIGHTS)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    atomic_write_bytes(out / CONFIG, json.dumps({**config, DIGEST: digest}, indent=2, sort_keys=True).encode())
    return out


def load_state(directory: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a model folder written by :func:`save_state`."""
    folder = Path(directory)
    if not (folder / CONFIG).is_file() or not (folder / WEIGHTS).is_file():
        raise DataFileError(folder, f"not a showerml model folder (needs {CONFIG} and {WEIGHTS})")
    try:
        config = json.loads((folder / CONFIG).read_text())
    except (OSError, ValueError) as exc:
        raise DataFileError(folder / CONFIG, f"not readable JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(config, dict):
        raise DataFileError(folder / CONFIG, f"holds a JSON {type(config).__name__}, expected an object")
    expected = config.pop(DIGEST, None)
    if expected is not None:
        if not isinstance(expected, str):
            raise DataFileError(folder / CONFIG, f"field '{DIGEST}' must be a string (a hex SHA-256 digest)")
        if file_sha256(folder / WEIGHTS) != expected.lower():
            raise DataFileError(
                folder / WEIGHTS,
                f"does not match the SHA-256 digest recorded in {CONFIG} when it was saved (modified or damaged); "
                "restore the file or train the model again",
            )
    try:
        state = load_file(folder / WEIGHTS)
    except (OSError, ValueError, SafetensorError) as exc:
        raise DataFileError(folder, f"damaged model folder ({str(exc).splitlines()[0]})") from None
    return config, state
