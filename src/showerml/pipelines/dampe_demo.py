"""The DAMPE part of ``showerml demo``: simulate a few showers of each kind and draw one event of each."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from showerml.detectors.dampe.simulator import DampeSimulator
from showerml.io.dampe import DampeEvents, read_dampe
from showerml.pipelines.simulate import simulate_to_file
from showerml.report.dampe_display import draw_dampe_event
from showerml.spectra import parse_spectrum

__all__ = ["dampe_demo_figures", "pick_event"]


def pick_event(events: DampeEvents, kind: str) -> int:
    """A readable event: near-vertical, and for hadrons interacting early in the BGO (the 100 TeV one: most albedo)."""
    theta = events["theta"]
    good = theta < np.radians(25)
    if kind in ("hadron", "albedo"):
        depth = events["first_interaction_depth"]
        good &= (depth >= 0) & (depth < 120)
    candidates = np.flatnonzero(good) if good.any() else np.arange(len(events))
    if kind == "albedo":
        return int(candidates[np.argmax(events["n_backscatter"][candidates])])
    return int(candidates[0])


def dampe_demo_figures(out_dir: str | os.PathLike[str], seed: int = 0) -> list[tuple[str, object]]:
    """Simulate the demo sample into ``out_dir`` (e−, p, He at 1 TeV; p at 100 TeV) and draw one event of each."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    samples = [("e-", "fixed:1000", 40, "em", "a 1 TeV electron: a narrow shower peaking in the first third"),
               ("p", "fixed:1000", 40, "hadron", "a 1 TeV proton: late start, wide, leaking shower"),
               ("He", "fixed:1000", 40, "hadron", "a 1 TeV helium nucleus: PSD and STK charge ≈ 4× a proton's"),
               ("p", "fixed:100000", 30, "albedo", "a 100 TeV proton: back-scattered secondaries bury the track")]
    figures = []
    for i, (particle, energy, n, kind, caption) in enumerate(samples):
        path = out / f"dampe_{particle}_{energy.split(':')[1]}GeV.h5"
        simulate_to_file(DampeSimulator(particle, chunk_size=n), n, parse_spectrum(energy), seed + i, path,
                         overwrite=True, progress=False)
        events = read_dampe(path)
        index = pick_event(events, kind)
        figures.append((f"DAMPE: {caption} ({path.name}, event {index})", draw_dampe_event(events, index)))
    return figures
