"""Neural importance sampling (i-flow, arXiv:2001.05486): train a flow online on the integrand, then integrate.

Budget N calls, all counted: a training phase of ⌊train_fraction·N / batch⌋ steps, each drawing ``batch`` fresh
points from the current flow, evaluating f on them and taking one gradient step on the chosen divergence
(:mod:`showerml.integration.losses`), followed by ``buffered_steps`` more steps on points re-drawn from a buffer of
evaluated points (no new calls; the loss accounts for the older sampler). Then the flow is frozen and the remaining
calls are spent in iterations of ``eval_batch`` points; Î ± σ is the inverse-variance combination of those frozen
iterations (and, with ``combine="late"``, of the training iterations of the last quarter of training too — their
sampler was still moving, which the χ²/dof shows). Weight metrics and unweighted events come from the frozen
iterations.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from showerml.errors import InputError
from showerml.integration.budget import CountedIntegrand
from showerml.integration.buffer import SampleBuffer
from showerml.integration.estimates import Estimate, combine, iteration_estimate, weight_metrics
from showerml.integration.flow import UnitCubeFlow
from showerml.integration.integrands import Integrand
from showerml.integration.losses import LOSSES
from showerml.integration.results import IntegrationResult

__all__ = ["NISConfig", "integrate_nis", "check_budget"]


@dataclass(frozen=True)
class NISConfig:
    """Settings of the NIS integrator (defaults used by ``showerml integrate`` and the benchmark)."""

    loss: str = "variance"
    batch: int = 10_000
    train_fraction: float = 0.5
    buffered_steps: int = 2
    buffer_batches: int = 4
    learning_rate: float = 3e-3
    layers: int | None = None
    bins: int = 16
    hidden: int = 64
    eval_batch: int = 100_000
    combine: str = "frozen"

    def check(self) -> None:
        if self.loss not in LOSSES:
            raise InputError(f"--loss must be one of {', '.join(LOSSES)}, got '{self.loss}'")
        if self.combine not in ("frozen", "late"):
            raise InputError(f"combine must be 'frozen' or 'late', got '{self.combine}'")
        if not 0 < self.train_fraction < 1:
            raise InputError(f"--train-fraction must be in (0, 1), got {self.train_fraction}")
        if self.batch < 2 or self.eval_batch < 2:
            raise InputError(f"--batch must be at least 2, got {self.batch}")


def check_budget(calls: int, batch: int) -> None:
    """A budget must hold at least one training batch and one integration batch of the same size."""
    if calls < 2 * batch:
        raise InputError(f"--calls {calls} is smaller than one training batch plus one integration batch "
                         f"(2 × --batch = {2 * batch}); raise --calls or lower --batch")


def _train(flow: UnitCubeFlow, f: CountedIntegrand, steps: int, cfg: NISConfig, gen: torch.Generator
           ) -> list[Estimate]:
    loss_fn = LOSSES[cfg.loss]
    opt = torch.optim.Adam(flow.parameters(), lr=cfg.learning_rate)
    total = max(1, steps * (1 + cfg.buffered_steps))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=cfg.learning_rate / 20)
    buffer = SampleBuffer(cfg.batch * cfg.buffer_batches, flow.dim)
    history = []

    def step(u: torch.Tensor, fu: torch.Tensor, log_q0: torch.Tensor) -> None:
        if not bool((fu > 0).any()):  # nothing seen yet: no gradient information
            sched.step()
            return
        opt.zero_grad()
        loss = loss_fn(fu, log_q0, flow.log_prob(u))
        if torch.isfinite(loss):
            loss.backward()
            torch.nn.utils.clip_grad_norm_(flow.parameters(), 10.0)
            opt.step()
        sched.step()

    for _ in range(steps):
        u, log_q0 = flow.sample(cfg.batch, gen)
        fu = torch.from_numpy(f(u.numpy().astype(np.float64))).to(u.dtype)
        history.append(iteration_estimate(fu.double().numpy() * np.exp(-log_q0.double().numpy())))
        buffer.add(u, fu, log_q0)
        step(u, fu, log_q0)
        for _ in range(cfg.buffered_steps):
            step(*buffer.draw(cfg.batch, gen))
    return history


def integrate_nis(integrand: Integrand, calls: int, seed: int = 0, config: NISConfig | None = None,
                  keep_points: bool = True) -> IntegrationResult:
    """Train and integrate within ``calls`` integrand evaluations; see the module docstring."""
    cfg = config or NISConfig()
    cfg.check()
    check_budget(calls, cfg.batch)
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    flow = UnitCubeFlow(integrand.dim, layers=cfg.layers, bins=cfg.bins, hidden=cfg.hidden)
    f = CountedIntegrand(integrand, calls)
    steps = max(1, int(cfg.train_fraction * calls) // cfg.batch)
    history = _train(flow, f, steps, cfg, gen)
    calls_training = f.calls

    flow.eval()
    frozen: list[Estimate] = []
    points, weights = [], []
    while f.remaining >= 2:
        n = min(cfg.eval_batch, f.remaining)
        if 0 < f.remaining - n < cfg.eval_batch // 10:  # fold a small remainder into this iteration
            n = f.remaining
        u, log_q = flow.sample(n, gen)
        x = u.numpy().astype(np.float64)
        w = f(x) * np.exp(-log_q.double().numpy())
        frozen.append(iteration_estimate(w))
        weights.append(w)
        if keep_points:
            points.append(u.numpy())
    used = frozen + (history[-max(1, len(history) // 4):] if cfg.combine == "late" else [])
    estimate = combine(used)
    all_w = np.concatenate(weights)
    notes = []
    if math.isfinite(estimate.chi2_dof) and estimate.chi2_dof > 3:
        notes.append(f"iterations disagree (χ²/dof = {estimate.chi2_dof:.1f}); the error may be underestimated")
    return IntegrationResult(
        method="nis", integrand=integrand.name, dim=integrand.dim, exact=integrand.exact, estimate=estimate,
        weights=weight_metrics(all_w), calls=f.calls, calls_training=calls_training,
        seconds=time.perf_counter() - t0, seed=seed, iterations=history + frozen,
        settings={**asdict(cfg), "training_steps": steps}, notes=notes,
        points=np.concatenate(points) if keep_points else None, point_weights=all_w,
    )
