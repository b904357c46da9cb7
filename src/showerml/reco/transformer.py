"""A vision transformer for calorimeter images: patch embedding over layers × bars (2D) or cubes (3D).

Dosovitskiy et al., "An image is worth 16x16 words", ICLR 2021: the image is cut into non-overlapping patches, each
linearly embedded (a convolution with kernel = stride = patch), a learned class token and learned position
embeddings are added, pre-norm transformer encoder layers (multi-head self-attention + MLP, Vaswani et al. 2017)
mix the tokens, and the class token's output — with per-event scalars — feeds an MLP head. For the DAMPE-like
14 × 22 BGO image a 2 × 2 patch groups two layers (one x and one y view) × two bars: 77 tokens; for the HERD-like
21³ cube image 7³-cube patches: 27 tokens (3³ patches, 343 tokens, cost ≈ 20× more to train on two CPU cores).
The AMS-02 study this follows used a ViT on its calorimeter images (arXiv:2402.16285).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["PatchTransformer"]


class PatchTransformer(nn.Module):
    """(B, C, *grid) image + (B, S) scalars → (B, n_out); ``grid`` 2D or 3D, divisible by ``patch``."""

    def __init__(self, in_channels: int, n_scalars: int, n_out: int, grid: list[int], patch: list[int],
                 dim: int = 64, depth: int = 2, heads: int = 4, mlp: int = 128, hidden: int = 96) -> None:
        super().__init__()
        if len(grid) != len(patch) or len(grid) not in (2, 3) or any(g % p for g, p in zip(grid, patch, strict=True)):
            raise ValueError(f"grid {grid} must be 2D or 3D and divisible by the patch {patch}")
        self.embed: nn.Module
        if len(grid) == 2:
            self.embed = nn.Conv2d(in_channels, dim, kernel_size=(patch[0], patch[1]), stride=(patch[0], patch[1]))
        else:
            p3 = (patch[0], patch[1], patch[2])
            self.embed = nn.Conv3d(in_channels, dim, kernel_size=p3, stride=p3)
        n_tokens = math.prod(g // p for g, p in zip(grid, patch, strict=True))
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(0.02 * torch.randn(1, n_tokens + 1, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, mlp, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Sequential(nn.Linear(dim + n_scalars, hidden), nn.GELU(), nn.Linear(hidden, n_out))

    def forward(self, image: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        tokens = self.embed(image).flatten(2).transpose(1, 2)  # (B, T, dim)
        x = torch.cat([self.cls.expand(len(image), -1, -1), tokens], dim=1) + self.pos
        x = self.norm(self.encoder(x)[:, 0])
        return self.head(torch.cat([x, scalars], dim=1))
