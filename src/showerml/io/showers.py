"""Calorimeter shower files as one in-memory form, :class:`ShowerData`, whatever their layout.

Reading streams in chunks (``ShowerFile.iter_chunks``) so files larger than memory can be processed; every chunk is
validated (finite, non-negative deposits, positive incident energies). Writing goes through the atomic
:class:`~showerml.io.hdf5.EventWriter` in the CaloGAN layout (CaloGAN geometry only) or the CaloChallenge layout
(any geometry, gzip), which the CaloChallenge evaluation script reads unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from showerml.detectors.geometries import CALOGAN as CALOGAN_GEOMETRY
from showerml.detectors.geometries import calochallenge_binning_from_xml, known_calochallenge_geometry
from showerml.errors import DataFileError, InputError
from showerml.geometry import Geometry
from showerml.io.hdf5 import EventWriter, open_h5, plain_attr
from showerml.io.layouts import CALOCHALLENGE, CALOGAN, Layout, check_values, detect_layout
from showerml.io.shards import check_sharded

__all__ = ["ShowerData", "ShowerFile", "arrays_to_showers", "load_showers", "write_showers"]

GEV = 1000.0


@dataclass
class ShowerData:
    """Showers in MeV: ``incident`` (N,), ``voxels`` (N, n_voxels), optional per-layer ``overflow`` (N, L)."""

    incident: np.ndarray
    voxels: np.ndarray
    geometry: Geometry
    overflow: np.ndarray | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.incident)

    def __post_init__(self) -> None:
        if self.voxels.ndim != 2 or self.voxels.shape[1] != self.geometry.n_voxels:
            raise InputError(
                f"showers of shape {self.voxels.shape} do not fit geometry '{self.geometry.name}' "
                f"({self.geometry.n_voxels} voxels)"
            )
        if len(self.incident) != len(self.voxels):
            raise InputError(f"{len(self.incident)} incident energies for {len(self.voxels)} showers")

    def subset(self, index: slice | np.ndarray) -> ShowerData:
        overflow = None if self.overflow is None else self.overflow[index]
        return ShowerData(self.incident[index], self.voxels[index], self.geometry, overflow, dict(self.attrs))


class ShowerFile:
    """A CaloGAN or CaloChallenge file, opened lazily; ``binning`` (a CaloChallenge XML) sets an unknown geometry;
    ``max_events`` limits it to its first showers (``n_events``, ``iter_chunks`` and ``load`` see only those)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        binning: str | os.PathLike[str] | None = None,
        max_events: int | None = None,
    ) -> None:
        self.path = Path(path)
        if max_events is not None and max_events <= 0:
            raise InputError(f"max_events must be positive, got {max_events}")
        with open_h5(self.path) as f:
            self.layout: Layout = detect_layout(f, self.path)
            self.n_events = self.layout.check_structure(f, self.path)
            if max_events is not None:
                self.n_events = min(self.n_events, max_events)
            self.attrs = {k: plain_attr(v) for k, v in f.attrs.items()}
            n_vox = f["showers"].shape[1] if self.layout is CALOCHALLENGE else None
        if "shard_run" in self.attrs:  # a joined file of shards: every shard present and of this run
            check_sharded(self.path)
        self.geometry = self._geometry(n_vox, binning)

    def _geometry(self, n_vox: int | None, binning: str | os.PathLike[str] | None) -> Geometry:
        if binning is not None:
            geometry = calochallenge_binning_from_xml(binning)
        elif "geometry" in self.attrs:
            geometry = Geometry.from_json(self.attrs["geometry"])
        elif self.layout is CALOGAN:
            geometry = CALOGAN_GEOMETRY
        else:
            found = known_calochallenge_geometry(int(n_vox or 0))
            if found is None:
                raise DataFileError(
                    self.path, f"{n_vox} voxels match no built-in geometry; pass the challenge's --binning XML file"
                )
            geometry = found
        if n_vox is not None and geometry.n_voxels != n_vox:
            raise DataFileError(self.path, f"{n_vox} voxels per shower, the binning has {geometry.n_voxels}")
        return geometry

    def iter_chunks(self, chunk_size: int = 10_000, stop: int | None = None) -> Iterator[ShowerData]:
        """Yield validated :class:`ShowerData` chunks of at most ``chunk_size`` showers."""
        stop = self.n_events if stop is None else min(stop, self.n_events)
        with open_h5(self.path) as f:
            for start in range(0, stop, chunk_size):
                end = min(start + chunk_size, stop)
                try:
                    raw = {k: f[k][start:end] for k in self.layout.datasets if k in f}
                except OSError as exc:
                    raise DataFileError(self.path, f"cannot read events {start}–{end}, truncated? ({exc})") from None
                check_values(self.path, raw, self.layout, offset=start)
                yield self._to_showers(raw)

    def load(self, max_events: int | None = None) -> ShowerData:
        """All showers (or the first ``max_events``) in memory, in one float32 array (no intermediate copies)."""
        n = self.n_events if max_events is None else min(max_events, self.n_events)
        if n == 0:
            raise DataFileError(self.path, "holds no showers")
        voxels = np.empty((n, self.geometry.n_voxels), dtype=np.float32)
        incident = np.empty(n, dtype=np.float64)
        overflows: list[np.ndarray] = []
        start = 0
        for c in self.iter_chunks(stop=n):
            voxels[start : start + len(c)] = c.voxels
            incident[start : start + len(c)] = c.incident
            if c.overflow is not None:
                overflows.append(c.overflow)
            start += len(c)
        overflow = np.concatenate(overflows) if overflows else None
        return ShowerData(incident, voxels, self.geometry, overflow, dict(self.attrs))

    def _to_showers(self, raw: Mapping[str, np.ndarray]) -> ShowerData:
        return arrays_to_showers(raw, self.geometry, self.attrs)


