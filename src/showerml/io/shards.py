"""Sharded event files: one HDF5 file per task, joined by an HDF5 virtual-dataset (VDS) file read like any other.

A sharded run writes ``shard-000000.h5``, ``shard-000001.h5``, … into a shard folder (each one task's events, written
atomically, temporary file and rename, by whichever worker ran the task: :func:`write_shard`), then the *joined
file*: an HDF5 file whose datasets are virtual (h5py ``VirtualLayout``), each the concatenation of that dataset in
every shard in task order, with the run's attributes. Readers open the joined file as a plain file (h5py resolves the
shards through the relative paths stored in it, relative to the joined file's folder); nothing in the readers changes.

Rules that hold for the set:

- *Identity*: every shard records ``shard_run`` (:func:`run_id`: SHA-256 of the run's attributes — detector, particle,
  spectrum, seed, number of events, chunk size, settings, showerml version — the same for any executor or number of
  workers), its ``shard_index`` and ``shard_count``, and ``shard_sha256``, the SHA-256 of its arrays
  (:func:`arrays_digest`: names, dtypes, shapes and bytes, names sorted).
- *No half-joined dataset*: the joined file is written (temporary file + rename) only after every shard is complete.
  A killed run leaves complete shards and at most the temporary files of the shards in progress (removed by the next
  writer of the same name, as for every showerml file).
- *Resume*: a re-run of the same command finds the complete shards of its own run (identity and checksum verified by
  re-reading them, :func:`scan_shards`) and simulates only the others.
- *Mixed runs*: a shard of another run in the folder (other seed, settings, version …) is a one-line
  :class:`~showerml.errors.DataFileError` (exit 2), nothing removed; ``--overwrite`` replaces them.
- A missing shard reads as NaN (floating-point datasets) through the VDS fill value; :func:`check_sharded` says which
  shard is missing or from another run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from showerml import __version__
from showerml.errors import DataFileError, InputError
from showerml.io.atomic import make_temp, remove_stale_temp_files
from showerml.io.hdf5 import open_h5, plain_attr
from showerml.io.runfolder import json_safe

__all__ = [
    "ShardInfo",
    "arrays_digest",
    "check_shard_folder",
    "check_sharded",
    "join_shards",
    "read_shard_info",
    "remove_foreign_shards",
    "run_id",
    "scan_shards",
    "shard_name",
    "write_shard",
]

#: version of the shard attributes and joined-file layout
SHARD_FORMAT = 1
_NAME = re.compile(r"^shard-(\d{6,})\.h5$")


def shard_name(index: int) -> str:
    """``shard-000042.h5``."""
    return f"shard-{index:06d}.h5"


def arrays_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the arrays (name, dtype, shape and bytes of each, names sorted)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        for part in (name, str(a.dtype), str(a.shape)):
            h.update(part.encode())
        h.update(a.tobytes())
    return h.hexdigest()


def run_id(attrs: Mapping[str, Any], n_events: int, chunk_size: int) -> str:
    """SHA-256 of the run's identity: its attributes, event count, chunk size, showerml version and shard format."""
    ident = {"attrs": json_safe(dict(attrs)), "n": int(n_events), "chunk_size": int(chunk_size),
             "showerml_version": __version__, "shard_format": SHARD_FORMAT}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, allow_nan=False).encode()).hexdigest()


@dataclass(frozen=True)
class ShardInfo:
    """A complete shard: index, events, checksum, and each dataset's dtype (``numpy`` string) and per-event shape."""

    index: int
    n_events: int
    sha256: str
    datasets: dict[str, tuple[str, tuple[int, ...]]]


