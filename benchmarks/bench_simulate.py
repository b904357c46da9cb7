"""CaloGAN simulator throughput (issue 2): e+ showers per second, uniform 1–100 GeV, written to HDF5.

Anchor: Geant4 needs ≈ 7 ms per GeV of electron shower on one core of this machine class (PHYSICS.md, [checked]),
i.e. 0.354 s for the mean 50.5 GeV shower of this spectrum; Geant4 cannot run here, so the anchor is that figure.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from showerml.detectors.calochallenge import CaloChallenge2Simulator
from showerml.detectors.calogan import CaloGANSimulator
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import parse_spectrum

GEANT4_SECONDS_PER_GEV = 0.007
MEAN_GEV = 50.5


def rate(particle: str, n: int, workers: int, sim=None, spectrum_text: str = "uniform:1,100") -> float:
    with tempfile.TemporaryDirectory() as tmp:
        sim = sim or CaloGANSimulator(particle)
        spectrum = parse_spectrum(spectrum_text)
        simulate_to_file(sim, 2000, spectrum, 99, Path(tmp) / "warm.h5", workers=workers, progress=False)
        t0 = time.perf_counter()
        simulate_to_file(sim, n, spectrum, 0, Path(tmp) / "bench.h5", workers=workers, progress=False)
        return n / (time.perf_counter() - t0)


def main() -> None:
    geant4_rate = 2 / (GEANT4_SECONDS_PER_GEV * MEAN_GEV)  # two cores
    for workers in (1, 2):
        value = rate("e+", 30_000, workers)
        print(
            json.dumps(
                {
                    "benchmark": f"calogan_eplus_showers_per_second_{workers}_worker{'s' if workers > 1 else ''}",
                    "value": round(value, 1),
                    "unit": "showers/s",
                    "target": 3000 if workers == 2 else None,
                    "anchor": round(geant4_rate * workers / 2, 2),
                    "anchor_source": "Geant4 ≈ 7 ms/GeV/core (PHYSICS.md)",
                    "ratio": round(value / (geant4_rate * workers / 2), 1),
                }
            ),
            flush=True,
        )
    for particle in ("gamma", "pi+"):
        value = rate(particle, 20_000, 2)
        print(
            json.dumps(
                {
                    "benchmark": f"calogan_{particle}_showers_per_second_2_workers",
                    "value": round(value, 1),
                    "unit": "showers/s",
                }
            ),
            flush=True,
        )

    value = rate("e-", 10_000, 2, CaloChallenge2Simulator("e-"), "loguniform:1,1000")
    print(
        json.dumps(
            {
                "benchmark": "calochallenge2_electron_showers_per_second_2_workers",
                "value": round(value, 1),
                "unit": "showers/s",
                "note": "6480 voxels, log-uniform 1 GeV - 1 TeV",
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
