"""TA-like SD files → one reconstruction sample: truth, TA's standard reconstruction, the 14 observables and the
network window's per-station features in memory, the traces streamed from the files.

Every event is reconstructed once at loading (:func:`showerml.reco.ta_reconstruct.reconstruct`, in chunks of
:data:`CHUNK` events spread over ``workers`` processes; ≈ 30 ms of CPU per event), so that every method — the
standard reconstruction, the BDT, the network — sees the same events and the same quality cuts. The (6, 6, 128, 2)
traces (18 kB per event as float16) stay in the HDF5 files: the sample keeps each event's file and row
(``file_index``, ``event_index``) and :class:`TraceStore` reads them on demand.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from showerml.errors import InputError
from showerml.io.hdf5 import open_h5
from showerml.io.ta import check_network_input, read_ta
from showerml.reco.ta_observables import observables
from showerml.reco.ta_reconstruct import reconstruct
from showerml.reco.ta_stations import StationArrays

__all__ = ["CHUNK", "load_ta_arrays", "reconstruct_rows", "TraceStore", "ta_sample_window"]

#: events per reconstruction chunk
CHUNK = 500
_STATION = ("station_xy", "station_state", "station_signal", "station_time", "station_traces")
_TRUTH = ("energy_eev", "theta", "phi", "core", "mass_number", "xmax", "net_features")


def reconstruct_rows(path: str, start: int, stop: int) -> dict[str, np.ndarray]:
    """Truth, standard reconstruction, observables and window features of events [start, stop) of one file."""
    ev = read_ta(path, slice(start, stop), datasets=_STATION + _TRUTH)
    st = StationArrays.from_mapping(ev.arrays)
    t0 = time.perf_counter()
    rec = reconstruct(st, ev.grid_xy)
    j, g = rec.joint, rec.geometry
    obs = observables(st, g, j)
    seconds = (time.perf_counter() - t0) / max(len(obs), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "energy": np.asarray(ev["energy_eev"], np.float64), "theta": ev["theta"].astype(np.float64),
            "phi": ev["phi"].astype(np.float64), "core": ev["core"].astype(np.float64),
            "mass_number": ev["mass_number"].astype(np.int64), "xmax": ev["xmax"].astype(np.float64),
            "net_features": ev["net_features"].astype(np.float32),
            "centre_xy": ev["station_xy"][:, 0].astype(np.float64),
            "std_theta": j.theta, "std_phi": j.phi, "std_core": j.core, "std_s800": j.s800,
            "std_s800_err": j.s800_err, "std_t0": j.t0, "std_a": j.a, "std_theta_err": j.theta_err,
            "std_pointing": j.pointing_err, "std_chi2_geom": j.chi2_geom / np.maximum(j.ndf_geom, 1),
            "std_chi2_ldf": j.chi2_ldf / np.maximum(j.ndf_ldf, 1), "std_n_used": g.n_used.astype(np.float64),
            "std_passed": rec.quality.passed & j.ok,
            "obs": obs, "std_seconds": np.full(len(obs), seconds),
        }
    return out


def _jobs(paths: Sequence[str], max_events: int | None) -> list[tuple[int, str, int, int]]:
    jobs = []
    for k, path in enumerate(paths):
        with open_h5(path) as f:
            n = int(f["energy_eev"].shape[0]) if "energy_eev" in f else 0
        n = min(n, max_events) if max_events else n
        jobs += [(k, path, s, min(s + CHUNK, n)) for s in range(0, n, CHUNK)]
    return jobs


class _Sample(Protocol):
    """What :class:`TraceStore` needs of a sample (a :class:`showerml.reco.data.RecoSample`)."""

    sources: list[str]

    def __getitem__(self, key: str) -> np.ndarray: ...


def load_ta_arrays(paths: Sequence[str | os.PathLike[str]], max_events: int | None = None,
                   workers: int = 2) -> tuple[dict[str, np.ndarray], list[str]]:
    """Read and reconstruct TA files (``max_events``: the first events of each file): (arrays, file names), which
    :func:`showerml.reco.data.load_sample` wraps into a sample."""
    if not paths:
        raise InputError("give at least one --data FILE")
    names = [str(p) for p in paths]
    for p in names:  # validates the layout of every file before any work
        read_ta(p, slice(0, 1), datasets=("n_stations",))
    windows = {ta_sample_window(p) for p in names}
    if len(windows) != 1:
        raise InputError(f"the TA files have different network windows {sorted(windows)}; use one window size")
    jobs = _jobs(names, max_events)
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=get_context("fork")) as pool:
            parts = list(pool.map(reconstruct_rows, *zip(*((p, s, e) for _, p, s, e in jobs), strict=True)))
    else:
        parts = [reconstruct_rows(p, s, e) for _, p, s, e in jobs]
    for part, (k, _, s, e) in zip(parts, jobs, strict=True):
        part["file_index"] = np.full(e - s, k, np.int64)
        part["event_index"] = np.arange(s, e, dtype=np.int64)
    arrays = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    return arrays, names


def ta_sample_window(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(N, T) of a TA file's network window."""
    with open_h5(path) as f:
        shape = f["net_traces"].shape
    return int(shape[1]), int(shape[3])


