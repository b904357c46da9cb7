"""Reading HERD files: validation of the layout (:mod:`showerml.detectors.herd.layout`) and of the values, and the
sparse calorimeter as dense 21³ images."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from showerml.detectors.herd import geometry as geo
from showerml.detectors.herd.layout import HERD_LAYOUT
from showerml.errors import DataFileError, InputError
from showerml.io.dampe import check_dampe_layout
from showerml.io.hdf5 import open_h5

__all__ = ["HerdEvents", "read_herd", "dense_calo", "check_herd_file"]


def _detector(f: h5py.File) -> str | None:
    d = f.attrs.get("detector")
    return d.decode() if isinstance(d, bytes) else d


def check_herd_file(f: h5py.File, path: object) -> int:
    """Check the detector attribute, presence, shapes and event counts; return N."""
    detector = _detector(f)
    if detector != "herd":
        raise DataFileError(path, f"this is a '{detector}' file, not a HERD one (simulate it with "
                                  f"'showerml simulate herd')")
    n = check_dampe_layout(f, path, HERD_LAYOUT, "HERD")
    if f["calo_index"].shape[1:] != f["calo_energy"].shape[1:]:
        raise DataFileError(path, "calo_index and calo_energy have different widths")
    return n


@dataclass
class HerdEvents:
    """Arrays of a HERD file (or a slice of it) and the file attributes."""

    arrays: dict[str, np.ndarray]
    attrs: dict[str, Any]

    def __len__(self) -> int:
        return len(self.arrays["energy"])

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def dense(self, dtype: type = np.float32) -> np.ndarray:
        """(N, 21, 21, 21) cube energies indexed [k, j, i] (z, y, x)."""
        return dense_calo(self.arrays["calo_index"], self.arrays["calo_energy"], dtype)


def dense_calo(index: np.ndarray, energy: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """(N, 21, 21, 21) images [k, j, i] from sparse (N, M) flat indices (−1 padding) and energies; indices outside
    the calorimeter → one-line :class:`InputError`."""
    index = np.asarray(index)
    valid = index != -1
    geo.check_cube_indices(index[valid].astype(np.int64), "calo_index")
    n = len(index)
    out = np.zeros(n * geo.N_CELLS, dtype=np.float64)
    ev = np.broadcast_to(np.arange(n)[:, None], index.shape)
    np.add.at(out, (ev[valid] * geo.N_CELLS + index[valid].astype(np.int64)), np.asarray(energy)[valid])
    return out.reshape(n, geo.N_SIDE, geo.N_SIDE, geo.N_SIDE).astype(dtype)


def read_herd(path: str | os.PathLike[str], events: slice | None = None) -> HerdEvents:
    """Read and validate a HERD file (all events, or ``events``); one-line :class:`DataFileError` on problems."""
    with open_h5(path) as f:
        check_herd_file(f, path)
        sel = events if events is not None else slice(None)
        arrays = {k: f[k][sel] for k in HERD_LAYOUT.datasets}
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    for key, array in arrays.items():
        if array.dtype.kind == "f":
            bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
            if bad.any():
                raise DataFileError(path, f"dataset '{key}' holds NaN or inf (first in event {int(np.argmax(bad))})")
        if HERD_LAYOUT.datasets[key].nonnegative:
            neg = (array.reshape(len(array), -1) < 0).any(axis=1)
            if neg.any():
                raise DataFileError(path, f"dataset '{key}' holds negative values (first in event "
                                          f"{int(np.argmax(neg))})")
    idx = arrays["calo_index"]
    try:
        geo.check_cube_indices(idx[idx != -1].astype(np.int64), "calo_index")
    except InputError as exc:
        raise DataFileError(path, str(exc)) from None
    if (arrays["calo_n_hits"] > idx.shape[1]).any():
        raise DataFileError(path, f"calo_n_hits exceeds the padded size {idx.shape[1]}")
    return HerdEvents(arrays, attrs)
