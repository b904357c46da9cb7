"""Network blocks shared by every model family: a plain MLP, a residual MLP with context, a time embedding."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

__all__ = ["ResidualMLP", "mlp", "time_embedding"]


def mlp(
    n_in: int,
    n_out: int,
    hidden: Sequence[int],
    activation: Callable[[], nn.Module] = nn.ReLU,
    dropout: float = 0.0,
) -> nn.Sequential:
    """``Linear → activation (→ Dropout)`` per hidden width, then a linear output layer."""
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), activation()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def time_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of ``t ∈ [0, 1]``: ``[sin(ω_k t), cos(ω_k t)]`` with ``ω_k`` log-spaced in [1, 1000]
    (Vaswani et al., arXiv:1706.03762)."""
    omega = torch.exp(torch.linspace(0.0, math.log(1000.0), dim // 2, dtype=t.dtype))
    angles = t[:, None] * omega[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class _Block(nn.Module):
    def __init__(self, width: int, cond: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width + cond, width)
        self.fc2 = nn.Linear(width, width)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        z = self.fc1(torch.cat([self.norm(h), cond], dim=1))
        return h + self.fc2(nn.functional.silu(z))


class ResidualMLP(nn.Module):
    """``f(x, cond)``: input layer, ``blocks`` pre-norm residual blocks that each see ``cond`` again, output layer."""

    def __init__(
        self, in_features: int, out_features: int, cond_features: int, width: int = 512, blocks: int = 3
    ) -> None:
        super().__init__()
        self.inp = nn.Linear(in_features + cond_features, width)
        self.blocks = nn.ModuleList(_Block(width, cond_features) for _ in range(blocks))
        self.out = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), nn.Linear(width, out_features))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = self.inp(torch.cat([x, cond], dim=1))
        for block in self.blocks:
            h = block(h, cond)
        out: torch.Tensor = self.out(h)
        return out
