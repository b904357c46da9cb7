"""Resonant anomaly detection benchmarks: Pythia generation rate and max SIC of the six methods.

Prints one JSON line per figure. Anchors: the published LHCO R&D medians at S/B ≈ 0.6 % (CATHODE paper,
arXiv:2109.00546: supervised 17.5, idealized 14.5, CATHODE 14, CWoLa 10.5, ANODE 6.5) — our data set is smaller,
so compare with care (the SIC ceiling is 1/√(25/N_B,test)).

Environment: ``SHOWERML_BENCH_DIJET`` = comma list of feature files (default: runs/dijet/qcd_30k.h5 and
runs/dijet/signal_12k.h5; if missing, a small sample is generated into runs/bench_dijet/ first),
``SHOWERML_BENCH_INJECT`` (comma list of injected signal events, default 20,150: S/B ≈ 0.6 % and ≈ 5 % in the SR
of the 30k-event default sample), ``SHOWERML_BENCH_SEEDS`` (default 0,1,2), ``SHOWERML_BENCH_EPOCHS`` (default 40).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from showerml.io.lhco import DijetSample
    from showerml.pipelines.anomaly import RunConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

ANCHORS = {"supervised": 17.5, "idealized": 14.5, "cathode": 14.0, "cwola": 10.5, "anode": 6.5}


def emit(benchmark: str, value: float, unit: str, anchor: float | None = None, **extra: object) -> None:
    ratio = value / anchor if anchor else None
    print(json.dumps({"benchmark": benchmark, "value": value, "unit": unit, "anchor": anchor, "ratio": ratio,
                      **extra}), flush=True)


def generation_rate() -> None:
    from showerml.detectors.dijet import DijetConfig, DijetGenerator
    from showerml.spectra import Spectrum

    for process in ("qcd", "signal"):
        gen = DijetGenerator(DijetConfig(process=process))
        n = 150
        t0 = time.perf_counter()
        out = gen.simulate(n, Spectrum("fixed", 13000.0, 13000.0), np.random.SeedSequence(11))
        seconds = time.perf_counter() - t0
        emit(f"pythia_{process}_events_per_s_per_core", n / seconds, "events/s", None,
             trigger_acceptance=n / int(out["trials"].sum()), note="1 process, incl. Pythia init, FastJet, tau_N")


def data_files() -> list[str]:
    env = os.environ.get("SHOWERML_BENCH_DIJET")
    if env:
        return env.split(",")
    default = [ROOT / "runs/dijet/qcd_30k.h5", ROOT / "runs/dijet/signal_12k.h5"]
    if all(p.exists() for p in default):
        return [str(p) for p in default]
    from showerml.detectors.dijet import DijetConfig, DijetGenerator
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.spectra import Spectrum

    folder = ROOT / "runs/bench_dijet"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for process, n, seed in (("qcd", 8000, 1), ("signal", 1500, 2)):
        path = folder / f"{process}_{n}.h5"
        if not path.exists():
            simulate_to_file(DijetGenerator(DijetConfig(process=process)), n, Spectrum("fixed", 13000.0, 13000.0),
                             seed, path, workers=2, progress=False)
        files.append(str(path))
    return files


def method_comparison() -> None:
    from showerml.anomaly import MethodConfig
    from showerml.io.lhco import read_dijet_files
    from showerml.pipelines.anomaly import RunConfig

    files = data_files()
    pool = read_dijet_files(files)
    injections = [int(s) for s in os.environ.get("SHOWERML_BENCH_INJECT", "20,150").split(",")]
    seeds = [int(s) for s in os.environ.get("SHOWERML_BENCH_SEEDS", "0,1,2").split(",")]
    epochs = int(os.environ.get("SHOWERML_BENCH_EPOCHS", "40"))
    method_cfg = MethodConfig(n_models=3, epochs=epochs, flow_epochs=epochs, patience=6)
    for inject in injections:
        compare(pool, files, RunConfig(n_inject=inject, method=method_cfg), seeds)


def compare(pool: DijetSample, files: list[str], config: RunConfig, seeds: list[int]) -> None:
    """All six methods on ``seeds`` splits at one injection; medians and 16–84 % of max SIC."""
    from showerml.anomaly import METHODS
    from showerml.pipelines.anomaly import fit_and_score, make_split

    inject = config.n_inject
    sics: dict[str, list[float]] = {m: [] for m in METHODS}
    walls, sb, n_bkg_test = [], [], 0
    for seed in seeds:
        split = make_split(pool, config.regions, inject, seed)
        sb.append(split.s_over_b)
        n_bkg_test = int(np.sum(split.test_y == 0))
        t0 = time.perf_counter()
        for name in METHODS:
            sics[name].append(fit_and_score(name, split, config, seed)["metrics"]["max_sic"])
        walls.append(time.perf_counter() - t0)
    context = {"s_over_b_sr": float(np.median(sb)), "n_inject": inject, "seeds": len(seeds), "n_events": len(pool),
               "sic_ceiling": float(np.sqrt(n_bkg_test / 25)), "data": ",".join(Path(f).name for f in files)}
    for name, values in sics.items():
        v = np.array(values)
        emit(f"max_sic_{name}", float(np.median(v)), "", ANCHORS.get(name), p16=float(np.percentile(v, 16)),
             p84=float(np.percentile(v, 84)), **context)
    ratio = float(np.median(sics["cathode"]) / np.median(sics["idealized"]))
    emit("cathode_over_idealized_max_sic", ratio, "", 0.9, note="issue target: >= 0.9", **context)
    emit("six_method_comparison_wall_time", float(np.median(walls)), "s", None, note="one seed, 2 cores", **context)


if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")
    generation_rate()
    method_comparison()
