"""The new architectures on the DAMPE-like e/p task, against the existing 2D CNN at comparable parameter count.

``ep-arch``: the same events, preselection and labels as the ``ep`` task (:class:`~showerml.reco.tasks.
identification.IdentificationTask`, reused for the selection and for ``cnn``, the registry's
:class:`~showerml.reco.nets.ImageResNet`, 275 k parameters); ``vit``: a
:class:`~showerml.reco.transformer.PatchTransformer` on the same two-channel 14 × 22 image and scalars (2 × 2
patches, 77 tokens, 246 k parameters); ``gnn``: a :class:`~showerml.reco.graph.GraphNet` over the 32 most energetic
bars (:func:`~showerml.reco.herd_data.dampe_points`, 6 nearest neighbours, 259 k parameters) with the same scalars;
baseline: the ζ cut. Metric: proton rejection at 90 % electron efficiency per deposited-energy bin (DAMPE's bins).
Registered: ``showerml reco train ep-arch --method vit|gnn|cnn`` and ``reco bench --tasks ep-arch`` (also run by
``benchmarks/bench_herd.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from showerml.metrics import reco as M
from showerml.reco import identify as ID
from showerml.reco.data import RecoSample
from showerml.reco.estimators import train_config
from showerml.reco.herd_data import dampe_points, sample_detector
from showerml.reco.herd_models import ArchModel, n_parameters
from showerml.reco.preselection import DAMPE_EP_BINS_GEV
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TrainInfo
from showerml.reco.tasks.herd import HerdEPMetrics, HerdEPResult, bce_loss
from showerml.reco.tasks.identification import IdentificationTask, identification_scores

__all__ = ["REGISTERED", "DampeArchitecturesTask", "dampe_arch_spec"]

_GEV = 1000.0
_N_POINTS = 32


def dampe_arch_spec(method: str) -> tuple[str, dict[str, Any]]:
    """(network, arguments) of the DAMPE ViT and graph network."""
    if method == "vit":
        return "PatchTransformer", {"in_channels": 2, "n_scalars": 6, "n_out": 1, "grid": [14, 22], "patch": [2, 2],
                                    "dim": 96, "depth": 3, "heads": 4, "mlp": 192, "hidden": 128}
    return "GraphNet", {"n_features": 6, "n_pos": 3, "n_scalars": 6, "n_out": 1, "hidden": 80, "blocks": 3, "k": 6}


def _inputs(method: str, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    image, scalars = ID.image_inputs(arrays)
    if method == "gnn":
        return (*dampe_points(arrays["bgo"], _N_POINTS), scalars)
    return image, scalars


class DampeArchitecturesTask(ReconstructionTask[HerdEPResult]):
    name = "ep-arch"
    title = "DAMPE-like e/p: vision transformer and graph network against the 2D CNN"
    methods = ("vit", "gnn", "cnn", "zeta")
    baseline = "zeta"
    bench_methods = ("cnn", "vit", "gnn")
    bench_roles = ("e", "p")
    order = 220
    result_type = HerdEPResult

    def __init__(self) -> None:
        self.ep = IdentificationTask("ep", "e", "e", 10, preselected=True)

    def _labelled(self, s: RecoSample) -> tuple[RecoSample, np.ndarray]:
        if sample_detector(s) != "dampe":
            from showerml.errors import InputError

            raise InputError(f"task '{self.name}' reads DAMPE events; these are '{sample_detector(s)}' events")
        return self.ep._labelled(s)

    def select(self, sample: RecoSample) -> RecoSample:
        return self._labelled(sample)[0]

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        method = self.check_method(method)
        if method in ("cnn", "zeta"):
            info = self.ep.train(method, train, val, ctx)
            return TrainInfo(self.name, method, ctx.seed, info.n_train, info.train_seconds, info.epochs_run
                             ).write(ctx.out)
        tr, ytr = self._labelled(train)
        va, yva = self._labelled(val)
        name, args = dampe_arch_spec(method)
        model = ArchModel(name, args, "dampe")
        model.fit(bce_loss, (*_inputs(method, tr.arrays), ytr.astype(np.float32)),
                  (*_inputs(method, va.arrays), yva.astype(np.float32)),
                  train_config(ctx.epochs, ctx.seed, description=f"{self.name} {method}", progress=ctx.progress),
                  ctx.out / "checkpoints")
        model.save(ctx.out / method)
        return TrainInfo(self.name, method, ctx.seed, len(tr), model.meta["train_seconds"],
                         model.meta["epochs_run"]).write(ctx.out)

    def scores(self, model_dir: Path, method: str, s: RecoSample) -> tuple[np.ndarray, float, int]:
        if method in ("cnn", "zeta"):
            score, rate = identification_scores(model_dir, method, s)
            n_par = 0
            if method == "cnn":
                from showerml.reco.estimators import TorchModel

                net = TorchModel.load(model_dir / "cnn").net
                assert net is not None
                n_par = n_parameters(net)
            return score, rate, n_par
        model = ArchModel.load(model_dir / method)
        model.check_detector(sample_detector(s))
        out = model.apply(*_inputs(method, s.arrays))[:, 0]
        return out, float(model.meta["inference_events_per_s"]), int(model.meta.get("n_parameters", 0))

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[HerdEPResult]:
        s, y = self._labelled(test)
        dep = s.deposit / _GEV
        arrays: dict[str, np.ndarray] = {"deposit_gev": dep, "label": y}
        metrics = {}
        for m in [info.method] + (["zeta"] if info.method != "zeta" else []):
            score, rate, n_par = self.scores(model_dir, m, s)
            metrics[m] = HerdEPMetrics(tuple(M.rejection_per_bin(score, y == 1, dep, DAMPE_EP_BINS_GEV, 0.9)), rate,
                                       info.train_seconds if m == info.method else 0.0, n_par)
            arrays[m] = score
        return Evaluation(HerdEPResult(int((y == 1).sum()), int((y == 0).sum()), metrics), arrays)


REGISTERED: tuple[ReconstructionTask[Any], ...] = (DampeArchitecturesTask(),)
