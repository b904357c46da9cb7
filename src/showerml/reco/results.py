"""The binned rows every reconstruction figure is made of, as typed records (:class:`showerml.io.records.Record`:
``to_json`` / ``from_json`` driven by the field annotations; ``null`` in a float field reads back as NaN)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from showerml.io.records import Record
from showerml.metrics.reco import Rejection

__all__ = ["BinValue", "BinPair", "bin_values", "bin_pairs", "rejection_bins",
           "MethodTiming"]

@dataclass(frozen=True)
class MethodTiming(Record):
    """Training time and inference speed of one method on the test events."""

    method: str
    train_seconds: float
    inference_events_per_s: float


@dataclass(frozen=True)
class BinValue(Record):
    """A metric in the bin ``low ≤ x < high`` holding ``n`` events (NaN when empty)."""

    low: float
    high: float
    n: int
    value: float


@dataclass(frozen=True)
class BinPair(Record):
    """A two-valued metric (e.g. efficiency and its error, bias and resolution) in one bin ((NaN, NaN) when empty)."""

    low: float
    high: float
    n: int
    value: tuple[float, float]


def bin_values(rows: Sequence[Mapping[str, Any]]) -> tuple[BinValue, ...]:
    """Rows of :func:`showerml.metrics.reco.binned` with a scalar metric."""
    return tuple(BinValue(float(r["low"]), float(r["high"]), int(r["n"]), float(r["value"])) for r in rows)


def bin_pairs(rows: Sequence[Mapping[str, Any]]) -> tuple[BinPair, ...]:
    """Rows of :func:`showerml.metrics.reco.binned` with a two-valued metric (an empty bin → (NaN, NaN))."""
    out = []
    for r in rows:
        v = r["value"]
        pair = (float(v[0]), float(v[1])) if isinstance(v, (tuple, list, np.ndarray)) else (math.nan, math.nan)
        out.append(BinPair(float(r["low"]), float(r["high"]), int(r["n"]), pair))
    return tuple(out)


def rejection_bins(rows: Sequence[Rejection]) -> tuple[Rejection, ...]:
    """Rows of :func:`showerml.metrics.reco.rejection_per_bin`, as the tuple a result record holds."""
    return tuple(rows)
