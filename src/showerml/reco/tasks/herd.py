"""HERD-like reconstruction tasks: e/p identification and shower direction with the 3D CNN, the vision transformer and
the graph network, each next to a classical baseline on the same events.

- ``herd-ep``: e± (signal) against protons/nuclei; methods ``cnn3d`` (:class:`~showerml.reco.nets_3d.Calo3DCNN`),
  ``vit`` (:class:`~showerml.reco.transformer.PatchTransformer`, 7³-cube patches: 27 tokens), ``gnn``
  (:class:`~showerml.reco.graph.GraphNet` over the 64 most energetic cubes, 6 nearest neighbours) and the baseline
  ``moments``: Fisher's linear discriminant (Fisher, Ann. Eugenics 7 (1936) 179) on five shower moments about the
  principal axis — transverse RMS / R_M, longitudinal RMS / X0, the largest cube's share, the share within 30 mm of
  the axis and log10 of the hit cubes. Metric: proton rejection at 90 % electron efficiency per deposited-energy bin
  (0.1–1, 1–10, > 10 TeV), Clopper–Pearson 68 % intervals (:func:`showerml.metrics.reco.rejection_per_bin`). The
  networks see the five moments among their scalars (:func:`~showerml.reco.herd_data.herd_scalars`), as the DAMPE
  CNN sees ζ: with isotropic events from five faces a network must otherwise learn rotation and translation
  invariance from ~10³ events (without them, the bench's first run gave rejections of 1.4–4.8 against the
  moments' ≥ 258 in 0.1–1 TeV).
- ``herd-direction``: e± only; ``cnn3d`` predicts a correction Δ to the classical axis â (output v = â + Δ,
  normalised; loss 1 − v̂ · d with d the true direction in â's hemisphere); baseline ``pca``: the principal axis of
  the √E-weighted cube centres (√E: the best of E^{0.5, 1, 1.5, 2} on a separate 1 TeV e− sample). Metric: PSF68 of
  the axis angle per incident-energy bin (around 100 GeV, 1 TeV, 10 TeV).

Both use the events whose track crosses ≥ 300 mm (26 X0) of LYSO (:data:`MIN_PATH_MM`), and implement the
:class:`~showerml.reco.task.ReconstructionTask` interface and are registered: ``showerml reco train|evaluate|bench``
read HERD files (``detector = "herd"``, bench role ``herd``) through :func:`showerml.reco.herd_data.load_herd_sample`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from showerml.errors import DataFileError, InputError
from showerml.io.atomic import atomic_write_bytes
from showerml.metrics import reco as M
from showerml.reco.data import RecoSample
from showerml.reco.estimators import train_config
from showerml.reco.herd_data import (
    N_SCALARS_HERD,
    herd_images,
    herd_points,
    herd_scalars,
    sample_detector,
    shower_moments,
)
from showerml.reco.herd_direction import align, axis_angle_deg, principal_axes, psf68_axis
from showerml.reco.herd_models import ArchModel
from showerml.reco.results import BinValue, bin_values
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TaskResult, TrainInfo

__all__ = ["REGISTERED", "MIN_PATH_MM", "HERD_EP_BINS_GEV", "HERD_DIRECTION_BINS_GEV", "HerdEPTask",
           "HerdDirectionTask", "HerdEPMetrics", "HerdEPResult", "HerdDirectionMetrics", "HerdDirectionResult",
           "shower_moments", "arch_spec", "bce_loss"]

#: events need this path through the calorimeter (mm; 26 X0)
MIN_PATH_MM = 300.0
#: deposited-energy bins of the e/p rejection (GeV)
HERD_EP_BINS_GEV = (100.0, 1000.0, 10000.0, np.inf)
#: incident-energy bins of the direction (GeV): around 100 GeV, 1 TeV, 10 TeV
HERD_DIRECTION_BINS_GEV = (50.0, 200.0, 2000.0, 20000.0)
_GEV = 1000.0
_NN = ("cnn3d", "vit", "gnn")


def arch_spec(method: str) -> tuple[str, dict[str, Any]]:
    """(network name, constructor arguments) of a HERD method (sizes chosen for ≈ 60–70 k parameters each)."""
    s = N_SCALARS_HERD
    if method == "cnn3d":
        return "Calo3DCNN", {"in_channels": 2, "n_scalars": s, "n_out": 1}
    if method == "vit":
        return "PatchTransformer", {"in_channels": 2, "n_scalars": s, "n_out": 1, "grid": [21, 21, 21],
                                    "patch": [7, 7, 7], "dim": 48, "depth": 2, "heads": 4, "mlp": 96, "hidden": 96}
    if method == "gnn":
        return "GraphNet", {"n_features": 6, "n_pos": 3, "n_scalars": s, "n_out": 1, "hidden": 40, "blocks": 3,
                            "k": 6}
    raise InputError(f"unknown method '{method}': choose {', '.join(_NN)}")


def _inputs(method: str, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    if method == "gnn":
        return (*herd_points(arrays, 64), herd_scalars(arrays))
    return herd_images(arrays), herd_scalars(arrays)


def bce_loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Binary cross-entropy of (inputs…, label) batches."""
    *x, y = batch
    return nn.functional.binary_cross_entropy_with_logits(model(*x)[:, 0], y)


