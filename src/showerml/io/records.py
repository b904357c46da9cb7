"""Typed, frozen result records that write themselves as JSON and read themselves back.

A pipeline returns records, not string-keyed dicts: ``row.auc_voxel`` instead of ``metrics["x"]["y"]["auc"]``.
Subclass :class:`Record` as a frozen dataclass; fields may be plain values, lists/dicts of them, or other records
(read back by their annotated type).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Self

from showerml.errors import DataFileError
from showerml.io.runfolder import json_safe

__all__ = ["Record"]


@dataclasses.dataclass(frozen=True)
class Record:
    """Base of every typed result: ``to_json()`` → plain JSON, ``from_json(d)`` → the same record."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.to_json() if isinstance(value, Record) else json_safe(value)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from :meth:`to_json` output; a missing field → :class:`DataFileError` naming it."""
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise DataFileError(cls.__name__, f"result record lacks the field '{f.name}'")
                continue
            kwargs[f.name] = _read(hints[f.name], data[f.name])
        return cls(**kwargs)


def _read(annotation: Any, value: Any) -> Any:
    """``value`` rebuilt as ``annotation`` says: a record, an optional record, a list or dict of records, or as is."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if value is None:
        return None
    if isinstance(annotation, type) and issubclass(annotation, Record):
        return annotation.from_json(value)
    if origin in (typing.Union, types.UnionType):
        records = [a for a in args if isinstance(a, type) and issubclass(a, Record)]
        return records[0].from_json(value) if records else value
    if origin is list and args:
        return [_read(args[0], v) for v in value]
    if origin is dict and len(args) == 2:
        return {k: _read(args[1], v) for k, v in value.items()}
    return value
