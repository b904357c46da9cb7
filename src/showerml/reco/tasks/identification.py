"""e/p and γ/p identification: the ζ cut (baseline), a BDT on shower shapes and a CNN on the BGO image.

Metric: proton rejection 1/ε_B at 90 % signal efficiency per bin of *deposited* BGO energy (DAMPE's convention:
100 GeV–1 TeV, 1–10 TeV, above; :data:`showerml.reco.preselection.DAMPE_EP_BINS_GEV`), with Clopper–Pearson 68 %
intervals (:func:`showerml.metrics.reco.rejection_per_bin`). Extra background files (hadrons never trained on, read
in chunks) enlarge the test background so that large rejections are measured, not bounded.

e/p: every method — the ζ cut, the BDT and the CNN — is trained and evaluated on the events that pass DAMPE's
preselection (:func:`showerml.reco.preselection.preselect`), the extra background included, so all are compared on
the same events; the rejection is that of the method after the preselection. γ/p uses no preselection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from showerml.errors import InputError
from showerml.io.dampe import read_dampe
from showerml.io.hdf5 import read_attrs
from showerml.metrics import reco as M
from showerml.reco import identify as ID
from showerml.reco.bdt import BDT
from showerml.reco.data import RecoSample
from showerml.reco.estimators import TorchModel, train_config
from showerml.reco.features import high_level_features
from showerml.reco.plots import figure
from showerml.reco.preselection import DAMPE_EP_BINS_GEV, preselect
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TaskResult, TrainInfo
from showerml.report.html import Report

__all__ = ["REGISTERED", "EP_ANCHORS", "IdentificationMetrics", "IdentificationResult", "IdentificationTask",
           "identification_scores"]

_GEV = 1000.0


@dataclass(frozen=True)
class IdentificationMetrics(TaskResult):
    """One method on the test events: rejection at 90 % signal efficiency per deposit bin, speed, training time."""

    rejection_at_90: tuple[M.Rejection, ...]
    inference_events_per_s: float
    train_seconds: float

    def bin(self, low: float) -> M.Rejection | None:
        """The bin starting at ``low`` GeV."""
        return next((r for r in self.rejection_at_90 if r.low == low), None)


@dataclass(frozen=True)
class IdentificationResult(TaskResult):
    """The trained method and the ζ cut on the same signal and background events."""

    n_signal: int
    n_background: int
    n_extra_background: int
    methods: dict[str, IdentificationMetrics]


def _timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def identification_scores(model_dir: Path, method: str, s: RecoSample) -> tuple[np.ndarray, float]:
    """(scores, events/s) of a trained identification model (larger = more signal-like)."""
    if method == "zeta":
        score, dt = _timed(lambda: ID.zeta_score(s["bgo"]))
    elif method == "bdt":
        bdt, _ = BDT.load(model_dir / "bdt")
        score, dt = _timed(lambda: bdt.decision_function(high_level_features(s.arrays)[0])[:, 0])
    else:
        model = TorchModel.load(model_dir / "cnn")
        score, dt = _timed(lambda: model.apply(*ID.image_inputs(s.arrays))[:, 0])
    return score, len(s) / max(dt, 1e-9)


def _background_scores(model_dir: Path, methods: list[str], files: Sequence[Path], preselected: bool,
                       chunk: int = 4000) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Deposits (GeV) and scores of hadron events from extra files (those passing the preselection when
    ``preselected``), read ``chunk`` events at a time."""
    deps: list[np.ndarray] = []
    scores: dict[str, list[np.ndarray]] = {m: [] for m in methods}
    for path in files:
        n = int(read_attrs(path).get("n_events", 0))
        for start in range(0, n, chunk):
            s = RecoSample(read_dampe(path, slice(start, start + chunk)).arrays, [str(path)])
            keep = (np.abs(s["pdg"]) != 11) & (np.abs(s["pdg"]) != 22) & (s.deposit >= ID.MIN_DEPOSIT_MEV)
            if preselected:
                keep &= preselect(s["bgo"]).mask
            s = s.take(np.flatnonzero(keep))
            deps.append(s.deposit / _GEV)
            for m in methods:
                scores[m].append(identification_scores(model_dir, m, s)[0])
    return np.concatenate(deps), {m: np.concatenate(v) for m, v in scores.items()}


