"""Evaluation suite figures on CaloGAN-simulator showers (e+, 10–100 GeV), one JSON line per figure.

- classifier test (voxel level and high level) on 2 × N showers: wall time and AUC for an independent sample
  (anchor: the ideal 0.5) and for a distorted copy (layer-0 energy × 1.05, widths smeared by 10 %);
- separation power (mean over features, and the largest), FPD and KPD for same-vs-same (the floor) and
  same-vs-distorted (ratio = distorted / same);
- the timing harness on the simulator itself: ms per shower at batch size 1, 100, 10 000.

N defaults to 50 000 (the issue's figure); ``SHOWERML_BENCH_N`` sets a smaller one for a quick look.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from showerml.detectors.calogan import CaloGANSimulator
from showerml.features import high_level_inputs, informative_features, shower_features, voxel_inputs
from showerml.metrics import (
    ClassifierConfig,
    classifier_test,
    distort_showers,
    fpd,
    kpd,
    separation_power,
    time_generator,
)
from showerml.pipelines.simulate import simulate_showers
from showerml.spectra import parse_spectrum

N = int(os.environ.get("SHOWERML_BENCH_N", "50000"))
WORKERS = 2


def emit(benchmark: str, value: float, unit: str, anchor: float | None = None, **extra: object) -> None:
    line: dict[str, object] = {"benchmark": benchmark, "value": value, "unit": unit, "n": N}
    if anchor is not None:
        line |= {"anchor": anchor, "ratio": value / anchor if anchor else None}
    print(json.dumps(line | extra), flush=True)


def main() -> None:
    sim, spectrum = CaloGANSimulator("e+"), parse_spectrum("uniform:10,100")
    t0 = time.perf_counter()
    ref = simulate_showers(sim, N, spectrum, seed=1, workers=WORKERS)
    same = simulate_showers(sim, N, spectrum, seed=2, workers=WORKERS)
    emit("evaluate.simulate_2N", time.perf_counter() - t0, "s", workers=WORKERS)
    dist = distort_showers(same, {0: 1.05}, width_smear=0.10, seed=3)
    tables = {k: shower_features(v) for k, v in (("ref", ref), ("same", same), ("dist", dist))}
    used = informative_features(tables["ref"])

    # separation powers, FPD, KPD: floor (same) and scale (distorted)
    sp = {
        k: {n: separation_power(tables["ref"][n], tables[k][n]) for n in tables["ref"].names} for k in ("same", "dist")
    }
    mean_same, mean_dist = float(np.mean(list(sp["same"].values()))), float(np.mean(list(sp["dist"].values())))
    emit("evaluate.separation_power_mean.same", mean_same, "")
    emit("evaluate.separation_power_mean.distorted", mean_dist, "", anchor=mean_same)
    for name in ("E_0", "frac_0", "E_tot/E_inc", "x_width_1", "E_1"):
        emit(f"evaluate.separation_power.{name}.distorted", sp["dist"][name], "", anchor=sp["same"][name])
    feats = {k: t.matrix(used) for k, t in tables.items()}
    for metric, fn in (("fpd", fpd), ("kpd", kpd)):
        t1 = time.perf_counter()
        r_same, r_dist = fn(feats["ref"], feats["same"], seed=0), fn(feats["ref"], feats["dist"], seed=0)
        emit(f"evaluate.{metric}.same", r_same.value, "", error=r_same.error, seconds=time.perf_counter() - t1)
        emit(
            f"evaluate.{metric}.distorted",
            r_dist.value,
            "",
            anchor=abs(r_same.value) + r_same.error,
            error=r_dist.error,
        )

    # classifier test
    cfg = ClassifierConfig()
    inputs = {
        "voxel": {k: voxel_inputs(v) for k, v in (("ref", ref), ("same", same), ("dist", dist))},
        "high_level": {
            k: high_level_inputs(v, tables[k], used) for k, v in (("ref", ref), ("same", same), ("dist", dist))
        },
    }
    for level, x in inputs.items():
        for other in ("same", "dist"):
            t1 = time.perf_counter()
            res = classifier_test(x["ref"], x[other], cfg, seed=0)
            wall = time.perf_counter() - t1
            tag = "independent" if other == "same" else "distorted"
            emit(
                f"evaluate.classifier.{level}.{tag}.auc",
                res.auc,
                "",
                anchor=0.5,
                jsd_bits=res.jsd_bits,
                epochs=res.epochs,
            )
            emit(f"evaluate.classifier.{level}.{tag}.wall_time", wall, "s", n_train=res.n_train)

    # timing harness on the simulator
    timing = time_generator(
        lambda n: sim.simulate(n, spectrum, np.random.SeedSequence(n)),
        (1, 100, 10_000),
        warmup=1,
        repeats=3,
        max_seconds=30,
    )
    for b, ms in zip(timing.batch_sizes, timing.ms_per_shower, strict=True):
        emit(f"evaluate.timing.calogan_simulator.batch_{b}", ms, "ms/shower", threads=timing.threads)


if __name__ == "__main__":
    main()
