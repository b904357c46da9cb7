"""The ``ta`` section of ``showerml demo``: a small Telescope-Array-like sample end to end.

Embedded small default (a few minutes on one idle core): 1,000 triggered showers of p, He, N, Fe and photons
(1:1:1:1:1) with E^−1 between 3 and 300 EeV on the 507-station array → the event display of the largest event
(footprint and the upper/lower traces) → TA's standard reconstruction and quality cuts → the ``ta`` task's network
(2 epochs) and 14-observable BDT on a 60/15/25 % split → resolution plots and the table of every method on the same
test events. Too few events for meaningful figures: the section shows that the chain runs, the benchmark
(benchmarks/bench_ta_reco.py) measures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from showerml.report.html import Report

__all__ = ["ta_demo_section", "DEMO_EVENTS"]

DEMO_EVENTS = 1000
DEMO_COMPOSITION = "p:1,He:1,N:1,Fe:1,photon:1"


def ta_demo_section(run: Path, report: Report, metrics: dict[str, Any], seed: int, n: int = DEMO_EVENTS,
                    epochs: int = 2) -> None:
    """Simulate, display, reconstruct, train and evaluate a small TA-like sample into ``report``/``metrics``."""
    from showerml.detectors.ta import TaSimulator
    from showerml.io.ta import read_ta
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.reco.data import load_sample, split_indices
    from showerml.reco.manifest import read_manifest
    from showerml.reco.registry import get_task
    from showerml.reco.task import RunContext, TrainInfo
    from showerml.report.ta_display import draw_ta_event
    from showerml.spectra import Spectrum

    report.heading("Telescope-Array-like surface detector")
    data = run / "data" / "ta_mix.h5"
    data.parent.mkdir(parents=True, exist_ok=True)
    if not data.exists():
        simulate_to_file(TaSimulator(DEMO_COMPOSITION), n, Spectrum("powerlaw", 3e9, 3e11, 1.0), seed, data,
                         progress=False)
    signal = read_ta(data, datasets=["station_signal"])["station_signal"].sum(axis=(1, 2))
    biggest = int(np.argmax(signal))
    report.paragraph(f"{n} triggered showers of {DEMO_COMPOSITION} with E^−1 in 3–300 EeV on the 507-station, "
                     "1.2 km array (file data/ta_mix.h5). The display shows the event with the largest total "
                     "signal: stations sized by signal and coloured by time, the true core and axis, and "
                     "the upper/lower layer traces.")
    report.figure(draw_ta_event(data, biggest), f"TA-like event {biggest}: footprint and traces")
    task = get_task("ta")
    sample = load_sample([data])
    tr, va, te = (sample.take(i) for i in split_indices(len(sample), seed))
    runs, plots = {}, {}
    for method in task.bench_methods:
        folder = run / "models" / f"ta_{method}"
        folder.mkdir(parents=True, exist_ok=True)
        ctx = RunContext(folder, seed, epochs, False)
        task.train(method, tr, va, ctx)
        ev = task.evaluate(folder, TrainInfo.from_manifest(read_manifest(folder, "ta")), te, ctx)
        runs[method], plots[method] = ev.result, ev.arrays
    task.report_section(report, runs, plots)
    std, net = runs["net"].methods["standard"], runs["net"].methods["net"]
    metrics["ta_demo"] = {"events": n, "passed_cuts": int(np.asarray(sample["std_passed"]).sum()),
                          "standard_psf68_deg_above_10EeV": std.psf68_deg_above_10eev,
                          "standard_energy_resolution_above_10EeV": std.energy_resolution_above_10eev,
                          "net_psf68_deg_above_10EeV": net.psf68_deg_above_10eev,
                          "net_energy_resolution_above_10EeV": net.energy_resolution_above_10eev,
                          "net_ln_a_resolution": net.ln_a_resolution,
                          "bdt_ln_a_resolution": runs["bdt"].methods["bdt"].ln_a_resolution}