def arrays_to_showers(
    raw: Mapping[str, np.ndarray], geometry: Geometry | None = None, attrs: Mapping[str, Any] | None = None
) -> ShowerData:
    """CaloGAN- or CaloChallenge-layout arrays (as in a file or from a simulator) → :class:`ShowerData`."""
    if "layer_0" in raw:
        incident = raw["energy"][:, 0].astype(np.float64) * GEV
        voxels = np.concatenate([raw[f"layer_{i}"].reshape(len(incident), -1) for i in range(3)], axis=1)
        geometry = geometry or CALOGAN_GEOMETRY
    else:
        incident = raw["incident_energies"][:, 0].astype(np.float64)
        voxels = raw["showers"]
        if geometry is None:
            geometry = known_calochallenge_geometry(voxels.shape[1])
            if geometry is None:
                raise InputError(f"{voxels.shape[1]} voxels match no built-in geometry; give the geometry")
    return ShowerData(incident, voxels.astype(np.float32, copy=False), geometry, raw.get("overflow"), dict(attrs or {}))


def load_showers(
    path: str | os.PathLike[str], max_events: int | None = None, binning: str | os.PathLike[str] | None = None
) -> ShowerData:
    """Read a CaloGAN or CaloChallenge file into memory."""
    return ShowerFile(path, binning).load(max_events)


def calogan_arrays(data: ShowerData) -> dict[str, np.ndarray]:
    """ShowerData in the CaloGAN layout (incident energy in GeV)."""
    layers = data.geometry.split(data.voxels)
    arrays = {"energy": (data.incident / GEV)[:, None].astype(np.float64)}
    arrays |= {f"layer_{i}": layer for i, layer in enumerate(layers)}
    if data.overflow is not None:
        arrays["overflow"] = data.overflow
    return arrays


def calochallenge_arrays(data: ShowerData) -> dict[str, np.ndarray]:
    """ShowerData in the CaloChallenge layout (MeV)."""
    arrays = {"incident_energies": data.incident[:, None].astype(np.float64), "showers": data.voxels}
    if data.overflow is not None:
        arrays["overflow"] = data.overflow
    return arrays


def write_showers(
    path: str | os.PathLike[str],
    data: ShowerData,
    layout: str = "auto",
    attrs: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write showers atomically; ``layout`` is ``calogan``, ``calochallenge`` or ``auto`` (by geometry)."""
    if layout == "auto":
        layout = "calogan" if data.geometry == CALOGAN_GEOMETRY else "calochallenge"
    if layout == "calogan":
        if data.geometry != CALOGAN_GEOMETRY:
            raise InputError(f"the CaloGAN layout needs the CaloGAN geometry, not '{data.geometry.name}'")
        arrays = calogan_arrays(data)
    elif layout == "calochallenge":
        arrays = calochallenge_arrays(data)
    else:
        raise InputError(f"unknown layout '{layout}': use calogan or calochallenge")
    meta = {"layout": layout, "geometry": data.geometry.to_json(), "units": "MeV, mm"}
    if layout == "calogan":
        meta["units"] = "energy: GeV; layer_*, overflow: MeV; mm"
    meta |= dict(attrs or {})
    with EventWriter(path, attrs=meta, overwrite=overwrite) as writer:
        step = 10_000
        for start in range(0, len(data), step):
            writer.append({k: v[start : start + step] for k, v in arrays.items()})
    return writer.path
