"""Gradient-boosted decision trees (scikit-learn HistGradientBoosting) with a pickle-free on-disk format.

scikit-learn offers no safe serialisation of a fitted model, and pickle/joblib execute code when loaded. After
fitting we therefore copy the trees into plain arrays — per node: feature, threshold, missing-goes-left flag, left
and right child, leaf flag, leaf value — and predict with our own vectorised traversal:
raw_k(x) = b_k + Σ_trees of class k  value(leaf(x)), where sklearn's leaf values already include the learning-rate
shrinkage and a node sends x left when x ≤ threshold (NaN follows ``missing_go_to_left``). Probabilities:
σ(raw) for two classes, softmax(raw) for more. The arrays go to ``weights.safetensors`` and the hyper-parameters,
class labels and baseline to ``config.json`` (Friedman, Ann. Stat. 29 (2001) 1189; Ke et al., LightGBM, NeurIPS 2017).
Tests check that the traversal reproduces sklearn's ``decision_function`` exactly.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from showerml.errors import DataFileError, InputError
from showerml.nn.serialization import load_state, save_state

__all__ = ["BDT"]

_FIELDS = ("feature_idx", "num_threshold", "missing_go_to_left", "left", "right", "is_leaf", "value")


@dataclass
class BDT:
    """A boosted-tree classifier (``kind="classifier"``) or regressor; ``fit`` / ``predict`` / ``save`` / ``load``."""

    kind: str = "classifier"
    max_iter: int = 300
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    seed: int = 0
    classes: list[int] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    trees: dict[str, np.ndarray] = field(default_factory=dict)
    fit_seconds: float = 0.0

    def fit(self, x: np.ndarray, y: np.ndarray) -> BDT:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        if len(x) < 20:
            raise InputError(f"a BDT needs at least 20 training events, got {len(x)}")
        cls = HistGradientBoostingClassifier if self.kind == "classifier" else HistGradientBoostingRegressor
        model = cls(max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
                    early_stopping=True, validation_fraction=0.15, n_iter_no_change=15, random_state=self.seed)
        t0 = time.perf_counter()
        model.fit(x, y)
        self.fit_seconds = time.perf_counter() - t0
        if self.kind == "classifier":
            self.classes = [int(c) for c in model.classes_]
        self.baseline = [float(v) for v in np.ravel(model._baseline_prediction)]
        self._export(model._predictors)
        return self

    def _export(self, predictors: list[list[Any]]) -> None:
        cols: dict[str, list[np.ndarray]] = {f: [] for f in _FIELDS}
        roots, tree_class, offset = [], [], 0
        for per_iter in predictors:
            for k, tree in enumerate(per_iter):
                nodes = tree.nodes
                for f in _FIELDS:
                    v = nodes[f].astype(np.float64 if f in ("num_threshold", "value") else np.int64)
                    cols[f].append(v + offset if f in ("left", "right") else v)
                roots.append(offset)
                tree_class.append(k)
                offset += len(nodes)
        self.trees = {f: np.concatenate(v) for f, v in cols.items()}
        self.trees["roots"] = np.asarray(roots, np.int64)
        self.trees["tree_class"] = np.asarray(tree_class, np.int64)

    def decision_function(self, x: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """Raw scores (N, K) (K = 1 for two classes and for regression)."""
        if not self.trees:
            raise InputError("the BDT is not fitted")
        t = self.trees
        n_out = len(self.baseline)
        x = np.asarray(x, dtype=np.float64)
        out = np.tile(np.asarray(self.baseline), (len(x), 1))
        onehot = np.eye(n_out)[t["tree_class"]]  # (T, K)
        for start in range(0, len(x), chunk):
            xb = x[start:start + chunk]
            rows = np.arange(len(xb))[:, None]
            cur = np.broadcast_to(t["roots"], (len(xb), len(t["roots"]))).copy()
            while True:
                leaf = t["is_leaf"][cur].astype(bool)
                if leaf.all():
                    break
                xv = xb[rows, t["feature_idx"][cur]]
                left = np.where(np.isnan(xv), t["missing_go_to_left"][cur] > 0, xv <= t["num_threshold"][cur])
                cur = np.where(leaf, cur, np.where(left, t["left"][cur], t["right"][cur]))
            out[start:start + chunk] += t["value"][cur] @ onehot
        return out

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        raw = self.decision_function(x)
        if raw.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-raw[:, 0]))
            return np.column_stack([1.0 - p, p])
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.kind != "classifier":
            return self.decision_function(x)[:, 0]
        return np.asarray(self.classes)[self.predict_proba(x).argmax(axis=1)]

    def save(self, directory: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> None:
        config = {"model": "bdt", "kind": self.kind, "max_iter": self.max_iter, "learning_rate": self.learning_rate,
                  "max_leaf_nodes": self.max_leaf_nodes, "seed": self.seed, "classes": self.classes,
                  "baseline": self.baseline, "fit_seconds": self.fit_seconds, **(extra or {})}
        save_state(directory, config, {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.trees.items()})

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> tuple[BDT, dict[str, Any]]:
        config, state = load_state(directory)
        if config.get("model") != "bdt":
            raise DataFileError(directory, f"holds a '{config.get('model')}' model, not a BDT")
        bdt = cls(config["kind"], config["max_iter"], config["learning_rate"], config["max_leaf_nodes"],
                  config["seed"], list(config["classes"]), list(config["baseline"]),
                  {k: v.numpy() for k, v in state.items()}, config.get("fit_seconds", 0.0))
        return bdt, config
