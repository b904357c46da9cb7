"""The field's event layouts, with validation that names the file and the problem in one line.

- CaloGAN: ``energy`` (N, 1) GeV; ``layer_0`` (N, 3, 96), ``layer_1`` (N, 12, 12), ``layer_2`` (N, 12, 6) and
  ``overflow`` (N, 3), MeV.
- CaloChallenge: ``incident_energies`` (N, 1) and ``showers`` (N, voxels), both MeV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import h5py
import numpy as np

from showerml.errors import DataFileError

__all__ = ["CALOCHALLENGE", "CALOGAN", "DatasetSpec", "Layout", "detect_layout", "check_values"]


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: its per-event shape (``None`` entries are free) and unit."""

    shape: tuple[int | None, ...]
    unit: str
    required: bool = True
    positive: bool = False  # strictly > 0 (incident energies); otherwise >= 0


@dataclass(frozen=True)
class Layout:
    name: str
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)

    def check_structure(self, f: h5py.File, path: object) -> int:
        """Check keys, shapes and event counts; return the number of events."""
        counts = {}
        for key, spec in self.datasets.items():
            if key not in f:
                if spec.required:
                    raise DataFileError(path, f"missing dataset '{key}' required by the {self.name} layout")
                continue
            ds = f[key]
            if not isinstance(ds, h5py.Dataset):
                raise DataFileError(path, f"'{key}' is a group, expected a dataset")
            tail = ds.shape[1:]
            if len(tail) != len(spec.shape) or any(
                want is not None and want != got for want, got in zip(spec.shape, tail, strict=True)
            ):
                want = "(N, " + ", ".join("*" if s is None else str(s) for s in spec.shape) + ")"
                raise DataFileError(path, f"dataset '{key}' has shape {ds.shape}, the {self.name} layout needs {want}")
            counts[key] = ds.shape[0]
        if len(set(counts.values())) > 1:
            raise DataFileError(path, f"datasets hold different numbers of events: {counts}")
        n = next(iter(counts.values()))
        if n == 0:
            raise DataFileError(path, "the file holds no events")
        return n


def check_values(path: object, arrays: dict[str, np.ndarray], layout: Layout, offset: int = 0) -> None:
    """Refuse NaN/inf, negative deposits and non-positive incident energies, naming the first bad event."""
    for key, array in arrays.items():
        spec = layout.datasets.get(key)
        if spec is None:
            continue
        flat = array.reshape(len(array), -1)
        bad = ~np.isfinite(flat).all(axis=1)
        if bad.any():
            raise DataFileError(
                path, f"dataset '{key}' holds NaN or inf (first in event {offset + int(np.argmax(bad))})"
            )
        bad = (flat <= 0).any(axis=1) if spec.positive else (flat < 0).any(axis=1)
        if bad.any():
            what = "non-positive incident energies" if spec.positive else "negative energies"
            raise DataFileError(path, f"dataset '{key}' holds {what} (first in event {offset + int(np.argmax(bad))})")


CALOGAN = Layout(
    "CaloGAN",
    {
        "energy": DatasetSpec((1,), "GeV", positive=True),
        "layer_0": DatasetSpec((3, 96), "MeV"),
        "layer_1": DatasetSpec((12, 12), "MeV"),
        "layer_2": DatasetSpec((12, 6), "MeV"),
        "overflow": DatasetSpec((3,), "MeV", required=False),
    },
)

CALOCHALLENGE = Layout(
    "CaloChallenge",
    {
        "incident_energies": DatasetSpec((1,), "MeV", positive=True),
        "showers": DatasetSpec((None,), "MeV"),
    },
)

_LAYOUTS = (CALOGAN, CALOCHALLENGE)


def detect_layout(f: h5py.File, path: object) -> Layout:
    """The layout whose key dataset the file holds."""
    if "showers" in f or "incident_energies" in f:
        return CALOCHALLENGE
    if any(k in f for k in ("layer_0", "layer_1", "layer_2")):
        return CALOGAN
    keys = ", ".join(sorted(f.keys())) or "nothing"
    raise DataFileError(
        path, f"not a CaloGAN (energy, layer_0..2) or CaloChallenge (incident_energies, showers) file; it holds {keys}"
    )
