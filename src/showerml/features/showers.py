"""High-level shower features, the observables of the CaloGAN / CaloFlow / CaloChallenge evaluations.

For a shower with voxel energies ``E_v`` (MeV) and layer energies ``E_l = Σ_{v∈l} E_v``:

- ``E_tot = Σ_l E_l`` and the response ``E_tot / E_inc``;
- layer energies ``E_l`` and fractions ``E_l / E_tot``;
- per layer, energy-weighted centres ``⟨x⟩_l = Σ x_v E_v / E_l`` and widths ``σ_x = √(⟨x²⟩ − ⟨x⟩²)`` (mm) in both
  directions: x/y for Cartesian layers; x/y = r cos α / r sin α and the radius r for cylindrical layers (the
  CaloChallenge convention, arXiv:2410.21611);
- sparsity: the fraction of *empty* voxels of a layer (``E_v ≤ threshold``), as the CaloChallenge defines it
  (``1 − mean(E_v > t)``, code/HighLevelFeatures.py of its homepage repository);
- brightest-voxel observables: ``E_max / E_l`` and ``(E_1st − E_2nd) / (E_1st + E_2nd)`` (CaloGAN "E_ratio",
  arXiv:1712.10321);
- shower depth ``s_d = Σ_l l·E_l / E_tot`` (layer index) and its width ``σ_sd = √(Σ_l l² E_l / E_tot − s_d²)``
  (CaloFlow, arXiv:2106.05285).

Empty layers (``E_l = 0``) get centre, width and brightest-voxel values 0, so every feature is finite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from showerml.errors import InputError
from showerml.geometry import CartesianLayer, Geometry
from showerml.io.showers import ShowerData

__all__ = ["FeatureTable", "informative_features", "shower_features"]

#: a feature whose spread is below this (per unit) carries only rounding noise
SPREAD_FLOOR = {"MeV": 1e-3, "mm": 1e-2, "layer": 1e-4, "": 1e-6}


@dataclass
class FeatureTable:
    """Named feature columns, each ``(N,)`` float64, in a fixed order; ``units`` maps name → unit."""

    columns: dict[str, np.ndarray]
    units: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def matrix(self, names: list[str] | None = None) -> np.ndarray:
        """The columns (all, or ``names``) stacked into an ``(N, F)`` array."""
        return np.stack([self.columns[n] for n in (names or self.names)], axis=1)


def informative_features(table: FeatureTable) -> list[str]:
    """Names of the columns whose standard deviation exceeds :data:`SPREAD_FLOOR` for their unit.

    Near-constant columns (e.g. the y centre of a layer three 160 mm cells tall, where nearly all energy sits in the
    middle cell) are noise after standardisation and would dominate FPD, KPD and the classifier's inputs.
    """
    return [n for n, v in table.columns.items() if float(np.std(v)) > SPREAD_FLOOR.get(table.units.get(n, ""), 1e-6)]


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast(a, b).shape, dtype=np.float64)
    np.divide(a, b, out=out, where=b > 0)
    return out


def _moments(layer: np.ndarray, coord: np.ndarray, e_layer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Energy-weighted mean and standard deviation of ``coord`` (per voxel) for ``layer`` (N, V)."""
    mean = _safe_div(layer @ coord, e_layer)
    second = _safe_div(layer @ (coord * coord), e_layer)
    return mean, np.sqrt(np.clip(second - mean * mean, 0.0, None))


def _brightest(layer: np.ndarray, e_layer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if layer.shape[1] >= 2:
        top2 = np.partition(layer, layer.shape[1] - 2, axis=1)[:, -2:]
        second, first = top2[:, 0], top2[:, 1]
    else:
        first, second = layer[:, 0], np.zeros(len(layer))
    return _safe_div(first, e_layer), _safe_div(first - second, first + second)


def shower_features(data: ShowerData, threshold: float = 0.0, per_layer: bool = True) -> FeatureTable:
    """The high-level features of every shower in ``data`` (any geometry); ``threshold`` (MeV) sets sparsity.

    With ``per_layer=False`` only the global features (E_tot, response, depth and its width) are returned.
    """
    geometry: Geometry = data.geometry
    if len(data) == 0:
        raise InputError("no showers to compute features of")
    cols: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}

    def add(name: str, values: np.ndarray, unit: str) -> None:
        cols[name] = np.asarray(values, dtype=np.float64)
        units[name] = unit

    voxels = data.voxels
    e_layers = np.stack([voxels[:, s].sum(axis=1, dtype=np.float64) for s in geometry.layer_slices], axis=1)
    e_tot = e_layers.sum(axis=1)
    add("E_tot", e_tot, "MeV")
    add("E_tot/E_inc", _safe_div(e_tot, np.asarray(data.incident, dtype=np.float64)), "")
    index = np.arange(geometry.n_layers, dtype=np.float64)
    depth = _safe_div(e_layers @ index, e_tot)
    add("shower_depth", depth, "layer")
    add("shower_depth_width", np.sqrt(np.clip(_safe_div(e_layers @ index**2, e_tot) - depth**2, 0, None)), "layer")
    if not per_layer:
        return FeatureTable(cols, units)
    for i, (s, layer_geo) in enumerate(zip(geometry.layer_slices, geometry.layers, strict=True)):
        layer = voxels[:, s].astype(np.float64)
        e_l = e_layers[:, i]
        add(f"E_{i}", e_l, "MeV")
        add(f"frac_{i}", _safe_div(e_l, e_tot), "")
        if isinstance(layer_geo, CartesianLayer):
            x, y = (c.reshape(-1) for c in layer_geo.centres())
            r = None
        else:
            x, y = (c.reshape(-1) for c in layer_geo.cartesian_centres())
            r = layer_geo.centres()[0].reshape(-1)
        for axis, coord in (("x", x), ("y", y)) + ((("r", r),) if r is not None else ()):
            mean, width = _moments(layer, np.ascontiguousarray(coord, dtype=np.float64), e_l)
            add(f"{axis}_centre_{i}", mean, "mm")
            add(f"{axis}_width_{i}", width, "mm")
        add(f"sparsity_{i}", 1.0 - (layer > threshold).mean(axis=1), "")
        frac_max, ratio = _brightest(layer, e_l)
        add(f"brightest_frac_{i}", frac_max, "")
        add(f"brightest_ratio_{i}", ratio, "")
    return FeatureTable(cols, units)
