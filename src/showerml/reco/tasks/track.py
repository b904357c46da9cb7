"""Track finding in the silicon tracker: the combinatorial χ² finder (baseline) vs the Hough + CNN chain
(:mod:`showerml.reco.track_finder`). Metric: the share of charged primaries whose found track passes within 1 mm
and 100 µm of the true one at the PSD, per incident-energy bin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from showerml.metrics import reco as M
from showerml.reco import tracking as T
from showerml.reco.data import RecoSample
from showerml.reco.direction import PSD_Z
from showerml.reco.plots import line_plot
from showerml.reco.results import BinPair, BinValue, bin_pairs
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TaskResult, TrainInfo
from showerml.reco.track_finder import (
    ENERGY_BINS_GEV,
    TRACKER_MAX_EVENTS,
    charged,
    find_tracks,
    fit_track_finder,
)
from showerml.report.html import Report

__all__ = ["REGISTERED", "TrackMetrics", "TrackResult", "TrackTask"]

@dataclass(frozen=True)
class TrackMetrics(TaskResult):
    """Efficiency (value, error) within 1 mm and 100 µm per energy bin, found share, speed, training time."""

    efficiency_1mm: tuple[BinPair, ...]
    efficiency_100um: tuple[BinPair, ...]
    found_fraction: float
    inference_events_per_s: float
    train_seconds: float


@dataclass(frozen=True)
class TrackResult(TaskResult):
    n_events: int
    z_psd_mm: float
    methods: dict[str, TrackMetrics]


class TrackTask(ReconstructionTask[TrackResult]):
    name = "track"
    title = "track finding in the tracker"
    methods = ("hough", "classical")
    baseline = "classical"
    bench_methods = ("hough",)
    bench_roles = ("p", "nuclei")
    bench_max_events = TRACKER_MAX_EVENTS
    order = 40
    result_type = TrackResult

    def bench_model_dir(self, models: Path, method: str) -> Path:
        return models / self.name  # one folder, reused by the charge task

    def select(self, sample: RecoSample) -> RecoSample:
        return charged(sample, self.name)

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        if method == "classical":
            return self.untrained(method, ctx)
        train, val = charged(train, self.name), charged(val, self.name)
        times = fit_track_finder(train, val, ctx)
        return TrainInfo(self.name, method, ctx.seed, len(train), times.pop("train_seconds"),
                         extra=times).write(ctx.out)

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[TrackResult]:
        s = charged(test, self.name)
        e_gev = s["energy"] / 1000.0
        metrics = {}
        arrays: dict[str, np.ndarray] = {"energy_gev": e_gev}
        for m in ([info.method, "classical"] if info.method != "classical" else ["classical"]):
            b, k, found, rate = find_tracks(model_dir if m == "hough" else None, s)
            d = np.where(found, T.track_distance(s.arrays, b, k, PSD_Z), np.nan)
            eff = {tol: bin_pairs(M.binned(lambda x, t=mm: M.track_efficiency(x, t), e_gev, ENERGY_BINS_GEV, d))
                   for tol, mm in (("1mm", 1.0), ("100um", 0.1))}
            metrics[m] = TrackMetrics(eff["1mm"], eff["100um"], float(found.mean()), rate,
                                      info.train_seconds if m == info.method else 0.0)
            arrays[m] = d
        return Evaluation(TrackResult(len(s), PSD_Z, metrics), arrays)

    def targets(self, runs: Mapping[str, TrackResult]) -> dict[str, dict[str, Any]]:
        if "hough" not in runs:
            return {}
        row: dict[str, Any] = {}
        for m in ("hough", "classical"):
            for tol in ("1mm", "100um"):
                b = next((r for r in getattr(runs["hough"].methods[m], f"efficiency_{tol}") if r.low == 100000.0),
                         None)
                if b:
                    row[f"{m}_{tol}"] = b.value
                    row["n"] = b.n
        return {"tracking_above_100TeV": row}

    def report_section(self, report: Report, runs: Mapping[str, TrackResult],
                       plots: Mapping[str, dict[str, np.ndarray]]) -> None:
        if "hough" not in runs:
            return
        report.heading("Tracking")
        res = runs["hough"].methods
        rows = {f"{m} {tol}": [BinValue(r.low, r.high, r.n, r.value[0]) for r in getattr(res[m], f"efficiency_{tol}")]
                for m in ("hough", "classical") for tol in ("1mm", "100um")}
        line_plot(report, rows, "track-finding efficiency", "efficiency (track within 1 mm / 100 µm at the PSD) "
                  "vs incident energy")

#: the tasks this module adds to :mod:`showerml.reco.registry`
REGISTERED = (TrackTask(),)