def _labels(pdg: np.ndarray) -> np.ndarray:
    a = np.abs(pdg)
    return np.where(a == 11, 1, np.where(a == 22, -1, 0))


@dataclass(frozen=True)
class HerdEPMetrics(TaskResult):
    """One method: rejection at 90 % e efficiency per deposit bin, events/s, training time, parameters."""

    rejection_at_90: tuple[M.Rejection, ...]
    inference_events_per_s: float
    train_seconds: float
    n_parameters: int


@dataclass(frozen=True)
class HerdEPResult(TaskResult):
    n_signal: int
    n_background: int
    methods: dict[str, HerdEPMetrics]


def _check_herd(s: RecoSample, task: str) -> None:
    detector = sample_detector(s)
    if detector != "herd":
        raise InputError(f"task '{task}' reads HERD events; these are '{detector}' events")


def _fit_fisher(tr: RecoSample, y: np.ndarray, out: Path) -> float:
    """Fit Fisher's discriminant on the standardised moments; write ``fisher.json``; return the seconds taken."""
    t0 = time.perf_counter()
    x = shower_moments(tr.arrays)
    mu = x.mean(axis=0)
    sd = np.maximum(x.std(axis=0), 1e-12)
    z = (x - mu) / sd
    m1, m0 = z[y == 1].mean(axis=0), z[y == 0].mean(axis=0)
    cov = np.cov(z[y == 1].T) + np.cov(z[y == 0].T) + 1e-6 * np.eye(z.shape[1])
    w = np.linalg.solve(cov, m1 - m0)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "fisher.json", json.dumps({"mean": mu.tolist(), "scale": sd.tolist(),
                                                        "weights": w.tolist()}).encode())
    return time.perf_counter() - t0


