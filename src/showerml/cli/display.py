"""``showerml display FILE --event I --out PNG``: an event display for any showerml event file."""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from showerml.errors import InputError
from showerml.io.hdf5 import read_attrs

#: detectors with their own display: attribute value → "module:function(path, index) -> Figure"
CUSTOM_DISPLAYS = {"dampe": "showerml.report.dampe_display:draw_dampe_event",
                   "ta": "showerml.report.ta_display:draw_ta_event",
                   "herd": "showerml.report.herd_display:draw_herd_event"}


def draw_file_event(path: Path, event: int):
    """The matplotlib figure of event ``event`` of ``path``."""
    detector = read_attrs(path).get("detector", "")
    if detector in CUSTOM_DISPLAYS:
        module, func = CUSTOM_DISPLAYS[detector].split(":")
        return getattr(importlib.import_module(module), func)(path, event)
    from showerml.io.showers import ShowerFile

    showers = ShowerFile(path)
    if not 0 <= event < showers.n_events:
        raise InputError(f"--event {event} is out of range: {path} holds events 0–{showers.n_events - 1}")
    data = showers.load(max_events=event + 1)
    from showerml.report.plots import draw_event  # matplotlib only once the input is known to be good

    return draw_event(data, event)


def display(
    path: Path = typer.Argument(..., help="An event file (CaloGAN, CaloChallenge or DAMPE-like)."),
    event: int = typer.Option(0, "--event", "-e", help="Event index."),
    out: Path = typer.Option(None, "--out", "-o", help="Output PNG (default: FILE stem + _event<I>.png)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing PNG."),
) -> None:
    """Draw one event: calorimeter layers on a log scale (DAMPE: BGO views with tracker and PSD hits)."""
    import io

    from showerml.io.atomic import atomic_write_bytes
    from showerml.io.hdf5 import check_output_path

    out = out or path.with_name(f"{path.stem}_event{event}.png")
    if out.suffix.lower() != ".png":
        raise InputError(f"--out must end in .png, got {out}")
    check_output_path(out, overwrite)
    fig = draw_file_event(path, event)
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(out, buf.getvalue())
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command("display")(display)
