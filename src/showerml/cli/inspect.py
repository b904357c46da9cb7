"""``showerml inspect FILE``: layout, counts, energy range, units and provenance of an event file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from showerml.io.hdf5 import _plain, open_h5


def inspect_file(path: Path) -> list[str]:
    """Human-readable summary lines of any HDF5 event file showerml knows (or at least its datasets)."""
    lines = [f"file: {path}"]
    with open_h5(path) as f:
        attrs = {k: _plain(v) for k, v in f.attrs.items() if k != "geometry"}
        keys = list(f.keys())
        for key in keys:
            ds = f[key]
            if hasattr(ds, "shape"):
                lines.append(f"  {key:<20} {str(ds.shape):<18} {ds.dtype}  {ds.compression or ''}")
        n = f[keys[0]].shape[0] if keys and hasattr(f[keys[0]], "shape") else 0
        energy_key, scale = None, 1.0
        if "layer_0" in f and "energy" in f:  # CaloGAN stores the incident energy in GeV
            energy_key, scale = "energy", 1000.0
        elif "incident_energies" in f:
            energy_key = "incident_energies"
        elif "energy" in f:  # showerml's own layouts: MeV
            energy_key = "energy"
        if energy_key is not None and n:
            e = np.asarray(f[energy_key][: min(n, 1_000_000)]).reshape(-1) * scale
            lines.append(f"events: {n}; incident energy {e.min() / 1000:.4g} – {e.max() / 1000:.4g} GeV")
    from showerml.io.layouts import CALOCHALLENGE, CALOGAN

    names = {"layer_0": CALOGAN.name, "showers": CALOCHALLENGE.name}
    layout = next((v for k, v in names.items() if k in keys), attrs.get("layout", "showerml events"))
    lines.append(f"layout: {layout}")
    for key in sorted(attrs):
        lines.append(f"  {key}: {attrs[key]}")
    return lines


def inspect(path: Path = typer.Argument(..., help="An HDF5 event file.")) -> None:
    """Describe an event file: datasets, counts, energy range, units and what made it."""
    for line in inspect_file(path):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
