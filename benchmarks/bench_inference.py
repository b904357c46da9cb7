"""Inference bench: per-event posteriors (toy and DAMPE energy, with the sbi NPE peer), unfolding of the DAMPE
electron spectrum (IBU, OmniFold, cINN) and DCTR reweighting, against the targets of issue 22.

Prints one JSON line per target (figure, anchor, ratio). Run:
``MPLBACKEND=Agg .venv/bin/python benchmarks/bench_inference.py [--out DIR] [--scale F] [--parts toy,dampe,…]``
``--scale`` multiplies the training and unfolding sizes (1 = the issue's: 10⁵ unfolded data events; the posterior
checks always use 1,000 test events); a run
on a loaded machine may use a smaller scale and must say so.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def emit(benchmark: str, value: float | None, unit: str, anchor: float | None, anchor_name: str, **extra) -> None:
    ratio = value / anchor if value is not None and anchor else None
    print(json.dumps({"benchmark": benchmark, "value": value, "unit": unit, "anchor": anchor,
                      "anchor_name": anchor_name, "ratio": ratio, **extra}, default=str), flush=True)


def toy(out: Path, scale: float, seed: int) -> None:
    from showerml.inference.posterior import PosteriorConfig
    from showerml.pipelines.infer import run_infer

    cfg = PosteriorConfig(summary_hidden=(32,), summary_dim=8, hidden=(32, 32), transforms=2, epochs=40,
                          batch_size=512, seed=seed)
    res = run_infer(out / "toy", None, None, cfg, n_toy=int(20_000 * scale), n_test=1000, n_draws=1000,
                    peer=True, overwrite=True)
    c = res.calibration["parameters"]["theta"]
    emit("toy posterior calibration error", c["calibration_error"], "", 0.02, "target ≤ 0.02",
         n_test=res.n_test, train_seconds=res.train_seconds)
    emit("toy posterior width / exact 0.424", res.toy["median_width"] / res.toy["exact_width"], "", 1.0,
         "target within 5 %")
    p = res.peer["parameters"]["theta"]
    emit("sbi NPE: toy calibration error", p["calibration_error"], "", c["calibration_error"], "showerml flow",
         width=res.peer.get("median_width"), seconds=res.peer["seconds"])


def dampe(out: Path, scale: float, seed: int) -> None:
    from showerml.detectors.dampe.simulator import DampeSimulator
    from showerml.inference.pairs import PRESETS
    from showerml.inference.posterior import PosteriorConfig
    from showerml.pipelines.infer import run_infer
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.spectra import parse_spectrum

    data = out / "data" / "dampe_e.h5"
    n = int(21_000 * scale)
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        simulate_to_file(DampeSimulator("e-"), n, parse_spectrum("loguniform:20,5000"), seed, data, workers=1,
                         progress=False)
    res = run_infer(out / "dampe_energy", data, PRESETS["dampe-energy"], PosteriorConfig(epochs=40, seed=seed),
                    n_test=1000, n_draws=1000, peer=True, overwrite=True)
    c = res.calibration["parameters"]["log10(energy)"]
    emit("DAMPE e- energy posterior calibration error", c["calibration_error"], "", 0.02, "target ≤ 0.02",
         n_train=res.n_train, n_test=res.n_test, median_sd_dex=c["median_posterior_sd"])
    p = res.peer["parameters"]["log10(energy)"]
    emit("sbi NPE: DAMPE energy calibration error", p["calibration_error"], "", c["calibration_error"],
         "showerml flow", seconds=res.peer["seconds"])


def unfold(out: Path, scale: float, seed: int) -> None:
    from showerml.pipelines.unfold import DampeUnfoldConfig, run_unfold_dampe

    cfg = DampeUnfoldConfig(n_data=int(100_000 * scale), n_sim=int(200_000 * scale), seed=seed)
    t0 = time.perf_counter()
    m = run_unfold_dampe(out / "unfold", cfg, overwrite=True)
    ibu = m["methods"]["ibu"]["chi2_ndf"]
    for name, r in m["methods"].items():
        emit(f"unfolding {name}: χ²/ndf to truth", r["chi2_ndf"], "", ibu, "IBU (target: ≤ IBU)",
             coverage_1sigma=r["coverage_1sigma"], seconds=r["seconds"])
        f = m["fits"][name]
        for par in ("gamma1", "gamma2", "e_break"):
            emit(f"unfolding {name}: fitted {par} pull", f[f"pull_{par}"], "σ", 1.0, "target |pull| ≤ 1 (stat)",
                 value_fit=f[par], error=f[f"{par}_err"])
    emit("unfolding study wall time", time.perf_counter() - t0, "s", None, "", n_data=cfg.n_data)


def dctr(out: Path, scale: float, seed: int) -> None:
    from showerml.pipelines.inference_demo import _dctr
    from showerml.report.html import Report

    metrics: dict = {}
    _dctr(out, Report("bench"), metrics, seed)
    r = metrics["inference_dctr"]
    emit("DCTR mean separation power after / before", r["mean_separation_after"] / r["mean_separation_before"], "",
         0.5, "target ≤ 0.5", auc_before=r["auc_before"], auc_after=r["auc_after"], ess_fraction=r["ess_fraction"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/inference_bench")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--parts", default="toy,dampe,unfold,dctr")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    np.random.seed(a.seed)
    for part in a.parts.split(","):
        {"toy": toy, "dampe": dampe, "unfold": unfold, "dctr": dctr}[part.strip()](out, a.scale, a.seed)


if __name__ == "__main__":
    main()
