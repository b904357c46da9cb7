"""The field's evaluation metrics as plain functions on arrays (formula and reference in each docstring).

The classifier test needs torch; it is imported on first use so that the numpy-only metrics stay light.
"""

from __future__ import annotations

from typing import Any

from showerml.metrics.distances import DistanceResult, fpd, frechet_distance, kpd, mmd2_unbiased
from showerml.metrics.distortion import distort_showers
from showerml.metrics.histograms import HistogramPair, histogram_pair, separation_power
from showerml.metrics.timing import TimingResult, time_generator

_CLASSIFIER = (
    "ClassifierConfig",
    "ClassifierResult",
    "MulticlassResult",
    "calochallenge_voxel_config",
    "classifier_test",
    "multiclass_test",
    "showerml_voxel_config",
    "voxel_classifier_test",
)

__all__ = [
    "ClassifierConfig",
    "ClassifierResult",
    "DistanceResult",
    "HistogramPair",
    "MulticlassResult",
    "TimingResult",
    "calochallenge_voxel_config",
    "classifier_test",
    "distort_showers",
    "fpd",
    "frechet_distance",
    "histogram_pair",
    "kpd",
    "mmd2_unbiased",
    "multiclass_test",
    "separation_power",
    "showerml_voxel_config",
    "time_generator",
    "voxel_classifier_test",
]


def __getattr__(name: str) -> Any:
    if name in _CLASSIFIER:
        from showerml.metrics import classifier

        return getattr(classifier, name)
    raise AttributeError(f"module 'showerml.metrics' has no attribute '{name}'")
