"""Typed results of whole runs: one model evaluated on files, and a bench (every task, every method)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from showerml.io.records import Record
from showerml.reco.registry import get_task
from showerml.reco.task import TaskResult

__all__ = ["ModelEvaluation", "TaskBench", "BenchResult"]


def _result(task: str, data: Mapping[str, Any]) -> TaskResult:
    return get_task(task).result_type.from_json(data)


@dataclass(frozen=True)
class ModelEvaluation(Record):
    """``showerml reco evaluate``: a trained model and its task's baseline on every event of ``data``."""

    task: str
    method: str
    data: tuple[str, ...]
    metrics: TaskResult

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelEvaluation:
        return cls(data["task"], data["method"], tuple(data["data"]), _result(data["task"], data["metrics"]))


@dataclass(frozen=True)
class TaskBench(Record):
    """One task of the bench: split sizes, epochs, wall time and the result of each trained method (or why it was
    skipped)."""

    n_train: int = 0
    n_val: int = 0
    n_test: int = 0
    epochs: int = 0
    seconds: float = 0.0
    runs: dict[str, TaskResult] = field(default_factory=dict)
    skipped: str | None = None

    @classmethod
    def read(cls, task: str, data: Mapping[str, Any]) -> TaskBench:
        plain = cls.from_json({k: v for k, v in data.items() if k != "runs"})
        return cls(**{**plain.__dict__, "runs": {m: _result(task, r) for m, r in data.get("runs", {}).items()}})


@dataclass(frozen=True)
class BenchResult(Record):
    """``showerml reco bench``: settings, input files per role, each task's :class:`TaskBench`, the headline targets."""

    seed: int
    epochs: int
    task_epochs: dict[str, int]
    files: dict[str, tuple[str, ...]]
    test_background: tuple[str, ...]
    tasks: dict[str, TaskBench]
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BenchResult:
        plain = {k: v for k, v in data.items() if k != "tasks"}
        base = super().from_json({**plain, "tasks": {}})
        return cls(**{**base.__dict__, "tasks": {t: TaskBench.read(t, v) for t, v in data["tasks"].items()}})
