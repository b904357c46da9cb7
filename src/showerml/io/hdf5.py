"""HDF5 event files: chunked, compressed, self-describing, written atomically.

:class:`EventWriter` appends chunks of events to resizable datasets in a temporary file beside the target and renames
it onto the target only when every chunk is written; an error or a kill leaves the target untouched (the temporary
file of a killed writer is removed by the next writer of the same target, see :mod:`showerml.io.atomic`). Files carry
attributes saying what made them (showerml version, detector, particle, spectrum, seed, units).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from showerml import __version__
from showerml.errors import DataFileError, InputError
from showerml.io.atomic import make_temp, remove_stale_temp_files

__all__ = ["EventWriter", "check_output_path", "open_h5", "plain_attr", "read_attrs"]


def check_output_path(path: str | os.PathLike[str], overwrite: bool) -> Path:
    """Refuse an existing output without ``overwrite`` and an output whose folder cannot be written."""
    if str(path).strip() == "":
        raise InputError("--out is empty; give the name of the file to write")
    out = Path(path)
    if out.is_dir():
        raise InputError(f"{out} is a folder; give a file name for --out (e.g. {out / 'events.h5'})")
    if out.exists() and not overwrite:
        raise InputError(f"{out} exists; pass --overwrite to replace it or choose another --out")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"folder {parent} does not exist; create it or choose another --out")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to folder {parent}; choose a writable --out")
    return out


def open_h5(path: str | os.PathLike[str]) -> h5py.File:
    """Open an HDF5 file read-only, turning a missing or damaged file into a one-line :class:`DataFileError`."""
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "no such file")
    try:
        return h5py.File(p, "r")
    except OSError as exc:
        reason = str(exc).split("(")[0].strip().rstrip(",") or "unreadable"
        raise DataFileError(p, f"not a readable HDF5 file, perhaps truncated ({reason})") from None


def read_attrs(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The file-level attributes as plain Python values."""
    with open_h5(path) as f:
        return {k: plain_attr(v) for k, v in f.attrs.items()}


def plain_attr(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


class EventWriter:
    """Append event chunks to ``path`` atomically.

    >>> with EventWriter("out.h5", attrs={"detector": "calogan"}) as w:   # doctest: +SKIP
    ...     w.append({"energy": e, "layer_0": l0})
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        attrs: Mapping[str, Any] | None = None,
        overwrite: bool = False,
        compression: str = "gzip",
        compression_level: int = 1,
        chunk_events: int = 1024,
    ) -> None:
        self.path = check_output_path(path, overwrite)
        self.attrs = {"showerml_version": __version__, **(attrs or {})}
        self.compression = compression
        self.compression_opts = compression_level if compression == "gzip" else None
        self.chunk_events = chunk_events
        self.n_events = 0
        self._file: h5py.File | None = None
        self._tmp: str | None = None

    def __enter__(self) -> EventWriter:
        remove_stale_temp_files(self.path)
        self._tmp = make_temp(self.path)
        try:  # a kill (SIGTERM → KeyboardInterrupt) before the with-block starts must not leave the file behind
            self._file = h5py.File(self._tmp, "w")
            for key, value in self.attrs.items():
                self._file.attrs[key] = value
        except BaseException:
            if self._file is not None:
                self._file.close()
            os.unlink(self._tmp)
            raise
        return self

    def append(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Append one chunk: every array has the same leading (event) dimension."""
        assert self._file is not None, "use EventWriter as a context manager"
        sizes = {len(a) for a in arrays.values()}
        if len(sizes) != 1:
            raise ValueError(f"arrays in one chunk differ in length: {sizes}")
        n = sizes.pop()
        for name, array in arrays.items():
            array = np.asarray(array)
            if name not in self._file:
                self._file.create_dataset(
                    name,
                    shape=(0, *array.shape[1:]),
                    maxshape=(None, *array.shape[1:]),
                    dtype=array.dtype,
                    chunks=(max(1, min(self.chunk_events, _chunk_rows(array))), *array.shape[1:]),
                    compression=self.compression,
                    compression_opts=self.compression_opts,
                    shuffle=self.compression is not None,
                )
            ds = self._file[name]
            ds.resize(self.n_events + n, axis=0)
            ds[self.n_events :] = array
        self.n_events += n

    def set_attrs(self, **attrs: Any) -> None:
        """Add attributes known only after writing (acceptance, counts …)."""
        assert self._file is not None
        for key, value in attrs.items():
            self._file.attrs[key] = value

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._file is not None and self._tmp is not None
        try:
            if exc_type is None:
                self._file.attrs["n_events"] = self.n_events
            self._file.close()
            if exc_type is None:
                os.replace(self._tmp, self.path)
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


def _chunk_rows(array: np.ndarray) -> int:
    """Rows per HDF5 chunk so that a chunk holds about 1 MiB."""
    row_bytes = max(1, int(np.prod(array.shape[1:], dtype=np.int64)) * array.dtype.itemsize)
    return max(1, (1 << 20) // row_bytes)
