"""Networks of the classifier test: a plain MLP and a layer-projection network for voxel inputs.

:class:`LayerProjectionNet` reads the first ``V`` input columns as the voxels of a geometry's layers and projects
each layer's voxels on ``k`` learned directions of its own, ``p_{l,j} = Σ_{v∈l} w_{l,j,v} x_v + b_{l,j}``; the
``L·k`` projections and the remaining input columns (summary features) feed an MLP. Layer energies, energy-weighted
centres and second moments are such linear projections, so every high-level feature is a function the network can
form, while the voxel part has ``k·V`` weights instead of ``hidden·V``. Measured on 20k vs 20k dataset-2 showers
(6,480 voxels) with layers 0–9 of one sample × 1.05, lr 10⁻³: a plain 256 × 256 MLP's validation BCE is lowest
after epoch 1 (0.686) and rises from epoch 2 as it fits voxel noise; this network reaches 0.677 at epoch 2 before
it too overfits — hence the model selection on the validation loss over all epochs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import torch
from torch import nn

from showerml.nn.blocks import mlp

__all__ = ["LayerProjectionNet", "leaky_mlp"]


def leaky_mlp(n_in: int, n_out: int, hidden: Sequence[int], dropout: float, leaky_slope: float = 0.2) -> nn.Sequential:
    """The shared :func:`showerml.nn.blocks.mlp` with LeakyReLU activations (the classifier test's network)."""
    return mlp(n_in, n_out, hidden, partial(nn.LeakyReLU, leaky_slope), dropout)


class LayerProjectionNet(nn.Module):
    """``k`` learned projections per layer of the voxel columns, then an MLP (see the module docstring)."""

    def __init__(
        self,
        layer_sizes: Sequence[int],
        n_in: int,
        n_out: int,
        projections: int,
        hidden: Sequence[int],
        dropout: float,
        leaky_slope: float = 0.2,
    ) -> None:
        super().__init__()
        n_vox, width = int(sum(layer_sizes)), max(layer_sizes)
        if n_in < n_vox:
            raise ValueError(f"{n_in} input columns cannot hold {n_vox} voxels")
        self.n_vox = n_vox
        index = torch.full((len(layer_sizes), width), n_vox, dtype=torch.long)  # padding → an appended zero column
        start = 0
        for i, size in enumerate(layer_sizes):
            index[i, :size] = torch.arange(start, start + size)
            start += size
        self.register_buffer("index", index, persistent=False)
        scale = 1.0 / torch.sqrt(torch.as_tensor(layer_sizes, dtype=torch.float32))[:, None, None]
        self.weight = nn.Parameter(torch.randn(len(layer_sizes), width, projections) * scale)
        self.bias = nn.Parameter(torch.zeros(len(layer_sizes), projections))
        self.head = leaky_mlp(len(layer_sizes) * projections + n_in - n_vox, n_out, hidden, dropout, leaky_slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index: torch.Tensor = self.index  # type: ignore[assignment]  # a registered buffer
        vox = torch.cat([x[:, : self.n_vox], x.new_zeros(len(x), 1)], dim=1)[:, index]  # (N, L, width)
        proj = torch.einsum("nlw,lwk->nlk", vox, self.weight) + self.bias
        return self.head(torch.cat([proj.flatten(1), x[:, self.n_vox :]], dim=1))
