"""Typed result records: JSON round trip, nested records, non-finite values, missing fields."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pytest

from showerml.errors import DataFileError
from showerml.io.records import Record
from showerml.io.runfolder import json_safe


@dataclass(frozen=True)
class _Inner(Record):
    auc: float
    n: int


@dataclass(frozen=True)
class _Outer(Record):
    name: str
    inner: _Inner
    optional: _Inner | None = None
    values: list[float] = field(default_factory=list)
    by_name: dict[str, _Inner] = field(default_factory=dict)


def test_round_trip_through_json_keeps_types_and_nesting():
    rec = _Outer("cfm", _Inner(0.61, 3), optional=_Inner(0.5, 1), values=[1.0, 2.5],
                 by_name={"a": _Inner(0.7, 2)})
    back = _Outer.from_json(json.loads(json.dumps(rec.to_json())))
    assert back == rec and isinstance(back.inner, _Inner) and isinstance(back.optional, _Inner)
    assert isinstance(back.by_name["a"], _Inner)


def test_numpy_values_become_plain_json_and_null_floats_read_back_as_nan():
    rec = _Inner(np.float64(0.25), np.int64(4))
    data = rec.to_json()
    assert data == {"auc": 0.25, "n": 4} and type(data["n"]) is int
    back = _Inner.from_json({"auc": None, "n": 4})
    assert np.isnan(back.auc)
    assert json.dumps(json_safe(_Inner(float("inf"), 1).to_json()), allow_nan=False) == '{"auc": null, "n": 1}'


def test_a_missing_required_field_is_named():
    with pytest.raises(DataFileError, match="lacks the field 'inner'"):
        _Outer.from_json({"name": "x"})
