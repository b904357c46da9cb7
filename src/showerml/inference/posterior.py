"""A conditional normalizing flow p(θ | x) with a summary network (neural posterior estimation).

x is standardised per column and compressed by an MLP summary network h = S(x) (BayesFlow, Radev et al.,
arXiv:2003.06281); θ, standardised per column, is modelled by a rational-quadratic neural spline flow conditioned on
h (Durkan et al., arXiv:1906.04032; zuko's NSF). Both are trained jointly by minimising the expected negative
log-posterior E_{(θ,x)}[−log q(θ | x)] over simulated pairs, which is minimised by the true posterior when the pairs
are drawn from the prior and the simulator (Papamakarios & Murray, arXiv:1605.06376). Training runs through the one
loop of :mod:`showerml.nn.training`; models are saved as config.json + safetensors.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np
import torch
import zuko
from torch import nn

from showerml.errors import DataFileError, InputError
from showerml.nn.blocks import mlp
from showerml.nn.serialization import load_state, save_state
from showerml.nn.splits import split_train_val
from showerml.nn.training import TrainConfig, TrainResult, train

__all__ = ["PosteriorConfig", "PosteriorFlow", "fit_posterior", "load_posterior", "save_posterior"]


@dataclass(frozen=True)
class PosteriorConfig:
    summary_hidden: tuple[int, ...] = (128, 64)
    summary_dim: int = 16
    transforms: int = 4
    hidden: tuple[int, ...] = (64, 64)
    bins: int = 8
    epochs: int = 60
    batch_size: int = 256
    lr: float = 1e-3
    patience: int = 8
    val_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.summary_dim < 1 or self.transforms < 1 or self.bins < 2 or self.epochs < 1 or self.batch_size < 1:
            raise InputError("posterior config: summary_dim, transforms, epochs, batch_size ≥ 1 and bins ≥ 2")
        if not 0 < self.val_fraction < 1:
            raise InputError(f"the validation fraction must lie in (0, 1), got {self.val_fraction}")


class PosteriorFlow(nn.Module):
    """q(θ | x): standardisation buffers, the summary MLP and the conditional NSF."""

    x_mean: torch.Tensor
    x_sd: torch.Tensor
    theta_mean: torch.Tensor
    theta_sd: torch.Tensor

    def __init__(self, theta_dim: int, x_dim: int, config: PosteriorConfig) -> None:
        super().__init__()
        self.config = config
        self.theta_dim, self.x_dim = theta_dim, x_dim
        self.summary = mlp(x_dim, config.summary_dim, config.summary_hidden, nn.SiLU)
        self.flow = zuko.flows.NSF(theta_dim, config.summary_dim, transforms=config.transforms,
                                   hidden_features=config.hidden, bins=config.bins)
        for name, dim in (("x_mean", x_dim), ("x_sd", x_dim), ("theta_mean", theta_dim), ("theta_sd", theta_dim)):
            self.register_buffer(name, torch.zeros(dim) if "mean" in name else torch.ones(dim))

    def set_scales(self, theta: np.ndarray, x: np.ndarray) -> None:
        """Column means and spreads of the training pairs (constant columns get spread 1)."""
        for name, a in (("x", x), ("theta", theta)):
            mean, sd = a.mean(axis=0), a.std(axis=0)
            getattr(self, f"{name}_mean").copy_(torch.as_tensor(mean, dtype=torch.float32))
            getattr(self, f"{name}_sd").copy_(torch.as_tensor(np.where(sd > 1e-8, sd, 1.0), dtype=torch.float32))

    def context(self, x: torch.Tensor) -> torch.Tensor:
        return self.summary((x - self.x_mean) / self.x_sd)

    def log_prob(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log q(θ | x) in the units of θ (the standardisation's Jacobian included)."""
        z = (theta - self.theta_mean) / self.theta_sd
        return self.flow(self.context(x)).log_prob(z) - torch.log(self.theta_sd).sum()

    @torch.no_grad()
    def sample(self, x: np.ndarray, n_draws: int, chunk: int = 512, seed: int = 0) -> np.ndarray:
        """Posterior draws (n_draws, N, D_θ) for the observations x (N, D_x)."""
        self.eval()
        torch.manual_seed(seed)
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        out = []
        for i in range(0, len(xt), chunk):
            z = self.flow(self.context(xt[i:i + chunk])).sample((n_draws,))
            out.append((z * self.theta_sd + self.theta_mean).numpy())
        return np.concatenate(out, axis=1).astype(np.float64)


def fit_posterior(theta: np.ndarray, x: np.ndarray, config: PosteriorConfig | None = None,
                  progress: bool = False, checkpoint_dir: str | os.PathLike[str] | None = None,
                  description: str = "posterior", weights: np.ndarray | None = None,
                  init: PosteriorFlow | None = None) -> tuple[PosteriorFlow, TrainResult]:
    """Train q(θ | x) on pairs (N, D_θ), (N, D_x); a seeded validation split drives early stopping. ``weights``
    (N,) make the loss a weighted mean (a reweighted prior); ``init`` continues from a model instead of a new one."""
    cfg = config or PosteriorConfig()
    theta, x = np.asarray(theta, dtype=np.float32), np.asarray(x, dtype=np.float32)
    if theta.ndim != 2 or x.ndim != 2 or len(theta) != len(x):
        raise InputError(f"posterior training needs θ (N, D) and x (N, D'), got {theta.shape} and {x.shape}")
    tr, va = split_train_val(len(theta), cfg.val_fraction, cfg.seed)
    torch.manual_seed(cfg.seed)
    if init is None:
        model = PosteriorFlow(theta.shape[1], x.shape[1], cfg)
        model.set_scales(theta[tr], x[tr])
    else:
        model = init
    w = np.ones(len(theta), np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
    if w.shape != (len(theta),) or not np.isfinite(w).all() or (w < 0).any():
        raise InputError("posterior training weights must be one finite non-negative number per pair")
    w = w / w.mean()

    def loss_fn(m: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        assert isinstance(m, PosteriorFlow)
        return -(batch[2] * m.log_prob(batch[0], batch[1])).sum() / batch[2].sum().clamp_min(1e-12)

    t, xx, ww = torch.from_numpy(theta), torch.from_numpy(x), torch.from_numpy(w)
    tcfg = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, patience=cfg.patience,
                       lr_schedule="cosine", seed=cfg.seed, progress=progress, description=description)
    result = train(model, loss_fn, (t[tr], xx[tr], ww[tr]), (t[va], xx[va], ww[va]), tcfg,
                   checkpoint_dir=checkpoint_dir)
    return model, result


def save_posterior(model: PosteriorFlow, directory: str | os.PathLike[str], extra: dict | None = None) -> None:
    cfg = {"kind": "posterior_flow", "theta_dim": model.theta_dim, "x_dim": model.x_dim,
           "config": asdict(model.config), **(extra or {})}
    save_state(directory, cfg, model.state_dict())


def load_posterior(directory: str | os.PathLike[str]) -> tuple[PosteriorFlow, dict]:
    cfg, state = load_state(directory)
    if cfg.get("kind") != "posterior_flow":
        raise DataFileError(directory, "not a posterior model folder (config kind is not posterior_flow)")
    c = dict(cfg["config"])
    for key in ("summary_hidden", "hidden"):
        c[key] = tuple(c[key])
    model = PosteriorFlow(int(cfg["theta_dim"]), int(cfg["x_dim"]), PosteriorConfig(**c))
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise DataFileError(directory, f"weights do not fit the recorded architecture ({str(exc)[:120]})") from None
    model.eval()
    return model, cfg
