"""Typed, frozen result records that write themselves as JSON and read themselves back.

A pipeline returns records, not string-keyed dicts: ``row.auc_low_level`` instead of ``metrics["x"]["y"]["auc"]``.
Subclass :class:`Record` as a frozen dataclass. ``to_json()`` gives plain JSON values (NaN and inf stay floats; the
run folder's writer turns them into ``null``); ``from_json()`` is driven by the field annotations: nested records,
optional fields, tuples, lists and dicts of records, and ``null`` in a ``float`` field read back as NaN.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, Self

import numpy as np

from showerml.errors import DataFileError

__all__ = ["Record"]


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, np.ndarray):
        return _encode(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(annotation: Any, value: Any) -> Any:
    """``value`` rebuilt as ``annotation`` says."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if value is None and len(rest) < len(args):
            return None
        return _decode(rest[0], value)
    if isinstance(annotation, type) and issubclass(annotation, Record):
        return annotation.from_json(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True)) if args else tuple(value)
    if origin in (dict, Mapping, typing.Mapping) and len(args) == 2:
        return {str(k): _decode(args[1], v) for k, v in value.items()}
    if origin is list and args:
        return [_decode(args[0], v) for v in value]
    if annotation is float:
        return math.nan if value is None else float(value)
    if annotation in (int, bool, str):
        return annotation(value)
    return value


@dataclasses.dataclass(frozen=True)
class Record:
    """Base of every typed result: ``to_json()`` → plain JSON, ``from_json(d)`` → the same record."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready values (NaN and inf kept as floats)."""
        out = _encode(self)
        assert isinstance(out, dict)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from :meth:`to_json` output; a missing required field → :class:`DataFileError` naming it."""
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise DataFileError(cls.__name__, f"result record lacks the field '{f.name}'")
                continue
            kwargs[f.name] = _decode(hints[f.name], data[f.name])
        return cls(**kwargs)
