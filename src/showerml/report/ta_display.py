"""Event display for the TA-like surface detector, in the style of TA's SD event displays.

Left: the footprint — every station of the array as a small grey dot, the listed stations as circles of area ∝ their
signal (VEM, both layers) coloured by arrival time, off stations as crosses, saturated ones ringed, the true core
(star) and the projected shower axis (arrow pointing where the shower came from). Right: the upper (solid) and lower
(dashed) layer traces of the stations with the largest signals.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.io.ta import TaEvents, read_ta

__all__ = ["draw_ta_event"]

_TRACES_SHOWN = 6
_BIN_NS = 20.0


def _event(source: TaEvents | str | os.PathLike[str], index: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    if isinstance(source, TaEvents):
        events = source
    else:
        events = read_ta(source, events=slice(index, index + 1))
        if len(events) == 0:
            raise InputError(f"--event {index} is out of range for {source}")
        index = 0
    n = len(events)
    if not -n <= index < n:
        raise InputError(f"event {index} is out of range: the sample holds {n} events")
    return {k: v[index] for k, v in events.arrays.items()}, events.attrs


def draw_ta_event(source: TaEvents | str | os.PathLike[str], index: int = 0):
    """Figure of event ``index`` of a TA file or :class:`~showerml.io.ta.TaEvents`."""
    import matplotlib.pyplot as plt

    ev, attrs = _event(source, index)
    grid = np.asarray(attrs.get("grid_xy", np.zeros((0, 2))), float).reshape(-1, 2) / 1e3
    k = int(ev["n_stations"])
    xy = np.asarray(ev["station_xy"][:k], float) / 1e3
    state = np.asarray(ev["station_state"][:k])
    signal = np.asarray(ev["station_signal"][:k], float).sum(axis=1)
    time = np.asarray(ev["station_time"][:k], float) / 1e3
    hit = (state == 1) | (state == 2)
    fig, (ax, axt) = plt.subplots(1, 2, figsize=(14, 6.5), constrained_layout=True,
                                  gridspec_kw={"width_ratios": [1.1, 1.0]})
    ax.scatter(grid[:, 0], grid[:, 1], s=3, c="0.8", lw=0)
    sc = ax.scatter(xy[hit, 0], xy[hit, 1], s=20 + 40 * np.sqrt(np.maximum(signal[hit], 0)), c=time[hit],
                    cmap="viridis", edgecolors="k", linewidths=0.5, zorder=3)
    fig.colorbar(sc, ax=ax, label="time [µs] after the first station", shrink=0.8)
    sat = state == 2
    if sat.any():
        ax.scatter(xy[sat, 0], xy[sat, 1], s=20 + 40 * np.sqrt(signal[sat]), facecolors="none", edgecolors="r",
                   linewidths=1.5, zorder=4, label="saturated")
    off = state == 3
    if off.any():
        ax.scatter(xy[off, 0], xy[off, 1], marker="x", c="r", s=40, zorder=4, label="off")
    core = np.asarray(ev["core"], float) / 1e3
    theta, phi = float(ev["theta"]), float(ev["phi"])
    ax.plot(*core, "*", ms=16, c="gold", mec="k", zorder=5, label="core (truth)")
    length = 3.0 * np.sin(theta) + 0.3
    ax.annotate("", xy=core + length * np.array([np.cos(phi), np.sin(phi)]), xytext=core,
                arrowprops={"arrowstyle": "->", "lw": 1.5, "color": "k"}, zorder=5)
    if hit.any():
        centre = xy[hit][np.argmax(signal[hit])]
        half = max(4.0, float(np.abs(xy[hit] - centre).max()) + 1.5)
        ax.set_xlim(centre[0] - half, centre[0] + half)
        ax.set_ylim(centre[1] - half, centre[1] + half)
    ax.set_aspect("equal")
    ax.set_xlabel("x (east) [km]")
    ax.set_ylabel("y (north) [km]")
    ax.legend(loc="upper right", fontsize=8, markerscale=0.5)
    traces = np.asarray(ev["station_traces"][:k], float)
    order = np.flatnonzero(hit)[np.argsort(-signal[hit])][:_TRACES_SHOWN]
    t = np.arange(traces.shape[-1]) * _BIN_NS / 1e3
    for j, s in enumerate(order):
        offset = 1.1 * j
        scale = max(float(traces[s].max()), 1e-3)
        colour = plt.get_cmap("tab10")(j % 10)
        axt.plot(t + time[s], offset + traces[s, 0] / scale, c=colour, lw=0.9)
        axt.plot(t + time[s], offset + traces[s, 1] / scale, c=colour, lw=0.9, ls="--")
        axt.text(t[-1] + time[s] + 0.05, offset + 0.1, f"({xy[s, 0]:.1f}, {xy[s, 1]:.1f}) km  {signal[s]:.1f} VEM",
                 fontsize=7, color=colour)
    axt.set_xlabel("time [µs] (solid: upper layer, dashed: lower layer; each scaled to its maximum)")
    axt.set_yticks([])
    axt.set_title("FADC traces of the largest signals")
    a = int(ev["mass_number"])
    name = {0: "photon", 1: "p", 4: "He", 14: "N", 56: "Fe"}.get(a, f"A={a}")
    fig.suptitle(f"{name}  E = {float(ev['energy_eev']):.3g} EeV   θ = {np.degrees(theta):.1f}°   "
                 f"φ = {np.degrees(phi):.0f}°   X_max = {float(ev['xmax']):.0f} g/cm²   S800 = {float(ev['s800']):.1f} "
                 f"VEM/m²   stations {int(hit.sum())}")
    return fig

