"""Reading DAMPE files: validation of the layout (:mod:`showerml.detectors.dampe.layout`) and of the values."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from showerml.detectors.dampe.layout import DAMPE_LAYOUT, DampeLayout
from showerml.errors import DataFileError
from showerml.io.hdf5 import open_h5
from showerml.io.shards import check_sharded

__all__ = ["DampeEvents", "check_dampe_layout", "read_dampe"]


def check_dampe_layout(f: h5py.File, path: object, layout: DampeLayout = DAMPE_LAYOUT, name: str = "DAMPE") -> int:
    """Check presence, shapes and event counts of the datasets of ``layout`` (a DAMPE-style layout of the detector
    ``name``: DAMPE, or HERD in :mod:`showerml.io.herd`); return N."""
    counts = set()
    for key, info in layout.datasets.items():
        if key not in f or not isinstance(f[key], h5py.Dataset):
            raise DataFileError(path, f"missing dataset '{key}' required by the {name} layout")
        shape = f[key].shape
        tail = shape[1:]
        if len(tail) != len(info.shape) or any(w is not None and w != g for w, g in zip(info.shape, tail,
                                                                                         strict=True)):
            want = "(N" + "".join(", " + ("M" if s is None else str(s)) for s in info.shape) + ")"
            raise DataFileError(path, f"dataset '{key}' has shape {shape}, the {name} layout needs {want}")
        counts.add(shape[0])
    if len(counts) != 1:
        raise DataFileError(path, f"{name} datasets hold different numbers of events")
    n = counts.pop()
    if n == 0:
        raise DataFileError(path, "the file holds no events")
    return n


@dataclass
class DampeEvents:
    """Arrays of a DAMPE file (or a slice of it) and the file attributes."""

    arrays: dict[str, np.ndarray]
    attrs: dict[str, Any]

    def __len__(self) -> int:
        return len(self.arrays["energy"])

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def clusters(self, i: int) -> np.ndarray:
        """The valid STK clusters (k, 4) of event ``i``."""
        return self.arrays["stk_clusters"][i, : int(self.arrays["stk_n_clusters"][i])]

    def acceptance_from_trials(self) -> tuple[float, float]:
        """(G, σ_G) in m² sr from this file's own trials: A_gen π N / Σ trials (binomial error)."""
        g_gen = float(self.attrs.get("acceptance_generation_m2sr", 0.0))
        trials = float(self.arrays["n_trials"].sum())
        f = len(self) / trials
        return g_gen * f, g_gen * float(np.sqrt(f * (1 - f) / trials))


def read_dampe(path: str | os.PathLike[str], events: slice | None = None) -> DampeEvents:
    """Read and validate a DAMPE file (all events, or ``events``); one-line :class:`DataFileError` on problems."""
    with open_h5(path) as f:
        detector = f.attrs.get("detector")
        detector = detector.decode() if isinstance(detector, bytes) else detector
        if detector not in (None, "dampe"):
            raise DataFileError(path, f"this is a '{detector}' file, not a DAMPE one")
        check_dampe_layout(f, path)
        sel = events if events is not None else slice(None)
        arrays = {k: f[k][sel] for k in DAMPE_LAYOUT.datasets}
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    if "shard_run" in attrs:  # a joined file of shards: every shard present and of this run
        check_sharded(path)
    for key, array in arrays.items():
        if array.dtype.kind == "f":
            bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
            if bad.any():
                raise DataFileError(path, f"dataset '{key}' holds NaN or inf (first in event {int(np.argmax(bad))})")
        if DAMPE_LAYOUT.datasets[key].nonnegative:
            neg = (array.reshape(len(array), -1) < 0).any(axis=1)
            if neg.any():
                first = int(np.argmax(neg))
                raise DataFileError(path, f"dataset '{key}' holds negative values (first in event {first})")
    n_max = arrays["stk_clusters"].shape[1]
    if (arrays["stk_n_clusters"] > n_max).any():
        raise DataFileError(path, f"stk_n_clusters exceeds the padded size {n_max}")
    return DampeEvents(arrays, attrs)
