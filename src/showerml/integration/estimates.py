"""Estimates from importance weights: per-iteration integrals, their inverse-variance combination, weight quality.

For points u_i ~ q and weights w_i = f(u_i)/q(u_i), one iteration gives Î_k = ⟨w⟩ and σ_k² = Var(w)/n. Iterations
combine as Î = Σ Î_k σ_k⁻² / Σ σ_k⁻², σ = (Σ σ_k⁻²)^(−½), with χ²/dof = Σ (Î_k − Î)² σ_k⁻² / (K − 1) as the
consistency check (as VEGAS reports; Lepage, J. Comput. Phys. 27 (1978) 192).

Weight quality on the final sample (Kish's effective sample size; unweighting as in arXiv:2001.10028):

- σ_w/⟨w⟩ and ESS/N = (Σw)² / (N Σw²) = 1/(1 + (σ_w/⟨w⟩)²) (population variance);
- raw unweighting efficiency ⟨w⟩/max w;
- robust efficiency ⟨w⟩/w_δ with w_δ the (1 − δ) quantile of the non-zero weights (δ = 10⁻³), reported with the
  cross-section fraction carried by the events above w_δ (their overweights are what unweighting at w_δ mistreats);
- bootstrap-median efficiency ⟨w⟩/median(max of a bootstrap replica of N weights) (Gao, Höche, Isaacson, Krause,
  Schulz, arXiv:2001.10028, Sec. 3). The median needs no resampling: a replica's maximum is ≤ w_(k) (k-th smallest)
  with probability (k/N)^N, so the median is w_(k) with k = ⌈N·2^(−1/N)⌉, about the ln 2-th largest weight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Estimate", "WeightMetrics", "combine", "iteration_estimate", "weight_metrics"]


@dataclass(frozen=True)
class Estimate:
    """An integral estimate with its standard error, the number of points behind it and the χ²/dof of the iterations
    it combines (nan for one iteration)."""

    value: float
    error: float
    n: int
    chi2_dof: float = math.nan

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def iteration_estimate(weights: np.ndarray) -> Estimate:
    """Î = ⟨w⟩, σ = √(Var(w)/(n(n−1)/n)) i.e. the sample standard deviation over √n."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    var = float(np.var(w, ddof=1)) if n > 1 else math.inf
    return Estimate(float(np.mean(w)), math.sqrt(var / n), n)


def combine(estimates: Sequence[Estimate]) -> Estimate:
    """Inverse-variance combination; iterations with zero error (all weights equal, e.g. f ≡ 0 seen so far) are
    merged by plain averaging of their values with the others' weights so that they cannot dominate."""
    if not estimates:
        raise ValueError("no iterations to combine")
    usable = [e for e in estimates if e.error > 0 and math.isfinite(e.error)]
    if not usable:
        n = sum(e.n for e in estimates)
        value = sum(e.value * e.n for e in estimates) / n
        return Estimate(value, 0.0, n)
    inv = np.array([1 / e.error**2 for e in usable])
    vals = np.array([e.value for e in usable])
    value = float(np.sum(inv * vals) / np.sum(inv))
    error = float(np.sum(inv) ** -0.5)
    chi2 = float(np.sum(inv * (vals - value) ** 2) / (len(usable) - 1)) if len(usable) > 1 else math.nan
    return Estimate(value, error, sum(e.n for e in estimates), chi2)


@dataclass(frozen=True)
class WeightMetrics:
    """Quality of a weighted sample (see the module docstring)."""

    n: int
    sigma_over_mean: float
    ess_over_n: float
    unweighting_raw: float
    unweighting_robust: float
    robust_delta: float
    xs_fraction_above_robust: float
    unweighting_bootstrap_median: float
    zero_fraction: float

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def weight_metrics(weights: np.ndarray, delta: float = 1e-3) -> WeightMetrics:
    """Metrics of the weights w_i ≥ 0 of one sample (zeros, e.g. points outside cuts, count in N)."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    mean = float(w.mean())
    if n == 0 or mean <= 0:
        return WeightMetrics(n, math.nan, 0.0, 0.0, 0.0, delta, math.nan, 0.0, 1.0 if n else math.nan)
    sigma = float(w.std())
    ess = float(w.sum() ** 2 / (n * np.sum(w * w)))
    nonzero = np.sort(w[w > 0])
    w_delta = float(np.quantile(nonzero, 1 - delta)) if len(nonzero) else math.nan
    above = float(nonzero[nonzero > w_delta].sum() / nonzero.sum())
    ws = np.sort(w)
    k = min(n, math.ceil(n * 2.0 ** (-1.0 / n)))
    w_median_max = float(ws[k - 1])
    return WeightMetrics(
        n=n,
        sigma_over_mean=sigma / mean,
        ess_over_n=ess,
        unweighting_raw=mean / float(ws[-1]),
        unweighting_robust=min(1.0, mean / w_delta),
        robust_delta=delta,
        xs_fraction_above_robust=above,
        unweighting_bootstrap_median=min(1.0, mean / w_median_max) if w_median_max > 0 else 0.0,
        zero_fraction=float(np.mean(w == 0)),
    )
