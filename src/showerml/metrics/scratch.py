"""Scratch HDF5 files of a bounded-memory evaluation: per-shower feature columns and input matrices on disk.

A streaming evaluation (``showerml evaluate --memory GB``) computes everything that grows with the number of
showers chunk by chunk and writes it to a scratch folder instead of holding it:

- :class:`ColumnWriter` appends feature tables chunk by chunk, one 1-D dataset per feature;
  :func:`lazy_table` reads them back as a :class:`~showerml.features.FeatureTable` whose columns are loaded one at a
  time when asked for (a histogram needs two columns, not the table);
- :class:`MatrixFile` is an ``(N, d)`` matrix (classifier and FPD/KPD inputs) written in row chunks, read back in
  row chunks (:meth:`MatrixFile.iter_chunks`) or by row index (:meth:`MatrixFile.take`, sorted reads of the
  distinct rows, then put back in the asked order — duplicates allowed, as the FPD's draws with replacement need),
  with the column statistics the distances normalise by (absolute maximum, mean and standard deviation, accumulated
  in float64 while writing).

Values are stored in the dtype they are computed in, so a streamed metric sees the same numbers as the in-memory
one. The scratch folder belongs to one evaluation and is removed with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import cast

import h5py
import numpy as np

from showerml.errors import InputError
from showerml.features import FeatureTable

__all__ = ["ColumnWriter", "LazyColumns", "MatrixFile", "lazy_table"]

_ROWS_PER_CHUNK = 4096  # HDF5 chunk of a column; a matrix's chunks hold ≈ 1 MiB


def _append(ds: h5py.Dataset, values: np.ndarray) -> None:
    n = ds.shape[0]
    ds.resize(n + len(values), axis=0)
    ds[n:] = values


class ColumnWriter:
    """Feature tables appended chunk by chunk to ``path``, one resizable dataset per column."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file = h5py.File(self.path, "w")
        self.names: list[str] = []
        self.units: dict[str, str] = {}
        self.rows = 0

    def append(self, table: FeatureTable, dtype: type[np.floating]) -> None:
        if not self.names:
            self.names, self.units = list(table.names), dict(table.units)
            for k in range(len(self.names)):  # datasets by position: feature names may hold "/"
                self._file.create_dataset(f"c{k}", shape=(0,), maxshape=(None,), dtype=dtype,
                                          chunks=(_ROWS_PER_CHUNK,))
        elif list(table.names) != self.names:
            raise InputError("feature tables of one sample must have the same columns in every chunk")
        for k, name in enumerate(self.names):
            _append(cast(h5py.Dataset, self._file[f"c{k}"]), np.asarray(table[name], dtype=dtype))
        self.rows += len(table)

    def close(self) -> None:
        self._file.close()


class LazyColumns(Mapping[str, np.ndarray]):
    """The columns of a :class:`ColumnWriter` file, each read from disk when asked for (nothing cached)."""

    def __init__(self, path: str | os.PathLike[str], names: list[str], units: Mapping[str, str] | None = None) -> None:
        self.path, self._names, self.units = Path(path), list(names), dict(units or {})
        self._index = {n: k for k, n in enumerate(self._names)}

    def __getitem__(self, name: str) -> np.ndarray:
        k = self._index[name]
        with h5py.File(self.path, "r") as f:
            return np.asarray(f[f"c{k}"][()])

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def rows(self, start: int, stop: int) -> FeatureTable:
        """Rows ``start:stop`` of every column, as an in-memory table (with the units)."""
        with h5py.File(self.path, "r") as f:
            cols = {n: np.asarray(f[f"c{k}"][start:stop]) for k, n in enumerate(self._names)}
        return FeatureTable(cols, dict(self.units))


def lazy_table(writer: ColumnWriter) -> FeatureTable:
    """A closed writer's columns as a :class:`FeatureTable` that loads each column when it is indexed."""
    columns = LazyColumns(writer.path, writer.names, writer.units)
    return FeatureTable(cast(dict[str, np.ndarray], columns), dict(writer.units))


