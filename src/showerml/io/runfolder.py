"""One output folder per run: checked before work starts, assembled out of sight, committed atomically.

Every pipeline that writes a folder (demo, evaluate, fastsim train/bench, reco, anomaly) goes through
:class:`RunFolder`::

    with RunFolder(out, overwrite=overwrite) as run:
        run.write_json("metrics.json", metrics)
        plot(run.path / "figures" / "x.png")

Rules it enforces, in one place:

- ``out`` is checked first (empty name, a file in the way, an existing non-empty folder without ``--overwrite`` or
  ``--resume``, a missing or unwritable parent folder): one-line :class:`~showerml.errors.InputError`, nothing written.
- A *fresh* run is assembled in a hidden folder beside the target and renamed into place
  only when the block succeeds; on any exception or interrupt the hidden folder is removed and the target (possibly a
  previous run the user had) is untouched. With ``overwrite`` the previous run is removed only after the new one is
  complete.
- A *resumable* run (training with checkpoints, ``in_place=True``) works in the target itself so that a checkpoint
  survives a kill; when it fails, the folder is removed only if this run created it and ``keep`` says nothing in it is
  worth keeping (e.g. no checkpoint yet).
- Hidden folders left by a killed run (named like every temporary file, ``.<name>.<pid>@<host>.<random>.tmp``, see
  :mod:`showerml.io.atomic`; their writer process no longer exists) are removed by the next run on the same target.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.io.atomic import atomic_write_bytes, temp_files_in, temp_prefix, umask

__all__ = ["RunFolder", "json_safe", "stale_run_folders"]


def json_safe(obj: Any) -> Any:
    """A JSON-ready copy: NaN/±inf → ``None``, numpy scalars/arrays → Python, tuples → lists, other objects → str."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if hasattr(obj, "to_json"):
        return json_safe(obj.to_json())
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return str(obj)


def stale_run_folders(target: str | os.PathLike[str]) -> list[Path]:
    """Hidden work folders of ``target`` left behind by runs whose process no longer exists (on this host)."""
    t = Path(target)
    parent = t.parent if str(t.parent) else Path(".")
    return [f.path for f in temp_files_in(parent, t.name) if f.stale and f.path.is_dir()]


class RunFolder:
    """A run's output folder (see the module docstring for the rules)."""

    def __init__(
        self,
        target: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        resume: bool = False,
        in_place: bool = False,
        keep: Callable[[Path], bool] | None = None,
        option: str = "--out",
        create_parents: bool = False,
    ) -> None:
        if str(target).strip() == "":
            raise InputError(f"{option} is empty; give the name of a folder to write the run into")
        self.target = Path(target)
        self.resume = resume
        self.in_place = in_place or resume
        self._keep = keep
        self._created = False
        self._work: Path | None = None
        t = self.target
        if t.exists() and not t.is_dir():
            raise InputError(f"{t} is a file; give a folder name for {option}")
        if t.is_dir() and any(t.iterdir()) and not (overwrite or resume):
            hint = "--resume to continue it" if in_place else "--overwrite to replace it"
            raise InputError(f"{t} already holds files; pass {hint}, or choose another {option}")
        if resume and not t.is_dir():
            raise InputError(f"{t} does not exist, so there is nothing to resume; drop --resume to start a new run")
        parent = t.parent if str(t.parent) else Path(".")
        if create_parents and not parent.exists():
            try:
                parent.mkdir(parents=True)
            except OSError as exc:
                raise InputError(f"cannot create folder {parent} ({exc.strerror}); choose another {option}") from None
        if not parent.is_dir():
            raise InputError(f"folder {parent} does not exist; create it or choose another {option}")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise InputError(f"cannot write to folder {parent}; choose a writable {option}")

    @property
    def path(self) -> Path:
        """The folder to write into while the run is going on."""
        if self._work is None:
            raise RuntimeError("RunFolder.path is only available inside its `with` block")
        return self._work

    def __enter__(self) -> RunFolder:
        for stale in stale_run_folders(self.target):
            shutil.rmtree(stale, ignore_errors=True)
        if self.in_place:
            self._created = not self.target.exists()
            self.target.mkdir(exist_ok=True)
            self._work = self.target
        else:
            self._work = Path(tempfile.mkdtemp(prefix=temp_prefix(self.target), suffix=".tmp", dir=self.target.parent))
            os.chmod(self._work, 0o777 & ~umask())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        work = self.path
        if exc_type is not None:
            if not self.in_place:
                shutil.rmtree(work, ignore_errors=True)
            elif self._created and not (self._keep is not None and self._keep(work)):
                shutil.rmtree(work, ignore_errors=True)
            return
        if self.in_place:
            return
        old: Path | None = None
        try:
            if self.target.exists():
                old = Path(tempfile.mkdtemp(prefix=temp_prefix(self.target), suffix=".tmp", dir=self.target.parent))
                os.rmdir(old)
                os.replace(self.target, old)
            os.replace(work, self.target)
        except BaseException:
            if old is not None and old.exists() and not self.target.exists():
                os.replace(old, self.target)
            shutil.rmtree(work, ignore_errors=True)
            raise
        finally:
            if old is not None and old.exists():
                shutil.rmtree(old, ignore_errors=True)

    def write_json(self, name: str, obj: Any) -> Path:
        """Write ``obj`` as indented JSON (NaN/inf → null) atomically into the run folder."""
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(json_safe(obj), indent=2, allow_nan=False).encode())
        return path

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` (UTF-8) atomically into the run folder."""
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, text.encode())
        return path
