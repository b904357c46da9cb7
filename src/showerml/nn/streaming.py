"""Training sets larger than memory: rows of HDF5 datasets read batch by batch, by DataLoader workers.

:class:`H5Rows` is a torch map-style dataset over one or more equally long datasets of an HDF5 file (e.g. a
CaloChallenge file's ``incident_energies`` and ``showers``), optionally restricted to a set of rows (a training or
validation split). The training loop (:func:`showerml.nn.train`) draws its batch order from the run seed exactly as it
does for tensors in memory and asks :meth:`H5Rows.loader` for those batches, so a streamed run sees the same batches
— and, for a deterministic loss, ends with the same weights — as the in-memory run.

Reads are chunk-aware: the rows of a batch are sorted and, for every HDF5 chunk they touch, one contiguous slab
from the batch's first to its last row in that chunk is read (the chunk is decompressed once), then the rows are put
back in batch order. Each process — the main one and every DataLoader worker — opens its own read-only h5py handle on
first use (HDF5 handles must not cross a fork), so ``workers`` processes read and decompress in parallel while the
model trains. Memory is one batch per worker in flight (``prefetch`` batches each), not the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from showerml.errors import DataFileError, InputError

__all__ = ["H5Rows", "is_streamed"]


class H5Rows(Dataset[tuple[torch.Tensor, ...]]):
    """Rows ``rows`` (default: all) of the datasets ``names`` of the HDF5 file ``path``, as tensors of ``dtypes``.

    ``ds[i]`` is one example (a tuple, one tensor per dataset); :meth:`fetch` a batch of indices; :meth:`loader` an
    ordered stream of batches read by ``workers`` DataLoader processes.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        names: Sequence[str],
        dtypes: Sequence[torch.dtype] | None = None,
        rows: np.ndarray | Sequence[int] | None = None,
        workers: int = 0,
        prefetch: int = 2,
    ) -> None:
        self.path = Path(path)
        self.names = tuple(names)
        if not self.names:
            raise InputError("H5Rows needs at least one dataset name")
        if workers < 0 or prefetch < 1:
            raise InputError(f"workers must be >= 0 and prefetch >= 1, got {workers} and {prefetch}")
        self.workers, self.prefetch = int(workers), int(prefetch)
        try:
            with h5py.File(self.path, "r") as f:
                shapes, chunks, stored = [], [], []
                for name in self.names:
                    if name not in f or not isinstance(f[name], h5py.Dataset):
                        raise DataFileError(self.path, f"has no dataset '{name}'")
                    ds = f[name]
                    shapes.append(ds.shape)
                    chunks.append(ds.chunks[0] if ds.chunks else max(1, (1 << 20) // max(ds.dtype.itemsize *
                                                                                      int(np.prod(ds.shape[1:])), 1)))
                    stored.append(ds.dtype)
        except OSError as exc:
            raise DataFileError(self.path, f"cannot be read as HDF5 ({str(exc).splitlines()[0]})") from None
        lengths = {s[0] if s else 0 for s in shapes}
        if len(lengths) != 1:
            raise DataFileError(self.path, f"datasets {list(self.names)} differ in length ({sorted(lengths)})")
        self.n_file = lengths.pop()
        self.shapes = [tuple(s[1:]) for s in shapes]
        self.chunk_rows = [int(c) for c in chunks]
        self.dtypes = list(dtypes) if dtypes is not None else [torch.from_numpy(np.empty(0, d)).dtype for d in stored]
        if len(self.dtypes) != len(self.names):
            raise InputError(f"{len(self.dtypes)} dtypes for {len(self.names)} datasets")
        self.rows = (np.arange(self.n_file, dtype=np.int64) if rows is None
                     else np.asarray(rows, dtype=np.int64).reshape(-1))
        if len(self.rows) and (self.rows.min() < 0 or self.rows.max() >= self.n_file):
            raise InputError(f"rows outside 0..{self.n_file - 1} of {self.path}")
        self._file: h5py.File | None = None
        self._pid = -1

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, index: np.ndarray | Sequence[int]) -> H5Rows:
        """The rows ``index`` of this dataset (e.g. the training part of a split), same file and settings."""
        return H5Rows(self.path, self.names, self.dtypes, self.rows[np.asarray(index, dtype=np.int64)],
                      self.workers, self.prefetch)

    def _handle(self) -> h5py.File:
        if self._file is None or self._pid != os.getpid():  # opened lazily, once per process (workers included)
            self._file = h5py.File(self.path, "r")
            self._pid = os.getpid()
        return self._file

    def __getstate__(self) -> dict[str, Any]:  # what a DataLoader worker receives: everything but the open handle
        state = dict(self.__dict__)
        state["_file"], state["_pid"] = None, -1
        return state

    def _read(self, k: int, file_rows: np.ndarray) -> np.ndarray:
        """Rows ``file_rows`` (sorted, unique) of dataset ``k``: one contiguous slab per HDF5 chunk touched."""
        ds = self._handle()[self.names[k]]
        chunk = self.chunk_rows[k]
        out = np.empty((len(file_rows), *self.shapes[k]), dtype=ds.dtype)
        which = file_rows // chunk
        starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
        ends = np.r_[starts[1:], len(file_rows)]
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            lo, hi = int(file_rows[s]), int(file_rows[e - 1]) + 1
            out[s:e] = ds[lo:hi][file_rows[s:e] - lo]
        return out

    def fetch(self, index: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, ...]:
        """The examples ``index`` (positions in this dataset), in that order, one tensor per dataset."""
        idx = np.asarray(index, dtype=np.int64).reshape(-1)
        file_rows = self.rows[idx]
        unique, back = np.unique(file_rows, return_inverse=True)
        return tuple(torch.as_tensor(self._read(k, unique)[back]).to(self.dtypes[k]) for k in range(len(self.names)))

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        return tuple(t[0] for t in self.fetch(np.array([i])))

    def loader(self, batches: Sequence[torch.Tensor]) -> Iterable[tuple[torch.Tensor, ...]]:
        """The batches ``batches`` (index tensors) in order, read by :attr:`workers` processes (0: this process)."""
        if self.workers == 0 or len(batches) <= 1:
            return (self.fetch(b) for b in batches)
        return DataLoader(_Batches(self, batches), batch_size=None, shuffle=False, num_workers=self.workers,
                          prefetch_factor=self.prefetch)

    def close(self) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None


class _Batches(Dataset[tuple[torch.Tensor, ...]]):
    """Batch ``i`` of a fixed list of index batches (what the DataLoader workers are handed)."""

    def __init__(self, rows: H5Rows, batches: Sequence[torch.Tensor]) -> None:
        self.rows, self.batches = rows, [torch.as_tensor(b) for b in batches]

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        return self.rows.fetch(self.batches[i])

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        return (self[i] for i in range(len(self)))


def is_streamed(data: object) -> bool:
    """Whether ``data`` is a streamed dataset (:class:`H5Rows`) rather than a sequence of in-memory tensors."""
    return isinstance(data, H5Rows)
