"""The DAMPE event layout: dataset names, per-event shapes, units; reading with validation.

Files written by ``showerml simulate dampe`` carry ``detector = "dampe"`` and these datasets (N events; M = the
padded number of STK clusters, attribute ``max_clusters``):

=========================  ===============  =======  ==========================================================
name                       shape            unit     meaning
=========================  ===============  =======  ==========================================================
bgo                        (N, 14, 22)      MeV      BGO bar reading: noise, zero suppression, saturation
bgo_true                   (N, 14, 22)      MeV      true bar deposits (no noise, no saturation)
bgo_n_saturated            (N,)             —        bars at the saturation cap
psd                        (N, 2, 41)       MeV      PSD bar energies; layer 0 measures y, layer 1 measures x
stk_clusters               (N, M, 4)        mixed    plane 0–5, projection (0 = x, 1 = y), position mm, charge MeV
stk_n_clusters             (N,)             —        valid rows of ``stk_clusters``
stk_cluster_origin         (N, M)           —        truth: 0 primary, 1 secondary, 2 back-scatter, 3 noise, −1 pad
energy                     (N,)             MeV      primary kinetic energy
charge / pdg               (N,)             —        |Z| (0 for γ) and a PDG-style code
theta, phi                 (N,)             rad      direction (θ from the downward z axis)
intercept, slope           (N, 2)           mm, —    x(z) = x0 + kx z, y(z) = y0 + ky z (z = 0 between STK and BGO)
impact                     (N, 3)           mm       track at the BGO top (z = 46 mm)
first_interaction_z        (N,)             mm       z of the first interaction / conversion (1e4: none)
first_interaction_depth    (N,)             mm       BGO path before it (−1: in the tracker, 1e4: none)
deposit_bgo                (N,)             MeV      Σ ``bgo_true``
n_backscatter              (N,)             —        truth multiplicity of back-scattered secondaries
n_trials                   (N,)             —        isotropic trials consumed per accepted event
=========================  ===============  =======  ==========================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from showerml.errors import DataFileError
from showerml.io.hdf5 import open_h5

__all__ = ["DatasetInfo", "DampeLayout", "DAMPE_LAYOUT", "DampeEvents", "read_dampe"]


@dataclass(frozen=True)
class DatasetInfo:
    shape: tuple[int | None, ...]  # per event; None = free (the padded cluster axis)
    unit: str
    nonnegative: bool = False


@dataclass(frozen=True)
class DampeLayout:
    datasets: dict[str, DatasetInfo]

    def describe(self) -> str:
        """One line per dataset, stored as a file attribute."""
        return "; ".join(
            f"{k} (N{''.join(', ' + ('M' if s is None else str(s)) for s in v.shape)}) {v.unit}"
            for k, v in self.datasets.items()
        )

    def check(self, f: h5py.File, path: object) -> int:
        """Check presence, shapes and event counts; return N."""
        counts = set()
        for key, info in self.datasets.items():
            if key not in f or not isinstance(f[key], h5py.Dataset):
                raise DataFileError(path, f"missing dataset '{key}' required by the DAMPE layout")
            shape = f[key].shape
            tail = shape[1:]
            if len(tail) != len(info.shape) or any(w is not None and w != g for w, g in zip(info.shape, tail,
                                                                                             strict=True)):
                want = "(N" + "".join(", " + ("M" if s is None else str(s)) for s in info.shape) + ")"
                raise DataFileError(path, f"dataset '{key}' has shape {shape}, the DAMPE layout needs {want}")
            counts.add(shape[0])
        if len(counts) != 1:
            raise DataFileError(path, "DAMPE datasets hold different numbers of events")
        n = counts.pop()
        if n == 0:
            raise DataFileError(path, "the file holds no events")
        return n


DAMPE_LAYOUT = DampeLayout({
    "bgo": DatasetInfo((14, 22), "MeV", True),
    "bgo_true": DatasetInfo((14, 22), "MeV", True),
    "bgo_n_saturated": DatasetInfo((), "count", True),
    "psd": DatasetInfo((2, 41), "MeV", True),
    "stk_clusters": DatasetInfo((None, 4), "plane, projection, mm, MeV"),
    "stk_n_clusters": DatasetInfo((), "count", True),
    "stk_cluster_origin": DatasetInfo((None,), "code"),
    "energy": DatasetInfo((), "MeV", True),
    "charge": DatasetInfo((), "e", True),
    "pdg": DatasetInfo((), "code"),
    "theta": DatasetInfo((), "rad", True),
    "phi": DatasetInfo((), "rad", True),
    "intercept": DatasetInfo((2,), "mm"),
    "slope": DatasetInfo((2,), "1"),
    "impact": DatasetInfo((3,), "mm"),
    "first_interaction_z": DatasetInfo((), "mm"),
    "first_interaction_depth": DatasetInfo((), "mm"),
    "deposit_bgo": DatasetInfo((), "MeV", True),
    "n_backscatter": DatasetInfo((), "count", True),
    "n_trials": DatasetInfo((), "count", True),
})


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
        DAMPE_LAYOUT.check(f, path)
        sel = events if events is not None else slice(None)
        arrays = {k: f[k][sel] for k in DAMPE_LAYOUT.datasets}
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
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
