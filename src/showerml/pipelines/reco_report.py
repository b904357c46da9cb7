"""``report.html`` of ``showerml reco bench``: the targets, each task's own section, the timings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from showerml.reco.registry import get_task
from showerml.reco.runs import BenchResult
from showerml.report.html import Report

__all__ = ["write_report", "timing_rows"]


def timing_rows(bench: BenchResult) -> list[dict[str, Any]]:
    """Training time and inference speed of every evaluated method, per task and trained method."""
    return [{"task": task, "method": t.method, "train s": t.train_seconds,
             "inference events/s": t.inference_events_per_s}
            for task, tb in bench.tasks.items() for result in tb.runs.values() for t in result.timings()]


def write_report(path: Path, bench: BenchResult, plots: Mapping[str, Mapping[str, dict[str, np.ndarray]]]) -> Path:
    """Write the bench report to ``path``; ``plots`` holds the per-event arrays per task and trained method."""
    report = Report("showerml reco bench: DAMPE-like reconstruction",
                    f"seed {bench.seed}, {bench.epochs} epochs max; every method on the same test events")
    report.heading("Targets")
    report.table([{"target": k, **{kk: vv for kk, vv in v.items() if not isinstance(vv, dict)}}
                  for k, v in bench.targets.items()])
    for name, tb in bench.tasks.items():
        if tb.runs:
            get_task(name).report_section(report, tb.runs, plots.get(name, {}))
    report.heading("Timing")
    report.table(timing_rows(bench))
    return report.write(path)
