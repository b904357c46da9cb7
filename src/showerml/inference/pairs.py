"""Which datasets of a detector file are the truth θ and which the observation x.

A :class:`PairSpec` lists columns ``dataset[:transform]`` (``none``, ``log10``, ``log1p``, or ``sum``/``log10sum``
of all per-event values, e.g. an image's total); each dataset
is flattened per event, so a (N, 14, 22) BGO image becomes 308 observation columns and a (N, 2) slope two truth
columns. Any HDF5 file with one row per event works (DAMPE-like, TA-like, CaloGAN, …); presets name the common tasks.
A file without a requested dataset, or with values the transform cannot take, is refused in one line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import h5py
import numpy as np

from showerml.errors import DataFileError, InputError
from showerml.io.hdf5 import open_h5

__all__ = ["PRESETS", "Column", "Pairs", "PairSpec", "parse_columns", "read_pairs"]

_TRANSFORMS = ("none", "log10", "log1p", "sum", "log10sum")


@dataclass(frozen=True)
class Column:
    dataset: str
    transform: str = "none"

    def __post_init__(self) -> None:
        if not self.dataset:
            raise InputError("a column needs a dataset name, as DATASET or DATASET:TRANSFORM")
        if self.transform not in _TRANSFORMS:
            raise InputError(f"unknown transform '{self.transform}' of column '{self.dataset}': use "
                             + ", ".join(_TRANSFORMS))

    @property
    def label(self) -> str:
        return self.dataset if self.transform == "none" else f"{self.transform}({self.dataset})"

    def apply(self, values: np.ndarray, path: object) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        if not np.isfinite(v).all():
            raise DataFileError(path, f"dataset '{self.dataset}' holds NaN or inf")
        if self.transform in ("sum", "log10sum"):  # e.g. the summed BGO reading of an image
            v = v.sum(axis=1, keepdims=True)
            if self.transform == "sum":
                return v
        if self.transform in ("log10", "log10sum"):
            if (v <= 0).any():
                raise DataFileError(path, f"dataset '{self.dataset}' holds values ≤ 0, which log10 cannot take")
            return np.log10(v)
        if self.transform == "log1p":
            if (v < 0).any():
                raise DataFileError(path, f"dataset '{self.dataset}' holds negative values, which log1p cannot take")
            return np.log1p(v)
        return v


def parse_columns(text: str, option: str) -> tuple[Column, ...]:
    """``"energy:log10,slope"`` → columns; an empty list is refused."""
    cols = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, transform = part.partition(":")
        cols.append(Column(name.strip(), transform.strip() or "none"))
    if not cols:
        raise InputError(f"{option} needs at least one dataset, as DATASET[:TRANSFORM][,…]")
    return tuple(cols)


@dataclass(frozen=True)
class PairSpec:
    truth: tuple[Column, ...]
    observation: tuple[Column, ...]

    def to_json(self) -> dict[str, list[str]]:
        return {"truth": [f"{c.dataset}:{c.transform}" for c in self.truth],
                "observation": [f"{c.dataset}:{c.transform}" for c in self.observation]}

    @classmethod
    def from_json(cls, obj: dict[str, list[str]]) -> PairSpec:
        return cls(parse_columns(",".join(obj["truth"]), "truth"),
                   parse_columns(",".join(obj["observation"]), "observation"))


#: named tasks: the DAMPE-like electron's log10(E/MeV) (and track slopes dx/dz, dy/dz) from its BGO image
PRESETS: dict[str, PairSpec] = {
    "dampe-energy": PairSpec((Column("energy", "log10"),), (Column("bgo", "log1p"),)),
    "dampe-energy-direction": PairSpec((Column("energy", "log10"), Column("slope")), (Column("bgo", "log1p"),)),
}


@dataclass
class Pairs:
    """θ (N, D_θ) and x (N, D_x) with a name per θ column."""

    theta: np.ndarray
    x: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return len(self.theta)

    def subset(self, idx: np.ndarray) -> Pairs:
        return Pairs(self.theta[idx], self.x[idx], self.names)


def _read_columns(f: h5py.File, path: object, cols: tuple[Column, ...], role: str, n: int | None
                  ) -> tuple[np.ndarray, list[str]]:
    parts, names = [], []
    for c in cols:
        if c.dataset not in f or not isinstance(f[c.dataset], h5py.Dataset):
            raise DataFileError(path, f"has no {role} dataset '{c.dataset}' (needed by the {role} columns "
                                f"{','.join(x.dataset for x in cols)}); give a file with them or other --{role}")
        ds = f[c.dataset]
        if ds.ndim == 0 or ds.dtype.kind not in "fiub":
            raise DataFileError(path, f"dataset '{c.dataset}' is not a numeric per-event array")
        v = c.apply(ds[:n] if n is not None else ds[()], path)
        parts.append(v)
        names += [c.label] if v.shape[1] == 1 else [f"{c.label}[{i}]" for i in range(v.shape[1])]
    if len({len(p) for p in parts}) != 1:
        raise DataFileError(path, f"the {role} datasets hold different numbers of events")
    return np.concatenate(parts, axis=1), names


def read_pairs(path: str | os.PathLike[str], spec: PairSpec, n: int | None = None) -> Pairs:
    """The (θ, x) pairs of a file (its first ``n`` events); one-line :class:`DataFileError` on problems."""
    with open_h5(path) as f:
        theta, names = _read_columns(f, path, spec.truth, "truth", n)
        x, _ = _read_columns(f, path, spec.observation, "observation", n)
    if len(theta) != len(x):
        raise DataFileError(path, f"{len(theta)} truth rows but {len(x)} observation rows")
    if len(theta) < 10:
        raise DataFileError(path, f"holds {len(theta)} events; a posterior needs at least 10")
    return Pairs(theta, x.astype(np.float32), names)
