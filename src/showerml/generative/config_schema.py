"""The typed schema of a generative model's ``config.json`` (pydantic v2, strict: no silent conversions).

A model folder's config is checked before anything is built from it: the top level (``format``, ``model``,
``geometry``, ``hparams``, ``preprocessing``, ``record``), the preprocessing settings (types and ranges:
``noise ≥ 0``, ``0 < alpha < 0.5``, ``c_std > 0``, ``energy_range`` a pair of numbers, …) and the hyper-parameters of
the model kind, typed after its defaults (``default_hparams``): integer hyper-parameters are counts (≥ 1: layers,
widths, steps), real ones finite and ≥ 0, lists of sizes non-empty lists of counts, flags booleans. The first problem
becomes one line naming the field, what it must be, and the value found.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from showerml.io.config import validate

__all__ = ["ModelConfigFile", "PreprocessingConfig", "check_model_config", "hparams_schema"]

Count = Annotated[int, Field(ge=1)]
Real = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class ModelConfigFile(_Strict):
    """The top level of ``config.json``."""

    format: Literal["showerml-generative-model"]
    model: str
    showerml_version: str = "unknown"
    geometry: str
    hparams: dict[str, Any]
    preprocessing: dict[str, Any]
    record: dict[str, Any] = {}


class PreprocessingConfig(_Strict):
    """The ``preprocessing`` section: :class:`~showerml.generative.preprocessing.PreprocessConfig` plus the fitted
    context standardisation and training energy range (MeV); fields absent from older folders take defaults."""

    noise: NonNegative = 1e-2
    noise_on: Literal["empty", "all"] = "empty"
    threshold: NonNegative = 1e-3
    alpha: Annotated[float, Field(gt=0, lt=0.5)] = 1e-10
    calib_showers: Annotated[int, Field(ge=0)] = 5000
    calib_bins: Count = 4
    calibration: Literal["cut", "quantile"] = "quantile"
    calib_knots: Annotated[int, Field(ge=2)] = 32
    c_mean: Real = 0.0
    c_std: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    energy_range: tuple[NonNegative, float]
    data_threshold: NonNegative = 0.0


def hparams_schema(kind: str, defaults: dict[str, Any]) -> type[BaseModel]:
    """A strict schema for the hyper-parameters of ``kind``, typed after their ``defaults``; unknown keys refused."""
    fields: dict[str, Any] = {}
    for name, value in defaults.items():
        if isinstance(value, bool):
            typ: Any = bool
        elif isinstance(value, int):
            typ = Count
        elif isinstance(value, float):
            typ = NonNegative
        elif isinstance(value, (list, tuple)):
            typ = Annotated[list[Count], Field(min_length=1)]
        elif isinstance(value, str):
            typ = str
        else:
            typ = Any
        fields[name] = (typ, value)
    return create_model(f"{kind}_hparams", __config__=ConfigDict(strict=True, extra="forbid"), **fields)


def _validate(schema: type[BaseModel], data: Any, section: str, where: object) -> None:
    validate(schema, data, where, section, strict=True)


def check_model_config(config: dict[str, Any], where: object, hparam_defaults: dict[str, Any] | None = None) -> None:
    """Validate a generative model's config (top level, preprocessing, and hyper-parameters when their defaults are
    given); the first problem → one-line :class:`~showerml.errors.DataFileError`."""
    _validate(ModelConfigFile, config, "", where)
    _validate(PreprocessingConfig, config["preprocessing"], "preprocessing", where)
    if hparam_defaults is not None:
        _validate(hparams_schema(str(config["model"]), hparam_defaults), config["hparams"], "hparams", where)
