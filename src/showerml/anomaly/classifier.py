"""Classifier ensembles for weak and full supervision: MLPs through the shared training loop, or sklearn BDTs.

Each member trains on its own random 80/20 split (seed ``seed + i``), or on all examples when a separate validation
set is given (members then differ by initialisation and batch order), with class weights that balance the labels,
minimising the weighted binary cross-entropy L = −Σ w_i [y_i ln σ(f_i) + (1 − y_i) ln(1 − σ(f_i))] / Σ w_i, with early
stopping on the validation loss. The ensemble output is the mean member probability (CATHODE, arXiv:2109.00546,
averages an ensemble the same way).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from showerml.errors import InputError
from showerml.nn.blocks import mlp
from showerml.nn.training import TrainConfig, train

__all__ = ["ClassifierEnsemble", "Standardizer", "balanced_weights"]


class Standardizer:
    """z = (x − mean) / std, fitted on training data."""

    def __init__(self, x: np.ndarray) -> None:
        self.mean = x.mean(axis=0)
        self.std = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.std


def _bce(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    x, y, w = batch
    loss = nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(-1), y, reduction="none")
    return (w * loss).sum() / w.sum()


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """w = N / (2 N_class): both classes carry equal total weight."""
    n1 = max(int(np.sum(y == 1)), 1)
    n0 = max(int(np.sum(y == 0)), 1)
    return np.where(y == 1, len(y) / (2 * n1), len(y) / (2 * n0))


class ClassifierEnsemble:
    """``fit(x, y)`` / ``predict_proba(x)`` with ``kind`` = "mlp" or "bdt"."""

    def __init__(
        self,
        kind: str = "mlp",
        n_models: int = 5,
        hidden: tuple[int, ...] = (64, 64, 64),
        epochs: int = 100,
        patience: int = 10,
        batch_size: int = 256,
        lr: float = 1e-3,
        seed: int = 0,
        progress: bool = False,
    ) -> None:
        if kind not in ("mlp", "bdt"):
            raise InputError(f"unknown classifier '{kind}': use mlp or bdt")
        self.kind, self.n_models, self.hidden = kind, n_models, hidden
        self.epochs, self.patience, self.batch_size, self.lr = epochs, patience, batch_size, lr
        self.seed, self.progress = seed, progress
        self.members: list = []
        self.scaler: Standardizer | None = None

    def fit(
        self, x: np.ndarray, y: np.ndarray, validation: tuple[np.ndarray, np.ndarray] | None = None
    ) -> ClassifierEnsemble:
        """Train every member; ``validation`` = (x_val, y_val) for early stopping instead of a random 20 %."""
        y = np.asarray(y, dtype=np.float64)
        if len(np.unique(y)) != 2 or min(np.sum(y == 0), np.sum(y == 1)) < 5:
            raise InputError("a classifier needs at least 5 examples of each class to train")
        self.scaler = Standardizer(x)
        z, w = self.scaler(x), balanced_weights(y)
        if validation is not None:
            yv = np.asarray(validation[1], dtype=np.float64)
            z = np.concatenate([z, self.scaler(validation[0])])
            w = np.concatenate([w, balanced_weights(yv)])
            y = np.concatenate([y, yv])
        n_fit = len(x)
        self.members = []
        for i in range(self.n_models):
            rng = np.random.default_rng(self.seed + i)
            if validation is not None:
                tr, val = rng.permutation(n_fit), np.arange(n_fit, len(z))
            else:
                order = rng.permutation(len(z))
                n_val = max(int(0.2 * len(z)), 1)
                val, tr = order[:n_val], order[n_val:]
            self.members.append(self._fit_member(z, y, w, tr, val, self.seed + i))
        return self

    def _fit_member(
        self, z: np.ndarray, y: np.ndarray, w: np.ndarray, tr: np.ndarray, val: np.ndarray, seed: int
    ) -> Any:
        if self.kind == "bdt":
            from sklearn.ensemble import HistGradientBoostingClassifier

            bdt = HistGradientBoostingClassifier(
                max_iter=200, early_stopping=True, validation_fraction=0.2, n_iter_no_change=self.patience,
                random_state=seed,
            )
            return bdt.fit(z[tr], y[tr], sample_weight=w[tr])
        torch.manual_seed(seed)
        model = mlp(z.shape[1], 1, self.hidden)
        tensors = [torch.as_tensor(a, dtype=torch.float32) for a in (z, y, w)]
        cfg = TrainConfig(
            epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, patience=self.patience, seed=seed,
            progress=self.progress, description=f"classifier {seed - self.seed + 1}/{self.n_models}",
        )
        train(model, _bce, [t[tr] for t in tensors], [t[val] for t in tensors], cfg)
        return model

    @torch.no_grad()
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Mean P(y = 1 | x) over the ensemble."""
        if self.scaler is None:
            raise InputError("call fit before predict_proba")
        z = self.scaler(x)
        out = np.zeros(len(z))
        for member in self.members:
            if self.kind == "bdt":
                out += member.predict_proba(z)[:, 1]
            else:
                out += torch.sigmoid(member(torch.as_tensor(z, dtype=torch.float32)).squeeze(-1)).numpy()
        return out / len(self.members)