class MatrixFile:
    """An ``(N, d)`` matrix in an HDF5 file, written in row chunks (:meth:`append`), then read (module docstring)."""

    def __init__(self, path: str | os.PathLike[str], dtype: type[np.floating] = np.float64) -> None:
        self.path, self.dtype = Path(path), dtype
        self._file: h5py.File | None = h5py.File(self.path, "w")
        self.n, self.d = 0, 0
        self._shift = self._s1 = self._s2 = self.abs_max = np.zeros(0)

    def append(self, rows: np.ndarray) -> None:
        """Add rows (finite values only, as the in-memory metrics require)."""
        x = np.asarray(rows, dtype=self.dtype)
        if x.ndim != 2:
            raise InputError(f"matrix rows must be (n, d), got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise InputError("features hold NaN or inf")
        assert self._file is not None, "append after close"
        if "x" not in self._file:
            self.d = x.shape[1]
            chunk = max(1, min(_ROWS_PER_CHUNK, (1 << 20) // max(self.d * x.itemsize, 1)))
            self._file.create_dataset("x", shape=(0, self.d), maxshape=(None, self.d), dtype=self.dtype,
                                      chunks=(chunk, self.d))
            self._shift = x.astype(np.float64).mean(axis=0) if len(x) else np.zeros(self.d)
            self._s1, self._s2, self.abs_max = np.zeros(self.d), np.zeros(self.d), np.zeros(self.d)
        elif x.shape[1] != self.d:
            raise InputError(f"matrix rows have {x.shape[1]} columns, earlier ones {self.d}")
        _append(cast(h5py.Dataset, self._file["x"]), x)
        c = x.astype(np.float64) - self._shift
        self._s1 += c.sum(axis=0)
        self._s2 += np.einsum("ij,ij->j", c, c)
        if len(x):
            self.abs_max = np.maximum(self.abs_max, np.max(np.abs(x), axis=0))
        self.n += len(x)

    def close(self) -> MatrixFile:
        if self._file is not None:
            self._file.close()
            self._file = None
        return self

    def __len__(self) -> int:
        return self.n

    @property
    def shape(self) -> tuple[int, int]:
        return self.n, self.d

    @property
    def mean(self) -> np.ndarray:
        return np.asarray(self._shift + self._s1 / max(self.n, 1))

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation of each column (as ``np.std``)."""
        m = self._s1 / max(self.n, 1)
        return np.asarray(np.sqrt(np.maximum(self._s2 / max(self.n, 1) - m * m, 0.0)))

    def iter_chunks(self, size: int) -> Iterator[np.ndarray]:
        """The rows in order, ``size`` at a time."""
        with h5py.File(self.path, "r") as f:
            ds = f["x"]
            for start in range(0, self.n, size):
                yield np.asarray(ds[start : start + size])

    def take(self, index: np.ndarray) -> np.ndarray:
        """Rows ``index`` (any order, repeats allowed)."""
        return self.take_many([index])[0]

    def take_many(self, indices: list[np.ndarray], block: int = 16_384) -> list[np.ndarray]:
        """Rows of each index array (any order, repeats allowed), gathered in one pass over the file in blocks of
        ``block`` rows: memory is the gathered rows plus one block."""
        idx = [np.asarray(i, dtype=np.int64).reshape(-1) for i in indices]
        if any(len(i) and (i.min() < 0 or i.max() >= self.n) for i in idx):
            raise InputError(f"row index outside 0..{self.n - 1}")
        out = [np.empty((len(i), self.d), dtype=self.dtype) for i in idx]
        order = [np.argsort(i, kind="stable") for i in idx]
        sorted_idx = [i[o] for i, o in zip(idx, order, strict=True)]
        with h5py.File(self.path, "r") as f:
            ds = f["x"]
            for start in range(0, self.n, block):
                stop = min(start + block, self.n)
                rows: np.ndarray | None = None
                for k, (si, o) in enumerate(zip(sorted_idx, order, strict=True)):
                    lo, hi = np.searchsorted(si, [start, stop])
                    if hi > lo:
                        if rows is None:
                            rows = np.asarray(ds[start:stop])
                        out[k][o[lo:hi]] = rows[si[lo:hi] - start]
        return out
