"""Iterative Bayesian unfolding (D'Agostini, NIM A 362 (1995) 487).

With the response R_ij = P(measured bin i | true bin j) and efficiency ε_j = Σ_i R_ij estimated from simulation, a
prior p_j (the simulated truth spectrum by default) is updated n times:

    M_ji = R_ij p_j / Σ_k R_ik p_k,   u_j = (1/ε_j) Σ_i M_ji d_i,   p ← u / Σ u.

Few iterations regularise (the result stays near the prior); many approach the (noisy) matrix inversion. Per-bin
errors come from a bootstrap that redraws both the data (Poisson) and the simulation (with replacement) and repeats
the whole unfolding (:func:`bootstrap`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from showerml.errors import InputError

__all__ = ["bootstrap", "ibu", "response_matrix"]


def response_matrix(true: np.ndarray, measured: np.ndarray, true_edges: np.ndarray, meas_edges: np.ndarray,
                    weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(R (n_meas, n_true), simulated truth counts per true bin); events measured outside the edges lower ε."""
    w = np.ones(len(true)) if weights is None else np.asarray(weights, dtype=float)
    h2, _, _ = np.histogram2d(measured, true, bins=(meas_edges, true_edges), weights=w)
    gen, _ = np.histogram(true, bins=true_edges, weights=w)
    if (gen <= 0).any():
        raise InputError("a true bin holds no simulated events; widen the bins or simulate more")
    return h2 / gen[None, :], gen


def ibu(data: np.ndarray, response: np.ndarray, prior: np.ndarray, iterations: int) -> np.ndarray:
    """Unfolded counts per true bin after ``iterations`` updates of ``prior`` (any normalisation)."""
    if iterations < 1:
        raise InputError(f"IBU needs at least one iteration, got {iterations}")
    d = np.asarray(data, dtype=float)
    eff = response.sum(axis=0)
    p = np.asarray(prior, dtype=float) / np.sum(prior)
    u = p * d.sum()
    for _ in range(iterations):
        folded = response @ p
        m = response * p[None, :] / np.where(folded > 0, folded, 1.0)[:, None]
        u = (m * d[:, None]).sum(axis=0) / np.where(eff > 0, eff, 1.0)
        p = u / u.sum()
    return u


def bootstrap(unfold: Callable[[np.random.Generator | None], np.ndarray], n_boot: int, seed: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """(central result, per-bin standard deviation over ``n_boot`` replicas); ``unfold(None)`` is the nominal run,
    ``unfold(rng)`` a replica that resamples its inputs with ``rng``."""
    if n_boot < 2:
        raise InputError(f"a bootstrap needs at least 2 replicas, got {n_boot}")
    central = unfold(None)
    reps = np.stack([unfold(np.random.default_rng([seed, b])) for b in range(n_boot)])
    return central, reps.std(axis=0, ddof=1)
