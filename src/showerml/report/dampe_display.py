"""Event display for the DAMPE-like detector: the x–z and y–z views with BGO bars, STK clusters, PSD bars, truth.

Even BGO layers (bars along y) measure x and appear in the x–z view, odd layers in the y–z view; STK clusters of
projection x / y and PSD layer 1 / 0 likewise. Clusters are coloured by their truth origin (primary, secondary,
back-scatter, noise), the dashed line is the true track and the star the first interaction.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from showerml.detectors.dampe import geometry as geo
from showerml.io.dampe import DampeEvents, read_dampe

__all__ = ["draw_dampe_event"]

_ORIGIN_STYLE = {0: ("primary", "#d62728"), 1: ("secondary", "#ff7f0e"), 2: ("back-scatter", "#1f77b4"),
                 3: ("noise", "#7f7f7f")}
_MIP_STK = 0.088  # MeV, most probable loss of a MIP in 320 µm Si


def _event(source: DampeEvents | Mapping[str, np.ndarray] | str | os.PathLike[str], index: int):
    if isinstance(source, str | os.PathLike):
        ev = read_dampe(source, events=slice(index, index + 1))
        if len(ev) == 0:
            from showerml.errors import InputError

            raise InputError(f"--event {index} is out of range for {source}")
        return {k: v[0] for k, v in ev.arrays.items()}, ev.attrs
    arrays = source.arrays if isinstance(source, DampeEvents) else source
    attrs = source.attrs if isinstance(source, DampeEvents) else {}
    n = len(arrays["energy"])
    if not -n <= index < n:
        from showerml.errors import InputError

        raise InputError(f"event {index} is out of range: the sample holds {n} events")
    return {k: v[index] for k, v in arrays.items()}, attrs


def _view(ax, ev: Mapping[str, np.ndarray], axis: int, norm, cmap) -> None:
    """One projection: axis 0 = x–z, 1 = y–z."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    # outlines: PSD, STK planes, W plates, BGO envelope
    ax.add_patch(Rectangle((-geo.PSD_HALF, geo.PSD_TOP_Z), 2 * geo.PSD_HALF, 47, fill=False, lw=0.5, ec="0.7"))
    for z in geo.STK_LAYER_Z:
        ax.plot([-geo.STK_HALF, geo.STK_HALF], [z, z], color="0.8", lw=0.5)
    for z in geo.STK_W_Z:
        ax.plot([-geo.STK_HALF, geo.STK_HALF], [z, z], color="0.55", lw=1.2)
    ax.add_patch(Rectangle((-geo.BGO_HALF, geo.BGO_TOP_Z), 2 * geo.BGO_HALF, geo.BGO_BOTTOM_Z - geo.BGO_TOP_Z,
                           fill=False, lw=0.5, ec="0.6"))
    # BGO bars of the layers measuring this coordinate
    bgo = np.asarray(ev["bgo"], float)
    rects, values = [], []
    for layer in range(axis, geo.BGO_N_LAYERS, 2):
        for bar in np.flatnonzero(bgo[layer] > 0):
            corner = (geo.BGO_BAR_CENTRES[bar] - geo.BGO_BAR / 2, geo.BGO_LAYER_Z[layer] - geo.BGO_BAR / 2)
            rects.append(Rectangle(corner, geo.BGO_BAR, geo.BGO_BAR))
            values.append(bgo[layer, bar])
    if rects:
        pc = PatchCollection(rects, cmap=cmap, norm=norm)
        pc.set_array(np.array(values))
        ax.add_collection(pc)
    # PSD: layer 1 measures x, layer 0 measures y; bar 2k (sub-layer A) at −400 + 40k, 2k + 1 at −380 + 40k
    psd_layer = 1 - axis
    psd = np.asarray(ev["psd"], float)[psd_layer]
    for bar in np.flatnonzero(psd > 0):
        sub = bar % 2
        centre = -400.0 + 20.0 * sub + 40.0 * (bar // 2)
        z = geo.PSD_SUBLAYER_Z[2 * psd_layer + sub]
        alpha = float(np.clip(0.25 + 0.25 * np.log10(1 + psd[bar]), 0.25, 1.0))
        ax.add_patch(Rectangle((centre - 14, z - 5), 28, 10, color="#2ca02c", alpha=alpha, lw=0))
    # STK clusters
    n = int(ev["stk_n_clusters"])
    cl = np.asarray(ev["stk_clusters"][:n], float)
    origin = np.asarray(ev["stk_cluster_origin"][:n])
    sel = cl[:, 1] == axis
    z = geo.STK_LAYER_Z[(2 * cl[sel, 0] + cl[sel, 1]).astype(int)]
    size = 6 + 10 * np.sqrt(cl[sel, 3] / _MIP_STK)
    for code, (label, colour) in _ORIGIN_STYLE.items():
        m = origin[sel] == code
        if m.any():
            ax.scatter(cl[sel, 2][m], z[m], s=size[m], c=colour, label=label, lw=0, zorder=3)
    # truth track and first interaction
    zz = np.array([geo.PSD_TOP_Z - 20, geo.BGO_BOTTOM_Z + 10])
    ax.plot(ev["intercept"][axis] + ev["slope"][axis] * zz, zz, "--", color="k", lw=0.8, label="true track")
    z_int = float(ev["first_interaction_z"])
    if z_int < geo.BGO_BOTTOM_Z:
        ax.plot(ev["intercept"][axis] + ev["slope"][axis] * z_int, z_int, "*", color="gold", mec="k", ms=11,
                zorder=4, label="first interaction")
    ax.set_xlim(-460, 460)
    ax.set_ylim(geo.BGO_BOTTOM_Z + 20, geo.PSD_TOP_Z - 30)  # z grows downward
    ax.set_xlabel(f"{'xy'[axis]} [mm]")
    ax.set_ylabel("z [mm]")
    ax.set_aspect("equal")


def draw_dampe_event(source: DampeEvents | Mapping[str, np.ndarray] | str | os.PathLike[str], index: int = 0):
    """Figure with the x–z and y–z views of event ``index`` of a file, :class:`DampeEvents` or array dict."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    ev, attrs = _event(source, index)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.5), constrained_layout=True)
    bgo = np.asarray(ev["bgo"], float)
    top = max(float(bgo.max()), 10.0)
    norm = LogNorm(vmin=max(top * 1e-4, 1.0), vmax=top)
    cmap = plt.get_cmap("inferno_r")
    for axis, ax in enumerate(axes):
        _view(ax, ev, axis, norm, cmap)
    handles, labels = axes[0].get_legend_handles_labels()
    axes[1].legend(handles, labels, loc="lower right", fontsize=8, framealpha=0.9)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=axes, shrink=0.7, label="BGO bar energy [MeV]")
    particle = attrs.get("particle", f"Z={int(ev['charge'])}")
    fig.suptitle(
        f"{particle}  E = {float(ev['energy']) / 1e3:.4g} GeV   θ = {np.degrees(float(ev['theta'])):.1f}°   "
        f"BGO {float(bgo.sum()) / 1e3:.4g} GeV   STK clusters {int(ev['stk_n_clusters'])}   "
        f"back-scattered {int(ev['n_backscatter'])}   saturated bars {int(ev['bgo_n_saturated'])}"
    )
    return fig
