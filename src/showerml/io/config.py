"""Typed configuration files: YAML read safely, checked by a pydantic schema, the first problem in one line.

Every command that reads a ``--config`` (and every saved model config) goes through :func:`validate`, so a wrong
type, a value out of range or an unknown key gives the same kind of message: the field's dotted path, what it must
be, and the value found. Settings of frozen dataclasses (a simulator's shower models: ``em:``, ``hadron:``) go through
:func:`update_dataclass`: a schema built from the dataclass's fields checks keys and types, and the dataclass's own
constructor checks the ranges.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from showerml.errors import DataFileError, InputError

__all__ = ["as_settings", "dataclass_schema", "dataclass_sections", "describe_error", "dump_yaml", "read_yaml",
           "update_dataclass", "validate"]

SchemaT = TypeVar("SchemaT", bound=BaseModel)
DataclassT = TypeVar("DataclassT")

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


# --- settings of frozen dataclasses (shower-model configs and the like) ------------------------------------------
def _field_type(annotation: Any) -> Any:
    """The pydantic type of a dataclass field: a nested dataclass becomes its own schema."""
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return dataclass_schema(annotation)
    return annotation


@functools.cache
def dataclass_schema(cls: type) -> type[BaseModel]:
    """A pydantic schema with one optional field per field of the dataclass ``cls`` (unknown keys refused).

    Types come from the annotations (a field that is itself a dataclass gets a nested schema); range checks stay
    with the dataclass (its ``__post_init__``), run when :func:`update_dataclass` builds it."""
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):  # an annotation that cannot be resolved here: its value is checked by the class
        hints = {}
    fields: dict[str, Any] = {
        f.name: (_field_type(hints.get(f.name, Any)) | None, None) for f in dataclasses.fields(cls) if f.init
    }
    return create_model(
        f"{cls.__name__}Settings",
        __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
        **fields,
    )


def _unknown_keys(cls: type, data: Mapping[str, Any], where: object, section: str) -> None:
    """The first key of ``data`` that is not a field of ``cls`` (recursing into dataclass fields) → one line."""
    valid = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints: dict[str, Any] = {}
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):
        pass
    for key, value in data.items():
        if key not in valid:
            raise DataFileError(where, f"'{section}.{key}' is not a setting of {cls.__name__}; valid: "
                                f"{', '.join(valid)}")
        sub = hints.get(key)
        if isinstance(value, Mapping) and dataclasses.is_dataclass(sub) and isinstance(sub, type):
            _unknown_keys(sub, value, where, f"{section}.{key}")


def _apply(base: Any, changes: Mapping[str, Any], where: object, section: str) -> Any:
    """``base`` with ``changes`` (nested dataclasses updated field by field), built by the dataclass constructor."""
    kwargs = {}
    for key, value in changes.items():
        current = getattr(base, key)
        if isinstance(value, Mapping) and dataclasses.is_dataclass(current) and not isinstance(current, type):
            value = _apply(current, value, where, f"{section}.{key}")
        kwargs[key] = value
    try:
        return dataclasses.replace(base, **kwargs)
    except (InputError, ValueError, TypeError) as exc:
        raise DataFileError(where, f"{section}: {exc}") from None


def update_dataclass(base: DataclassT, data: Any, where: object, section: str) -> DataclassT:
    """``base`` (a frozen dataclass instance, e.g. a simulator's default shower model) with the settings in ``data``.

    An unknown key names itself and lists the valid fields; a value of the wrong type is refused by the schema
    (:func:`dataclass_schema`); the result is built by the dataclass constructor, so its own range checks
    (``__post_init__`` raising :class:`~showerml.errors.InputError`) become the one-line :class:`DataFileError`.
    Fields not mentioned keep the values of ``base``."""
    if data is None:
        return base
    if not isinstance(data, Mapping):
        raise DataFileError(where, f"'{section}' must be a mapping of settings (a JSON object)")
    cls: type = type(base)
    _unknown_keys(cls, data, where, section)
    checked = validate(dataclass_schema(cls), data, where, section)
    return typing.cast(DataclassT, _apply(base, checked.model_dump(exclude_unset=True), where, section))


def dataclass_sections(cls: type) -> dict[str, Any]:
    """The fields of the dataclass ``cls`` whose defaults are dataclass instances (e.g. a simulator's shower
    models), with those defaults: what a config file may set section by section."""
    out = {}
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default) and not isinstance(default, type):
            out[f.name] = default
    return out


def as_settings(obj: Any) -> Any:
    """A dataclass (nested ones included) as plain settings, as a config file writes them."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_settings(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [as_settings(v) for v in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def dump_yaml(settings: Mapping[str, Any]) -> str:
    """Resolved settings as the YAML a ``--config`` reads back (non-finite numbers as ``null``)."""
    from showerml.io.runfolder import json_safe

    return str(yaml.safe_dump(json_safe(dict(settings)), sort_keys=False, allow_unicode=True))
