"""The per-event station arrays of a Telescope-Array-like surface detector, checked once at the door.

Contract (/work/notes/ta_format.md, shared with :mod:`showerml.detectors.ta`): events padded to ``M`` stations,
``xy`` (N, M, 2) m, ``state`` (N, M) int (0 padding, 1 triggered, 2 triggered and saturated, 3 off), ``signal``
(N, M, 2) VEM of the upper and lower layer, ``time`` (N, M) ns; optional ``traces`` (N, M, 2, T) VEM per 20 ns bin.
The station's signal is the mean of its two layers, as TA's reconstruction uses it (AbuZayyad et al., NIM A 689
(2012) 87, Sec. 2: two 3 m² layers read out separately).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = ["PADDING", "TRIGGERED", "SATURATED", "OFF", "AREA_M2", "StationArrays"]

PADDING, TRIGGERED, SATURATED, OFF = 0, 1, 2, 3
#: scintillator area of one layer, m² (AbuZayyad et al. 2012, Sec. 2)
AREA_M2 = 3.0


@dataclass(frozen=True)
class StationArrays:
    """Validated station arrays of N events (see the module docstring)."""

    xy: np.ndarray
    state: np.ndarray
    signal: np.ndarray
    time: np.ndarray
    traces: np.ndarray | None = None

    def __post_init__(self) -> None:
        xy, state, signal, time = self.xy, self.state, self.signal, self.time
        if xy.ndim != 3 or xy.shape[2] != 2:
            raise InputError(f"station xy must have shape (N, M, 2), got {xy.shape}")
        n, m = xy.shape[:2]
        for name, arr, shape in (("state", state, (n, m)), ("signal", signal, (n, m, 2)), ("time", time, (n, m))):
            if arr.shape != shape:
                raise InputError(f"station {name} must have shape {shape} to match xy, got {arr.shape}")
        if not np.isin(state, (PADDING, TRIGGERED, SATURATED, OFF)).all():
            raise InputError("station state must be 0 (padding), 1 (triggered), 2 (saturated) or 3 (off)")
        used = state != PADDING
        if not (np.isfinite(xy[used]).all() and np.isfinite(signal[used]).all()):
            raise InputError("station positions and signals must be finite (NaN or inf found)")
        hit = (state == TRIGGERED) | (state == SATURATED)
        if not np.isfinite(time[hit]).all():
            raise InputError("triggered stations must have finite times (NaN or inf found)")
        if self.traces is not None and (self.traces.ndim != 4 or self.traces.shape[:3] != (n, m, 2)):
            raise InputError(f"traces must have shape (N, M, 2, T) = ({n}, {m}, 2, T), got {self.traces.shape}")

    @classmethod
    def from_mapping(cls, d: Mapping[str, np.ndarray]) -> StationArrays:
        """From the contract's names (``station_xy``, ``station_state``, ``station_signal``, ``station_time``,
        optional ``station_traces``)."""
        missing = [k for k in ("station_xy", "station_state", "station_signal", "station_time") if k not in d]
        if missing:
            raise InputError(f"station arrays lack {', '.join(missing)}")
        traces = d.get("station_traces")
        return cls(np.asarray(d["station_xy"], np.float64), np.asarray(d["station_state"], np.int64),
                   np.asarray(d["station_signal"], np.float64), np.asarray(d["station_time"], np.float64),
                   None if traces is None else np.asarray(traces, np.float64))

    @property
    def n_events(self) -> int:
        return int(self.xy.shape[0])

    @property
    def hit(self) -> np.ndarray:
        """(N, M) triggered stations (saturated ones included)."""
        return (self.state == TRIGGERED) | (self.state == SATURATED)

    @property
    def density(self) -> np.ndarray:
        """(N, M) mean of the two layers per m², VEM/m² — the quantity S800 and the LDF are expressed in."""
        return self.signal.mean(axis=2) / AREA_M2

    def take(self, index: np.ndarray | slice) -> StationArrays:
        tr = None if self.traces is None else self.traces[index]
        return StationArrays(self.xy[index], self.state[index], self.signal[index], self.time[index], tr)
