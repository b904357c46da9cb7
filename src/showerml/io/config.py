"""Typed configuration files: YAML read safely, checked by a pydantic schema, the first problem in one line.

Every command that reads a ``--config`` (and every saved model config) goes through :func:`validate`, so a wrong
type, a value out of range or an unknown key gives the same kind of message: the field's dotted path, what it must
be, and the value found.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from showerml.errors import DataFileError

__all__ = ["describe_error", "read_yaml", "validate"]

SchemaT = TypeVar("SchemaT", bound=BaseModel)

_EXPECT = {
    "int_type": "an integer", "int_parsing": "an integer", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "string_type": "a string",
    "tuple_type": "a list of numbers", "list_type": "a list", "dict_type": "a mapping (a JSON object)",
    "finite_number": "finite", "model_type": "a mapping (a JSON object)", "int_from_float": "an integer",
}
_BOUNDS = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt"), "less_than": ("<", "lt"),
           "less_than_equal": ("≤", "le")}


def describe_error(err: dict[str, Any], section: str = "") -> str:
    """One pydantic error as ``field 'a.b' must be …, got …``."""
    loc = ".".join(str(p) for p in (section, *err["loc"]) if p != "")
    if err["type"] == "missing":
        return f"field '{loc}' is missing"
    if err["type"] == "extra_forbidden":
        return f"'{loc}' is not a setting here (unknown key)"
    ctx = err.get("ctx") or {}
    if err["type"] in _BOUNDS:
        sign, key = _BOUNDS[err["type"]]
        kind = "an integer" if isinstance(err.get("input"), int) else "a number"
        want = f"{kind} {sign} {ctx.get(key)}"
    elif err["type"] == "too_short":
        want = "a non-empty list"
    elif err["type"] == "literal_error":
        want = f"one of {ctx.get('expected')}"
    else:
        want = _EXPECT.get(err["type"], err["msg"].removeprefix("Input should be ").removeprefix("Value should be "))
    got = json.dumps(err.get("input"), default=str)
    if len(got) > 40:
        got = got[:37] + "..."
    return f"field '{loc}' must be {want}, got {got}"


def validate(schema: type[SchemaT], data: Any, where: object, section: str = "", strict: bool = False) -> SchemaT:
    """``data`` checked and converted by ``schema``; the first problem → one-line :class:`DataFileError` at ``where``.

    ``strict`` refuses every conversion (for files showerml wrote itself); YAML written by hand is read in lax mode
    (``1e-3``, which YAML 1.1 reads as a string, is still a number)."""
    try:
        if strict:
            return schema.model_validate_json(json.dumps(data, allow_nan=True), strict=True)
        return schema.model_validate(data)
    except ValidationError as exc:
        first = dict(exc.errors(include_url=False)[0])
        if first["type"] in ("model_type", "dict_type") and first["loc"] == ():
            what = section or "the config"
            raise DataFileError(where, f"'{what}' must be a mapping of settings (a JSON object)") from None
        raise DataFileError(where, describe_error(first, section)) from None


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """A YAML file parsed with ``safe_load`` (no Python objects); unreadable or malformed → one line."""
    p = Path(path)
    if not p.is_file():
        raise DataFileError(p, "no such config file")
    try:
        return yaml.safe_load(p.read_text()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataFileError(p, f"not a readable YAML config ({str(exc).splitlines()[0]})") from None
