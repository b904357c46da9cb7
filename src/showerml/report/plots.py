"""Matplotlib figures for calorimeter showers on any showerml geometry (Cartesian or cylindrical layers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # figures go to files and reports; no screen is assumed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from showerml.geometry import CartesianLayer, CylindricalLayer, Geometry  # noqa: E402
from showerml.io.showers import ShowerData  # noqa: E402

__all__ = ["draw_layers", "draw_event", "draw_layer_fraction_histograms", "draw_longitudinal_profiles"]

MAX_PANELS = 6


def _panel_layers(geometry: Geometry) -> list[int]:
    if geometry.n_layers <= MAX_PANELS:
        return list(range(geometry.n_layers))
    return [int(round(i)) for i in np.linspace(0, geometry.n_layers - 1, MAX_PANELS)]


def draw_layers(geometry: Geometry, voxels: np.ndarray, title: str, unit: str = "MeV") -> plt.Figure:
    """One panel per layer (at most six, evenly spaced) of a single shower or an average shower."""
    layers = geometry.split(voxels[None, :])
    picks = _panel_layers(geometry)
    positive = voxels[voxels > 0]
    vmin = max(float(positive.min()) if positive.size else 1e-3, float(voxels.max()) * 1e-6)
    norm = LogNorm(vmin=vmin, vmax=max(float(voxels.max()), vmin * 10))
    fig = plt.figure(figsize=(3.6 * len(picks), 3.4))
    for k, i in enumerate(picks):
        layer, image = geometry.layers[i], layers[i][0]
        if isinstance(layer, CartesianLayer):
            ax = fig.add_subplot(1, len(picks), k + 1)
            hx, hy = layer.half_width
            mesh = ax.pcolormesh(
                np.linspace(-hx, hx, layer.nx + 1),
                np.linspace(-hy, hy, layer.ny + 1),
                np.ma.masked_less_equal(image, 0),
                norm=norm,
                cmap="viridis",
            )
            ax.set_xlabel("x [mm]")
            if k == 0:
                ax.set_ylabel("y [mm]")
            ax.set_aspect("auto")
        else:
            assert isinstance(layer, CylindricalLayer)
            ax = fig.add_subplot(1, len(picks), k + 1, projection="polar")
            edges_r = np.asarray(layer.r_edges)
            edges_a = np.linspace(-np.pi, np.pi, layer.n_alpha + 1)
            mesh = ax.pcolormesh(edges_a, edges_r, np.ma.masked_less_equal(image.T, 0), norm=norm, cmap="viridis")
            ax.set_yticklabels([])
            ax.set_xticklabels([])
            ax.grid(alpha=0.3)
        ax.set_title(f"layer {i} ({layer.z0:g}–{layer.z1:g} mm)", fontsize=9)
    fig.colorbar(mesh, ax=fig.axes, label=f"deposit [{unit}]", shrink=0.85)
    fig.suptitle(title, fontsize=10)
    return fig


def draw_event(data: ShowerData, index: int) -> plt.Figure:
    """Event display of shower ``index``: its layers on a log colour scale."""
    e = data.incident[index] / 1000.0
    dep = float(data.voxels[index].sum()) / 1000.0
    particle = data.attrs.get("particle", "")
    title = f"event {index}: {particle} {e:.3g} GeV, deposited in cells {dep:.3g} GeV ({data.geometry.name})"
    return draw_layers(data.geometry, data.voxels[index], title)


def draw_layer_fraction_histograms(samples: Mapping[str, ShowerData], bins: int = 30) -> plt.Figure:
    """Histograms of the energy fraction per layer (first six layers) for several samples."""
    first = next(iter(samples.values()))
    picks = _panel_layers(first.geometry)
    fig, axes = plt.subplots(1, len(picks), figsize=(3.4 * len(picks), 3.0))
    axes = np.atleast_1d(axes)
    for ax, i in zip(axes, picks, strict=True):
        edges = np.linspace(0, 1, bins + 1)
        for label, data in samples.items():
            le = data.geometry.layer_energies(data.voxels)
            frac = le[:, i] / np.maximum(le.sum(1), 1e-12)
            ax.hist(frac, edges, density=True, histtype="step", label=f"{label} (N={len(data)})")
        ax.set_xlabel(f"E layer {i} / E cells")
    axes[0].set_ylabel("density")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def draw_longitudinal_profiles(samples: Mapping[str, ShowerData], ratio_to: Sequence[str] = ()) -> plt.Figure:
    """Mean energy per layer / E_inc for several samples."""
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for label, data in samples.items():
        le = data.geometry.layer_energies(data.voxels) / data.incident[:, None]
        mean = le.mean(0)
        err = le.std(0) / np.sqrt(len(le))
        ax.errorbar(np.arange(len(mean)), mean, err, marker="o", ms=3, capsize=2, label=label)
    ax.set_xlabel("layer")
    ax.set_ylabel("⟨E_layer / E_inc⟩")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
