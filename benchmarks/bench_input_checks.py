"""Input checks and memory bounds of the command line: time to a one-line error, peak memory of a simulation.

Figures (JSON lines, as every benchmark): wall time until ``error:`` for a bad spectrum and for a missing reference
file, and the peak resident memory of ``simulate calogan --energy fixed:100 --n 3000`` (the top of the CaloGAN range
of validity, where a chunk holds the most spots). Baselines: the same commands at commit be3c9fd (before the checks
moved ahead of the scientific imports and the spots were batched), measured on this machine under a load average of
≈ 16 on 2 cores: 3.6–3.9 s (spectrum), 11.2–14.3 s (missing file), 1 097 920 KB peak RSS.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = {"bad_spectrum_error_s": 3.6, "missing_file_error_s": 11.2, "calogan_100gev_peak_rss_kb": 1_097_920}


def _run(args: list[str], cwd: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "showerml.cli.main", *args], cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - t0


def _peak_rss_kb(args: list[str], cwd: str) -> int:
    """Peak resident memory (KB, Linux ru_maxrss) of the command, measured by a parent that only waits for it."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "showerml.cli.main", *args], cwd=cwd,
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        figures = {
            "bad_spectrum_error_s": min(_run(["simulate", "calogan", "--energy", "bad", "--out", "x.h5"], tmp)
                                        for _ in range(3)),
            "missing_file_error_s": min(_run(["evaluate", "--reference", "missing.h5", "--generated", "g.h5",
                                              "--out", "ev"], tmp) for _ in range(3)),
            "calogan_100gev_peak_rss_kb": _peak_rss_kb(["simulate", "calogan", "--energy", "fixed:100", "--n", "3000",
                                                        "--out", str(Path(tmp) / "e.h5"), "-q"], tmp),
        }
    for name, value in figures.items():
        print(json.dumps({"benchmark": name, "value": round(value, 3), "baseline": BASELINE[name],
                          "ratio": round(value / BASELINE[name], 3)}))


if __name__ == "__main__":
    main()
