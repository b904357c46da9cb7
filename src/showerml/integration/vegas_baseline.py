"""VEGAS+ baseline (Lepage, J. Comput. Phys. 439 (2021) 110386; the ``vegas`` package): warm-up, then a frozen map.

Warm-up: ``train_fraction``·N calls in ``warmup_iterations`` adapting iterations (grid and adaptive stratification,
results discarded, as the vegas documentation recommends). Then the map and the stratification are frozen and the
rest of the budget is spent in ``iterations`` iterations drawn with ``random_batch``; each gives the stratified
estimate Î_k = Σ_h Σ_{i∈h} wgt_i f_i with variance Σ_h [n_h Σ_{i∈h}(wgt_i f_i)² − (Σ_{i∈h} wgt_i f_i)²]/(n_h − 1)
(h: hypercubes), combined by inverse variance like the package does. The per-event weights W_i = N_k wgt_i f_i
(N_k points in iteration k; ⟨W⟩ = Î_k) give the same weight metrics as NIS.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from showerml.errors import MissingExtraError
from showerml.integration.budget import BudgetExhausted, CountedIntegrand
from showerml.integration.estimates import Estimate, combine, weight_metrics
from showerml.integration.integrands import Integrand
from showerml.integration.results import IntegrationResult

__all__ = ["VegasConfig", "integrate_vegas"]


@dataclass(frozen=True)
class VegasConfig:
    train_fraction: float = 0.5
    warmup_iterations: int = 10
    iterations: int = 5
    alpha: float = 0.5  # grid damping (the package default)
    beta: float = 0.75  # VEGAS+ stratification damping (the package default; 0 = classic VEGAS)


def _import_vegas() -> Any:
    try:
        import vegas
    except ImportError:
        raise MissingExtraError("the VEGAS baseline", "integration", "vegas") from None
    return vegas


def _iteration(integ: Any, f: CountedIntegrand, keep: bool) -> tuple[Estimate, np.ndarray, np.ndarray | None]:
    xs, ws, hs, fs = [], [], [], []
    for x, wgt, hcube in integ.random_batch(yield_hcube=True):
        x = np.array(x, dtype=np.float64)
        fs.append(f(x))
        ws.append(np.array(wgt, dtype=np.float64))
        hs.append(np.array(hcube, dtype=np.int64))
        if keep:
            xs.append(x.astype(np.float32))
    wf = np.concatenate(ws) * np.concatenate(fs)
    h = np.concatenate(hs)
    _, inv = np.unique(h, return_inverse=True)
    n_h = np.bincount(inv).astype(np.float64)
    s1 = np.bincount(inv, weights=wf)
    s2 = np.bincount(inv, weights=wf * wf)
    var_h = np.where(n_h > 1, (n_h * s2 - s1**2) / np.maximum(n_h - 1, 1), 0.0)
    value, var = float(s1.sum()), float(max(var_h.sum(), 0.0))
    n = len(wf)
    return Estimate(value, math.sqrt(var), n), n * wf, np.concatenate(xs) if keep else None


def integrate_vegas(integrand: Integrand, calls: int, seed: int = 0, config: VegasConfig | None = None,
                    keep_points: bool = True) -> IntegrationResult:
    """VEGAS+ within ``calls`` integrand evaluations (warm-up included)."""
    vegas = _import_vegas()
    cfg = config or VegasConfig()
    t0 = time.perf_counter()
    f = CountedIntegrand(integrand, calls)
    rng = np.random.default_rng(seed)
    integ = vegas.Integrator(integrand.dim * [[0.0, 1.0]], alpha=cfg.alpha, beta=cfg.beta,
                             ran_array_generator=rng.random)

    @vegas.lbatchintegrand
    def fv(x: np.ndarray) -> np.ndarray:
        return f(np.asarray(x, dtype=np.float64))

    warm = int(cfg.train_fraction * calls)
    integ(fv, nitn=cfg.warmup_iterations, neval=max(2 * 2**integrand.dim, warm // cfg.warmup_iterations))
    calls_training = f.calls
    # neval is an upper bound per iteration in vegas ≥ 4; keep 2 % head-room
    per_iteration = int(0.98 * f.remaining / cfg.iterations)
    integ.set(neval=per_iteration, adapt=False)
    frozen, weights, points = [], [], []
    for _ in range(cfg.iterations):
        try:
            est, w, x = _iteration(integ, f, keep_points)
        except BudgetExhausted:  # a partial iteration would miss hypercubes: drop it
            break
        frozen.append(est)
        weights.append(w)
        if x is not None:
            points.append(x)
    estimate = combine(frozen)
    all_w = np.concatenate(weights)
    return IntegrationResult(
        method="vegas", integrand=integrand.name, dim=integrand.dim, exact=integrand.exact, estimate=estimate,
        weights=weight_metrics(all_w), calls=f.calls, calls_training=calls_training,
        seconds=time.perf_counter() - t0, seed=seed, iterations=frozen, settings=asdict(cfg),
        points=np.concatenate(points) if keep_points else None, point_weights=all_w,
    )
