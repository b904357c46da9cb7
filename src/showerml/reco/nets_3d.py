"""A small 3D convolutional network for the HERD-like calorimeter's 21³ cube images, sized for CPU training.

(B, C, 21, 21, 21) images (+ three coordinate channels x, y, z ∈ [−1, 1], "CoordConv", Liu et al., NeurIPS 2018,
so that positions survive the convolutions) → a stride-2 3 × 3 × 3 convolution (21 → 11), two at 11³, a stride-2
one (11 → 6), average pooling to 3³ and an MLP that also sees per-event scalars (``zero_head``: the last layer
starts at zero, so a predicted correction starts from the classical estimate). As in Yang et al. (NIM A 1066
(2024) 169571), the 3D CNN reads the whole cube image: classification (1 logit) or regression (k outputs).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["Calo3DCNN"]


class Calo3DCNN(nn.Module):
    """(B, C, D, H, W) image + (B, S) scalars → (B, n_out)."""

    grid: torch.Tensor

    def __init__(self, in_channels: int, n_scalars: int, n_out: int, width: int = 8, hidden: int = 96,
                 side: int = 21, zero_head: bool = False) -> None:
        super().__init__()
        axis = torch.linspace(-1.0, 1.0, side)
        zz, yy, xx = torch.meshgrid(axis, axis, axis, indexing="ij")
        self.register_buffer("grid", torch.stack([xx, yy, zz])[None], persistent=False)
        w2 = 2 * width
        self.body = nn.Sequential(
            nn.Conv3d(in_channels + 3, width, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv3d(width, w2, 3, padding=1), nn.SiLU(),
            nn.Conv3d(w2, w2, 3, padding=1), nn.SiLU(),
            nn.Conv3d(w2, w2, 3, stride=2, padding=1), nn.SiLU(),
            nn.AdaptiveAvgPool3d(3),
        )
        self.head = nn.Sequential(nn.Linear(w2 * 27 + n_scalars, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                  nn.SiLU(), nn.Linear(hidden, n_out))
        if zero_head:  # a regression of a correction starts from zero (the classical estimate)
            last = self.head[-1]
            assert isinstance(last, nn.Linear)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, image: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        x = torch.cat([image, self.grid.expand(len(image), -1, -1, -1, -1)], dim=1)
        return self.head(torch.cat([self.body(x).flatten(1), scalars], dim=1))