class HerdEPTask(ReconstructionTask[HerdEPResult]):
    name = "herd-ep"
    detector = "herd"
    title = "e/p identification in the HERD-like calorimeter"
    methods = ("cnn3d", "vit", "gnn", "moments")
    baseline = "moments"
    bench_methods = ("cnn3d", "vit", "gnn")
    bench_roles = ("herd",)
    order = 200
    result_type = HerdEPResult

    def _labelled(self, s: RecoSample) -> tuple[RecoSample, np.ndarray]:
        _check_herd(s, self.name)
        y = _labels(s["pdg"])
        dep = s["calo_energy"].astype(np.float64).sum(axis=1)
        keep = (y >= 0) & (s["path_length"] >= MIN_PATH_MM) & (dep >= 50.0 * _GEV)
        if keep.sum() < 10 or not (y[keep] == 1).any() or not (y[keep] == 0).any():
            raise InputError(f"task '{self.name}' needs e± and protons/nuclei with ≥ 50 GeV deposited and a path of "
                             f"≥ {MIN_PATH_MM:g} mm; got {int(keep.sum())} such events")
        return s.take(np.flatnonzero(keep)), y[keep]

    def select(self, sample: RecoSample) -> RecoSample:
        return self._labelled(sample)[0]

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        method = self.check_method(method)
        tr, ytr = self._labelled(train)
        # the baseline is fitted with every method (its scores are evaluated next to each)
        fisher_seconds = _fit_fisher(tr, ytr, ctx.out)
        if method == "moments":
            return TrainInfo(self.name, method, ctx.seed, len(tr), fisher_seconds).write(ctx.out)
        va, yva = self._labelled(val)
        name, args = arch_spec(method)
        model = ArchModel(name, args, "herd")
        model.fit(bce_loss, (*_inputs(method, tr.arrays), ytr.astype(np.float32)),
                  (*_inputs(method, va.arrays), yva.astype(np.float32)),
                  train_config(ctx.epochs, ctx.seed, description=f"{self.name} {method}", progress=ctx.progress,
                               batch_size=16), ctx.out / "checkpoints")
        model.save(ctx.out / method)
        return TrainInfo(self.name, method, ctx.seed, len(tr), model.meta["train_seconds"],
                         model.meta["epochs_run"]).write(ctx.out)

    def scores(self, model_dir: Path, method: str, s: RecoSample) -> tuple[np.ndarray, float, int]:
        """(scores, events/s, parameters) of a trained method on selected events."""
        if method == "moments":
            path = model_dir / "fisher.json"
            if not path.is_file():
                raise DataFileError(model_dir, "holds no trained Fisher discriminant (fisher.json)")
            f = json.loads(path.read_text())
            t0 = time.perf_counter()
            score = ((shower_moments(s.arrays) - np.array(f["mean"])) / np.array(f["scale"])) @ np.array(f["weights"])
            return score, len(s) / max(time.perf_counter() - t0, 1e-9), 5
        model = ArchModel.load(model_dir / method)
        model.check_detector(sample_detector(s))
        x = _inputs(method, s.arrays)
        out = model.apply(*x)[:, 0]
        return out, float(model.meta["inference_events_per_s"]), int(model.meta.get("n_parameters", 0))

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[HerdEPResult]:
        s, y = self._labelled(test)
        dep = s["calo_energy"].astype(np.float64).sum(axis=1) / _GEV
        arrays: dict[str, np.ndarray] = {"deposit_gev": dep, "label": y, "energy_gev": s["energy"] / _GEV}
        metrics = {}
        for m in [info.method] + (["moments"] if info.method != "moments" else []):
            score, rate, n_par = self.scores(model_dir, m, s)
            metrics[m] = HerdEPMetrics(tuple(M.rejection_per_bin(score, y == 1, dep, HERD_EP_BINS_GEV, 0.9)), rate,
                                       info.train_seconds if m == info.method else 0.0, n_par)
            arrays[m] = score
        return Evaluation(HerdEPResult(int((y == 1).sum()), int((y == 0).sum()), metrics), arrays)


def _direction_loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """1 − v̂ · d with v = â + Δ (the classical axis in scalars[:, 2:5])."""
    image, scalars, target = batch
    v = scalars[:, 2:5] + model(image, scalars)
    v = v / v.norm(dim=1, keepdim=True).clamp_min(1e-9)
    return (1.0 - (v * target).sum(dim=1)).mean()


@dataclass(frozen=True)
class HerdDirectionMetrics(TaskResult):
    """PSF68 of the axis angle (deg) per incident-energy bin, events/s, training time, parameters."""

    psf68_deg: tuple[BinValue, ...]
    inference_events_per_s: float
    train_seconds: float
    n_parameters: int