class TraceStore:
    """The network traces (events, N, N, T, 2) of a sample's events, read from their files on demand.

    ``store[idx]`` returns float32 traces of the sample rows ``idx`` (any order; read per file in increasing row
    order, h5py's requirement, then put back in the order asked). With ``scratch`` (a file path), the sample's
    traces are first copied, :data:`CHUNK` events at a time, into an uncompressed HDF5 file with one event per
    chunk, so that the shuffled batches of training read 18 kB per event instead of decompressing a 56-event gzip
    chunk each (a complete scratch file of the same events is reused, e.g. by a resumed training).
    """

    def __init__(self, sample: _Sample, scratch: str | os.PathLike[str] | None = None,
                 window: tuple[int, int] | None = None, cache_mb: int = 32) -> None:
        import h5py

        self.file_index = np.asarray(sample["file_index"])
        self.event_index = np.asarray(sample["event_index"])
        self._files = [h5py.File(p, "r", rdcc_nbytes=cache_mb << 20, rdcc_nslots=4099) for p in sample.sources]
        self._dsets = [f["net_traces"] for f in self._files]
        for p, d in zip(sample.sources, self._dsets, strict=True):
            w, t = window or (int(d.shape[1]), int(d.shape[3]))
            check_network_input((1, *d.shape[1:]), w, t, what=f"{p}: net_traces")
        if scratch is not None:
            self._to_scratch(Path(scratch))

    def _to_scratch(self, path: Path) -> None:
        import h5py

        n, shape = len(self), self._dsets[0].shape[1:]
        key = np.concatenate([self.file_index, self.event_index]).astype(np.int64)
        digest = hashlib.sha256(key.tobytes()).hexdigest()
        if path.exists():
            with h5py.File(path, "r") as f:
                done = f.attrs.get("events_sha256") == digest
            if done:
                self._switch(path)
                return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with h5py.File(tmp, "w") as f:
            d = f.create_dataset("net_traces", (n, *shape), self._dsets[0].dtype, chunks=(1, *shape))
            for s in range(0, n, CHUNK):
                rows = np.arange(s, min(s + CHUNK, n))
                d[s:s + len(rows)] = self.read(rows).astype(d.dtype)
            f.attrs["events_sha256"] = digest
        os.replace(tmp, path)
        self._switch(path)

    def _switch(self, path: Path) -> None:
        import h5py

        self.close()
        self._files = [h5py.File(path, "r", rdcc_nbytes=1 << 20)]
        self._dsets = [self._files[0]["net_traces"]]
        self.file_index = np.zeros(len(self.event_index), np.int64)
        self.event_index = np.arange(len(self.event_index), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.event_index)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self), *self._dsets[0].shape[1:])

    def read(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, np.int64)
        out = np.empty((len(idx), *self._dsets[0].shape[1:]), np.float32)
        files = self.file_index[idx]
        for k in np.unique(files):
            sel = np.flatnonzero(files == k)
            rows = self.event_index[idx[sel]]
            uniq, inv = np.unique(rows, return_inverse=True)
            out[sel] = self._dsets[int(k)][uniq][inv]
        return out

    def __getitem__(self, idx: Any) -> Any:
        import torch

        if isinstance(idx, torch.Tensor):
            return torch.from_numpy(self.read(idx.numpy()))
        return self.read(np.arange(len(self))[idx])

    def close(self) -> None:
        for f in self._files:
            f.close()
        self._files, self._dsets = [], []
