"""Multi-channel neural importance sampling: one flow per phase-space mapping, channel weights from the mappings.

Channels k = 1…K are bijections T_k: [0, 1]^d → [0, 1]^d with densities g_k(x) = 1/|∂T_k/∂u| at u = T_k⁻¹(x)
(e.g. a Breit–Wigner mapping and a flat one). With the prior channel weights α_k(x) = g_k(x)/Σ_j g_j(x)
(Kleiss & Pittau, Comput. Phys. Commun. 83 (1994) 141; the MadNIS construction, arXiv:2212.06172),

    I = Σ_k ∫ du α_k(T_k(u)) f(T_k(u)) |∂T_k/∂u|,

and each term is a single-channel problem for :func:`~showerml.integration.nis.integrate_nis` with its own flow and
a share of the budget. Î = Σ_k Î_k, σ² = Σ_k σ_k²; a combined event sample weights channel k's events by N/N_k.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from showerml.integration.estimates import Estimate, weight_metrics
from showerml.integration.integrands import Integrand
from showerml.integration.nis import NISConfig, integrate_nis
from showerml.integration.results import IntegrationResult

__all__ = ["Channel", "integrate_multichannel"]


@dataclass(frozen=True)
class Channel:
    """A mapping: ``forward(u) → (x, |∂x/∂u|)`` and ``density(x) = g(x)``, both vectorised over points."""

    name: str
    forward: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    density: Callable[[np.ndarray], np.ndarray]


def _channel_integrand(f: Integrand, channels: Sequence[Channel], k: int) -> Integrand:
    def fn(u: np.ndarray) -> np.ndarray:
        x, jac = channels[k].forward(u)
        g = np.stack([c.density(x) for c in channels])
        alpha = g[k] / g.sum(axis=0)
        return np.asarray(alpha * f(x) * jac)

    return Integrand(f"{f.name}[{channels[k].name}]", f.dim, fn, None, f"channel {channels[k].name} of {f.name}")


def integrate_multichannel(f: Integrand, channels: Sequence[Channel], calls: int, seed: int = 0,
                           config: NISConfig | None = None) -> IntegrationResult:
    """Split ``calls`` equally over the channels; one NIS run per channel (seeds seed, seed+1, …)."""
    t0 = time.perf_counter()
    share = calls // len(channels)
    parts = [integrate_nis(_channel_integrand(f, channels, k), share, seed + k, config, keep_points=False)
             for k in range(len(channels))]
    value = sum(p.estimate.value for p in parts)
    error = float(np.sqrt(sum(p.estimate.error**2 for p in parts)))
    final = [p.point_weights for p in parts if p.point_weights is not None]
    n_final = sum(len(w) for w in final)
    weights = np.concatenate([w * (n_final / len(w)) for w in final])  # one sample: channel k's events × N/N_k
    return IntegrationResult(
        method="nis-multichannel", integrand=f.name, dim=f.dim, exact=f.exact,
        estimate=Estimate(value, error, sum(p.estimate.n for p in parts)),
        weights=weight_metrics(weights), calls=sum(p.calls for p in parts),
        calls_training=sum(p.calls_training for p in parts), seconds=time.perf_counter() - t0, seed=seed,
        settings={"channels": [c.name for c in channels],
                  "per_channel": {c.name: {"integral": p.estimate.value, "error": p.estimate.error}
                                  for c, p in zip(channels, parts, strict=True)}},
    )
