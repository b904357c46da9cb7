"""Recovery of saturated BGO bars: a CNN predicts each saturated bar's energy, then a response calibration vs the
recovered share (fitted on validation events) removes the remaining bias. The baseline is the saturated read-out
itself. Metrics: bias and resolution of the total BGO energy before and after, vs the lost fraction and the deposit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.io.records import Record
from showerml.metrics import reco as M
from showerml.reco import saturation as S
from showerml.reco.data import RecoSample
from showerml.reco.estimators import TorchModel, train_config
from showerml.reco.plots import figure
from showerml.reco.results import BinPair, MethodTiming, bin_pairs
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TaskResult, TrainInfo
from showerml.report.html import Report

__all__ = ["REGISTERED", "EnergyResponse", "SaturationResult", "SaturationTask"]

_GEV = 1000.0
#: bins of the lost signal fraction and of the true deposit (GeV)
LOST_BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
DEPOSIT_BINS_GEV = (1000.0, 2000.0, 4000.0, 8000.0, np.inf)


@dataclass(frozen=True)
class EnergyResponse(Record):
    """(bias, resolution) of E_BGO / E_true − 1 per lost-fraction bin, per deposit bin and over all events."""

    vs_lost_fraction: tuple[BinPair, ...]
    vs_deposit_gev: tuple[BinPair, ...]
    all: tuple[float, float]


@dataclass(frozen=True)
class SaturationResult(TaskResult):
    n_events: int
    inference_events_per_s: float
    train_seconds: float
    max_lost_fraction: float
    before: EnergyResponse
    after: EnergyResponse

    def timings(self) -> list[MethodTiming]:
        return [MethodTiming("cnn", self.train_seconds, self.inference_events_per_s)]


def _saturated(s: RecoSample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mask = S.saturated_mask(s["bgo"], s["bgo_n_saturated"])
    img, cap = S.saturation_inputs(s["bgo"], mask)
    return mask, img, cap


class SaturationTask(ReconstructionTask[SaturationResult]):
    name = "saturation"
    title = "saturated BGO bar recovery"
    methods = ("cnn", "readout")
    baseline = "readout"
    bench_methods = ("cnn",)
    bench_roles = ("saturation",)
    order = 60
    result_type = SaturationResult

    def select(self, sample: RecoSample) -> RecoSample:
        return sample.take(np.flatnonzero(sample["bgo_n_saturated"] > 0))

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        if method == "readout":
            return self.untrained(method, ctx)
        data, saturated = [], []
        for s in (train, val):
            s = self.select(s)
            if len(s) < 2:
                raise InputError("saturation: the data hold (almost) no saturated events; simulate with a lower "
                                 "--saturation or higher energies")
            mask, img, cap = _saturated(s)
            data.append((img, S.saturation_targets(s["bgo_true"], cap, mask)))
            saturated.append((s, mask, img, cap))
        model = TorchModel("HeatmapCNN", {"in_channels": 3, "width": 32, "depth": 5})
        model.fit(S.saturation_loss, data[0], data[1],
                  train_config(ctx.epochs, ctx.seed, description="saturation cnn", progress=ctx.progress),
                  ctx.out / "checkpoints")
        s, mask, img, cap = saturated[1]  # the response: median E_true / E_rec vs the recovered share (validation)
        rec = S.recover(s["bgo"], mask, cap, model.apply(img))
        ratio = s["bgo_true"].sum(axis=(1, 2)).astype(float) / np.maximum(rec.sum(axis=(1, 2)), 1e-9)
        model.meta["response"] = S.fit_response(S.recovered_share(s["bgo"], rec), ratio)
        model.save(ctx.out / "cnn")
        return TrainInfo(self.name, method, ctx.seed, len(data[0][0]), model.meta["train_seconds"],
                         model.meta["epochs_run"]).write(ctx.out)

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[SaturationResult]:
        s = self.select(test)
        if len(s) == 0:
            raise InputError("saturation: no saturated events in --data")
        before = s["bgo"].sum(axis=(1, 2)).astype(float)
        t0 = time.perf_counter()
        if info.method == "readout":
            fixed = s["bgo"].astype(float)
        else:
            mask, img, cap = _saturated(s)
            model = TorchModel.load(model_dir / "cnn")
            fixed = S.recover(s["bgo"], mask, cap, model.apply(img))
            if "response" in model.meta:  # models of before the response calibration have none
                fixed = S.apply_response(s["bgo"], fixed, mask, model.meta["response"])
        rate = len(s) / max(time.perf_counter() - t0, 1e-9)
        true = s["bgo_true"].sum(axis=(1, 2)).astype(float)
        after = fixed.sum(axis=(1, 2))
        lost = 1.0 - before / true
        e_gev = true / _GEV
        resp = {name: EnergyResponse(bin_pairs(M.binned(M.bias_resolution, lost, LOST_BINS, pred, true)),
                                     bin_pairs(M.binned(M.bias_resolution, e_gev, DEPOSIT_BINS_GEV, pred, true)),
                                     M.bias_resolution(pred, true))
                for name, pred in (("before", before), ("after", after))}
        result = SaturationResult(len(s), rate, info.train_seconds, float(lost.max()), resp["before"], resp["after"])
        return Evaluation(result, {"lost": lost, "before": before / true - 1, "after": after / true - 1,
                                   "deposit_gev": e_gev})

    def targets(self, runs: Mapping[str, SaturationResult]) -> dict[str, dict[str, Any]]:
        if "cnn" not in runs:
            return {}
        s = runs["cnn"]
        after = [r for r in s.after.vs_lost_fraction if r.n >= 5]
        return {"saturation": {"max_abs_bias_after": max(abs(r.value[0]) for r in after) if after else None,
                               "max_abs_bias_before": max(abs(r.value[0]) for r in s.before.vs_lost_fraction
                                                          if r.n >= 5),
                               "max_lost_fraction": s.max_lost_fraction, "target": 0.02}}

    def report_section(self, report: Report, runs: Mapping[str, SaturationResult],
                       plots: Mapping[str, dict[str, np.ndarray]]) -> None:
        a = plots.get("cnn")
        if "cnn" not in runs or a is None:
            return
        s = runs["cnn"]
        report.heading("Saturation recovery")
        fig, ax = figure()
        ax.hist(a["before"], bins=80, histtype="step", label="before (read-out)")
        ax.hist(a["after"], bins=80, histtype="step", label="after CNN")
        ax.set_xlabel("E_BGO / E_true − 1"), ax.legend()
        report.figure(fig, "total BGO energy residuals of saturated events")
        report.table([{"lost fraction": f"{r.low:.1f}–{r.high:.1f}", "n": r.n,
                       "bias before": rb.value[0], "bias after": r.value[0],
                       "resolution before": rb.value[1], "resolution after": r.value[1]}
                      for r, rb in zip(s.after.vs_lost_fraction, s.before.vs_lost_fraction, strict=True) if r.n])

#: the tasks this module adds to :mod:`showerml.reco.registry`
REGISTERED = (SaturationTask(),)
