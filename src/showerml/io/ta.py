"""Reading TA-like SD files (``showerml simulate ta``): layout (:mod:`showerml.detectors.ta.layout`) and values checked.

No pickle anywhere: datasets are plain numeric arrays, the array layout is the numeric attribute ``grid_xy``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from showerml.detectors.ta.layout import TaLayout, ta_layout
from showerml.errors import DataFileError, InputError
from showerml.io.hdf5 import open_h5, plain_attr

__all__ = ["TaEvents", "check_ta_layout", "check_network_input", "read_ta", "ta_file_layout"]


def ta_file_layout(f: h5py.File, path: object) -> TaLayout:
    """The layout the file's attributes announce (station rows, network window)."""
    detector = plain_attr(f.attrs.get("detector"))
    if detector != "ta":
        raise DataFileError(path, f"this is a '{detector}' file, not a TA one (attribute detector = 'ta')")
    try:
        m, window = int(f.attrs["max_stations"]), int(f.attrs["network_window"])
    except (KeyError, TypeError, ValueError):
        raise DataFileError(path, "missing or bad attributes max_stations / network_window of the TA layout") from None
    if not (1 <= m <= 4096 and 2 <= window <= 12):
        raise DataFileError(path, f"implausible TA layout attributes max_stations={m}, network_window={window}")
    return ta_layout(m, window)


def check_ta_layout(f: h5py.File, path: object, layout: TaLayout) -> int:
    """Presence, per-event shapes and event counts of every dataset; return N."""
    counts = set()
    for key, info in layout.datasets.items():
        if key not in f or not isinstance(f[key], h5py.Dataset):
            raise DataFileError(path, f"missing dataset '{key}' required by the TA layout")
        shape = f[key].shape
        if len(shape) < 1 or tuple(shape[1:]) != info.shape:
            want = "(N" + "".join(f", {s}" for s in info.shape) + ")"
            raise DataFileError(path, f"dataset '{key}' has shape {shape}, the TA layout needs {want}")
        if f[key].dtype.kind not in "fiu":
            raise DataFileError(path, f"dataset '{key}' is not numeric ({f[key].dtype})")
        counts.add(shape[0])
    if len(counts) != 1:
        raise DataFileError(path, "TA datasets hold different numbers of events")
    n = counts.pop()
    if n == 0:
        raise DataFileError(path, "the file holds no events")
    return int(n)


def check_network_input(shape: tuple[int, ...], window: int, t_bins: int, what: str = "network input") -> None:
    """Refuse a network input that is not (events, window, window, t_bins, 2) with one line."""
    want = (window, window, t_bins, 2)
    if len(shape) != 5 or tuple(shape[1:]) != want:
        raise InputError(f"{what} has shape {tuple(shape)}, expected (events, {window}, {window}, {t_bins}, 2): "
                         f"N = {window} stations and T = {t_bins} bins; simulate with the same window or choose the "
                         "matching model")


@dataclass
class TaEvents:
    """Arrays of a TA file (or a slice, or a subset of datasets) and its attributes."""

    arrays: dict[str, np.ndarray]
    attrs: dict[str, Any]

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values())))

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    @property
    def grid_xy(self) -> np.ndarray:
        """(S, 2) positions (m) of every station of the array."""
        return np.asarray(self.attrs["grid_xy"], dtype=float).reshape(-1, 2)

    def stations(self, i: int) -> dict[str, np.ndarray]:
        """The listed (non-padding) station rows of event ``i``."""
        k = int(self.arrays["n_stations"][i]) if "n_stations" in self.arrays else None
        return {key: v[i, :k] for key, v in self.arrays.items() if key.startswith("station_")}


def read_ta(path: str | os.PathLike[str], events: slice | None = None,
            datasets: Iterable[str] | None = None) -> TaEvents:
    """Read and validate a TA file (all events or ``events``; all datasets or ``datasets``)."""
    with open_h5(path) as f:
        layout = ta_file_layout(f, path)
        check_ta_layout(f, path, layout)
        keys = list(layout.datasets) if datasets is None else list(datasets)
        unknown = [k for k in keys if k not in layout.datasets]
        if unknown:
            raise InputError(f"unknown TA dataset(s) {', '.join(unknown)}; known: {', '.join(layout.datasets)}")
        sel = events if events is not None else slice(None)
        arrays = {k: f[k][sel] for k in keys}
        attrs = {k: plain_attr(v) for k, v in f.attrs.items()}
    grid = np.asarray(attrs.get("grid_xy", []), dtype=float)
    if grid.ndim != 2 or grid.shape[1] != 2 or not np.isfinite(grid).all():
        raise DataFileError(path, "attribute grid_xy must hold the (S, 2) station positions of the array")
    for key, array in arrays.items():
        if array.dtype.kind == "f" and len(array):
            bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
            if bad.any():
                raise DataFileError(path, f"dataset '{key}' holds NaN or inf (first in event {int(np.argmax(bad))})")
    m = layout.datasets["station_state"].shape[0]
    if "n_stations" in arrays and ((arrays["n_stations"] < 0) | (arrays["n_stations"] > m)).any():
        raise DataFileError(path, f"n_stations must lie within 0–{m}")
    if "station_state" in arrays and ((arrays["station_state"] < 0) | (arrays["station_state"] > 3)).any():
        raise DataFileError(path, "station_state holds codes outside 0–3")
    return TaEvents(arrays, attrs)
