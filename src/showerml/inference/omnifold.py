"""OmniFold: unbinned unfolding by iterated classifier reweighting (Andreassen, Komiske, Metodiev, Nachman, Thaler,
PRL 124 (2020) 182001, arXiv:1911.09107).

Simulated pairs (t, m) — truth and measurement — start with push weights ν₀ = 1. Iteration n:

1. *pull*: ω_n = ν_{n−1} · r₁(m), r₁ = p_data(m)/p_{sim,ν}(m) from a classifier of data vs simulation weighted ν;
2. *push*: ν_n = ν_{n−1} · r₂(t), r₂ = p_{gen,ω}(t)/p_{gen,ν}(t) from a classifier of the generated truth weighted
   ω_n vs the same truth weighted ν_{n−1} — turning per-event weights into a function of truth alone.

The unfolded distribution is the simulated truth weighted by ν_n (scaled to the data's count). One iteration of
OmniFold in one binned observable equals one IBU step; its strength is that it needs no bins and takes any number of
observables. Classifier: :func:`~showerml.inference.reweighting.density_ratio`.
"""

from __future__ import annotations

import numpy as np

from showerml.errors import InputError
from showerml.inference.reweighting import density_ratio

__all__ = ["omnifold"]


def omnifold(gen: np.ndarray, sim: np.ndarray, data: np.ndarray, iterations: int = 4, seed: int = 0,
             gen_weights: np.ndarray | None = None, data_weights: np.ndarray | None = None) -> np.ndarray:
    """Push weights ν (one per simulated event) after ``iterations``; Σν = the data's total weight."""
    if iterations < 1:
        raise InputError(f"OmniFold needs at least one iteration, got {iterations}")
    if len(gen) != len(sim):
        raise InputError(f"OmniFold needs paired simulation: {len(gen)} truth rows but {len(sim)} measured rows")
    w_data = np.ones(len(data)) if data_weights is None else np.asarray(data_weights, dtype=float)
    nu = np.ones(len(gen)) if gen_weights is None else np.asarray(gen_weights, dtype=float).copy()
    for it in range(iterations):
        omega = nu * density_ratio(sim, data, nu, w_data, seed=seed + 2 * it)
        nu = nu * density_ratio(gen, gen, nu, omega, seed=seed + 2 * it + 1)
        nu *= w_data.sum() / nu.sum()
    return nu
