"""Conditional flow matching and DDPM on the preprocessed shower vector ``y`` given ``c = log E_inc``.

*Flow matching* with straight paths (Lipman et al., arXiv:2210.02747; Liu et al., rectified flow,
arXiv:2209.03003; as CaloDREAM, arXiv:2405.09629): ``y_t = (1 − t) z + t y``, ``z ~ N(0, 1)``,
``t ~ U(0, 1)``; a network ``v_θ(y_t, t, c)`` regresses the velocity ``y − z`` (loss ``‖v_θ − (y − z)‖²``).
Sampling integrates ``dy/dt = v_θ`` from ``t = 0`` to 1 with ``steps`` midpoint (RK2) steps.

*DDPM* (Ho et al., arXiv:2006.11239) with the cosine schedule ``ᾱ(s) = cos²(π/2 · (s + 0.008)/1.008)``
(Nichol & Dhariwal, arXiv:2102.09672), ``s = t/T``; the network predicts ε from ``y_t = √ᾱ_t y + √(1 − ᾱ_t) ε``
(loss ``‖ε_θ − ε‖²``). The fast sampler is deterministic DDIM (Song et al., arXiv:2010.02502) on ``steps``
evenly spaced timesteps: ``ŷ = (y_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t``, ``y_{t'} = √ᾱ_{t'} ŷ + √(1 − ᾱ_{t'}) ε_θ``.
The prediction ``ŷ`` is clipped per coordinate to the range of the standardised training vectors (the analogue
of clipping images to [−1, 1]); at ``s = 1`` the division by ``√ᾱ ≈ 3·10⁻³`` otherwise throws ``ŷ`` far outside
the data: on CaloGAN e+ (20k showers) the 1 %–99 % range of ``E_tot/E_inc`` was 0.91–1.08 against the data's
0.98–1.00, and 0.95–1.00 with the clip.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from showerml.generative.base import Batch, ShowerGenerator
from showerml.nn.blocks import ResidualMLP, time_embedding

__all__ = ["FlowMatching", "DDPM", "cosine_alpha_bar"]


def cosine_alpha_bar(s: torch.Tensor) -> torch.Tensor:
    """``ᾱ(s)`` for ``s ∈ [0, 1]``, clipped to ``[1e-5, 1]``."""
    return torch.cos(0.5 * math.pi * (s + 0.008) / 1.008).pow(2).clamp(1e-5, 1.0)


class _TimeNet(nn.Module):
    def __init__(self, dim: int, width: int, blocks: int, t_dim: int) -> None:
        super().__init__()
        self.t_dim = t_dim
        self.mlp = ResidualMLP(dim, dim, 1 + t_dim, width, blocks)

    def forward(self, y: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.mlp(y, torch.cat([c, time_embedding(t, self.t_dim)], dim=1))


class FlowMatching(ShowerGenerator[_TimeNet]):
    """Conditional flow matching with straight paths and a midpoint ODE sampler."""

    kind = "cfm"
    sampling_options = ("steps",)
    default_train = {"epochs": 100, "batch_size": 256, "lr": 5e-4, "patience": 10}

    @classmethod
    def default_hparams(cls) -> dict[str, Any]:
        return {"width": 512, "blocks": 3, "time_features": 32, "steps": 20}

    def _build(self) -> _TimeNet:
        h = self.hparams
        return _TimeNet(self.dim, h["width"], h["blocks"], h["time_features"])

    def _loss(self, net: _TimeNet, batch: Batch) -> torch.Tensor:
        y, c = batch
        z = torch.randn_like(y)
        t = torch.rand(len(y), dtype=y.dtype)
        yt = (1 - t[:, None]) * z + t[:, None] * y
        return (net(yt, t, c) - (y - z)).pow(2).mean()

    def _generate(self, c: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        steps = int(self.hparams["steps"])
        y = torch.randn(len(c), self.dim, generator=generator)
        dt = 1.0 / steps
        for i in range(steps):
            t = torch.full((len(c),), i * dt)
            k1 = self.net(y, t, c)
            y = y + dt * self.net(y + 0.5 * dt * k1, t + 0.5 * dt, c)
        return y


class DDPM(ShowerGenerator[_TimeNet]):
    """ε-prediction DDPM (cosine schedule, T steps) with a deterministic few-step DDIM sampler."""

    kind = "ddpm"
    sampling_options = ("steps",)
    default_train = {"epochs": 100, "batch_size": 256, "lr": 5e-4, "patience": 10}

    @classmethod
    def default_hparams(cls) -> dict[str, Any]:
        return {"width": 512, "blocks": 3, "time_features": 32, "timesteps": 1000, "steps": 50}

    def _build(self) -> _TimeNet:
        h = self.hparams
        return _TimeNet(self.dim, h["width"], h["blocks"], h["time_features"])

    def _loss(self, net: _TimeNet, batch: Batch) -> torch.Tensor:
        y, c = batch
        T = int(self.hparams["timesteps"])
        s = torch.randint(1, T + 1, (len(y),)).to(y.dtype) / T
        ab = cosine_alpha_bar(s)[:, None]
        eps = torch.randn_like(y)
        yt = ab.sqrt() * y + (1 - ab).sqrt() * eps
        return (net(yt, s, c) - eps).pow(2).mean()

    def _generate(self, c: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        T, steps = int(self.hparams["timesteps"]), int(self.hparams["steps"])
        grid = torch.linspace(T, 0, steps + 1).round() / T  # s from 1 down to 0
        y = torch.randn(len(c), self.dim, generator=generator)
        lo = torch.as_tensor(self.prep.y_lo, dtype=y.dtype)
        hi = torch.as_tensor(self.prep.y_hi, dtype=y.dtype)
        for s, s_next in zip(grid[:-1], grid[1:], strict=True):
            ab, ab_next = cosine_alpha_bar(s), cosine_alpha_bar(s_next) if s_next > 0 else torch.tensor(1.0)
            eps = self.net(y, torch.full((len(c),), float(s)), c)
            y0 = torch.minimum(torch.maximum((y - (1 - ab).sqrt() * eps) / ab.sqrt(), lo), hi)
            y = ab_next.sqrt() * y0 + (1 - ab_next).sqrt() * eps
        return y
