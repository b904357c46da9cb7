"""e/p and γ/p identification: the ζ cut, a BDT on shower-shape features and a ResNet on the BGO image.

Every method returns a score (larger = more signal-like) so one metric, the background rejection at fixed signal
efficiency (:func:`showerml.metrics.reco.rejection_at_efficiency`), compares them on the same events.

- ζ cut: score = −log10 ζ (:func:`showerml.reco.features.zeta`, ζ as DAMPE computes it); the cut value that keeps
  90 % of the signal is set per deposited-energy bin (DAMPE's fixed cut ζ < 8.5 is what ``showerml validate dampe``
  measures). For e/p every method sees the events passing :func:`showerml.reco.preselection.preselect`.
- BDT: :class:`showerml.reco.bdt.BDT` on :func:`showerml.reco.features.high_level_features`.
- CNN: :class:`showerml.reco.nets.ImageResNet` on two channels of the 14 × 22 image — bar energy fractions E_ij/ΣE
  and log(1 + E_ij / MeV)/12 — with log10 of the deposit, the classical cos θ and the PSD/STK sums as scalars;
  binary cross-entropy (cf. Droz et al., arXiv:2102.05534).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from showerml.errors import InputError
from showerml.reco.data import PDG_ELECTRON, PDG_GAMMA
from showerml.reco.features import line_fit, zeta

__all__ = ["SIGNAL_PDG", "labels", "zeta_score", "image_inputs", "bce_loss", "MIN_DEPOSIT_MEV"]

#: the signal particle of each identification task
SIGNAL_PDG = {"ep": PDG_ELECTRON, "gp": PDG_GAMMA}
#: events below this BGO deposit are not used (the figures start at 100 GeV)
MIN_DEPOSIT_MEV = 5.0e4


def labels(pdg: np.ndarray, task: str) -> np.ndarray:
    """1 for the signal (e± for ``ep``, γ for ``gp``), 0 for hadrons/nuclei; −1 for other particles (dropped)."""
    sig = SIGNAL_PDG[task]
    a = np.abs(pdg)
    y = np.where(a == sig, 1, np.where((a != PDG_ELECTRON) & (a != PDG_GAMMA), 0, -1))
    if not (y == 1).any() or not (y == 0).any():
        name = "electrons (e-/e+)" if task == "ep" else "photons (gamma)"
        raise InputError(f"task '{task}' needs {name} and protons/nuclei in --data; got pdg codes "
                         f"{sorted({int(p) for p in np.unique(pdg)})}")
    return y.astype(np.int64)


def zeta_score(bgo: np.ndarray) -> np.ndarray:
    """−log10 ζ: the classical score."""
    return -np.log10(zeta(bgo) + 1e-12)


def image_inputs(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(image (N, 2, 14, 22), scalars (N, 6)) float32 for the identification CNN."""
    bgo = np.asarray(arrays["bgo"], dtype=np.float64)
    total = np.maximum(bgo.sum(axis=(1, 2)), 1e-9)
    image = np.stack([5.0 * bgo / total[:, None, None], np.log1p(bgo) / 12.0], axis=1)
    _, slope = line_fit(bgo)
    cos_t = 1.0 / np.sqrt(1.0 + (slope**2).sum(axis=1))
    psd = arrays["psd"].max(axis=2) / 10.0
    stk = np.log1p(arrays["stk_n_clusters"].astype(float)) / 5.0
    scalars = np.column_stack([np.log10(total / 1e5), cos_t, psd, stk, np.log10(zeta(bgo) + 1e-6) / 3.0])
    return image.astype(np.float32), scalars.astype(np.float32)


def bce_loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Binary cross-entropy of (image, scalars, label) batches."""
    image, scalars, y = batch
    return nn.functional.binary_cross_entropy_with_logits(model(image, scalars)[:, 0], y)
