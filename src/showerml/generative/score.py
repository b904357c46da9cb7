"""Score-based diffusion with EDM preconditioning (Karras et al., arXiv:2206.00364) on the preprocessed shower ``y``.

*Noising.* ``x = y + σ n``, ``n ~ N(0, 1)`` (variance-exploding; ``y`` is standardised per coordinate, so
``σ_data = 1``). *Denoiser* with the preconditioning of EDM's Table 1,

    ``D(x; σ, c) = c_skip x + c_out F_θ(c_in x, c_noise, c)``,
    ``c_skip = σ_d² / (σ² + σ_d²)``, ``c_out = σ σ_d / √(σ² + σ_d²)``, ``c_in = 1 / √(σ² + σ_d²)``,
    ``c_noise = ln(σ) / 4``,

so that the network's input and its regression target have unit variance at every noise level and the error of
``F_θ`` is never amplified by more than ``σ_d`` into ``D`` (ε-prediction amplifies it by ``σ/α``, which diverges at
the start of sampling). *Training*: ``ln σ ~ N(ln σ_median, s²)`` (EDM: ``P_mean = −1.2``, ``P_std = 1.2``, i.e.
``σ_median = e^{−1.2} ≈ 0.30``), loss ``λ(σ) ‖D − y‖²`` with ``λ = (σ² + σ_d²)/(σ σ_d)²`` — equal to the
unit-weighted ``‖F_θ − (y − c_skip x)/c_out‖²``.

*Sampling* solves the probability-flow ODE ``dx/dσ = (x − D(x; σ))/σ`` from ``σ_max`` to 0 on EDM's grid
``σ_i = (σ_max^{1/ρ} + i/(N−1) (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ``, ``i < N``, ``σ_N = 0`` (ρ = 7), with

- ``heun``: EDM's Algorithm 1 (2nd order; Euler on the last step) — ``2N − 1`` network evaluations; with
  ``s_churn > 0`` EDM's Algorithm 2 (stochastic: noise raised by ``γ = min(s_churn/N, √2 − 1)`` before each step);
- ``euler``: first order, ``N`` evaluations (the reference for the order of the others);
- ``dpmpp2m``: DPM-Solver++(2M) (Lu et al., arXiv:2211.01095), a second-order multistep exponential integrator in
  ``λ = −ln σ`` reusing the previous step's ``D``: ``N`` evaluations, the few-step sampler.

The denoised prediction ``D`` may be clipped per coordinate to the range of the standardised training vectors
(``clip``, as the DDPM sampler does); with the preconditioning it stays in range by itself and the default is off.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from showerml.errors import InputError
from showerml.generative.base import Batch, ShowerGenerator
from showerml.nn.blocks import ResidualMLP, time_embedding

__all__ = ["SAMPLERS", "EDMDiffusion", "edm_sigmas"]

SAMPLERS = ("heun", "euler", "dpmpp2m")


def edm_sigmas(steps: int, sigma_min: float, sigma_max: float, rho: float) -> torch.Tensor:
    """EDM's noise levels ``σ_0 = σ_max > … > σ_{N−1} = σ_min`` and ``σ_N = 0`` (``steps + 1`` values)."""
    if steps < 1:
        raise InputError(f"the sampler needs at least one step, got {steps}")
    i = torch.arange(steps, dtype=torch.float64)
    a, b = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    grid = (a + i / max(steps - 1, 1) * (b - a)) ** rho
    return torch.cat([grid, torch.zeros(1, dtype=torch.float64)])


class _ScoreNet(nn.Module):
    """``F_θ(x_in, c_noise, c)``: a residual MLP that sees the context and the noise-level embedding in every block."""

    def __init__(self, dim: int, width: int, blocks: int, t_dim: int) -> None:
        super().__init__()
        self.t_dim = t_dim
        self.mlp = ResidualMLP(dim, dim, 2 + t_dim, width, blocks)

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        cond = torch.cat([c, c_noise[:, None], time_embedding(c_noise, self.t_dim)], dim=1)
        return self.mlp(x, cond)


