"""TA-like SD reconstruction benchmark (issue 21): the network, the standard reconstruction and the 14-observable BDT
on the same test events and the same quality cuts, through the ``ta`` reconstruction task (as ``showerml reco
bench`` runs it: 60 / 15 / 25 % seeded split, every method trained on the same training events).

Run (one command; the sample is simulated if the file is missing, and the reconstructed sample is cached in
``--out`` so a second run only retrains)::

    MPLBACKEND=Agg nice -n 5 .venv/bin/python benchmarks/bench_ta_reco.py --data ta_mix.h5 --n 50000 \\
        --max-events 12000 --epochs 6 --out bench_ta_reco

JSON lines: every figure of merit per method, the issue's targets with their anchors, training times, inference
events/s (standard: CPU of the fits; network: traces read from HDF5 included) and the 1-minute load average.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from showerml.reco.data import RecoSample, load_sample, split_indices
from showerml.reco.registry import get_task
from showerml.reco.task import RunContext, TrainInfo


def emit(name: str, **values: object) -> None:
    print(json.dumps({"benchmark": name, **values, "load_1min": round(os.getloadavg()[0], 2)}, default=float),
          flush=True)


def cached_sample(data: Path, max_events: int | None, out: Path) -> tuple[RecoSample, float]:
    """The reconstructed sample (cached as ``sample.npz`` + ``sample.json`` in ``out``; no pickle)."""
    npz, meta = out / "sample.npz", out / "sample.json"
    if npz.exists() and meta.exists():
        info = json.loads(meta.read_text())
        if info["data"] == str(data) and info["max_events"] == max_events:
            with np.load(npz, allow_pickle=False) as z:
                return RecoSample({k: z[k] for k in z.files}, info["sources"], "ta"), float(info["seconds"])
    t0 = time.perf_counter()
    sample = load_sample([data], max_events)
    seconds = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    np.savez(npz, **sample.arrays)
    meta.write_text(json.dumps({"data": str(data), "max_events": max_events, "sources": sample.sources,
                                "seconds": seconds}))
    return sample, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--n", type=int, default=50000, help="events to simulate if --data is missing")
    ap.add_argument("--max-events", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench_ta_reco"))
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared, loaded machine)")
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    if not a.data.exists():
        from showerml.cli.simulate_ta import parse_eev_spectrum
        from showerml.detectors.ta import TaSimulator
        from showerml.pipelines.simulate import simulate_to_file

        simulate_to_file(TaSimulator("p:1,He:1,N:1,Fe:1,photon:1"), a.n, parse_eev_spectrum("powerlaw:1,1,316"),
                         21, a.data, workers=1, progress=False)
    sample, load_s = cached_sample(a.data, a.max_events, a.out)
    task = get_task("ta")
    emit("ta_sample", events=len(sample), passed=int(np.asarray(sample["std_passed"]).sum()),
         load_and_reconstruct_s=round(load_s, 1),
         standard_wall_ms_per_event_in_worker=round(1e3 * float(np.mean(sample["std_seconds"])), 2))
    tr, va, te = (sample.take(i) for i in split_indices(len(sample), a.seed))
    runs = {}
    for method in task.bench_methods:
        folder = a.out / "models" / method
        ctx = RunContext(folder, a.seed, a.epochs, False)
        folder.mkdir(parents=True, exist_ok=True)
        t0, c0 = time.perf_counter(), time.process_time()
        info = task.train(method, tr, va, ctx)
        emit(f"ta_train_{method}", seconds=round(time.perf_counter() - t0, 1),
             cpu_seconds=round(time.process_time() - c0, 1), n_train=info.n_train, epochs_run=info.epochs_run)
        ev = task.evaluate(folder, TrainInfo.from_manifest(json.loads((folder / "reco.json").read_text())), te, ctx)
        runs[method] = ev.result
        for m, v in ev.result.methods.items():
            emit(f"ta_{method}_run_{m}", **{k: val for k, val in v.to_json().items()})
    for name, values in task.targets(runs).items():
        emit(name, **values)


if __name__ == "__main__":
    main()
