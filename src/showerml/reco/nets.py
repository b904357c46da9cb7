"""Small convolutional networks for 14 × 22 BGO images and Hough images, sized for CPU training.

- :class:`ImageResNet`: a 3×3 stem, residual blocks (He et al., CVPR 2016) at full resolution, average pooling to
  half size, then an MLP that also sees per-event scalars (energy, classical-fit parameters): classification
  (1 logit) and regression (k outputs) on the BGO image as in DAMPE's e/p and direction networks
  (arXiv:2102.05534, arXiv:2206.04532).
- :class:`HeatmapCNN`: fully convolutional, one logit per input cell: picks the Hough cell of the track
  (arXiv:2206.04532) or predicts a per-bar correction (saturation, arXiv:2507.06626).
- :class:`AxisFitCNN`: the BGO direction network — convolutions along the bars of each layer give every layer a
  learned position (inverting the bar-centroid "S-curve" bias) and weight; a differentiable weighted least-squares
  line per projection turns them into the four track parameters.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ImageResNet", "HeatmapCNN", "AxisFitCNN", "NETS"]


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


class AxisFitCNN(nn.Module):
    """(B, C, L, J) image + (B, S) scalars → (B, 4) standardised line parameters (line − fit) / scale.

    Channel 0 of the image is proportional to the bar energies; ``scalars[:, :4]`` is the classical fit
    (x0/300 mm, y0/300 mm, k_x, k_y). Per layer l the convolutions (along the bars only; the fit slope and the event
    energy enter as broadcast channels) output per bar j an attention logit a_lj and an offset δ_lj = p·tanh(o_lj),
    and per layer a log-weight u_l. With f_lj the bar's share of the layer energy and E_l the layer energy:

        x_l = Σ_j softmax_j(ln f_lj + a_lj) (x_j + δ_lj),    w_l = E_l · e^{u_l}

    and per projection (even layers x, odd layers y) the weighted least-squares line x(z) = x0 + k z through
    (z_l, x_l). With a = o = u = 0 this is exactly the classical centroid fit, which is where training starts.
    ``context`` further 3 × 3 convolutions with dilation 2 along depth mix every layer with its same-projection
    neighbours l ± 2 (receptive field ± 2·context layers), so a layer's position and weight can follow the shower
    core through depth instead of being read from that layer alone.

    With ``line_channel`` every cell also sees (x_j − x̂(z_l)) / pitch, its bar centre's distance from the current
    line estimate x̂ in that layer: the sub-bar position where the axis crosses the layer, which the S-curve
    correction depends on, computed from all layers at once. With ``iterations`` > 1 the same network is applied
    again with the line it just fitted as the current estimate (the first pass starts from the classical fit).
    """

    z: torch.Tensor
    x: torch.Tensor
    scale: torch.Tensor
    unit: torch.Tensor

    def __init__(self, in_channels: int, n_scalars: int, layer_z: list[float], bar_x: list[float],
                 scale: list[float], width: int = 32, depth: int = 4, context: int = 0,
                 line_channel: bool = False, iterations: int = 1) -> None:
        super().__init__()
        if iterations < 1:
            raise ValueError(f"iterations must be ≥ 1, got {iterations}")
        self.line_channel, self.iterations = line_channel, iterations
        self.register_buffer("z", torch.tensor(layer_z, dtype=torch.float32))
        self.register_buffer("x", torch.tensor(bar_x, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
        self.register_buffer("unit", torch.tensor([300.0, 300.0, 1.0, 1.0]))
        self.pitch = float(bar_x[1] - bar_x[0])
        n_in = in_channels + n_scalars + 1 + int(line_channel)
        layers: list[nn.Module] = [nn.Conv2d(n_in, width, (1, 3), padding=(0, 1)), nn.SiLU()]
        for i in range(depth - 1):
            d = 2 ** (i % 3)
            layers += [nn.Conv2d(width, width, (1, 3), padding=(0, d), dilation=(1, d)), nn.SiLU()]
        for _ in range(context):
            layers += [nn.Conv2d(width, width, (3, 3), padding=(2, 1), dilation=(2, 1)), nn.SiLU()]
        self.body = nn.Sequential(*layers)
        self.bar_head = nn.Conv2d(width, 2, 1)
        self.layer_head = nn.Linear(width, 1)
        for head in (self.bar_head, self.layer_head):  # start from the classical fit
            nn.init.zeros_(head.weight)
            assert head.bias is not None
            nn.init.zeros_(head.bias)

    def forward(self, image: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        energy = image[:, 0].clamp_min(0.0)  # (B, L, J)
        e_layer = energy.sum(dim=2)
        share = energy / e_layer.clamp_min(1e-12)[..., None]
        fit = scalars[:, :4] * self.unit
        line = fit
        for _ in range(self.iterations):
            line = self._refit(image, scalars, share, e_layer, line.detach())
        return (line - fit) / self.scale

    def _refit(self, image: torch.Tensor, scalars: torch.Tensor, share: torch.Tensor, e_layer: torch.Tensor,
               line: torch.Tensor) -> torch.Tensor:
        """One pass: per-layer positions and weights given the current line estimate, then the weighted fit."""
        _, _, n_layers, n_bars = image.shape
        proj = torch.arange(n_layers, device=image.device) % 2
        slope = line[:, 2:][:, proj]  # (B, L): the current slope of each layer's projection
        channels = [image, scalars[:, :, None, None].expand(-1, -1, n_layers, n_bars),
                    slope[:, None, :, None].expand(-1, 1, -1, n_bars)]
        if self.line_channel:
            crossing = line[:, :2][:, proj] + slope * self.z  # (B, L): x̂(z_l) or ŷ(z_l)
            channels.append(((self.x - crossing[..., None]) / self.pitch)[:, None])
        h = self.body(torch.cat(channels, dim=1))
        a, o = self.bar_head(h).unbind(dim=1)
        att = torch.softmax(torch.log(share + 1e-6) + a, dim=2)
        pos = (att * (self.x + self.pitch * torch.tanh(o))).sum(dim=2)  # (B, L)
        w = e_layer * torch.exp(self.layer_head(h.mean(dim=3).transpose(1, 2)).squeeze(2).clamp(-6, 6))
        out = []
        for p in (0, 1):
            zz, cc, ww = self.z[p::2], pos[:, p::2], w[:, p::2]
            sw = ww.sum(dim=1).clamp_min(1e-12)
            zm = (ww * zz).sum(dim=1) / sw
            cm = (ww * cc).sum(dim=1) / sw
            k = (ww * (zz - zm[:, None]) * (cc - cm[:, None])).sum(dim=1) / (
                (ww * (zz - zm[:, None]) ** 2).sum(dim=1).clamp_min(1e-6))
            out.append((cm - k * zm, k))
        return torch.stack([out[0][0], out[1][0], out[0][1], out[1][1]], dim=1)


#: constructors by name, for loading from ``config.json``
NETS: dict[str, type[nn.Module]] = {"ImageResNet": ImageResNet, "HeatmapCNN": HeatmapCNN, "AxisFitCNN": AxisFitCNN}