class IdentificationTask(ReconstructionTask[IdentificationResult]):
    """Signal (e± or γ) against protons and nuclei, above 50 GeV deposited in the BGO."""

    methods = ("cnn", "bdt", "zeta")
    baseline = "zeta"
    bench_methods = ("cnn", "bdt")
    result_type = IdentificationResult
    labels: ClassVar[dict[str, str]] = {"cnn": "CNN", "bdt": "BDT", "zeta": "ζ cut"}

    def __init__(self, name: str, signal: str, signal_role: str, order: float,
                 anchors: Mapping[str, float] | None = None, preselected: bool = False) -> None:
        """``anchors``: the bench targets of the CNN's rejection over the ζ cut's and the BDT's per deposited-energy
        bin (``cnn_over_zeta``, ``cnn_over_bdt``); without them the task reports no headline target.
        ``preselected``: every method uses only events passing DAMPE's preselection (module docstring)."""
        self.anchors = dict(anchors or {})
        self.preselected = preselected
        self.name = name  # type: ignore[misc]
        self.signal = signal
        self.title = f"{signal}/proton identification"  # type: ignore[misc]
        self.bench_roles = (signal_role, "p")  # type: ignore[misc]
        self.order = order  # type: ignore[misc]

    def _labelled(self, s: RecoSample) -> tuple[RecoSample, np.ndarray]:
        y = ID.labels(s["pdg"], self.name)
        keep = (y >= 0) & (s.deposit >= ID.MIN_DEPOSIT_MEV)
        if self.preselected:
            keep &= preselect(s["bgo"]).mask
        if keep.sum() < 10:
            what = " passing the DAMPE preselection" if self.preselected else ""
            raise InputError(f"task '{self.name}': fewer than 10 usable events (deposit ≥ 50 GeV{what})")
        return s.take(np.flatnonzero(keep)), y[keep]

    def select(self, sample: RecoSample) -> RecoSample:
        return self._labelled(sample)[0]

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        tr, ytr = self._labelled(train)
        if method == "zeta":
            return TrainInfo(self.name, method, ctx.seed, len(tr)).write(ctx.out)
        if method == "bdt":
            x, names = high_level_features(tr.arrays)
            bdt = BDT(seed=ctx.seed).fit(x, ytr)
            bdt.save(ctx.out / "bdt", {"features": names})
            return TrainInfo(self.name, method, ctx.seed, len(tr), bdt.fit_seconds).write(ctx.out)
        va, yva = self._labelled(val)
        model = TorchModel("ImageResNet", {"in_channels": 2, "n_scalars": 6, "n_out": 1})
        model.fit(ID.bce_loss, (*ID.image_inputs(tr.arrays), ytr.astype(np.float32)),
                  (*ID.image_inputs(va.arrays), yva.astype(np.float32)),
                  train_config(ctx.epochs, ctx.seed, description=f"{self.name} cnn", progress=ctx.progress),
                  ctx.out / "checkpoints")
        model.save(ctx.out / "cnn")
        return TrainInfo(self.name, method, ctx.seed, len(tr), model.meta["train_seconds"],
                         model.meta["epochs_run"]).write(ctx.out)

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[IdentificationResult]:
        s, y = self._labelled(test)
        dep = s.deposit / _GEV
        methods = [info.method] + (["zeta"] if info.method != "zeta" else [])
        background = ctx.background if ctx is not None else ()
        extra_dep, extra = (_background_scores(model_dir, methods, background, self.preselected) if background
                            else (np.zeros(0), {m: np.zeros(0) for m in methods}))
        n_signal, n_background = int((y == 1).sum()), int((y == 0).sum()) + len(extra_dep)
        dep = np.concatenate([dep, extra_dep])
        y = np.concatenate([y, np.zeros(len(extra_dep), y.dtype)])
        arrays: dict[str, np.ndarray] = {"deposit_gev": dep, "label": y}
        metrics = {}
        for m in methods:
            score, rate = identification_scores(model_dir, m, s)
            score = np.concatenate([score, extra[m]])
            metrics[m] = IdentificationMetrics(
                tuple(M.rejection_per_bin(score, y == 1, dep, DAMPE_EP_BINS_GEV, 0.9)), rate,
                info.train_seconds if m == info.method else 0.0)
            arrays[m] = score
        return Evaluation(IdentificationResult(n_signal, n_background, len(extra_dep), metrics), arrays)

    def targets(self, runs: Mapping[str, IdentificationResult]) -> dict[str, dict[str, Any]]:
        if not self.anchors or "cnn" not in runs or "bdt" not in runs:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for low, tag in ((100.0, "0.1_1TeV"), (1000.0, "1_10TeV")):
            cnn, zeta = runs["cnn"].methods["cnn"].bin(low), runs["cnn"].methods["zeta"].bin(low)
            bdt = runs["bdt"].methods["bdt"].bin(low)
            if not (cnn and zeta and bdt):
                continue
            out[f"{self.name}_{tag}"] = {
                "cnn": cnn.rejection, "zeta": zeta.rejection, "bdt": bdt.rejection,
                "cnn_lower_limit": cnn.lower_limit, "bdt_lower_limit": bdt.lower_limit,
                "zeta_lower_limit": zeta.lower_limit,
                "cnn_over_zeta": cnn.rejection / zeta.rejection,
                "target_cnn_over_zeta": self.anchors["cnn_over_zeta"],
                "cnn_over_bdt": cnn.rejection / bdt.rejection, "target_cnn_over_bdt": self.anchors["cnn_over_bdt"],
                "n_background": cnn.n_background, "preselected": self.preselected}
        return out

    def report_section(self, report: Report, runs: Mapping[str, IdentificationResult],
                       plots: Mapping[str, dict[str, np.ndarray]]) -> None:
        if "cnn" not in runs:
            return
        report.heading(f"{self.name}: {self.title}")
        if self.preselected:
            report.paragraph("Every method is trained and measured on the events passing DAMPE's preselection (no "
                             "layer > 35 % of the deposit, axis within 280 mm at the BGO top and bottom, largest "
                             "layer RMS < 100 mm, few hit bars in the last layer): the same events for all.")
        a, b = plots.get("cnn"), plots.get("bdt")
        for lo, hi, title in ((100.0, 1000.0, "100 GeV–1 TeV"), (1000.0, 10000.0, "1–10 TeV")):
            if a is None:
                break
            fig, ax = figure()
            sel = (a["deposit_gev"] >= lo) & (a["deposit_gev"] < hi)
            y = a["label"][sel] == 1
            scores = {"CNN": a["cnn"][sel], "ζ cut": a["zeta"][sel]}
            if b is not None:
                scores["BDT"] = b["bdt"][(b["deposit_gev"] >= lo) & (b["deposit_gev"] < hi)]
            for name, sc in scores.items():
                if y.any() and (~y).any():
                    eff, rej = M.roc_rejection(sc[y], sc[~y])
                    ax.plot(eff, rej, label=name)
            ax.set_yscale("log"), ax.set_xlabel(f"{self.signal} efficiency ε_S")
            ax.set_ylabel("proton rejection 1/ε_B")
            ax.set_xlim(0.5, 1.0), ax.legend(), ax.set_title(f"deposit {title}")
            report.figure(fig, f"{self.name}: ROC as proton rejection (log axis), {title} deposited in the BGO")
        fig, ax = figure()
        rows_all = []
        for trained, method in (("cnn", "cnn"), ("bdt", "bdt"), ("cnn", "zeta")):
            if trained not in runs:
                continue
            label = self.labels[method]
            rows = runs[trained].methods[method].rejection_at_90
            x = np.array([np.sqrt(r.low * min(r.high, 3 * r.low)) for r in rows])
            yv = np.array([r.rejection for r in rows], float)
            low = yv - np.array([r.rejection_low for r in rows], float)
            high = np.nan_to_num(np.array([r.rejection_high for r in rows], float) - yv, posinf=0.0)
            ax.errorbar(x, yv, yerr=[low, high], marker="o", label=label, capsize=3)
            for r in rows:
                rows_all.append({"method": label, "deposit GeV": f"{r.low:.0f}–{r.high:.0f}",
                                 "rejection @90%": r.rejection, "68% low": r.rejection_low,
                                 "68% high": r.rejection_high, "lower limit": r.lower_limit,
                                 "N_sig": r.n_signal, "N_bkg": r.n_background, "passed": r.n_passed})
        ax.set_xscale("log"), ax.set_yscale("log"), ax.set_xlabel("deposited energy (GeV)")
        ax.set_ylabel("proton rejection at 90 % efficiency"), ax.legend()
        report.figure(fig, f"{self.name}: rejection vs deposited energy (Clopper–Pearson 68 % errors)")
        report.table(rows_all)


#: e/p bench targets: showerml's goals, set above the published "> 4×" better rejection of DAMPE's DNN/CNN than
#: standard techniques (ERC PeVSPACE final report); γ/p has no published anchor, so no target
EP_ANCHORS = {"cnn_over_zeta": 4.0, "cnn_over_bdt": 2.0}  # CNN ≥ 4× the ζ cut and ≥ 2× the BDT (DAMPE: a DNN "> 4×")

#: the tasks this module adds to :mod:`showerml.reco.registry`
REGISTERED = (IdentificationTask("ep", "electron", "e", order=10, anchors=EP_ANCHORS, preselected=True),
              IdentificationTask("gp", "photon", "gamma", order=20))
