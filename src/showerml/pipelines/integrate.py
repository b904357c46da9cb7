"""``showerml integrate``: the chosen integrators on one integrand with one budget, side by side, into a run folder.

The folder (assembled out of sight and renamed at the end, :class:`~showerml.io.runfolder.RunFolder`) holds
``results.json`` (every number per method), ``summary.txt`` (the table printed on screen) and, per method,
``events_<method>.h5``: unweighted events (hit-or-miss at the robust w_max, overweights kept with their residual
weight). Any bad input (integrand returning NaN, negative values or the wrong shape; a budget smaller than a batch)
stops the run before anything is written.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from showerml import __version__
from showerml.integration.integrands import Integrand
from showerml.integration.methods import runners
from showerml.integration.nis import NISConfig, check_budget
from showerml.integration.results import IntegrationResult
from showerml.integration.unweight import write_events
from showerml.io.runfolder import RunFolder

__all__ = ["format_table", "run_integrate", "summary_rows"]


def summary_rows(results: Sequence[IntegrationResult]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        w = r.weights
        rows.append({
            "method": r.method, "integral": r.estimate.value, "error": r.estimate.error,
            "rel. error": r.relative_error, "pull": r.pull, "σ_w/⟨w⟩": w.sigma_over_mean, "ESS/N": w.ess_over_n,
            "ε_uw raw": w.unweighting_raw, "ε_uw δ=1e-3": w.unweighting_robust,
            "σ-frac above": w.xs_fraction_above_robust, "ε_uw bootstrap": w.unweighting_bootstrap_median,
            "calls": r.calls, "seconds": r.seconds,
        })
    return rows


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.6g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3e}"
    return str(v)


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    cells = [[_fmt(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def run_integrate(
    integrand: Integrand, methods: Sequence[str], calls: int, seed: int, out: str | os.PathLike[str],
    nis: NISConfig | None = None, overwrite: bool = False, events: bool = True,
    log: Callable[[str], None] | None = None,
) -> tuple[list[IntegrationResult], Path]:
    """Run ``methods`` on ``integrand`` with ``calls`` calls each; write the run folder; return results and folder."""
    cfg = nis or NISConfig()
    cfg.check()
    check_budget(calls, cfg.batch)
    folder = RunFolder(out, overwrite=overwrite)  # check --out before any work
    say = log or (lambda _m: None)
    run = runners(cfg)
    results = []
    t0 = time.perf_counter()
    for method in methods:
        say(f"{method}: {calls:,} calls on {integrand.name} …")
        results.append(run[method](integrand, calls, seed, events))
        say(f"{method}: done in {results[-1].seconds:.1f} s")
    rows = summary_rows(results)
    with folder as rf:
        files = {}
        if events:
            for r in results:
                name = f"events_{r.method}.h5"
                n = write_events(rf.path / name, r, robust=True, seed=seed)
                files[r.method] = {"file": name, "events": n}
        rf.write_json("results.json", {
            "showerml_version": __version__, "integrand": integrand.name, "dim": integrand.dim,
            "exact": integrand.exact, "description": integrand.description, "calls": calls, "seed": seed,
            "wall_seconds": time.perf_counter() - t0, "results": [r.to_json() for r in results],
            "event_files": files,
        })
        rf.write_text("summary.txt", format_table(rows) + "\n")
    return results, folder.target


def weights_of(result: IntegrationResult) -> np.ndarray:
    """The final-phase weights normalised to ⟨w⟩ = 1 (for plots)."""
    assert result.point_weights is not None
    w = result.point_weights
    return w / w.mean() if w.mean() > 0 else w
