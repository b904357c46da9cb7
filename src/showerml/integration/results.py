"""What one integrator run returns: the estimate, the weight quality, the calls and time it took, and the final
weighted sample (kept in memory for unweighting; not serialised)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from showerml.integration.estimates import Estimate, WeightMetrics

__all__ = ["IntegrationResult"]


@dataclass
class IntegrationResult:
    """One method on one integrand: Î ± σ from the iterations it combines, metrics of its final weights."""

    method: str
    integrand: str
    dim: int
    exact: float | None
    estimate: Estimate
    weights: WeightMetrics
    calls: int
    calls_training: int
    seconds: float
    seed: int
    iterations: list[Estimate] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: final-phase points (float32, (n, dim)) and their weights f/q (float64), for unweighting
    points: np.ndarray | None = field(default=None, repr=False)
    point_weights: np.ndarray | None = field(default=None, repr=False)

    @property
    def relative_error(self) -> float:
        v = self.estimate.value
        return self.estimate.error / abs(v) if v else math.inf

    @property
    def pull(self) -> float:
        """(Î − I)/σ, nan without an exact value."""
        if self.exact is None or self.estimate.error <= 0:
            return math.nan
        return (self.estimate.value - self.exact) / self.estimate.error

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "integrand": self.integrand,
            "dim": self.dim,
            "exact": self.exact,
            "integral": self.estimate.value,
            "error": self.estimate.error,
            "relative_error": self.relative_error,
            "pull": self.pull,
            "chi2_per_dof_iterations": self.estimate.chi2_dof,
            "points_in_estimate": self.estimate.n,
            **{f"weights_{k}": v for k, v in self.weights.to_json().items()},
            "calls": self.calls,
            "calls_training": self.calls_training,
            "wall_seconds": self.seconds,
            "seed": self.seed,
            "iterations": [e.to_json() for e in self.iterations],
            "settings": self.settings,
            "notes": self.notes,
        }