@dataclass(frozen=True)
class HerdDirectionResult(TaskResult):
    methods: dict[str, HerdDirectionMetrics]


class HerdDirectionTask(ReconstructionTask[HerdDirectionResult]):
    name = "herd-direction"
    detector = "herd"
    title = "shower direction in the HERD-like calorimeter"
    methods = ("cnn3d", "pca")
    baseline = "pca"
    bench_methods = ("cnn3d",)
    bench_roles = ("herd",)
    order = 210
    result_type = HerdDirectionResult

    def select(self, sample: RecoSample) -> RecoSample:
        _check_herd(sample, self.name)
        keep = (np.abs(sample["pdg"]) == 11) & (sample["path_length"] >= MIN_PATH_MM)
        if keep.sum() < 10:
            raise InputError(f"task '{self.name}' needs ≥ 10 e± with a path of ≥ {MIN_PATH_MM:g} mm; got "
                             f"{int(keep.sum())}")
        return sample.take(np.flatnonzero(keep))

    @staticmethod
    def _data(s: RecoSample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scalars = herd_scalars(s.arrays)
        scalars[:, 2:5] = principal_axes(s["calo_index"], s["calo_energy"], 0.5)
        target = align(s["direction"].astype(np.float64), scalars[:, 2:5].astype(np.float64))
        return herd_images(s.arrays), scalars, target.astype(np.float32)

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        method = self.check_method(method)
        tr = self.select(train)
        if method == "pca":
            return self.untrained(method, ctx)
        va = self.select(val)
        model = ArchModel("Calo3DCNN", {"in_channels": 2, "n_scalars": N_SCALARS_HERD, "n_out": 3, "zero_head": True},
                          "herd")
        model.fit(_direction_loss, self._data(tr), self._data(va),
                  train_config(ctx.epochs, ctx.seed, description=f"{self.name} cnn3d", progress=ctx.progress,
                               batch_size=16, lr=1e-3), ctx.out / "checkpoints")
        model.save(ctx.out / "cnn3d")
        return TrainInfo(self.name, method, ctx.seed, len(tr), model.meta["train_seconds"],
                         model.meta["epochs_run"]).write(ctx.out)

    def predict(self, model_dir: Path | None, s: RecoSample) -> tuple[np.ndarray, float, int]:
        """(axes (N, 3), events/s, parameters): the CNN's (``model_dir``) or the classical fit's (None)."""
        if model_dir is None:
            t0 = time.perf_counter()
            axis = principal_axes(s["calo_index"], s["calo_energy"], 0.5)
            return axis, len(s) / max(time.perf_counter() - t0, 1e-9), 0
        model = ArchModel.load(model_dir / "cnn3d")
        model.check_detector(sample_detector(s))
        image, scalars, _ = self._data(s)
        v = scalars[:, 2:5] + model.apply(image, scalars)
        return v.astype(np.float64), float(model.meta["inference_events_per_s"]), int(model.meta["n_parameters"])

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[HerdDirectionResult]:
        s = self.select(test)
        e_gev = s["energy"] / _GEV
        truth = s["direction"].astype(np.float64)
        arrays: dict[str, np.ndarray] = {"energy_gev": e_gev}
        metrics = {}
        for m in [info.method] + (["pca"] if info.method != "pca" else []):
            axis, rate, n_par = self.predict(model_dir if m == "cnn3d" else None, s)
            rows = M.binned(psf68_axis, e_gev, HERD_DIRECTION_BINS_GEV, axis, truth)
            metrics[m] = HerdDirectionMetrics(
                bin_values(rows),
                rate, info.train_seconds if m == info.method else 0.0, n_par)
            arrays[m] = axis_angle_deg(axis, truth)
        return Evaluation(HerdDirectionResult(metrics), arrays)


REGISTERED: tuple[ReconstructionTask[Any], ...] = (HerdEPTask(), HerdDirectionTask())
