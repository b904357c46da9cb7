"""``showerml inspect FILE``: layout, counts, energy range, units and provenance of an event file.

The file is validated with the reader every other command uses (:class:`~showerml.io.showers.ShowerFile` for CaloGAN
and CaloChallenge files, :func:`~showerml.io.dampe.read_dampe` for DAMPE files), streamed in chunks:
NaN or infinite values, negative deposits, non-positive incident energies or shapes that do not fit the layout give
one ``error:`` line naming the dataset and the first bad event, and exit code 2. Temporary files a killed run left
beside the file are listed (``showerml clean`` removes them).
"""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["inspect", "inspect_file", "register"]

#: events read at once while validating
_CHUNK = 20_000


def _validate(path: Path, detector: object, keys: list[str]) -> str | None:
    """Validate the whole file with the reader of its layout; return the layout name (None: not a known layout)."""
    if detector == "dampe":
        from showerml.io.dampe import check_dampe_layout, read_dampe
        from showerml.io.hdf5 import open_h5

        with open_h5(path) as f:
            n = check_dampe_layout(f, path)
        for start in range(0, n, _CHUNK):
            read_dampe(path, slice(start, min(start + _CHUNK, n)))
        return "DAMPE"
    if any(k in keys for k in ("layer_0", "layer_1", "layer_2", "showers", "incident_energies")):
        from showerml.io.showers import ShowerFile

        showers = ShowerFile(path)
        for _ in showers.iter_chunks(_CHUNK):
            pass
        return showers.layout.name
    return None


def inspect_file(path: Path) -> list[str]:
    """Human-readable summary lines of any HDF5 event file showerml knows (validated), or at least its datasets."""
    import numpy as np

    from showerml.io.atomic import temp_files_in
    from showerml.io.hdf5 import open_h5, plain_attr

    lines = [f"file: {path}"]
    with open_h5(path) as f:
        attrs = {k: plain_attr(v) for k, v in f.attrs.items() if k != "geometry"}
        keys = list(f.keys())
    layout = _validate(path, attrs.get("detector"), keys)
    with open_h5(path) as f:
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
    lines.append(f"layout: {layout or attrs.get('layout', 'showerml events (values not validated)')}")
    for key in sorted(attrs):
        lines.append(f"  {key}: {attrs[key]}")
    leftovers = temp_files_in(path.parent if str(path.parent) else ".", path.name)
    if leftovers:
        stale = sum(t.stale for t in leftovers)
        lines.append(f"temporary files beside it: {len(leftovers)} ({stale} left by killed runs; "
                     f"'showerml clean {path}' removes those)")
    return lines


def inspect(path: Path = typer.Argument(..., help="An HDF5 event file.")) -> None:
    """Describe an event file: datasets, counts, energy range, units and what made it (after validating it)."""
    for line in inspect_file(path):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
