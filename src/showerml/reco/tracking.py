"""Tracker reconstruction: a Hough transform in a region of interest around a calorimeter axis with a CNN that picks
the track, and a classical combinatorial χ² finder seeded by the calorimeter axis.

Per projection (x–z and y–z) a cluster at (z_c, u_c) and a candidate line u(z) = a(z) + Δb + Δk (z − z_ref) around
the axis a(z) satisfy Δb = r_c − Δk (z_c − z_ref), r_c = u_c − a(z_c): each cluster votes along a line in the
(Δk, Δb) plane (Hough, 1962; Duda & Hart, CACM 15 (1972) 11). Images per projection: votes of low-charge and of
high-charge clusters (split at 2.5 MIP), votes of the two upper planes only (the primary is the only particle there,
pre-shower pairs start at the tungsten plates), and two coordinate channels. A fully convolutional net
(:class:`~showerml.reco.nets.HeatmapCNN`, shared by both projections) gives one logit per cell; softmax
cross-entropy against the cell of the true track (cf. arXiv:2206.04532). The chosen cell is refined by a
least-squares fit of the nearest cluster per plane.

The classical finder fits every pair of clusters (different planes, within the window around the axis), attaches
the nearest cluster of every other plane within 0.5 mm, refits, and keeps the longest track with the smallest
χ²/ndf + (d_axis / 10 mm)², d_axis the distance to the axis at the BGO top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from showerml.detectors.dampe import geometry as geo
from showerml.reco.features import stk_layer_z

__all__ = ["HoughGrid", "cluster_table", "hough_images", "true_cells", "cell_lines", "refine", "classical_tracks",
           "hough_loss", "track_distance", "MIP_MEV", "Z_REF"]

#: most probable STK cluster charge of a unit-charge particle at normal incidence (MeV, 320 µm Si)
MIP_MEV = 0.088
_SIGMA_HIT = 0.05  # mm, for χ²
Z_REF = float(np.mean(geo.STK_PLANE_Z))  #: depth (mm) at which the Hough offsets Δb are taken
_Z_REF = Z_REF


@dataclass(frozen=True)
class HoughGrid:
    """Cells of the (Δk, Δb) plane: ``n_k`` slope bins over ±``half_k``, ``n_b`` offset bins over ±``half_b`` mm."""

    n_k: int = 24
    n_b: int = 48
    half_k: float = 0.08
    half_b: float = 24.0

    @property
    def k_centres(self) -> np.ndarray:
        return (np.arange(self.n_k) + 0.5) / self.n_k * 2 * self.half_k - self.half_k

    def b_index(self, b: np.ndarray) -> np.ndarray:
        return np.floor((b + self.half_b) / (2 * self.half_b) * self.n_b).astype(np.int64)

    def k_index(self, k: np.ndarray) -> np.ndarray:
        return np.floor((k + self.half_k) / (2 * self.half_k) * self.n_k).astype(np.int64)

    def to_dict(self) -> dict[str, float]:
        return {"n_k": self.n_k, "n_b": self.n_b, "half_k": self.half_k, "half_b": self.half_b}


def cluster_table(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Flat valid clusters: event, plane, projection, z, position, charge (MeV, path-length corrected)."""
    c = arrays["stk_clusters"]
    valid = np.arange(c.shape[1])[None, :] < arrays["stk_n_clusters"][:, None]
    ev, j = np.nonzero(valid)
    plane, proj = c[ev, j, 0].astype(np.int64), c[ev, j, 1].astype(np.int64)
    return ev, plane, proj, stk_layer_z(plane, proj), c[ev, j, 2].astype(np.float64), c[ev, j, 3].astype(np.float64)


