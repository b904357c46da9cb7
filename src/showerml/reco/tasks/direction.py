"""Shower direction from the BGO: the centroid line fit (baseline) and the axis CNN (:mod:`showerml.reco.direction`).

Metrics per deposited-energy bin: PSF68, the 68 % containment angle of the space angle to the true direction, and
the 68 % radius of the impact point at the top of the tracker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from showerml.metrics import reco as M
from showerml.reco import direction as D
from showerml.reco.data import RecoSample
from showerml.reco.plots import line_plot
from showerml.reco.results import BinValue, bin_values
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TaskResult, TrainInfo
from showerml.report.html import Report

__all__ = ["REGISTERED", "DIRECTION_BINS_GEV", "DirectionMetrics", "DirectionResult", "DirectionTask"]

#: deposited-energy bins (GeV) of the direction figures
DIRECTION_BINS_GEV = (100.0, 300.0, 700.0, 1400.0, 3000.0, 10000.0, np.inf)
_GEV = 1000.0


@dataclass(frozen=True)
class DirectionMetrics(TaskResult):
    """PSF68 (deg) and impact-point 68 % radius at the STK top (mm) per deposit bin, speed, training time."""

    psf68_deg: tuple[BinValue, ...]
    impact68_mm_stk_top: tuple[BinValue, ...]
    inference_events_per_s: float
    train_seconds: float


@dataclass(frozen=True)
class DirectionResult(TaskResult):
    methods: dict[str, DirectionMetrics]


class DirectionTask(ReconstructionTask[DirectionResult]):
    name = "direction"
    title = "shower direction from the BGO"
    methods = ("cnn", "classical")
    baseline = "classical"
    bench_methods = ("cnn",)
    bench_roles = ("e",)
    order = 30
    result_type = DirectionResult

    def __init__(self, bins: tuple[float, ...] = DIRECTION_BINS_GEV) -> None:
        self.bins = bins

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        if method == "classical":
            return self.untrained(method, ctx)
        model = D.fit_direction_net(train, val, ctx)
        return TrainInfo(self.name, method, ctx.seed, len(train), model.meta["train_seconds"],
                         model.meta["epochs_run"]).write(ctx.out)

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[DirectionResult]:
        dep = test.deposit / _GEV
        b_true, k_true = test["intercept"].astype(float), test["slope"].astype(float)
        metrics = {}
        arrays: dict[str, np.ndarray] = {"deposit_gev": dep}
        for m in ([info.method, "classical"] if info.method != "classical" else ["classical"]):
            b, k, rate = D.predict_direction(model_dir if m == "cnn" else None, test)
            impact = M.binned(lambda bb, kk, bt, kt: M.impact_resolution(bb, kk, bt, kt, D.STK_TOP_Z),
                              dep, self.bins, b, k, b_true, k_true)
            metrics[m] = DirectionMetrics(bin_values(M.binned(M.psf68, dep, self.bins, k, k_true)),
                                          bin_values(impact), rate,
                                          info.train_seconds if m == info.method else 0.0)
            arrays[m] = np.degrees(M.space_angle(k, k_true))
        return Evaluation(DirectionResult(metrics), arrays)

    def targets(self, runs: Mapping[str, DirectionResult]) -> dict[str, dict[str, Any]]:
        if "cnn" not in runs:
            return {}
        bin_of = {m: next((r for r in v.psf68_deg if r.low == 700.0), None) for m, v in runs["cnn"].methods.items()}
        cnn, cls = bin_of.get("cnn"), bin_of.get("classical")
        if not (cnn and cls):
            return {}
        return {"psf68_1TeV": {"cnn_deg": cnn.value, "classical_deg": cls.value, "improvement": cls.value / cnn.value,
                               "target": 6.0, "n": cnn.n}}

    def report_section(self, report: Report, runs: Mapping[str, DirectionResult],
                       plots: Mapping[str, dict[str, np.ndarray]]) -> None:
        if "cnn" not in runs:
            return
        d = runs["cnn"].methods
        report.heading("Direction")
        line_plot(report, {"CNN": d["cnn"].psf68_deg, "classical fit": d["classical"].psf68_deg},
                  "PSF68 (deg)", "PSF68 vs deposited energy", logy=True)
        line_plot(report, {"CNN": d["cnn"].impact68_mm_stk_top, "classical fit": d["classical"].impact68_mm_stk_top},
                  "68 % impact radius at STK top (mm)", "impact-point resolution vs deposited energy", logy=True)

#: the tasks this module adds to :mod:`showerml.reco.registry`
REGISTERED = (DirectionTask(),)
