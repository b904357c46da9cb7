"""Event display for the HERD-like calorimeter: the x–y, x–z and y–z projections (cube energies summed along the
projected axis) and a 3D view of the hit cubes, with the true track and the charge-layer hits."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from showerml.detectors.herd import geometry as geo
from showerml.errors import InputError
from showerml.io.herd import HerdEvents, dense_calo, read_herd

__all__ = ["draw_herd_event"]

_EDGES = np.arange(geo.N_SIDE + 1) * geo.PITCH - geo.HALF


def _event(source: HerdEvents | Mapping[str, np.ndarray] | str | os.PathLike[str], index: int
           ) -> tuple[dict[str, np.ndarray], dict]:
    if isinstance(source, str | os.PathLike):
        ev = read_herd(source, events=slice(index, index + 1))
        if len(ev) == 0:
            raise InputError(f"--event {index} is out of range for {source}")
        return {k: v[0] for k, v in ev.arrays.items()}, ev.attrs
    arrays = source.arrays if isinstance(source, HerdEvents) else source
    attrs = source.attrs if isinstance(source, HerdEvents) else {}
    n = len(arrays["energy"])
    if not -n <= index < n:
        raise InputError(f"event {index} is out of range: the sample holds {n} events")
    return {k: np.asarray(v[index]) for k, v in arrays.items()}, attrs


def draw_herd_event(source: HerdEvents | Mapping[str, np.ndarray] | str | os.PathLike[str], index: int = 0):
    """Figure with three projections and a 3D view of event ``index`` of a file, :class:`HerdEvents` or arrays."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    ev, attrs = _event(source, index)
    img = dense_calo(ev["calo_index"][None], ev["calo_energy"][None], np.float64)[0]  # [k, j, i]
    top = max(float(img.max()), 10.0)
    norm = LogNorm(vmin=max(top * 1e-4, 1.0), vmax=top)
    cmap = plt.get_cmap("inferno_r")
    fig = plt.figure(figsize=(15, 4.6), constrained_layout=True)
    entry, d = np.asarray(ev["entry"], float), np.asarray(ev["direction"], float)
    line = entry[None, :] + np.linspace(-150.0, float(ev["path_length"]) + 50.0, 2)[:, None] * d[None, :]
    hits = np.asarray(ev["tracker_hits"], float)[np.asarray(ev["tracker_face"]) >= 0]
    views = (("x", "y", img.sum(axis=0), 0, 1), ("x", "z", img.sum(axis=1), 0, 2), ("y", "z", img.sum(axis=2), 1, 2))
    mesh = None
    for n_ax, (a, b, proj, ia, ib) in enumerate(views):
        ax = fig.add_subplot(1, 4, n_ax + 1)
        masked = np.ma.masked_less_equal(proj, 0.0)
        mesh = ax.pcolormesh(_EDGES, _EDGES, masked, norm=norm, cmap=cmap)
        ax.plot(line[:, ia], line[:, ib], "--", color="k", lw=0.8, label="true track")
        if len(hits):
            ax.plot(hits[:, ia], hits[:, ib], "o", color="#1f77b4", ms=4, label="charge layers")
        box = geo.HALF + geo.LAYER_GAPS[-1] + 20
        ax.set_xlim(-box, box)
        ax.set_ylim(-box, box)
        ax.set_xlabel(f"{a} [mm]")
        ax.set_ylabel(f"{b} [mm]")
        ax.set_aspect("equal")
        ax.set_title(f"{a}–{b} projection")
    ax3 = fig.add_subplot(1, 4, 4, projection="3d")
    k, j, i = np.nonzero(img)
    centres = np.column_stack([i, j, k]) * geo.PITCH - geo.HALF + 0.5 * geo.PITCH
    e = img[k, j, i]
    ax3.scatter(centres[:, 0], centres[:, 1], centres[:, 2], c=e, cmap=cmap, norm=norm,
                s=4 + 40 * np.sqrt(e / top), depthshade=False)
    ax3.plot(line[:, 0], line[:, 1], line[:, 2], "--", color="k", lw=0.8)
    for lim in (ax3.set_xlim, ax3.set_ylim, ax3.set_zlim):
        lim(-geo.HALF, geo.HALF)
    ax3.set_xlabel("x [mm]")
    ax3.set_ylabel("y [mm]")
    ax3.set_zlabel("z [mm]")
    ax3.set_title("3D view")
    if mesh is not None:
        fig.colorbar(mesh, ax=fig.axes[:3], shrink=0.8, label="cube energy (summed) [MeV]")
    particle = attrs.get("particle", f"Z={int(ev['charge'])}")
    fig.suptitle(f"{particle}  E = {float(ev['energy']) / 1e3:.4g} GeV   θ = {np.degrees(float(ev['theta'])):.1f}°   "
                 f"deposit {float(img.sum()) / 1e3:.4g} GeV in {int(ev['calo_n_hits'])} cubes   "
                 f"path {float(ev['path_length']):.0f} mm")
    return fig