def hough_images(arrays: dict[str, np.ndarray], intercept: np.ndarray, slope: np.ndarray,
                 grid: HoughGrid) -> np.ndarray:
    """uint8 vote images (N, 2 projections, 3, n_k, n_b): low-charge, high-charge, upper-two-plane votes."""
    n = len(intercept)
    ev, plane, proj, z, u, q = cluster_table(arrays)
    cos_t = 1.0 / np.sqrt(1.0 + (slope**2).sum(axis=1))
    r = u - (intercept[ev, proj] + slope[ev, proj] * z)
    high = q * cos_t[ev] > 2.5 * MIP_MEV
    img = np.zeros((n, 2, 3, grid.n_k, grid.n_b), np.int32)
    dz = z - _Z_REF
    for j, k in enumerate(grid.k_centres):
        bi = grid.b_index(r - k * dz)
        ok = (bi >= 0) & (bi < grid.n_b)
        index: Any = (ev[ok], proj[ok], high[ok].astype(np.int64), j, bi[ok])  # numpy's stubs reject mixed tuples
        np.add.at(img, index, 1)
        top = ok & (plane <= 1)
        index = (ev[top], proj[top], 2, j, bi[top])
        np.add.at(img, index, 1)
    return np.minimum(img, 255).astype(np.uint8)


def true_cells(arrays: dict[str, np.ndarray], intercept: np.ndarray, slope: np.ndarray,
               grid: HoughGrid) -> np.ndarray:
    """Flat cell index (N, 2) of the true track in each projection's grid; −1 outside the region of interest."""
    dk = arrays["slope"] - slope
    db = (arrays["intercept"] + arrays["slope"] * _Z_REF) - (intercept + slope * _Z_REF)
    ki, bi = grid.k_index(dk), grid.b_index(db)
    ok = (ki >= 0) & (ki < grid.n_k) & (bi >= 0) & (bi < grid.n_b)
    return np.where(ok, ki * grid.n_b + bi, -1)


def network_input(images: torch.Tensor, grid: HoughGrid) -> torch.Tensor:
    """(B, 2, 3, K, B) uint8 votes → (2B, 5, K, B) float: log(1 + votes) and two coordinate channels."""
    b = images.shape[0]
    x = torch.log1p(images.reshape(2 * b, 3, grid.n_k, grid.n_b).float())
    kk = torch.linspace(-1, 1, grid.n_k).view(1, 1, -1, 1).expand(2 * b, 1, grid.n_k, grid.n_b)
    bb = torch.linspace(-1, 1, grid.n_b).view(1, 1, 1, -1).expand(2 * b, 1, grid.n_k, grid.n_b)
    return torch.cat([x, kk, bb], dim=1)


def make_hough_loss(grid: HoughGrid):
    """Softmax cross-entropy over all cells of each projection; events whose truth is outside the grid are skipped."""

    def loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        images, cells = batch
        logits = model(network_input(images, grid)).flatten(1)
        target = cells.reshape(-1)
        ok = target >= 0
        if not bool(ok.any()):
            return logits.sum() * 0.0
        return nn.functional.cross_entropy(logits[ok], target[ok])

    return loss


hough_loss = make_hough_loss


def cell_lines(cells: np.ndarray, intercept: np.ndarray, slope: np.ndarray, grid: HoughGrid
               ) -> tuple[np.ndarray, np.ndarray]:
    """Lines (intercept, slope) (N, 2) of chosen cells (N, 2)."""
    ki, bi = cells // grid.n_b, cells % grid.n_b
    dk = (ki + 0.5) / grid.n_k * 2 * grid.half_k - grid.half_k
    db = (bi + 0.5) / grid.n_b * 2 * grid.half_b - grid.half_b
    k = slope + dk
    b_ref = intercept + slope * _Z_REF + db
    return b_ref - k * _Z_REF, k


def _fit(z: np.ndarray, u: np.ndarray) -> tuple[float, float, float]:
    """Unweighted straight-line fit u = b + k z: (b, k, χ²) with σ = 50 µm."""
    zm, um = z.mean(), u.mean()
    szz = ((z - zm) ** 2).sum()
    k = float(((z - zm) * (u - um)).sum() / szz) if szz > 0 else 0.0
    b = float(um - k * zm)
    chi2 = float((((u - b - k * z) / _SIGMA_HIT) ** 2).sum())
    return b, k, chi2


def _attach(z: np.ndarray, u: np.ndarray, plane: np.ndarray, b: float, k: float, tol: float) -> np.ndarray:
    """Indices of the nearest cluster per plane within ``tol`` of the line."""
    d = np.abs(u - (b + k * z))
    order = np.lexsort((d, plane))
    first = np.concatenate([[True], np.diff(plane[order]) != 0]) if len(order) else np.zeros(0, bool)
    pick = order[first]
    return pick[d[pick] < tol]


