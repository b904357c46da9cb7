"""The peer NIS library MadNIS (Heimel, Huetsch, Maltoni, Mattelaer, Plehn, Winterhalder, arXiv:2311.01548; PyPI
``madnis`` 1.0.0) on the same integrand, budget and seed.

Training: ⌊train_fraction·N / batch⌋ of MadNIS's own training steps (its default flow and its default loss, the
variance), with the same number of buffered steps per fresh batch as our NIS. Then ``Integrator.sample`` spends the
rest of the budget in iterations of ``eval_batch`` points with the trained flow frozen; Î ± σ is our inverse-variance
combination of those iterations, and the weights give the same metrics as for NIS and VEGAS. Every integrand call,
MadNIS's included, goes through the same counter.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from showerml.errors import MissingExtraError
from showerml.integration.budget import CountedIntegrand
from showerml.integration.estimates import combine, iteration_estimate, weight_metrics
from showerml.integration.integrands import Integrand
from showerml.integration.nis import check_budget
from showerml.integration.results import IntegrationResult

__all__ = ["MadnisConfig", "integrate_madnis"]


@dataclass(frozen=True)
class MadnisConfig:
    batch: int = 10_000
    train_fraction: float = 0.5
    buffered_steps: int = 2
    buffer_batches: int = 4
    learning_rate: float = 3e-3
    eval_batch: int = 100_000


def integrate_madnis(integrand: Integrand, calls: int, seed: int = 0, config: MadnisConfig | None = None,
                     keep_points: bool = True) -> IntegrationResult:
    """MadNIS within ``calls`` integrand evaluations (training included)."""
    try:
        Integrator = importlib.import_module("madnis.integrator").Integrator
    except ImportError:
        raise MissingExtraError("the MadNIS baseline", "integration", "madnis") from None
    cfg = config or MadnisConfig()
    check_budget(calls, cfg.batch)
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    f = CountedIntegrand(integrand, calls)

    def ft(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(f(x.detach().double().numpy())).to(x.dtype)

    integrator = Integrator(
        ft, dims=integrand.dim, batch_size=cfg.batch, learning_rate=cfg.learning_rate,
        buffer_capacity=cfg.batch * cfg.buffer_batches if cfg.buffered_steps else 0,
        minimum_buffer_size=cfg.batch, buffered_steps=cfg.buffered_steps,
    )
    steps = max(1, int(cfg.train_fraction * calls) // cfg.batch)
    # MadNIS counts buffered steps as steps and starts them only once its buffer is full: step until the next fresh
    # batch would pass our training share
    while integrator.step_type_count != 0 or f.calls + cfg.batch <= steps * cfg.batch:
        integrator.train_step()
    calls_training = f.calls
    frozen, weights, points = [], [], []
    while f.remaining >= 2:
        n = min(cfg.eval_batch, f.remaining)
        if 0 < f.remaining - n < cfg.eval_batch // 10:
            n = f.remaining
        with torch.no_grad():
            batch = integrator.sample(n, batch_size=n)
        assert batch.weights is not None
        w = batch.weights.double().numpy()
        frozen.append(iteration_estimate(w))
        weights.append(w)
        if keep_points:
            points.append(batch.x.float().numpy())
    all_w = np.concatenate(weights)
    return IntegrationResult(
        method="madnis", integrand=integrand.name, dim=integrand.dim, exact=integrand.exact,
        estimate=combine(frozen), weights=weight_metrics(all_w), calls=f.calls, calls_training=calls_training,
        seconds=time.perf_counter() - t0, seed=seed, iterations=frozen,
        settings={**asdict(cfg), "training_steps": steps, "madnis_version": _version()},
        points=np.concatenate(points) if keep_points else None, point_weights=all_w,
    )


def _version() -> str:
    from importlib.metadata import version

    return version("madnis")
