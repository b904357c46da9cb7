"""Conditional density p(x | m_jj) with a zuko masked autoregressive flow, for ANODE and CATHODE.

Preprocessing as in CATHODE (arXiv:2109.00546): each feature is scaled to u ∈ (0, 1) with the training range
(widened by 5 % on each side), mapped to y = logit(α + (1 − 2α) u) with α = 10⁻⁶, then standardised; the flow
(MAF, Papamakarios et al., arXiv:1705.07057) models y given the standardised m_jj (TeV). Densities are returned
in the original coordinates: ln p(x|m) = ln p_flow(y|m) + Σ_d ln |dy_d/dx_d|, with
dy/dx = (1 − 2α) / [(x_max − x_min) · v (1 − v) · σ_y], v = α + (1 − 2α) u.
"""

from __future__ import annotations

import numpy as np
import torch
import zuko

from showerml.errors import InputError
from showerml.nn.training import TrainConfig, train

__all__ = ["ConditionalFlow"]

ALPHA = 1e-6


class ConditionalFlow:
    """``fit(x, m)``, ``log_prob(x, m)``, ``sample(m, seed)``; x (N, D), m (N,) in GeV."""

    def __init__(
        self,
        transforms: int = 4,
        hidden: tuple[int, ...] = (64, 64),
        epochs: int = 100,
        patience: int = 10,
        batch_size: int = 512,
        lr: float = 1e-3,
        seed: int = 0,
        progress: bool = False,
    ) -> None:
        self.transforms, self.hidden, self.epochs, self.patience = transforms, hidden, epochs, patience
        self.batch_size, self.lr, self.seed, self.progress = batch_size, lr, seed, progress
        self.flow: zuko.flows.MAF | None = None

    # -- preprocessing ------------------------------------------------------------------------------------------
    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """y and Σ ln |dy/dx| per event."""
        u = np.clip((x - self.lo) / (self.hi - self.lo), 0.0, 1.0)
        v = ALPHA + (1 - 2 * ALPHA) * u
        y = (np.log(v) - np.log1p(-v) - self.y_mean) / self.y_std
        logdet = np.log(1 - 2 * ALPHA) - np.log(self.hi - self.lo) - np.log(v) - np.log1p(-v) - np.log(self.y_std)
        return y, logdet.sum(axis=1)

    def _inverse(self, y: np.ndarray) -> np.ndarray:
        v = 1.0 / (1.0 + np.exp(-(y * self.y_std + self.y_mean)))
        u = (v - ALPHA) / (1 - 2 * ALPHA)
        return self.lo + u * (self.hi - self.lo)

    def _context(self, m: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(((np.asarray(m) / 1000.0 - self.m_mean) / self.m_std)[:, None], dtype=torch.float32)

    # -- interface ----------------------------------------------------------------------------------------------
    def fit(
        self, x: np.ndarray, m: np.ndarray, validation: tuple[np.ndarray, np.ndarray] | None = None
    ) -> ConditionalFlow:
        """Maximum likelihood on (x, m); ``validation`` = (x_val, m_val) for early stopping instead of a random 20 %."""
        if len(x) < 20:
            raise InputError(f"a density estimate needs at least 20 training events, got {len(x)}")
        span = x.max(axis=0) - x.min(axis=0)
        span = np.where(span > 0, span, 1.0)
        self.lo, self.hi = x.min(axis=0) - 0.05 * span, x.max(axis=0) + 0.05 * span
        self.y_mean, self.y_std = np.zeros(x.shape[1]), np.ones(x.shape[1])
        y, _ = self._forward(x)
        self.y_mean, self.y_std = y.mean(axis=0), np.where(y.std(axis=0) > 0, y.std(axis=0), 1.0)
        y, _ = self._forward(x)
        mt = np.asarray(m) / 1000.0
        self.m_mean, self.m_std = float(mt.mean()), float(mt.std() or 1.0)
        torch.manual_seed(self.seed)
        self.flow = zuko.flows.MAF(x.shape[1], 1, transforms=self.transforms, hidden_features=self.hidden)
        yt, ct = torch.as_tensor(y, dtype=torch.float32), self._context(m)
        if validation is not None:
            yv, _ = self._forward(np.asarray(validation[0]))
            yt = torch.cat([yt, torch.as_tensor(yv, dtype=torch.float32)])
            ct = torch.cat([ct, self._context(np.asarray(validation[1]))])
            tr, val = torch.arange(len(y)), torch.arange(len(y), len(yt))
        else:
            order = np.random.default_rng(self.seed).permutation(len(yt))
            n_val = max(int(0.2 * len(yt)), 1)
            val, tr = torch.as_tensor(order[:n_val]), torch.as_tensor(order[n_val:])

        def nll(flow: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            return -flow(batch[1]).log_prob(batch[0]).mean()

        cfg = TrainConfig(
            epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, patience=self.patience, seed=self.seed,
            progress=self.progress, description="flow",
        )
        train(self.flow, nll, (yt[tr], ct[tr]), (yt[val], ct[val]), cfg)
        return self

    @torch.no_grad()
    def log_prob(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """ln p(x | m) in the original coordinates (events outside the training range are clipped to its edge)."""
        if self.flow is None:
            raise InputError("call fit before log_prob")
        y, logdet = self._forward(x)
        lp = self.flow(self._context(m)).log_prob(torch.as_tensor(y, dtype=torch.float32)).numpy()
        return lp.astype(np.float64) + logdet

    @torch.no_grad()
    def sample(self, m: np.ndarray, seed: int = 0) -> np.ndarray:
        """One x per condition m (GeV)."""
        if self.flow is None:
            raise InputError("call fit before sample")
        torch.manual_seed(seed)
        y = self.flow(self._context(m)).sample().numpy().astype(np.float64)
        return self._inverse(y)
