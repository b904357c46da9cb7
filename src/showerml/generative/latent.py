"""Latent-variable generators of the preprocessed shower vector ``y`` given ``c``: a conditional VAE and a GAN.

*Conditional VAE* (Kingma & Welling, arXiv:1312.6114; Sohn et al. 2015): encoder ``q(w | y, c) = N(μ, σ²)``, decoder
mean ``ŷ(w, c)`` with a learned per-coordinate Gaussian width ``s``; loss = −ELBO per coordinate,
``[Σ_d ((y_d − ŷ_d)² / 2s_d² + log s_d) + β KL(q ‖ N(0, 1))] / D``. Samples are decoder means at ``w ~ N(0, 1)``.

*Conditional GAN* (Goodfellow et al., arXiv:1406.2661; CaloGAN, Paganini et al., arXiv:1712.10321, as baseline):
generator ``G(w, c)``, discriminator ``D(y, c)`` with a minibatch-standard-deviation feature against mode collapse
(Karras et al., arXiv:1710.10196); non-saturating losses ``L_D = softplus(−D(y)) + softplus(D(G(w)))``,
``L_G = softplus(−D(G(w)))``. It trains through the shared loop: while the module is in training mode the loss
function first steps the discriminator with its own Adam optimiser (kept on the module), then returns ``L_G`` with
the discriminator's parameters detached, so the loop's optimiser only moves the generator. Because an adversarial
loss does not measure quality, the validation loss is a moment distance ``mean_d[(Δmean_d)² + (Δstd_d)²]``
between generated and validation batches, used for early stopping and best-weight selection. The discriminator's
optimiser is checkpointed with the loop's (``auxiliary_optimizers``), so ``--resume`` continues exactly.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from showerml.generative.base import Batch, ShowerGenerator
from showerml.nn.blocks import ResidualMLP

__all__ = ["ConditionalVAE", "ConditionalGAN"]


class _VAENet(nn.Module):
    def __init__(self, dim: int, latent: int, width: int, blocks: int) -> None:
        super().__init__()
        self.latent = latent
        self.encoder = ResidualMLP(dim, 2 * latent, 1, width, blocks)
        self.decoder = ResidualMLP(latent, dim, 1, width, blocks)
        self.log_scale = nn.Parameter(torch.zeros(dim))


class ConditionalVAE(ShowerGenerator[_VAENet]):
    """Conditional VAE with a learned decoder width."""

    kind = "vae"
    default_train = {"epochs": 100, "batch_size": 256, "lr": 5e-4, "patience": 10}

    @classmethod
    def default_hparams(cls) -> dict[str, Any]:
        return {"width": 512, "blocks": 2, "latent": 64, "beta": 1.0}

    def _build(self) -> _VAENet:
        h = self.hparams
        return _VAENet(self.dim, h["latent"], h["width"], h["blocks"])

    def _loss(self, net: _VAENet, batch: Batch) -> torch.Tensor:
        y, c = batch
        mu, log_var = net.encoder(y, c).chunk(2, dim=1)
        log_var = log_var.clamp(-12, 8)
        w = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
        rec = net.decoder(w, c)
        nll = 0.5 * ((y - rec) * torch.exp(-net.log_scale)).pow(2) + net.log_scale
        kl = 0.5 * (mu.pow(2) + log_var.exp() - 1 - log_var)
        return (nll.sum(dim=1) + float(self.hparams["beta"]) * kl.sum(dim=1)).mean() / self.dim

    def _generate(self, c: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        w = torch.randn(len(c), self.net.latent, generator=generator)
        return self.net.decoder(w, c)


class _Discriminator(nn.Module):
    def __init__(self, dim: int, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(dim + 1, width), nn.LeakyReLU(0.2), nn.Linear(width, width), nn.LeakyReLU(0.2)
        )
        self.head = nn.Linear(width + 1, 1)

    def forward(self, y: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.body(torch.cat([y, c], dim=1))
        mbstd = h.std(dim=0, unbiased=False).mean().expand(len(h), 1)
        return self.head(torch.cat([h, mbstd], dim=1)).squeeze(1)


class _GANNet(nn.Module):
    def __init__(self, dim: int, latent: int, width: int, blocks: int, d_lr: float) -> None:
        super().__init__()
        self.latent = latent
        self.generator = ResidualMLP(latent, dim, 1, width, blocks)
        self.discriminator = _Discriminator(dim, width)
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=d_lr, betas=(0.5, 0.999))

    def auxiliary_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """The discriminator's optimiser, stepped inside the loss; the training loop checkpoints it."""
        return {"discriminator": self.d_optimizer}


class ConditionalGAN(ShowerGenerator[_GANNet]):
    """Non-saturating conditional GAN (CaloGAN-like baseline on the preprocessed vector)."""

    kind = "gan"
    default_train = {"epochs": 100, "batch_size": 256, "lr": 2e-4, "patience": 15}

    @classmethod
    def default_hparams(cls) -> dict[str, Any]:
        return {"width": 512, "blocks": 3, "latent": 64, "d_lr": 2e-4}

    def _build(self) -> _GANNet:
        h = self.hparams
        return _GANNet(self.dim, h["latent"], h["width"], h["blocks"], float(h["d_lr"]))

    def _loss(self, net: _GANNet, batch: Batch) -> torch.Tensor:
        y, c = batch
        w = torch.randn(len(y), net.latent, dtype=y.dtype)
        if not net.training:  # validation: moment distance (see the module docstring)
            fake = net.generator(w, c)
            return ((fake.mean(0) - y.mean(0)).pow(2) + (fake.std(0) - y.std(0)).pow(2)).mean()
        disc = net.discriminator
        with torch.no_grad():
            fake = net.generator(w, c)
        d_loss = F.softplus(-disc(y, c)).mean() + F.softplus(disc(fake, c)).mean()
        net.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        net.d_optimizer.step()
        for p in disc.parameters():
            p.requires_grad_(False)
        try:
            g_loss = F.softplus(-disc(net.generator(w, c), c)).mean()
        finally:
            for p in disc.parameters():
                p.requires_grad_(True)
        return g_loss

    def _generate(self, c: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        w = torch.randn(len(c), self.net.latent, generator=generator)
        return self.net.generator(w, c)
