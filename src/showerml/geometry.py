"""Voxelised calorimeter read-out geometries, shared by simulators, file readers, features and models.

A :class:`Geometry` is an ordered tuple of layers; each layer is either Cartesian (``ny × nx`` cells of fixed size)
or cylindrical (``n_alpha × n_r`` bins between radial edges, as in the CaloChallenge). Voxels of a shower are
flattened layer by layer in C order, which is the CaloChallenge convention ``(layer, alpha, r)`` and the CaloGAN
convention ``(layer, y, x)``. Lengths in mm.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

from showerml.errors import InputError

__all__ = ["CartesianLayer", "CylindricalLayer", "Geometry", "Layer"]


@dataclass(frozen=True)
class CartesianLayer:
    """``ny × nx`` cells of ``cell_y × cell_x`` mm centred on the beam axis, between depths ``z0`` and ``z1``."""

    nx: int
    ny: int
    cell_x: float
    cell_y: float
    z0: float
    z1: float
    kind: str = "cartesian"

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    @property
    def half_width(self) -> tuple[float, float]:
        return (0.5 * self.nx * self.cell_x, 0.5 * self.ny * self.cell_y)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-voxel (x, y) cell centres in mm, each of shape ``(ny, nx)``."""
        x = (np.arange(self.nx) + 0.5) * self.cell_x - 0.5 * self.nx * self.cell_x
        y = (np.arange(self.ny) + 0.5) * self.cell_y - 0.5 * self.ny * self.cell_y
        return np.broadcast_to(x[None, :], self.shape), np.broadcast_to(y[:, None], self.shape)


@dataclass(frozen=True)
class CylindricalLayer:
    """``n_alpha × n_r`` bins: radial edges ``r_edges`` (mm) and equal azimuthal sectors, depths ``z0``–``z1``."""

    r_edges: tuple[float, ...]
    n_alpha: int
    z0: float
    z1: float
    kind: str = "cylindrical"

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_alpha, len(self.r_edges) - 1)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-voxel (r, alpha) bin centres (mm, rad), each of shape ``(n_alpha, n_r)``."""
        edges = np.asarray(self.r_edges, dtype=float)
        r = 0.5 * (edges[1:] + edges[:-1])
        a = (np.arange(self.n_alpha) + 0.5) * 2 * np.pi / self.n_alpha - np.pi
        return np.broadcast_to(r[None, :], self.shape), np.broadcast_to(a[:, None], self.shape)

    def cartesian_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-voxel (x, y) = (r cos α, r sin α) bin centres in mm."""
        r, a = self.centres()
        return r * np.cos(a), r * np.sin(a)


Layer = CartesianLayer | CylindricalLayer


@dataclass(frozen=True)
class Geometry:
    """A named stack of read-out layers."""

    name: str
    layers: tuple[Layer, ...]

    @cached_property
    def layer_sizes(self) -> tuple[int, ...]:
        return tuple(int(np.prod(layer.shape)) for layer in self.layers)

    @property
    def n_voxels(self) -> int:
        return int(sum(self.layer_sizes))

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @cached_property
    def layer_slices(self) -> tuple[slice, ...]:
        bounds = np.concatenate([[0], np.cumsum(self.layer_sizes)])
        return tuple(slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True))

    def split(self, voxels: np.ndarray) -> list[np.ndarray]:
        """Flat ``(N, n_voxels)`` → per-layer arrays ``(N, *layer.shape)``."""
        if voxels.shape[-1] != self.n_voxels:
            raise InputError(f"geometry '{self.name}' has {self.n_voxels} voxels, the showers have {voxels.shape[-1]}")
        return [
            voxels[..., s].reshape(*voxels.shape[:-1], *layer.shape)
            for s, layer in zip(self.layer_slices, self.layers, strict=True)
        ]

    def layer_energies(self, voxels: np.ndarray) -> np.ndarray:
        """Energy per layer, ``(N, n_layers)``."""
        return np.stack([voxels[:, s].sum(axis=1) for s in self.layer_slices], axis=1)

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "layers": [asdict(layer) for layer in self.layers]})

    @classmethod
    def from_json(cls, text: str) -> Geometry:
        data = json.loads(text)
        layers: list[Layer] = []
        for d in data["layers"]:
            kind = d.pop("kind")
            if kind == "cartesian":
                layers.append(CartesianLayer(**d))
            else:
                d["r_edges"] = tuple(d["r_edges"])
                layers.append(CylindricalLayer(**d))
        return cls(data["name"], tuple(layers))
