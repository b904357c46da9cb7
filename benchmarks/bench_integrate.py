"""Neural importance sampling against VEGAS+ and MadNIS (issue 22, section 1): every target at the same budget.

Prints one JSON line per figure (benchmark, value, unit, anchor, ratio) and appends every run to a JSON-lines file
(``SHOWERML_BENCH_INTEGRATE_OUT``, default runs/bench_integrate/runs.jsonl) as it finishes, so a long run that is
stopped keeps what it measured. Targets (same calls, seeds and hardware for every method):

- ESS/N ≥ 0.9 on the 4-d camel at 10⁶ calls (the issue quotes VEGAS 0.27, MadNIS 0.86);
- relative error ≤ VEGAS/2.5 on the 8-d camel;
- ρ = 0.99 correlated Gaussian (4-d): pulls within 3σ and RMS pull 1 ± 0.2 over 20 seeds;
- robust unweighting efficiency (δ = 10⁻³) ≥ 3 × VEGAS's on every non-factorisable integrand;
- at least as good as MadNIS (ESS/N) on every integrand of the suite; and where VEGAS stays better.

Environment: ``SHOWERML_BENCH_CALLS`` (default 1e6), ``SHOWERML_BENCH_SEEDS`` (pull seeds, default 20),
``SHOWERML_BENCH_BATCH`` (training batch of NIS and MadNIS, default 10⁴),
``SHOWERML_BENCH_INTEGRANDS`` (comma list for the side-by-side table, default below), ``SHOWERML_BENCH_METHODS``
(default all), ``SHOWERML_BENCH_PULL_METHODS`` (default nis,vegas), ``SHOWERML_BENCH_STAGES`` (table,pulls).
Torch runs on one thread (the machine is shared); wall times are per method and say nothing across machines.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TABLE = ("camel4,camel8,corr4_rho0.99,gauss2,camel2,circles,annulus,shell2,zpole,zpole_bw,corr4_rho0.9,gauss4,"
         "camel4_a0.1,camel16")
ANCHOR_ESS_CAMEL4 = {"vegas": 0.27, "madnis": 0.86}


def emit(benchmark: str, value: float, unit: str, anchor: float | None = None, **extra: object) -> None:
    ratio = value / anchor if anchor else None
    print(json.dumps({"benchmark": benchmark, "value": value, "unit": unit, "anchor": anchor, "ratio": ratio,
                      **extra}), flush=True)


def _env_list(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


def _record(path: Path, row: dict[str, Any]) -> None:
    from showerml.io.runfolder import json_safe

    with open(path, "a") as fh:
        fh.write(json.dumps(json_safe(row)) + "\n")


def _run(method: str, name: str, calls: int, seed: int, out: Path) -> dict[str, Any]:
    from showerml.integration.methods import runners
    from showerml.integration.nis import NISConfig
    from showerml.integration.registry import get_integrand

    g = get_integrand(name)
    batch = int(os.environ.get("SHOWERML_BENCH_BATCH", "10000"))
    r = runners(NISConfig(batch=batch, eval_batch=max(batch, 100_000)))[method](g, calls, seed, False)
    row = {**r.to_json(), "factorisable": g.factorisable, "load": os.getloadavg()[0]}
    row.pop("iterations")
    _record(out, row)
    print(f"# {name:14s} {method:6s} seed {seed}: {r.estimate.value:.6g} ± {r.estimate.error:.2g} "
          f"(exact {g.exact:.6g}, pull {r.pull:+.2f}) ESS/N {r.weights.ess_over_n:.3f} "
          f"eff_robust {r.weights.unweighting_robust:.3f} {r.seconds:.0f} s", file=sys.stderr, flush=True)
    return row


def main() -> None:
    import torch

    from showerml.integration.coverage import pull_summary
    from showerml.integration.methods import parse_methods

    torch.set_num_threads(1)
    calls = int(float(os.environ.get("SHOWERML_BENCH_CALLS", "1e6")))
    seeds = int(os.environ.get("SHOWERML_BENCH_SEEDS", "20"))
    methods = parse_methods(os.environ.get("SHOWERML_BENCH_METHODS", "all"))
    stages = _env_list("SHOWERML_BENCH_STAGES", "table,pulls")
    out = Path(os.environ.get("SHOWERML_BENCH_INTEGRATE_OUT", ROOT / "runs" / "bench_integrate" / "runs.jsonl"))
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"# load average at start: {os.getloadavg()}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()

    if "table" in stages:
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for name in _env_list("SHOWERML_BENCH_INTEGRANDS", TABLE):
            for method in methods:
                rows[name, method] = _run(method, name, calls, 0, out)
            by = {m: rows[name, m] for m in methods}
            for m, row in by.items():
                emit(f"integrate_{name}_{m}_ess_over_n", row["weights_ess_over_n"], "ESS/N",
                     ANCHOR_ESS_CAMEL4.get(m) if name == "camel4" else None, calls=row["calls"],
                     rel_error=row["relative_error"], pull=row["pull"],
                     eff_robust=row["weights_unweighting_robust"], eff_raw=row["weights_unweighting_raw"],
                     seconds=row["wall_seconds"])
            if "nis" in by and "vegas" in by:
                nis, veg = by["nis"], by["vegas"]
                emit(f"integrate_{name}_rel_error_vegas_over_nis", veg["relative_error"] / nis["relative_error"],
                     "ratio", 2.5 if name == "camel8" else None, vegas_better=veg["relative_error"] < nis[
                         "relative_error"])
                if veg["weights_unweighting_robust"] > 0:
                    emit(f"integrate_{name}_eff_robust_nis_over_vegas",
                         nis["weights_unweighting_robust"] / veg["weights_unweighting_robust"], "ratio",
                         None if nis["factorisable"] else 3.0)
            if "nis" in by and "madnis" in by:
                emit(f"integrate_{name}_ess_nis_over_madnis",
                     by["nis"]["weights_ess_over_n"] / max(by["madnis"]["weights_ess_over_n"], 1e-12), "ratio", 1.0)

    if "pulls" in stages:
        name = os.environ.get("SHOWERML_BENCH_PULL_INTEGRAND", "corr4_rho0.99")
        for method in parse_methods(os.environ.get("SHOWERML_BENCH_PULL_METHODS", "nis,vegas")):
            pulls = [_run(method, name, calls, seed, out)["pull"] for seed in range(seeds)]
            s = pull_summary(pulls)
            emit(f"integrate_{name}_{method}_rms_pull", s.rms, "pull RMS", 1.0, seeds=seeds, mean=s.mean,
                 max_abs=s.max_abs, ok=s.ok, calls=calls)
    print(f"# total {time.perf_counter() - t0:.0f} s; load average at end: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
