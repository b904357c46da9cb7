"""Resonant anomaly detection benchmarks: Pythia generation rate and max SIC of the six methods.

Prints one JSON line per figure. Anchors: the published LHCO R&D medians at S/B ≈ 0.6 % (CATHODE paper,
arXiv:2109.00546: supervised 17.5, idealized 14.5, CATHODE 14, CWoLa 10.5, ANODE 6.5) — our data set is smaller,
so compare with care (the SIC ceiling is 1/√(25/N_B,test)).

Environment: ``SHOWERML_BENCH_DIJET`` = comma list of feature files (default: the issue's sample,
runs/dijet/qcd_200k_mhat2700.h5 and runs/dijet/signal_10k.h5, made by
``showerml simulate dijet --process qcd --n 200000 --mhat-min 2700 --workers 2 --seed 100 --out …`` and
``--process signal --n 10000 --seed 101``; if missing, a small sample is generated into runs/bench_dijet/ first),
``SHOWERML_BENCH_SB`` (comma list of target S/B in the SR of the data, default 0.006,0.015: the LHCO benchmark's
S/B, and the S/B at which our smaller sample reaches LHCO's S/√B ≈ 2.2; the injected count follows from the
sample), ``SHOWERML_BENCH_SEEDS`` (default 0,1,2,3,4), ``SHOWERML_BENCH_EPOCHS`` (default 40).
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
    from showerml.anomaly.base import Regions
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
    default = [ROOT / "runs/dijet/qcd_200k_mhat2700.h5", ROOT / "runs/dijet/signal_10k.h5"]
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
    targets = [float(s) for s in os.environ.get("SHOWERML_BENCH_SB", "0.006,0.015").split(",")]
    seeds = [int(s) for s in os.environ.get("SHOWERML_BENCH_SEEDS", "0,1,2,3,4").split(",")]
    epochs = int(os.environ.get("SHOWERML_BENCH_EPOCHS", "40"))
    method_cfg = MethodConfig(n_models=3, epochs=epochs, flow_epochs=epochs, patience=6)
    for s_over_b in targets:
        inject = injection_for(pool, RunConfig().regions, s_over_b)
        compare(pool, files, RunConfig(n_inject=inject, method=method_cfg), seeds)


def injection_for(pool: DijetSample, regions: Regions, s_over_b: float) -> int:
    """Signal events to inject for a target S/B in the SR of the data (the split's share of the background)."""
    from showerml.pipelines.anomaly_inputs import BKG_FRACTIONS

    in_sr = regions.in_sr(pool.mjj)
    n_bkg_sr = BKG_FRACTIONS[0] * np.sum(in_sr & (pool.label == 0))
    sig_sr_fraction = max(float(np.mean(in_sr[pool.label == 1])), 1e-9)
    return max(1, int(round(s_over_b * n_bkg_sr / sig_sr_fraction)))


def compare(pool: DijetSample, files: list[str], config: RunConfig, seeds: list[int]) -> None:
    """All six methods on ``seeds`` splits at one injection: medians and 16–84 % of max SIC, median rejections at
    ε_S = 0.2 / 0.5 and training times. Each seed's figures are printed as they come (a long run shows progress)."""
    from showerml.anomaly import METHODS
    from showerml.pipelines.anomaly import fit_and_score, make_split

    inject = config.n_inject
    runs: dict[str, list[dict[str, float]]] = {m: [] for m in METHODS}
    walls, sb, sosb, n_bkg_test = [], [], [], 0
    for seed in seeds:
        split = make_split(pool, config.regions, inject, seed)
        sb.append(split.s_over_b)
        sosb.append(split.n_sig_sr / np.sqrt(max(split.n_bkg_sr, 1)))
        n_bkg_test = int(np.sum(split.test_y == 0))
        t0 = time.perf_counter()
        for name in METHODS:
            metrics = fit_and_score(name, split, config, seed).metrics.to_json()
            runs[name].append(metrics)
            print(json.dumps({"seed": seed, "method": name, "n_inject": inject, "s_over_b_sr": split.s_over_b,
                              **{k: metrics[k] for k in ("max_sic", "rejection_02", "rejection_05",
                                                         "rejection_02_lower_bound", "rejection_05_lower_bound",
                                                         "train_seconds")}}), file=sys.stderr, flush=True)
        walls.append(time.perf_counter() - t0)
    context = {"s_over_b_sr": float(np.median(sb)), "s_over_sqrt_b_sr": float(np.median(sosb)),
               "n_inject": inject, "seeds": len(seeds), "n_events": len(pool),
               "sic_ceiling": float(np.sqrt(n_bkg_test / 25)), "data": ",".join(Path(f).name for f in files)}
    for name, rows in runs.items():
        v = np.array([r["max_sic"] for r in rows])
        emit(f"max_sic_{name}", float(np.median(v)), "", ANCHORS.get(name), p16=float(np.percentile(v, 16)),
             p84=float(np.percentile(v, 84)), rejection_02=float(np.median([r["rejection_02"] for r in rows])),
             rejection_05=float(np.median([r["rejection_05"] for r in rows])),
             rejection_02_lower_bound=any(bool(r["rejection_02_lower_bound"]) for r in rows),
             rejection_05_lower_bound=any(bool(r["rejection_05_lower_bound"]) for r in rows),
             train_seconds=float(np.median([r["train_seconds"] for r in rows])), **context)
    ratio = float(np.median([r["max_sic"] for r in runs["cathode"]])
                  / np.median([r["max_sic"] for r in runs["idealized"]]))
    emit("cathode_over_idealized_max_sic", ratio, "", 0.9, note="issue target: >= 0.9", **context)
    emit("six_method_comparison_wall_time", float(np.median(walls)), "s", None, note="one seed, 2 cores", **context)


if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")
    generation_rate()
    method_comparison()
