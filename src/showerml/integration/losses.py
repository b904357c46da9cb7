"""Training divergences for neural importance sampling, written for points drawn from an earlier sampler q₀.

With f ≥ 0, I = ∫f, p = f/I and points u_i ~ q₀ (the flow when the points were drawn, possibly several steps ago:
buffered re-use), the gradients with respect to the current flow q_θ are (arXiv:1808.03856; arXiv:2001.05486)::

    KL(p ‖ q_θ):            ∇ = −E_{q₀}[ (f/q₀) ∇log q_θ ] / I
    Pearson χ² (variance):  ∇ ∫ f²/q_θ = −E_{q₀}[ f²/(q₀ q_θ) ∇log q_θ ]

Each loss below is the surrogate whose gradient is that, divided by a detached normalisation (⟨f/q₀⟩ or ⟨f/q₀⟩²)
so that the scale of f does not set the learning rate.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["LOSSES", "kl_loss", "variance_loss"]


def kl_loss(f: torch.Tensor, log_q0: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    w = f * torch.exp(-log_q0)
    return -(w * log_q).mean() / w.mean()


def variance_loss(f: torch.Tensor, log_q0: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    w = f * torch.exp(-log_q0)
    r = w * f * torch.exp(-log_q.detach())
    return -(r * log_q).mean() / w.mean() ** 2


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "kl": kl_loss,
    "variance": variance_loss,
}
