"""A ring buffer of evaluated points (u, f(u), log q₀(u)) for re-use in training without new integrand calls."""

from __future__ import annotations

import torch

__all__ = ["SampleBuffer"]


class SampleBuffer:
    """Holds up to ``capacity`` points; ``draw`` returns a random subset for one extra gradient step."""

    def __init__(self, capacity: int, dim: int) -> None:
        self.capacity = capacity
        self.u = torch.empty(capacity, dim)
        self.f = torch.empty(capacity)
        self.log_q0 = torch.empty(capacity)
        self.size = 0
        self._next = 0

    def add(self, u: torch.Tensor, f: torch.Tensor, log_q0: torch.Tensor) -> None:
        n = min(len(u), self.capacity)
        idx = (self._next + torch.arange(n)) % self.capacity
        self.u[idx], self.f[idx], self.log_q0[idx] = u[-n:], f[-n:], log_q0[-n:]
        self._next = int((self._next + n) % self.capacity)
        self.size = min(self.capacity, self.size + n)

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        idx = torch.randint(self.size, (min(n, self.size),), generator=generator)
        return self.u[idx], self.f[idx], self.log_q0[idx]
