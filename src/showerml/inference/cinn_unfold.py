"""Generative unfolding with a conditional INN (Bellagente et al., SciPost Phys. 9 (2020) 074, arXiv:2006.06685),
iterated against its prior dependence (Backes, Butter, Dunford, Malaescu, arXiv:2212.08674).

A conditional flow q(t | m) is trained on simulated pairs (truth t, measurement m) — the same
:class:`~showerml.inference.posterior.PosteriorFlow` as the per-event posteriors — and every measured data event is
mapped to one truth draw t ~ q(t | m_data). q learns the posterior under the *simulation's* prior, so a data spectrum
of another shape comes out biased toward it. Each further iteration reweights the simulated truth to the current
unfolded sample with a classifier density ratio (:func:`~showerml.inference.reweighting.density_ratio`), continues
the training on the reweighted pairs, and draws again.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from showerml.errors import InputError
from showerml.inference.posterior import PosteriorConfig, PosteriorFlow, fit_posterior
from showerml.inference.reweighting import density_ratio

__all__ = ["cinn_unfold"]


def cinn_unfold(gen: np.ndarray, sim: np.ndarray, data: np.ndarray, iterations: int = 2,
                config: PosteriorConfig | None = None, seed: int = 0, progress: bool = False
                ) -> tuple[PosteriorFlow, np.ndarray]:
    """(the final flow, one unfolded truth draw per data event); 1-D truth and measurement arrays or (N, D)."""
    if iterations < 1:
        raise InputError(f"cINN unfolding needs at least one iteration, got {iterations}")
    g = np.asarray(gen, dtype=float).reshape(len(gen), -1)
    s = np.asarray(sim, dtype=float).reshape(len(sim), -1)
    d = np.asarray(data, dtype=float).reshape(len(data), -1)
    if len(g) != len(s):
        raise InputError(f"cINN unfolding needs paired simulation: {len(g)} truth rows, {len(s)} measured rows")
    cfg = config or PosteriorConfig(summary_hidden=(32,), summary_dim=8, hidden=(64, 64), transforms=4,
                                    epochs=20, batch_size=1024, patience=4, seed=seed)
    model, _ = fit_posterior(g, s, cfg, progress=progress, description="cINN unfolding")
    draws = model.sample(d, 1, seed=seed)[0]
    weights = np.ones(len(g))
    for it in range(1, iterations):
        weights = weights * density_ratio(g, draws, weights, None, seed=seed + it)
        tune = replace(cfg, epochs=max(cfg.epochs // 2, 1), lr=cfg.lr / 3, seed=cfg.seed + it)
        model, _ = fit_posterior(g, s, tune, progress=progress, description=f"cINN unfolding, iteration {it + 1}",
                                 weights=weights, init=model)
        draws = model.sample(d, 1, seed=seed + it)[0]
    return model, draws
