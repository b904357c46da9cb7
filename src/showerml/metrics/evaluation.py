"""The result of an evaluation: typed metrics that write themselves as ``metrics.json`` and read themselves back,
plus what its report draws (feature tables, the challenge's histograms, mean showers).

:class:`EvaluationMetrics` is the whole ``metrics.json``; a reader writes ``m.generated["gen"].fpd.value``, not
``m["generated"]["gen"]["fpd"]["value"]``. A value that was not computed (a classifier switched off, the distances
skipped) is ``None`` and written as ``null``; a non-finite number stays a float in memory and is written as ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from showerml.features import FeatureTable
from showerml.io.records import Record
from showerml.metrics.calochallenge import ChallengeHistograms
from showerml.metrics.classifier_results import ClassifierResult, MulticlassResult

__all__ = [
    "ClassifierResult",
    "ClassifierScores",
    "Classifiers",
    "Distance",
    "EvaluationMetrics",
    "EvaluationResult",
    "MulticlassResult",
    "MulticlassScores",
    "ReferenceInfo",
    "SampleMetrics",
    "WorstFeature",
]


@dataclass(frozen=True, kw_only=True)
class Classifiers(Record):
    """The voxel-level and high-level classifier tests of one sample (``None``: switched off)."""

    low_level: ClassifierResult | None = None
    high_level: ClassifierResult | None = None


@dataclass(frozen=True, kw_only=True)
class Distance(Record):
    """FPD or KPD with its error; ``consistent_with_zero``: |value| ≤ 2σ (``None`` without an error or a value)."""

    value: float | None = None
    error: float | None = None
    consistent_with_zero: bool | None = None

    @classmethod
    def of(cls, value: float, error: float) -> Distance:
        """A measured distance; a negative value (an unbiased estimate of 0) is flagged when within 2σ of 0."""
        return cls(value=value, error=error, consistent_with_zero=bool(abs(value) <= 2 * error) if error > 0 else None)


@dataclass(frozen=True, kw_only=True)
class WorstFeature(Record):
    """The feature with the largest separation power (``None`` when no separation power is finite)."""

    feature: str | None = None
    value: float | None = None


@dataclass(frozen=True, kw_only=True)
class SampleMetrics(Record):
    """Every metric of one generated sample against the reference."""

    n_showers: int
    protocol: str
    separation_power: dict[str, float]
    separation_power_extra: dict[str, float] = field(default_factory=dict)
    separation_power_mean: float
    separation_power_max: WorstFeature
    separation_power_showerml: dict[str, float] = field(default_factory=dict)
    classifier: Classifiers
    fpd: Distance
    kpd: Distance
    path: str | None = None

    @staticmethod
    def summary(separation: Mapping[str, float]) -> tuple[float, WorstFeature]:
        """Mean and worst of the finite separation powers (NaN and no feature when none is finite)."""
        finite = {k: v for k, v in separation.items() if math.isfinite(v)}
        if not finite:
            return math.nan, WorstFeature()
        worst = max(finite, key=finite.__getitem__)
        return float(np.mean(list(finite.values()))), WorstFeature(feature=worst, value=finite[worst])


@dataclass(frozen=True, kw_only=True)
class ReferenceInfo(Record):
    """The reference sample: size, geometry and (for files) its path."""

    n_showers: int
    geometry: str
    n_voxels: int
    path: str | None = None


@dataclass(frozen=True, kw_only=True)
class EvaluationMetrics(Record):
    """The whole ``metrics.json`` of an evaluation."""

    showerml_version: str
    seed: int
    protocol: str
    threshold_mev: float
    reference: ReferenceInfo
    units: dict[str, str]
    features: dict[str, str]
    features_showerml: dict[str, str]
    features_used: list[str]
    generated: dict[str, SampleMetrics]
    multiclass: MulticlassResult | None = None
    #: the classifiers' recipe: "official" (the challenge's), "showerml", "reduced", or "custom" (see config.json)
    classifier_recipe: str | None = None


#: the names the evaluation records had before :class:`ClassifierResult` and :class:`MulticlassResult` became
#: records themselves (one class each, two names)
ClassifierScores = ClassifierResult
MulticlassScores = MulticlassResult


@dataclass(frozen=True)
class EvaluationResult:
    """The metrics plus what the report needs (feature tables, challenge histograms, mean showers)."""

    metrics: EvaluationMetrics
    features: dict[str, FeatureTable]
    mean_showers: dict[str, np.ndarray]
    reference_label: str = "reference"
    challenge: dict[str, ChallengeHistograms] = field(default_factory=dict)
