"""Scaling of simulation over executors (issue 23): the same run on a local pool of 1 and 2 processes and on a Dask
LocalCluster of 1 and 2 single-threaded workers, in events per second, with the ratios the issue targets.

Work: ``--n`` CaloGAN e+ showers (default 4000), uniform 1–100 GeV, seed 0, chunks of 250 events (16 tasks), written
to an HDF5 file as ``showerml simulate calogan`` writes it. Each configuration is timed from the call to the closed
file; the local pool starts inside that time (as for a user), the Dask cluster before it (its start-up, printed
separately, is paid once per cluster, not per run) and its workers are warmed by one small run first. The four files
must be byte-identical (checked).

Targets: Dask 2 workers ≥ 1.7 × Dask 1 worker, and within 10 % of the local pool of 2 (on an idle 2-core machine).

    .venv/bin/python benchmarks/bench_scaling.py [--n 4000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from showerml.detectors.calogan import CaloGANSimulator
from showerml.execution import ExecutorSpec, executor_spec
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import parse_spectrum

CHUNK = 250
SPECTRUM = "uniform:1,100"


def timed(spec: ExecutorSpec, n: int, out: Path) -> float:
    """Events per second of one run of ``n`` events through ``spec`` into ``out``."""
    sim = CaloGANSimulator("e+", chunk_size=CHUNK)
    t0 = time.perf_counter()
    simulate_to_file(sim, n, parse_spectrum(SPECTRUM), 0, out, progress=False, executor=spec)
    return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="events per configuration")
    n = parser.parse_args().n
    from distributed import LocalCluster

    load = os.getloadavg()
    rates: dict[str, float] = {}
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            rates[f"local_{workers}"] = timed(ExecutorSpec("local", workers), n, Path(tmp) / f"local{workers}.h5")
        for workers in (1, 2):
            t0 = time.perf_counter()
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                              silence_logs=logging.CRITICAL) as cluster:
                spec = executor_spec("dask", workers, cluster.scheduler_address)
                startup = time.perf_counter() - t0
                timed(spec, 2 * CHUNK * workers, Path(tmp) / f"warm{workers}.h5")  # workers import showerml
                rates[f"dask_{workers}"] = timed(spec, n, Path(tmp) / f"dask{workers}.h5")
            print(json.dumps({"benchmark": f"dask_localcluster_{workers}_startup_seconds", "value": round(startup, 2),
                              "unit": "s"}), flush=True)
        for name in rates:
            digests[name] = hashlib.sha256((Path(tmp) / f"{name.replace('_', '')}.h5").read_bytes()).hexdigest()
    for name, value in rates.items():
        print(json.dumps({"benchmark": f"simulate_calogan_eplus_events_per_second_{name}", "value": round(value, 1),
                          "unit": "events/s", "n": n, "chunk": CHUNK}), flush=True)
    ratios = {
        "dask_2_over_dask_1": (rates["dask_2"] / rates["dask_1"], 1.7, "≥"),
        "dask_2_over_local_2": (rates["dask_2"] / rates["local_2"], 0.9, "≥"),
        "local_2_over_local_1": (rates["local_2"] / rates["local_1"], None, ""),
    }
    for name, (value, target, sign) in ratios.items():
        print(json.dumps({"benchmark": f"scaling_{name}", "value": round(value, 3), "unit": "ratio",
                          "target": f"{sign} {target}" if target else None,
                          "met": None if target is None else bool(value >= target)}), flush=True)
    print(json.dumps({"benchmark": "scaling_outputs_byte_identical", "value": len(set(digests.values())) == 1,
                      "load_average_at_start": [round(x, 2) for x in load], "cores": os.cpu_count()}), flush=True)


if __name__ == "__main__":
    main()
