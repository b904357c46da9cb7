"""Unweighted events from a weighted sample: accept u_i with probability min(1, w_i/w_max) (hit-or-miss).

With w_max = max w the accepted events are exactly distributed as f/I; with the robust w_max = w_δ the events above
it are kept with weight w_i/w_δ > 1 (the overweights; their cross-section fraction is reported), as in
arXiv:2001.10028. The file is written atomically through :class:`showerml.io.hdf5.EventWriter`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from showerml.integration.results import IntegrationResult
from showerml.io.hdf5 import EventWriter

__all__ = ["unweight", "write_events"]


def unweight(points: np.ndarray, weights: np.ndarray, w_max: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(accepted points, their residual weights max(1, w/w_max))."""
    rng = np.random.default_rng(seed)
    keep = rng.random(len(weights)) * w_max < weights
    return points[keep], np.maximum(1.0, weights[keep] / w_max)


def write_events(path: str | os.PathLike[str], result: IntegrationResult, robust: bool, seed: int,
                 overwrite: bool = False) -> int:
    """Unweight ``result``'s final sample and write ``x`` (n, dim) and ``weight`` (n,) to ``path``; returns n."""
    assert result.points is not None and result.point_weights is not None
    w = result.point_weights
    nonzero = w[w > 0]
    if robust and len(nonzero):
        w_max = float(np.quantile(nonzero, 1 - result.weights.robust_delta))
    else:
        w_max = float(w.max()) if len(w) else 1.0
    x, residual = unweight(result.points, w, max(w_max, np.finfo(float).tiny), seed)
    attrs: dict[str, Any] = {
        "integrand": result.integrand, "method": result.method, "integral": result.estimate.value,
        "integral_error": result.estimate.error, "w_max": w_max, "w_max_definition": "quantile 1-delta" if robust
        else "maximum", "seed": seed, "calls": result.calls,
    }
    with EventWriter(path, attrs=attrs, overwrite=overwrite) as out:
        out.append({"x": x.astype(np.float64), "weight": residual})
    return len(x)
