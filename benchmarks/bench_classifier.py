"""Voxel classifier figures (showerml mode unless ``SHOWERML_BENCH_MODE=calochallenge``), one JSON line per figure.

- AUC on two independent simulated samples (anchor: the ideal 0.5), over ``SHOWERML_BENCH_SEEDS`` classifier seeds
  (default 3) for the seed-to-seed spread;
- AUC on a 5 % energy-scale distortion of one sample: CaloGAN e⁺ (1–100 GeV) layer 0 × 1.05 (anchor: the
  target 0.85; the high-level classifier reaches 0.94 there) and dataset-2 e⁻ (1 GeV–1 TeV) layers 0–9 × 1.05
  (anchor: the target 0.55);
- wall time of each classifier run at N vs N;
- peak resident memory of a file-based run on two dataset-2 files of ``SHOWERML_BENCH_N_MEMORY`` showers (default
  100 000; one epoch, which sets the peak: the inputs are stored before training), anchor the 6 GB budget of a
  whole evaluation; ``baseline`` is the two samples' raw voxels alone in float32.

N defaults to 20 000 per sample; ``SHOWERML_BENCH_N`` sets another. ``SHOWERML_BENCH_N_MEMORY=0`` skips the memory run.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from showerml.detectors.calochallenge import CaloChallenge2Simulator
from showerml.detectors.calogan import CaloGANSimulator
from showerml.io.showers import ShowerData, ShowerFile
from showerml.metrics import calochallenge_voxel_config, distort_showers, showerml_voxel_config, voxel_classifier_test
from showerml.pipelines.simulate import simulate_showers, simulate_to_file
from showerml.spectra import parse_spectrum

N = int(os.environ.get("SHOWERML_BENCH_N", "20000"))
N_MEMORY = int(os.environ.get("SHOWERML_BENCH_N_MEMORY", "100000"))
SEEDS = int(os.environ.get("SHOWERML_BENCH_SEEDS", "3"))
MODE = os.environ.get("SHOWERML_BENCH_MODE", "showerml")
WORKERS = 2
BUDGET_GB = 6.0


def emit(benchmark: str, value: float, unit: str, anchor: float | None = None, **extra: object) -> None:
    line: dict[str, object] = {"benchmark": benchmark, "value": value, "unit": unit, "n": N, "mode": MODE}
    if anchor is not None:
        line |= {"anchor": anchor, "ratio": value / anchor if anchor else None}
    print(json.dumps(line | extra), flush=True)


def _run(ref: ShowerData | ShowerFile, gen: ShowerData | ShowerFile, seed: int = 0, **changes: object):
    cfg = (showerml_voxel_config if MODE == "showerml" else calochallenge_voxel_config)(**changes)
    return voxel_classifier_test(ref, gen, MODE, cfg, seed)


def _pairs(name: str) -> tuple[ShowerData, ShowerData, dict[int, float]]:
    if name == "calogan":
        sim, spectrum, scale = CaloGANSimulator("e+"), parse_spectrum("uniform:1,100"), {0: 1.05}
    else:
        sim, spectrum = CaloChallenge2Simulator("e-"), parse_spectrum("loguniform:1,1000")
        scale = dict.fromkeys(range(10), 1.05)
    ref = simulate_showers(sim, N, spectrum, seed=1, workers=WORKERS)
    return ref, simulate_showers(sim, N, spectrum, seed=2, workers=WORKERS), scale


def accuracy() -> None:
    targets = {"calogan": 0.85, "calochallenge2": 0.55}
    for name, target in targets.items():
        ref, other, scale = _pairs(name)
        aucs = []
        for seed in range(SEEDS):
            res = _run(ref, other, seed)
            aucs.append(res.auc)
            emit(
                f"classifier.{name}.independent.seed{seed}",
                res.auc,
                "AUC",
                0.5,
                seconds=res.seconds,
                jsd_bits=res.jsd_bits,
                best_epoch=res.best_epoch,
            )
        emit(
            f"classifier.{name}.independent.spread",
            float(np.std(aucs, ddof=1)) if SEEDS > 1 else 0.0,
            "AUC",
            mean=float(np.mean(aucs)),
            seeds=SEEDS,
        )
        res = _run(ref, distort_showers(other, scale), 0)
        emit(
            f"classifier.{name}.scaled_1.05",
            res.auc,
            "AUC",
            target,
            seconds=res.seconds,
            jsd_bits=res.jsd_bits,
            best_epoch=res.best_epoch,
            layers=sorted(scale),
        )


def memory() -> None:
    """Peak RSS of a file-based run in a fresh process (so nothing else counts)."""
    with tempfile.TemporaryDirectory() as tmp:
        sim, spectrum = CaloChallenge2Simulator("e-"), parse_spectrum("loguniform:1,1000")
        paths = [Path(tmp) / f"ds2_{s}.h5" for s in (1, 2)]
        for s, p in zip((1, 2), paths, strict=True):
            simulate_to_file(sim, N_MEMORY, spectrum, s, p, workers=WORKERS, progress=False)
        code = (
            "import json, resource, sys; sys.argv = sys.argv[1:]; import bench_classifier as b;"
            "from showerml.io.showers import ShowerFile;"
            "r = b._run(ShowerFile(sys.argv[0]), ShowerFile(sys.argv[1]), 0, epochs=1);"
            "print(json.dumps({'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 's': r.seconds,"
            " 'mb': r.input_mb}))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, *map(str, paths)],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
        )
        got = json.loads(out.stdout.strip().splitlines()[-1])
        raw = 2 * N_MEMORY * 6480 * 4 / 2**30
        emit(
            "classifier.calochallenge2.peak_rss_gb",
            got["rss"] / 2**20,
            "GB",
            BUDGET_GB,
            n_memory=N_MEMORY,
            baseline_raw_float32_gb=raw,
            stored_inputs_gb=got["mb"] / 2**10,
            seconds_one_epoch=got["s"],
        )


def main() -> None:
    t0 = time.perf_counter()
    accuracy()
    if N_MEMORY > 0:
        memory()
    emit(
        "classifier.total_seconds",
        time.perf_counter() - t0,
        "s",
        self_peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    )


if __name__ == "__main__":
    main()
