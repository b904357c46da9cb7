"""Small convolutional networks for 14 × 22 BGO images and Hough images, sized for CPU training.

- :class:`ImageResNet`: a 3×3 stem, residual blocks (He et al., CVPR 2016) at full resolution, average pooling to
  half size, then an MLP that also sees per-event scalars (energy, classical-fit parameters): classification
  (1 logit) and regression (k outputs) on the BGO image as in DAMPE's e/p and direction networks
  (arXiv:2102.05534, arXiv:2206.04532).
- :class:`HeatmapCNN`: fully convolutional, one logit per input cell: picks the Hough cell of the track
  (arXiv:2206.04532) or predicts a per-bar correction (saturation, arXiv:2507.06626).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ImageResNet", "HeatmapCNN", "NETS"]


class _Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(width, width, 3, padding=1)
        self.c2 = nn.Conv2d(width, width, 3, padding=1)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.c2(self.act(self.c1(x))))


class ImageResNet(nn.Module):
    """(B, C, 14, 22) image + (B, S) scalars → (B, n_out)."""

    def __init__(self, in_channels: int, n_scalars: int, n_out: int, width: int = 24, blocks: int = 2,
                 hidden: int = 128, pooled: tuple[int, int] = (7, 11)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.SiLU())
        self.blocks = nn.Sequential(*(_Block(width) for _ in range(blocks)))
        self.pool = nn.AdaptiveAvgPool2d(pooled)
        self.head = nn.Sequential(
            nn.Linear(width * pooled[0] * pooled[1] + n_scalars, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, n_out),
        )

    def forward(self, image: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.blocks(self.stem(image))).flatten(1)
        return self.head(torch.cat([h, scalars], dim=1))


class HeatmapCNN(nn.Module):
    """(B, C, H, W) → (B, 1, H, W) logits with a receptive field of ~2 × depth + 1 cells."""

    def __init__(self, in_channels: int, width: int = 24, depth: int = 4, dilate: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 3, padding=1), nn.SiLU()]
        for i in range(depth - 1):
            d = 2 ** (i % 3) if dilate else 1
            layers += [nn.Conv2d(width, width, 3, padding=d, dilation=d), nn.SiLU()]
        layers.append(nn.Conv2d(width, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)


#: constructors by name, for loading from ``config.json``
NETS: dict[str, type[nn.Module]] = {"ImageResNet": ImageResNet, "HeatmapCNN": HeatmapCNN}
