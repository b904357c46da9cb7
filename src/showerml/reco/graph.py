"""A graph network over the hit cells of a calorimeter (a point cloud), on plain torch.

Nodes are the K most energetic hit cells (padded, with a mask), with features (position, log energy, energy share);
edges join each node to its k nearest neighbours in position (the k-NN graph of the point cloud, recomputed per
event, as in dynamic-graph CNNs: Wang et al., ACM TOG 38 (2019) 146, here on the input positions only). Each
graph-network block (Battaglia et al., "Relational inductive biases, deep learning, and graph networks",
arXiv:1806.01261, the full GN block) updates, with residual MLPs,

    edges   e'_ij = e_ij + φ_e(e_ij, v_i, v_j, u)
    nodes   v'_i  = v_i + φ_v(v_i, mean_j e'_ij, u)
    global  u'    = u + φ_u(u, mean_i v'_i, mean_ij e'_ij)

with edge features initialised from the relative position (p_j − p_i, |p_j − p_i|) and the global from per-event
scalars; the last global state feeds the output MLP. PyTorch Geometric would install (2.8.1, pure Python) but its
batches are not tensors that the one training loop slices by index; padded (B, K, F) clouds are.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["GraphNet", "knn"]


def _mlp(n_in: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, n_out), nn.SiLU(), nn.Linear(n_out, n_out))


def knn(pos: torch.Tensor, mask: torch.Tensor, k: int) -> torch.Tensor:
    """(B, K, k) indices of the k nearest valid neighbours of every node (self and padding excluded; fewer valid
    nodes than k repeat the farthest)."""
    d = torch.cdist(pos, pos)
    big = torch.finfo(d.dtype).max / 4
    d = d.masked_fill(~mask[:, None, :], big)
    eye = torch.eye(pos.shape[1], dtype=torch.bool, device=pos.device)[None]
    d = d.masked_fill(eye, big / 2)
    return torch.topk(d, k, dim=2, largest=False).indices


class _GNBlock(nn.Module):
    def __init__(self, h: int) -> None:
        super().__init__()
        self.edge = _mlp(4 * h, h)
        self.node = _mlp(3 * h, h)
        self.glob = _mlp(3 * h, h)

    def forward(self, v: torch.Tensor, e: torch.Tensor, u: torch.Tensor, nbr: torch.Tensor, mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, n, k = nbr.shape
        h = v.shape[-1]
        vj = torch.gather(v[:, None].expand(b, n, n, h), 2, nbr[..., None].expand(b, n, k, h))
        vi = v[:, :, None].expand(b, n, k, h)
        ub = u[:, None, None].expand(b, n, k, h)
        m = mask[..., None].float()
        e = (e + self.edge(torch.cat([e, vi, vj, ub], dim=-1))) * m[..., None]
        agg = e.mean(dim=2)
        v = (v + self.node(torch.cat([v, agg, u[:, None].expand(b, n, h)], dim=-1))) * m
        count = m.sum(dim=1).clamp_min(1.0)
        v_mean, e_mean = v.sum(dim=1) / count, agg.sum(dim=1) / count
        u = u + self.glob(torch.cat([u, v_mean, e_mean], dim=-1))
        return v, e, u


class GraphNet(nn.Module):
    """(B, K, F) node features (positions in the first ``n_pos`` columns) + (B, K) mask (as float) + (B, S) scalars
    → (B, n_out)."""

    def __init__(self, n_features: int, n_pos: int, n_scalars: int, n_out: int, hidden: int = 64, blocks: int = 3,
                 k: int = 8) -> None:
        super().__init__()
        self.n_pos, self.k = n_pos, k
        self.node_in = nn.Linear(n_features, hidden)
        self.edge_in = nn.Linear(n_pos + 1, hidden)
        self.glob_in = nn.Linear(n_scalars, hidden)
        self.blocks = nn.ModuleList(_GNBlock(hidden) for _ in range(blocks))
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, n_out))

    def forward(self, nodes: torch.Tensor, mask: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        valid = mask > 0.5
        pos = nodes[..., : self.n_pos]
        k = min(self.k, nodes.shape[1] - 1)
        nbr = knn(pos, valid, k)
        b, n, _ = nbr.shape
        pj = torch.gather(pos[:, None].expand(b, n, n, self.n_pos), 2, nbr[..., None].expand(b, n, k, self.n_pos))
        rel = pj - pos[:, :, None]
        e = self.edge_in(torch.cat([rel, rel.norm(dim=-1, keepdim=True)], dim=-1))
        v = self.node_in(nodes) * valid[..., None].float()
        u = self.glob_in(scalars)
        for block in self.blocks:
            v, e, u = block(v, e, u, nbr, valid)
        return self.head(u)
