"""The ``reco.json`` manifest that marks a finished model folder and says which task and method it serves."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from showerml.errors import DataFileError
from showerml.io.atomic import atomic_write_bytes

__all__ = ["MANIFEST", "write_manifest", "read_manifest"]

MANIFEST = "reco.json"


def write_manifest(directory: str | os.PathLike[str], info: dict[str, Any]) -> Path:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / MANIFEST, json.dumps(info, indent=2, sort_keys=True, default=float).encode())
    return out / MANIFEST


def read_manifest(directory: str | os.PathLike[str], task: str) -> dict[str, Any]:
    """The manifest of a model folder; one-line error when it is missing or was trained for another task."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise DataFileError(directory, f"not a showerml reco model folder (no {MANIFEST}); make one with "
                                       f"'showerml reco train {task} --data FILE --out DIR'")
    try:
        info = json.loads(path.read_text())
    except ValueError as exc:
        raise DataFileError(path, f"damaged manifest ({exc})") from None
    if info.get("task") != task:
        raise DataFileError(directory, f"this model was trained for task '{info.get('task')}', not '{task}'")
    return info
