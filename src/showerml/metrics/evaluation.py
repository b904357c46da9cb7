"""The result of an evaluation: the metrics, plus what its report draws (feature tables, the challenge's histograms,
mean showers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from showerml.features import FeatureTable
from showerml.metrics.calochallenge import ChallengeHistograms

__all__ = ["EvaluationResult"]


@dataclass
class EvaluationResult:
    """The metrics dict plus what the report needs (feature tables, challenge histograms, mean showers)."""

    metrics: dict[str, Any]
    features: dict[str, FeatureTable]
    mean_showers: dict[str, np.ndarray]
    reference_label: str = "reference"
    challenge: dict[str, ChallengeHistograms] = field(default_factory=dict)