def _event_projections(arrays: dict[str, np.ndarray], n: int):
    """Yield (event, projection, z, u, plane) of the STK clusters of each of the first ``n`` events."""
    ev, plane, proj, z, u, _ = cluster_table(arrays)
    starts = np.searchsorted(ev, np.arange(n + 1))
    for i in range(n):
        s = slice(starts[i], starts[i + 1])
        for p in (0, 1):
            m = proj[s] == p
            yield i, p, z[s][m], u[s][m], plane[s][m]


def refine(arrays: dict[str, np.ndarray], intercept: np.ndarray, slope: np.ndarray, tolerances=(2.0, 0.5),
           min_planes: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Refit lines to the nearest cluster per plane (two passes): (intercept, slope, found) with NaN where not found."""
    n = len(intercept)
    out_b, out_k = np.full((n, 2), np.nan), np.full((n, 2), np.nan)
    for i, p, zz, uu, pl in _event_projections(arrays, n):
        b, k = intercept[i, p], slope[i, p]
        ok = True
        for tol in tolerances:
            sel = _attach(zz, uu, pl, b, k, tol)
            if len(sel) < min_planes:
                ok = False
                break
            b, k, _ = _fit(zz[sel], uu[sel])
        if ok:
            out_b[i, p], out_k[i, p] = b, k
    found = np.isfinite(out_b).all(axis=1)
    return out_b, out_k, found


def classical_tracks(arrays: dict[str, np.ndarray], intercept: np.ndarray, slope: np.ndarray,
                     window: float = 24.0, max_dk: float = 0.08, tol: float = 0.5, sigma_axis: float = 10.0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Combinatorial χ² finder seeded by the axis: (intercept, slope, found), NaN where no track."""
    n = len(intercept)
    out_b, out_k = np.full((n, 2), np.nan), np.full((n, 2), np.nan)
    for i, p, zz, uu, pl in _event_projections(arrays, n):
        a0, ka = intercept[i, p], slope[i, p]
        near = np.abs(uu - (a0 + ka * zz)) < window
        zz, uu, pl = zz[near], uu[near], pl[near]
        if len(zz) < 3:
            continue
        ia, ib = np.triu_indices(len(zz), 1)
        keep = pl[ia] != pl[ib]
        ia, ib = ia[keep], ib[keep]
        k = (uu[ib] - uu[ia]) / (zz[ib] - zz[ia])
        keep = np.abs(k - ka) < max_dk
        ia, ib, k = ia[keep], ib[keep], k[keep]
        b = uu[ia] - k * zz[ia]
        # hits per pair within tol (at most one per plane counts)
        d = np.abs(uu[None, :] - (b[:, None] + k[:, None] * zz[None, :])) < tol
        n_planes = np.zeros(len(k), np.int64)
        for q in range(6):
            n_planes += d[:, pl == q].any(axis=1)
        if not len(k) or n_planes.max() < 3:
            continue
        best, best_score = None, np.inf
        for c in np.flatnonzero(n_planes == n_planes.max()):
            sel = _attach(zz, uu, pl, b[c], k[c], tol)
            bb, kk, chi2 = _fit(zz[sel], uu[sel])
            d_axis = (bb + kk * geo.BGO_TOP_Z) - (a0 + ka * geo.BGO_TOP_Z)
            score = chi2 / max(len(sel) - 2, 1) + (d_axis / sigma_axis) ** 2
            if score < best_score:
                best, best_score = (bb, kk), score
        if best is not None:
            out_b[i, p], out_k[i, p] = best
    found = np.isfinite(out_b).all(axis=1)
    return out_b, out_k, found


def track_distance(arrays: dict[str, np.ndarray], intercept: np.ndarray, slope: np.ndarray, z: float) -> np.ndarray:
    """Distance (mm) at depth z between the tracks and the truth; NaN where no track was found."""
    d = (intercept + slope * z) - (arrays["intercept"] + arrays["slope"] * z)
    return np.hypot(d[:, 0], d[:, 1])
