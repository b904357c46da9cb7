"""A normalizing flow on the unit hypercube: rational-quadratic spline coupling layers with a uniform base (i-flow).

As in i-flow (Gao, Isaacson, Krause, arXiv:2001.05486) and neural importance sampling (Müller et al.,
arXiv:1808.03856): z ~ U[−1, 1]^d, y = T⁻¹(z) with T a stack of coupling layers whose element-wise maps are monotonic
rational-quadratic splines on [−1, 1] (Durkan et al., arXiv:1906.04032; zuko's MonotonicRQSTransform with bound 1),
and u = (y + 1)/2 ∈ [0, 1]^d. The splines map [−1, 1] onto itself, so the density of u is

    q(u) = |det ∂T/∂y| (the factors 2^d of the base and of u = (y + 1)/2 cancel),

and log q needs only the forward pass (one pass of every coupling layer). Coupling: zuko's masked autoregressive
transform with two passes; the feature order is permuted from layer to layer (reversed, then rolled by half) so that
every coordinate is conditioned on every other after a few layers.
"""

from __future__ import annotations

from functools import partial

import torch
import zuko
from torch import nn
from zuko.transforms import ComposedTransform, MonotonicRQSTransform

__all__ = ["UnitCubeFlow", "default_layers"]


def default_layers(dim: int) -> int:
    """Coupling layers: 2⌈log₂ d⌉ + 2 (4 in 2-d, 6 in 4-d, 8 in 8-d, 10 in 16-d)."""
    return 2 * max(1, (dim - 1).bit_length()) + 2


def _orders(dim: int, layers: int) -> list[torch.Tensor]:
    base = torch.arange(dim)
    out = []
    for i in range(layers):
        order = torch.roll(base, shifts=(i // 2) * max(1, dim // 4)) if dim > 2 else base
        out.append(order.flip(0) if i % 2 else order)
    return out


class UnitCubeFlow(nn.Module):
    """Sampler and density on [0, 1]^dim (a 1-d problem uses a single unconditional spline)."""

    def __init__(self, dim: int, layers: int | None = None, bins: int = 16, hidden: int = 64, depth: int = 2) -> None:
        super().__init__()
        self.dim = dim
        univariate = partial(MonotonicRQSTransform, bound=1.0, slope=1e-3)
        shapes = [(bins,), (bins,), (bins - 1,)]
        n_layers = layers or default_layers(dim)
        self.transforms = nn.ModuleList(
            zuko.flows.MaskedAutoregressiveTransform(
                features=dim, passes=2 if dim > 1 else None, order=order if dim > 1 else None,
                univariate=univariate, shapes=shapes, hidden_features=[hidden] * depth,
            )
            for order in _orders(dim, n_layers)
        )

    def _transform(self) -> ComposedTransform:
        return ComposedTransform(*(t() for t in self.transforms))

    def log_prob(self, u: torch.Tensor) -> torch.Tensor:
        """log q(u) for points u in [0, 1]^dim."""
        _, ladj = self._transform().call_and_ladj(2 * u - 1)
        return ladj

    def sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """n points u ~ q and log q(u), without gradients."""
        param = next(self.parameters())
        with torch.no_grad():
            z = torch.rand(n, self.dim, generator=generator, dtype=param.dtype) * 2 - 1
            y, ladj_inv = self._transform().inv.call_and_ladj(z)
        return ((y + 1) / 2).clamp(0.0, 1.0), -ladj_inv
