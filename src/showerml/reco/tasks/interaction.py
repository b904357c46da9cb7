"""The BGO layer of the first hadronic interaction: a BDT on per-layer features vs the threshold rule (baseline,
:func:`showerml.reco.interaction.classical_layer`). 16 classes: 0 tracker, 1–14 BGO layer 0–13, 15 none.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from showerml.errors import InputError
from showerml.metrics import reco as M
from showerml.reco import interaction as IA
from showerml.reco.bdt import BDT
from showerml.reco.data import RecoSample
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TaskResult, TrainInfo
from showerml.report.html import Report

__all__ = ["REGISTERED", "InteractionMetrics", "InteractionResult", "InteractionTask"]


@dataclass(frozen=True)
class InteractionMetrics(TaskResult):
    accuracy: float
    accuracy_within_1: float
    confusion: tuple[tuple[int, ...], ...]
    inference_events_per_s: float
    train_seconds: float


@dataclass(frozen=True)
class InteractionResult(TaskResult):
    n_events: int
    classes: str
    methods: dict[str, InteractionMetrics]


class InteractionTask(ReconstructionTask[InteractionResult]):
    name = "interaction"
    title = "first hadronic interaction"
    methods = ("bdt", "classical")
    baseline = "classical"
    bench_methods = ("bdt",)
    bench_roles = ("p",)
    order = 70
    result_type = InteractionResult

    def select(self, sample: RecoSample) -> RecoSample:
        keep = np.flatnonzero((np.asarray(sample["charge"]) >= 1) & (np.abs(sample["pdg"]) != 11))
        had = sample.take(keep)
        if len(had) < 10:
            raise InputError("interaction: needs proton or nucleus events in --data")
        return had

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        tr = self.select(train)
        if method == "classical":
            return TrainInfo(self.name, method, ctx.seed, len(tr)).write(ctx.out)
        bdt = BDT(max_iter=150, seed=ctx.seed).fit(IA.interaction_features(tr.arrays),
                                                   IA.interaction_class(tr["first_interaction_z"]))
        bdt.save(ctx.out / "bdt")
        return TrainInfo(self.name, method, ctx.seed, len(tr), bdt.fit_seconds).write(ctx.out)

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[InteractionResult]:
        s = self.select(test)
        y = IA.interaction_class(s["first_interaction_z"])
        metrics = {}
        arrays: dict[str, np.ndarray] = {"true": y}
        for m in ([info.method, "classical"] if info.method != "classical" else ["classical"]):
            bdt = BDT.load(model_dir / "bdt")[0] if m == "bdt" else None
            t0 = time.perf_counter()
            pred = bdt.predict(IA.interaction_features(s.arrays)) if bdt is not None else IA.classical_layer(s.arrays)
            dt = time.perf_counter() - t0
            confusion = M.confusion_matrix(y, pred, IA.N_CLASSES)
            metrics[m] = InteractionMetrics(M.accuracy(y, pred), M.accuracy(y, pred, 1),
                                            tuple(tuple(int(c) for c in row) for row in confusion),
                                            len(s) / max(dt, 1e-9), info.train_seconds if m == info.method else 0.0)
            arrays[m] = pred
        return Evaluation(InteractionResult(len(s), "0 tracker, 1-14 BGO layer 0-13, 15 none", metrics), arrays)

    def report_section(self, report: Report, runs: Mapping[str, InteractionResult],
                       plots: Mapping[str, dict[str, np.ndarray]]) -> None:
        if "bdt" not in runs:
            return
        ia = runs["bdt"].methods
        report.heading("First hadronic interaction")
        report.table([{"method": m, "accuracy": ia[m].accuracy, "within ±1 class": ia[m].accuracy_within_1}
                      for m in ("bdt", "classical")])
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        for ax, m in zip(axes, ("bdt", "classical"), strict=True):
            c = np.asarray(ia[m].confusion, float)
            ax.imshow(c / np.maximum(c.sum(axis=1, keepdims=True), 1), origin="lower", cmap="viridis")
            ax.set_xlabel("predicted class"), ax.set_ylabel("true class"), ax.set_title(m)
        report.figure(fig, "confusion (row-normalised): 0 tracker, 1–14 BGO layers, 15 none")

#: the tasks this module adds to :mod:`showerml.reco.registry`
REGISTERED = (InteractionTask(),)
