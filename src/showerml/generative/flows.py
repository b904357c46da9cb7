"""CaloFlow: a two-stage MAF teacher and its one-pass IAF student.

*Teacher* (Krause & Shih, CaloFlow, arXiv:2106.05285): flow I models the layer-energy coordinates
``p(y_L | c)``, flow II the normalised voxels ``p(y_V | c, y_L)``; both are masked autoregressive flows
(Papamakarios et al., arXiv:1705.07057) with affine transforms, trained by maximum likelihood
``−[log p_I(y_L|c) + log p_II(y_V|c, y_L)] / D``. Density evaluation is one network pass per block; sampling
inverts one feature per pass (D passes per block), which is slow by design.

*Student* (Krause & Shih, CaloFlow II, arXiv:2110.11377): an inverse autoregressive flow (Kingma et al.,
arXiv:1606.04934) with the teacher's architecture, block orders reversed so that ``z → y_V`` is one pass per block.
It is trained by probability-density distillation from the frozen teacher flow II, matching every intermediate
state: for a data point, the teacher's states ``h_0 = y_V, h_k = T_k(h_{k−1})`` against the student's
``g_K = h_K, g_{k−1} = S_k(g_k)``; for a latent ``z ~ N(0, 1)``, the student's states ``g_k`` against the teacher
applied to the student's output. Loss ``Σ_k ‖g_k − h_k‖² / D`` for both paths. Flow I is copied from the teacher.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import torch
import zuko
from torch import nn
from zuko.flows.autoregressive import MaskedAutoregressiveTransform
from zuko.lazy import Flow, LazyInverse

from showerml.errors import InputError
from showerml.generative.base import Batch, ShowerGenerator
from showerml.io.showers import ShowerData
from showerml.nn.splits import split_train_val
from showerml.nn.training import TrainConfig, TrainResult, train

__all__ = ["CaloFlowTeacher", "CaloFlowStudent", "iaf_like"]


def _maf(features: int, context: int, transforms: int, hidden: tuple[int, ...], randperm: bool = False
         ) -> zuko.flows.MAF:
    """zuko's MAF; blocks alternate ascending/descending orders, or (``randperm``) each takes a random order
    (drawn from torch's global generator; orders and masks are buffers, saved with the weights). Random orders
    brought no gain on CaloGAN e+ (45k training / 5k test showers: voxel AUC 0.631 vs 0.619), so they are off by
    default."""
    return zuko.flows.MAF(features, context, transforms=transforms, randperm=randperm, hidden_features=tuple(hidden))


def iaf_like(teacher: zuko.flows.Flow, features: int, context: int, hidden: tuple[int, ...]) -> zuko.flows.Flow:
    """An IAF whose block k is the inverse of a fresh MADE with the order of the teacher's block k."""
    blocks = [
        LazyInverse(
            MaskedAutoregressiveTransform(features, context, order=t.order.clone(), hidden_features=tuple(hidden))
        )
        for t in teacher.transform.transforms
    ]
    return Flow(blocks, copy.deepcopy(teacher.base))


class _TwoStage(nn.Module):
    def __init__(self, flow1: Flow, flow2: Flow) -> None:
        super().__init__()
        self.flow1, self.flow2 = flow1, flow2


class CaloFlowTeacher(ShowerGenerator[_TwoStage]):
    """Two-stage MAF (CaloFlow v1 teacher)."""

    kind = "caloflow"
    has_log_prob = True
    default_train = {"epochs": 50, "batch_size": 256, "lr": 1e-3, "patience": 5, "grad_clip": 5.0}

    @classmethod
    def default_hparams(cls) -> dict[str, Any]:
        return {"layer_transforms": 4, "layer_hidden": [64, 64], "voxel_transforms": 4, "voxel_hidden": [256, 256],
                "voxel_randperm": False}

    def _build(self) -> _TwoStage:
        h = self.hparams
        flow1 = _maf(self.n_layers, 1, h["layer_transforms"], h["layer_hidden"])
        flow2 = _maf(self.geometry.n_voxels, 1 + self.n_layers, h["voxel_transforms"], h["voxel_hidden"],
                     bool(h["voxel_randperm"]))
        return _TwoStage(flow1, flow2)

    def _split(self, y: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        y1, y2 = y[:, : self.n_layers], y[:, self.n_layers :]
        return y1, y2, torch.cat([c, y1], dim=1)

    def _log_prob(self, y: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        y1, y2, ctx = self._split(y, c)
        return self.net.flow1(c).log_prob(y1) + self.net.flow2(ctx).log_prob(y2)

    def _loss(self, net: _TwoStage, batch: Batch) -> torch.Tensor:
        y, c = batch
        y1, y2, ctx = self._split(y, c)
        return -(net.flow1(c).log_prob(y1) + net.flow2(ctx).log_prob(y2)).mean() / self.dim

    def _generate(self, c: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        z1 = torch.randn(len(c), self.n_layers, generator=generator)
        y1 = self.net.flow1(c).transform.inv(z1)
        z2 = torch.randn(len(c), self.geometry.n_voxels, generator=generator)
        y2 = self.net.flow2(torch.cat([c, y1], dim=1)).transform.inv(z2)
        return torch.cat([y1, y2], dim=1)


class CaloFlowStudent(CaloFlowTeacher):
    """IAF student of a :class:`CaloFlowTeacher` (CaloFlow II): one network pass per block when sampling."""

    kind = "student"
    requires = "caloflow"
    default_train = {"epochs": 50, "batch_size": 256, "lr": 1e-3, "patience": 5, "grad_clip": 5.0}

    @classmethod
    def default_hparams(cls) -> dict[str, Any]:
        return {**CaloFlowTeacher.default_hparams(), "sample_weight": 1.0}

    def _build(self) -> _TwoStage:
        teacher = CaloFlowTeacher._build(self)
        flow2 = iaf_like(teacher.flow2, self.geometry.n_voxels, 1 + self.n_layers, self.hparams["voxel_hidden"])
        return _TwoStage(teacher.flow1, flow2)

    @classmethod
    def inherited_hparams(cls, parent: ShowerGenerator[Any]) -> dict[str, Any]:
        """The teacher's architecture, which the student mirrors."""
        return {k: parent.hparams[k] for k in CaloFlowTeacher.default_hparams()}

    def fit(
        self,
        data: ShowerData,
        config: TrainConfig | None = None,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        resume: bool = False,
        val_fraction: float = 0.1,
        parent: ShowerGenerator[Any] | None = None,
    ) -> TrainResult:
        """Distil ``parent``, a trained caloflow teacher of the same architecture, on ``data``; the student keeps the
        teacher's flow I."""
        teacher = parent
        if not isinstance(teacher, CaloFlowTeacher) or teacher.kind != self.requires:
            raise InputError("the student needs a trained caloflow teacher: pass --teacher DIR")
        self._check_geometry(data)
        g, tg = self.geometry, teacher.geometry
        if tg.n_voxels != g.n_voxels or tg.layer_sizes != g.layer_sizes:
            raise InputError(f"the teacher was trained on '{tg.name}' ({tg.n_voxels} voxels in {tg.n_layers} layers), "
                             f"the data are '{g.name}' ({g.n_voxels} voxels in {g.n_layers} layers); distil on the "
                             "teacher's geometry")
        arch = {k: teacher.hparams[k] for k in CaloFlowTeacher.default_hparams()}
        if any(self.hparams[k] != v for k, v in arch.items()):
            raise InputError(f"the student must mirror its teacher's architecture {arch}")
        cfg = config or TrainConfig(**self.default_train)
        self.prep = copy.deepcopy(teacher.prep)
        inc, vox = self.training_tensors(data)
        tr, va = split_train_val(len(inc), val_fraction, cfg.seed)
        torch.manual_seed(cfg.seed)
        # flow I is the teacher's; flow II's blocks take the orders of the trained teacher's blocks
        self.net = _TwoStage(copy.deepcopy(teacher.net.flow1),
                             iaf_like(teacher.net.flow2, g.n_voxels, 1 + self.n_layers, self.hparams["voxel_hidden"]))
        for p in self.net.flow1.parameters():
            p.requires_grad_(False)
        frozen = copy.deepcopy(teacher.net.flow2).eval()
        for p in frozen.parameters():
            p.requires_grad_(False)
        n1, w = self.n_layers, float(self.hparams["sample_weight"])

        def loss(student: Flow, batch: Batch) -> torch.Tensor:
            yb, cb = batch
            y2, ctx = yb[:, n1:], torch.cat([cb, yb[:, :n1]], dim=1)
            t_blocks = frozen.transform(ctx).transforms
            s_blocks = student.transform(ctx).transforms
            with torch.no_grad():  # teacher states of the data point
                h = [y2]
                for t in t_blocks:
                    h.append(t(h[-1]))
            g, total = h[-1], y2.new_zeros(())
            for k in reversed(range(len(s_blocks))):
                g = s_blocks[k].inv(g)
                total = total + (g - h[k]).pow(2).mean()
            if w > 0:  # latent path: student states vs the teacher applied to the student's output
                gs = [torch.randn_like(y2)]
                for k in reversed(range(len(s_blocks))):
                    gs.insert(0, s_blocks[k].inv(gs[0]))
                x = gs[0]
                for k, t in enumerate(t_blocks):
                    x = t(x)
                    total = total + w * (x - gs[k + 1]).pow(2).mean()
            return total

        result = train(self.net.flow2, self.training_loss(loss), (inc[tr], vox[tr]), (inc[va], vox[va]), cfg,
                       checkpoint_dir, resume)
        self._record(result, cfg, len(tr), len(va))
        self.record["teacher"] = teacher.record
        self.calibrate(data, cfg.seed)  # the teacher's cuts fit the teacher's samples, not the student's
        return result