def write_shard(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray], attrs: Mapping[str, Any],
                index: int, count: int, run: str) -> ShardInfo:
    """Write one task's ``arrays`` as shard ``index`` of ``count`` of run ``run`` (atomically; replaces a damaged
    shard of the same name); return its :class:`ShardInfo`.

    The datasets are laid out as :class:`~showerml.io.hdf5.EventWriter` lays them out (chunks of about 1 MiB, at most
    1024 events, gzip level 1 with shuffle), each written in one call with no chunk cache, so the file's bytes do not
    depend on the process that writes it (with a cache, the order in which chunks reach the file followed the
    process's history)."""
    digest = arrays_digest(arrays)
    meta = {"showerml_version": __version__, **attrs, "shard_run": run, "shard_index": index, "shard_count": count,
            "shard_sha256": digest, "shard_format": SHARD_FORMAT}
    n = len(next(iter(arrays.values())))
    if any(len(a) != n for a in arrays.values()):
        raise ValueError(f"arrays of one shard differ in length: {sorted({len(a) for a in arrays.values()})}")
    target = Path(path)
    remove_stale_temp_files(target)
    tmp = make_temp(target)
    try:
        with h5py.File(tmp, "w", rdcc_nbytes=0) as f:
            for key, value in meta.items():
                f.attrs[key] = value
            for name, array in arrays.items():
                a = np.ascontiguousarray(array)
                row = max(1, int(np.prod(a.shape[1:], dtype=np.int64)) * a.dtype.itemsize)
                rows = max(1, min(1024, (1 << 20) // row))
                f.create_dataset(name, data=a, maxshape=(None, *a.shape[1:]), chunks=(rows, *a.shape[1:]),
                                 compression="gzip", compression_opts=1, shuffle=True)
            f.attrs["n_events"] = n
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return ShardInfo(index, n, digest, _layout(arrays))


def _layout(arrays: Mapping[str, Any]) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {k: (np.dtype(a.dtype).str, tuple(int(s) for s in a.shape[1:])) for k, a in arrays.items()}


def read_shard_info(path: Path, verify: bool = True) -> tuple[str, int, ShardInfo]:
    """(run, count, info) of the shard at ``path``; ``verify`` re-reads its arrays and checks the checksum.

    A file that is not a complete shard (unreadable, attributes missing, checksum wrong) → :class:`DataFileError`."""
    with open_h5(path) as f:
        attrs = {k: plain_attr(v) for k, v in f.attrs.items()}
        missing = [k for k in ("shard_run", "shard_index", "shard_count", "shard_sha256", "n_events") if k not in attrs]
        if missing:
            raise DataFileError(path, f"not a showerml shard (no {missing[0]} attribute)")
        datasets = {k: f[k] for k in f if isinstance(f[k], h5py.Dataset)}
        layout = _layout(datasets)
        if verify:
            try:
                got = arrays_digest({k: d[()] for k, d in datasets.items()})
            except OSError as exc:
                raise DataFileError(path, f"unreadable shard ({str(exc).split('(')[0].strip()})") from None
            if got != attrs["shard_sha256"]:
                raise DataFileError(path, "damaged shard: its arrays do not match the checksum it records")
    info = ShardInfo(int(attrs["shard_index"]), int(attrs["n_events"]), str(attrs["shard_sha256"]), layout)
    return str(attrs["shard_run"]), int(attrs["shard_count"]), info


def check_shard_folder(folder: str | os.PathLike[str]) -> Path:
    """The shard folder (created if absent): refuse a file in the way, a missing parent or an unwritable folder."""
    if str(folder).strip() == "":
        raise InputError("--shards is empty; give the folder for the shard files")
    d = Path(folder)
    if d.exists() and not d.is_dir():
        raise InputError(f"--shards {d} is a file; give a folder for the shard files")
    parent = d.parent if str(d.parent) else Path(".")
    if not d.exists() and not parent.is_dir():
        raise InputError(f"folder {parent} does not exist; create it or choose another --shards")
    if not os.access(d if d.exists() else parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to {d if d.exists() else parent}; choose a writable --shards folder")
    return d


def _shard_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name) and p.is_file())


def scan_shards(folder: str | os.PathLike[str], run: str, count: int,
                overwrite: bool = False) -> tuple[dict[int, ShardInfo], list[str]]:
    """The complete, verified shards of run ``run`` in ``folder`` by index, and notes on the files to be redone.

    A shard of another run → one-line :class:`DataFileError` (nothing removed) unless ``overwrite``, in which case
    it is listed for :func:`remove_foreign_shards`; an unreadable or damaged shard is noted and written again."""
    d = Path(folder)
    done: dict[int, ShardInfo] = {}
    notes: list[str] = []
    for path in _shard_files(d):
        try:
            other, other_count, info = read_shard_info(path, verify=False)
        except DataFileError as exc:
            notes.append(f"{path.name}: {exc.problem}; simulating it again")
            continue
        if other != run or other_count != count or path.name != shard_name(info.index):
            if overwrite:
                notes.append(f"{path.name}: of another run, replaced (--overwrite)")
                continue
            raise DataFileError(d, f"holds shards of another run ({path.name}: run {other[:12]}, this run "
                                f"{run[:12]}: other seed, settings, event count or showerml version); nothing was "
                                f"changed: give another --shards folder, or --overwrite to replace them")
        try:
            read_shard_info(path, verify=True)
        except DataFileError as exc:
            notes.append(f"{path.name}: {exc.problem}; simulating it again")
            continue
        done[info.index] = info
    return done, notes


def remove_foreign_shards(folder: str | os.PathLike[str], run: str, count: int) -> list[Path]:
    """Remove the shard files in ``folder`` that are not complete shards of run ``run`` (``--overwrite``)."""
    removed = []
    for path in _shard_files(Path(folder)):
        try:
            other, other_count, info = read_shard_info(path, verify=False)
            if other == run and other_count == count and path.name == shard_name(info.index):
                continue
        except DataFileError:
            pass
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def join_shards(out: str | os.PathLike[str], folder: str | os.PathLike[str], infos: list[ShardInfo],
                attrs: Mapping[str, Any], run: str, overwrite: bool = False) -> Path:
    """Write the joined VDS file ``out`` over the shards ``infos`` (every index 0…n−1, in order), atomically."""
    target = Path(out)
    d = Path(folder)
    infos = sorted(infos, key=lambda i: i.index)
    if [i.index for i in infos] != list(range(len(infos))) or not infos:
        raise InputError(f"cannot join the shards of {d}: shards {sorted(i.index for i in infos)} are not 0…n−1")
    layout = infos[0].datasets
    for info in infos[1:]:
        if info.datasets != layout:
            raise DataFileError(d / shard_name(info.index), "its datasets differ from those of the first shard")
    total = sum(i.n_events for i in infos)
    source_dir = os.path.relpath(d.resolve(), target.resolve().parent)
    remove_stale_temp_files(target)
    tmp = make_temp(target)
    try:
        with h5py.File(tmp, "w") as f:
            for name, (dtype, tail) in layout.items():
                sources = [(os.path.join(source_dir, shard_name(i.index)), i.n_events) for i in infos]
                _virtual_dataset(f, name, np.dtype(dtype), tail, sources)
            meta = {"showerml_version": __version__, **attrs, "n_events": total, "shard_run": run,
                    "shard_count": len(infos), "shard_folder": source_dir, "shard_format": SHARD_FORMAT,
                    "shard_sha256": [i.sha256 for i in infos]}
            for key, value in meta.items():
                f.attrs[key] = value
        if target.exists() and not overwrite:
            raise InputError(f"{target} appeared while the run was going on; nothing replaced it")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _virtual_dataset(f: h5py.File, name: str, dtype: np.dtype, tail: tuple[int, ...],
                     sources: list[tuple[str, int]]) -> None:
    """The virtual dataset ``name``: the rows of dataset ``name`` of each source file, in order (h5py's low-level
    API, to switch off the creation time HDF5 would store otherwise: the file's bytes depend on its contents only)."""
    total = sum(n for _, n in sources)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    dcpl.set_fill_value(np.array([np.nan if dtype.kind in "fc" else 0], dtype=dtype))
    start = 0
    for filename, n in sources:
        vspace = h5py.h5s.create_simple((total, *tail))
        vspace.select_hyperslab((start, *(0 for _ in tail)), (n, *tail))
        dcpl.set_virtual(vspace, filename.encode(), name.encode(), h5py.h5s.create_simple((n, *tail)))
        start += n
    space = h5py.h5s.create_simple((total, *tail))
    h5py.h5d.create(f.id, name.encode(), h5py.h5t.py_create(dtype, logical=True), space, dcpl=dcpl).close()


def check_sharded(path: str | os.PathLike[str], verify: bool = False) -> int:
    """Check that every shard of the joined file ``path`` is there and of its run (``verify``: checksums too);
    return the number of shards. A plain (not sharded) file passes with 0."""
    p = Path(path)
    with open_h5(p) as f:
        attrs = {k: plain_attr(v) for k, v in f.attrs.items()}
    if "shard_run" not in attrs:
        return 0
    folder = p.resolve().parent / str(attrs["shard_folder"])
    digests = list(attrs["shard_sha256"])
    for index, digest in enumerate(digests):
        shard = folder / shard_name(index)
        if not shard.is_file():
            raise DataFileError(p, f"shard {shard} is missing; its events would read as NaN")
        run, _, info = read_shard_info(shard, verify=verify)
        if run != attrs["shard_run"] or info.sha256 != digest:
            raise DataFileError(p, f"shard {shard} belongs to another run; the joined file would mix two runs")
    return len(digests)