class EDMDiffusion(ShowerGenerator[_ScoreNet]):
    """Score-based diffusion with EDM preconditioning; Heun, Euler or DPM-Solver++(2M) sampling."""

    kind = "edm"
    sampling_options = ("steps", "sampler", "s_churn")
    default_train = {"epochs": 100, "batch_size": 256, "lr": 5e-4, "patience": 15, "lr_schedule": "cosine"}
    sigma_data = 1.0

    @classmethod
    def default_hparams(cls) -> dict[str, Any]:
        return {"width": 512, "blocks": 3, "time_features": 32, "sigma_min": 0.002, "sigma_max": 80.0, "rho": 7.0,
                "sigma_median": 0.3, "log_sigma_std": 1.2, "steps": 32, "sampler": "heun", "s_churn": 0.0,
                "clip": False}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.check_sampling(self.hparams)

    @staticmethod
    def check_sampling(hparams: dict[str, Any]) -> None:
        """Sampler settings: a known sampler, ≥ 1 step, ``0 < σ_min < σ_max``, ``ρ > 0``."""
        h = hparams
        if h["sampler"] not in SAMPLERS:
            raise InputError(f"unknown sampler '{h['sampler']}'; choose one of {', '.join(SAMPLERS)}")
        if int(h["steps"]) < 1:
            raise InputError(f"the sampler needs at least one step, got {h['steps']}")
        if not 0 < float(h["sigma_min"]) < float(h["sigma_max"]) or float(h["rho"]) <= 0:
            raise InputError(f"need 0 < sigma_min < sigma_max and rho > 0, got sigma_min={h['sigma_min']}, "
                             f"sigma_max={h['sigma_max']}, rho={h['rho']}")
        if float(h["sigma_median"]) <= 0:
            raise InputError(f"sigma_median must be positive, got {h['sigma_median']}")

    def _build(self) -> _ScoreNet:
        h = self.hparams
        return _ScoreNet(self.dim, h["width"], h["blocks"], h["time_features"])

    def denoise(self, net: _ScoreNet, x: torch.Tensor, sigma: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``D(x; σ, c)`` for per-row noise levels ``sigma`` (N,)."""
        sd = self.sigma_data
        s = sigma[:, None].to(x.dtype)
        var = s.pow(2) + sd**2
        c_skip, c_out, c_in = sd**2 / var, s * sd / var.sqrt(), 1 / var.sqrt()
        return c_skip * x + c_out * net(c_in * x, (sigma.log() / 4).to(x.dtype), c)

    def _loss(self, net: _ScoreNet, batch: Batch) -> torch.Tensor:
        y, c = batch
        h, sd = self.hparams, self.sigma_data
        sigma = (math.log(float(h["sigma_median"])) + float(h["log_sigma_std"]) * torch.randn(len(y))).exp()
        x = y + sigma[:, None] * torch.randn_like(y)
        weight = (sigma.pow(2) + sd**2) / (sigma * sd).pow(2)
        return (weight[:, None] * (self.denoise(net, x, sigma, c) - y).pow(2)).mean()

    def _generate(self, c: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        h = self.hparams
        self.check_sampling(h)
        steps, sampler, churn = int(h["steps"]), str(h["sampler"]), float(h["s_churn"])
        sig = edm_sigmas(steps, float(h["sigma_min"]), float(h["sigma_max"]), float(h["rho"])).tolist()
        dev = c.device  # the --device the base class placed the network on
        lo = torch.as_tensor(self.prep.y_lo, dtype=torch.float32, device=dev)
        hi = torch.as_tensor(self.prep.y_hi, dtype=torch.float32, device=dev)
        n = len(c)

        def d(x: torch.Tensor, s: float) -> torch.Tensor:
            out = self.denoise(self.net, x, torch.full((n,), s, device=dev), c)
            return torch.minimum(torch.maximum(out, lo), hi) if h["clip"] else out

        x = sig[0] * torch.randn(n, self.dim, generator=generator, device=dev)
        previous: torch.Tensor | None = None
        for i in range(steps):
            s, s_next = sig[i], sig[i + 1]
            if sampler == "dpmpp2m":
                x, previous = self._dpmpp2m_step(x, d(x, s), previous, sig, i)
                continue
            if churn > 0:  # EDM Algorithm 2: raise the noise level to s_hat = (1 + γ) s first
                gamma = min(churn / steps, math.sqrt(2) - 1)
                s_hat = s * (1 + gamma)
                x = x + math.sqrt(s_hat**2 - s**2) * torch.randn(x.shape, generator=generator, device=dev)
                s = s_hat
            slope = (x - d(x, s)) / s
            x_next = x + (s_next - s) * slope
            if sampler == "heun" and s_next > 0:
                x_next = x + (s_next - s) * 0.5 * (slope + (x_next - d(x_next, s_next)) / s_next)
            x = x_next
        return x

    @staticmethod
    def _dpmpp2m_step(x: torch.Tensor, denoised: torch.Tensor, previous: torch.Tensor | None, sig: list[float],
                      i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One DPM-Solver++(2M) step ``σ_i → σ_{i+1}`` in ``λ = −ln σ``: ``x' = (σ_{i+1}/σ_i) x + (1 − σ_{i+1}/σ_i) D̃``
        with ``D̃ = (1 + 1/2r) D_i − (1/2r) D_{i−1}``, ``r = h_{i−1}/h_i`` (first step and the step to σ = 0 first
        order)."""
        s, s_next = sig[i], sig[i + 1]
        if s_next == 0:
            return denoised, denoised
        blend = denoised
        if previous is not None:
            h = math.log(s / s_next)
            r = math.log(sig[i - 1] / s) / h
            blend = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * previous
        return (s_next / s) * x + (1 - s_next / s) * blend, denoised
