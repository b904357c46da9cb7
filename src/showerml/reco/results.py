"""Typed, frozen results with a JSON round trip, and the binned rows every reconstruction figure is made of.

:class:`Result` gives a frozen dataclass ``to_json()`` (plain dicts, lists, numbers; NaN/inf stay floats — the run
folder's JSON writer turns them into ``null``) and ``from_json()`` (driven by the field annotations; ``null`` in a
float field reads back as NaN).
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

import numpy as np

__all__ = ["Result", "BinValue", "BinPair", "RejectionBin", "bin_values", "bin_pairs", "rejection_bins",
           "MethodTiming"]

R = TypeVar("R", bound="Result")


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, np.ndarray):
        return _encode(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(tp: Any, value: Any) -> Any:
    if tp is Any:
        return value
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None and len(args) < len(get_args(tp)):
            return None
        return _decode(args[0], value)
    if isinstance(tp, type) and is_dataclass(tp):
        hints = get_type_hints(tp)
        return tp(**{f.name: _decode(hints[f.name], value[f.name]) for f in fields(tp) if f.name in value})
    if origin is tuple:
        items = get_args(tp)
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(_decode(items[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(items, value, strict=True))
    if origin in (dict, Mapping, typing.Mapping):
        _, vt = get_args(tp)
        return {str(k): _decode(vt, v) for k, v in value.items()}
    if origin is list:
        (vt,) = get_args(tp)
        return [_decode(vt, v) for v in value]
    if tp is float:
        return math.nan if value is None else float(value)
    if tp in (int, bool, str):
        return tp(value)
    return value


class Result:
    """Base of the result dataclasses: ``to_json`` / ``from_json`` driven by the field annotations."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready values (NaN and inf kept as floats)."""
        out = _encode(self)
        assert isinstance(out, dict)
        return out

    @classmethod
    def from_json(cls: type[R], data: Mapping[str, Any]) -> R:
        """The result written by :meth:`to_json` (``null`` in a float field → NaN)."""
        out = _decode(cls, data)
        assert isinstance(out, cls)
        return out


@dataclass(frozen=True)
class MethodTiming(Result):
    """Training time and inference speed of one method on the test events."""

    method: str
    train_seconds: float
    inference_events_per_s: float


@dataclass(frozen=True)
class BinValue(Result):
    """A metric in the bin ``low ≤ x < high`` holding ``n`` events (NaN when empty)."""

    low: float
    high: float
    n: int
    value: float


@dataclass(frozen=True)
class BinPair(Result):
    """A two-valued metric (e.g. efficiency and its error, bias and resolution) in one bin ((NaN, NaN) when empty)."""

    low: float
    high: float
    n: int
    value: tuple[float, float]


@dataclass(frozen=True)
class RejectionBin(Result):
    """Background rejection at fixed signal efficiency in one bin (:class:`showerml.metrics.reco.Rejection`)."""

    low: float
    high: float
    rejection: float
    rejection_low: float
    rejection_high: float
    eps_b: float
    threshold: float
    n_signal: int
    n_background: int
    n_passed: int
    lower_limit: bool


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


def rejection_bins(rows: Sequence[Mapping[str, Any]]) -> tuple[RejectionBin, ...]:
    """Rows of :func:`showerml.metrics.reco.rejection_per_bin`."""
    return tuple(RejectionBin.from_json(r) for r in rows)
