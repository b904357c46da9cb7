"""Why is the TA-like standard reconstruction better than TA's (≈ 1.5°, ≈ 20 % above 10 EeV)? A controlled study:
the same showers (same seed) simulated with one ingredient of the simulator changed at a time, each reconstructed
by the standard reconstruction (:func:`showerml.reco.ta_evaluate.evaluate_file`: energy table from the even events,
figures from the odd events above 10 EeV that pass the quality cuts).

Variations (module constants of :mod:`showerml.detectors.ta` patched in this process only):

- ``baseline``: the simulator as committed;
- ``no_gps_jitter`` / ``gps_jitter_x2``: station clock jitter 0 / 40 ns rms (committed: 20 ns);
- ``front_spread_x2``: Teshima's front spread T_s doubled (committed b = 1.3 ns);
- ``front_delay_x2``: mean front delay T_d doubled (a = 5.2 ns instead of 2.6 ns);
- ``s800_lognormal_15``: an extra shower-to-shower log-normal fluctuation of 15 % on both S800 components (what
  the simulator would need if its X_max-driven fluctuations were too small; a probe, not a proposal).

Run: ``MPLBACKEND=Agg nice -n 5 .venv/bin/python benchmarks/bench_ta_realism.py --n 1500`` (JSON lines).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from showerml.detectors.ta import TaSimulator, front
from showerml.detectors.ta import simulator as simmod
from showerml.pipelines.simulate import simulate_to_file
from showerml.reco.ta_evaluate import evaluate_file
from showerml.spectra import Spectrum


@contextmanager
def patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _lognormal_s800(sigma: float) -> Callable[..., Any]:
    original = simmod.throw_showers

    def throw(rng: np.random.Generator, *args: Any) -> Any:
        sh = original(rng, *args)
        f = np.exp(rng.normal(-0.5 * sigma**2, sigma, len(sh.energy_eev)))
        return replace(sh, s800_em=sh.s800_em * f, s800_mu=sh.s800_mu * f)

    return throw


VARIATIONS: dict[str, tuple[Any, str, Any] | None] = {
    "baseline": None,
    "no_gps_jitter": (simmod, "CLOCK_JITTER_NS", 0.0),
    "gps_jitter_x2": (simmod, "CLOCK_JITTER_NS", 40.0),
    "front_spread_x2": (front, "B_NS", 2.0 * front.B_NS),
    "front_delay_x2": (front, "A_NS", 2.0 * front.A_NS),
    "s800_lognormal_15": (simmod, "throw_showers", _lognormal_s800(0.15)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args()
    spectrum = Spectrum("powerlaw", 3e9, 3e11, 1.0)  # E^-1, 3–300 EeV (GeV units)
    with tempfile.TemporaryDirectory() as d:
        for name, patch in VARIATIONS.items():
            if a.only and name not in a.only:
                continue
            path = Path(d) / f"{name}.h5"
            if patch is None:
                simulate_to_file(TaSimulator(), a.n, spectrum, 5, path, workers=1, progress=False)
            else:
                with patched(*patch):
                    simulate_to_file(TaSimulator(), a.n, spectrum, 5, path, workers=1, progress=False)
            perf, _ = evaluate_file(path)
            print(json.dumps({"benchmark": f"ta_realism_{name}", "psf68_deg_above_10EeV": round(perf.psf68_deg, 3),
                              "energy_resolution_above_10EeV": round(perf.energy_resolution, 4),
                              "energy_bias": round(perf.energy_bias, 4), "n_test": perf.n_test_above,
                              "n_passed": perf.n_passed, "n": perf.n_events,
                              "anchor": "TA SD: ~1.5 deg, ~20 % (Abu-Zayyad et al. ApJL 768 (2013) L1)",
                              "load_1min": round(os.getloadavg()[0], 2)}), flush=True)


if __name__ == "__main__":
    main()
