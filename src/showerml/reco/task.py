"""The interface every reconstruction task implements, and the small objects that travel through it.

A task (e/p identification, direction, tracking, …) says what it is (:attr:`~ReconstructionTask.name`,
:attr:`~ReconstructionTask.title`), which methods it offers (the first is the default, :attr:`baseline` the
classical method every evaluation reports next to it), which events it uses (:meth:`select`), how a method trains
(:meth:`train`: writes a model folder, returns a :class:`TrainInfo`) and evaluates (:meth:`evaluate`: a typed, frozen
result with ``to_json`` / ``from_json`` plus arrays for plots), what it contributes to the bench report
(:meth:`report_section`, :meth:`targets`) and which bench files it reads (:attr:`bench_roles`). Register an instance
with :func:`showerml.reco.registry.register`; the pipeline, the CLI and the report then know it.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import numpy as np

from showerml.errors import InputError
from showerml.io.records import Record
from showerml.reco.data import RecoSample
from showerml.reco.manifest import write_manifest
from showerml.reco.results import MethodTiming

if TYPE_CHECKING:
    from showerml.report.html import Report

__all__ = ["RunContext", "TrainInfo", "Evaluation", "TaskResult", "ReconstructionTask", "BENCH_ROLES"]

#: the roles the bench gives its input files by their attributes (see :func:`showerml.pipelines.reco.route_files`)
BENCH_ROLES = ("e", "gamma", "p", "nuclei", "saturation", "ta", "herd")


@dataclass(frozen=True)
class RunContext:
    """Where and how a task trains: the output folder, the seed, the epoch budget, progress bars, models it may reuse
    (task name → trained model folder, e.g. the track finder for the charge task) and extra background files for
    the evaluation."""

    out: Path
    seed: int = 0
    epochs: int = 20
    progress: bool = False
    models: Mapping[str, Path] = field(default_factory=dict)
    background: tuple[Path, ...] = ()

    def sub(self, name: str) -> RunContext:
        """The same context writing into ``out / name``."""
        return dataclasses.replace(self, out=self.out / name)


@dataclass(frozen=True)
class TrainInfo(Record):
    """What training wrote (the model folder's ``reco.json`` manifest): task, method, seed, events, time, extras."""

    task: str
    method: str
    seed: int
    n_train: int = 0
    train_seconds: float = 0.0
    epochs_run: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        """The manifest dictionary (extras at the top level)."""
        out = {k: v for k, v in self.to_json().items() if k != "extra" and v is not None}
        return {**out, **self.extra}

    @classmethod
    def from_manifest(cls, info: Mapping[str, Any]) -> TrainInfo:
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: info[k] for k in names if k in info}
        return cls(**known, extra={k: v for k, v in info.items() if k not in names})

    def write(self, out: Path) -> TrainInfo:
        """Write the manifest into ``out`` (last: it marks a finished model folder); return ``self``."""
        write_manifest(out, self.manifest())
        return self


class TaskResult(Record):
    """A task's evaluation result: a frozen dataclass that also reports its methods' timings."""

    def timings(self) -> list[MethodTiming]:
        """(method, train s, inference events/s) of every method evaluated; tasks without timings return []."""
        methods = getattr(self, "methods", {})
        return [MethodTiming(m, getattr(v, "train_seconds", 0.0), v.inference_events_per_s)
                for m, v in methods.items() if hasattr(v, "inference_events_per_s")]


R = TypeVar("R", bound=TaskResult)


@dataclass(frozen=True)
class Evaluation(Generic[R]):
    """A typed result and the per-event arrays its figures are drawn from (not saved)."""

    result: R
    arrays: dict[str, np.ndarray]


class ReconstructionTask(ABC, Generic[R]):
    """One reconstruction task: methods, event selection, training, evaluation, report section."""

    #: the task's name on the command line
    name: ClassVar[str] = ""
    #: one line for help texts and the report
    title: ClassVar[str] = ""
    #: the detector whose files the task reads (:attr:`RecoSample.detector`: dampe, ta or herd)
    detector: ClassVar[str] = "dampe"
    #: trainable methods; the first is the default
    methods: ClassVar[tuple[str, ...]] = ()
    #: the classical baseline, evaluated on the same events next to every method
    baseline: ClassVar[str] = ""
    #: methods ``showerml reco bench`` trains (each evaluated next to the baseline)
    bench_methods: ClassVar[tuple[str, ...]] = ()
    #: bench file roles (:data:`BENCH_ROLES`) whose files this task reads, in this order
    bench_roles: ClassVar[tuple[str, ...]] = ()
    #: per-file event cap of the bench (None: the bench's ``max_events``)
    bench_max_events: ClassVar[int | None] = None
    #: position in listings, the bench and its report; a task that reuses another's model (:attr:`uses`) comes after it
    order: ClassVar[float] = 100.0
    #: tasks whose trained model this one may reuse (``ctx.models``), e.g. the track finder for the charge
    uses: ClassVar[tuple[str, ...]] = ()
    #: the result class of :meth:`evaluate`
    result_type: ClassVar[type[TaskResult]] = TaskResult

    def check_method(self, method: str | None) -> str:
        """``method`` (or the default) if the task offers it, else a one-line :class:`InputError`."""
        method = method or self.methods[0]
        if method not in self.methods:
            raise InputError(f"unknown method '{method}' for {self.name}: choose {', '.join(self.methods)}")
        return method

    def check_detector(self, sample: RecoSample) -> None:
        """A one-line :class:`InputError` when ``sample`` holds another detector's events than the task reads."""
        if sample.detector != self.detector:
            raise InputError(f"task '{self.name}' reads {self.detector} files, the --data files are {sample.detector} "
                             f"files; choose a task for that detector (showerml reco train --help lists them)")

    def bench_model_dir(self, models: Path, method: str) -> Path:
        """Where the bench keeps the model of ``method``."""
        return models / f"{self.name}_{method}"

    def select(self, sample: RecoSample) -> RecoSample:
        """The events this task uses (a one-line :class:`InputError` when too few); default: all."""
        return sample

    @abstractmethod
    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        """Train ``method`` into ``ctx.out`` (sub-folders of ``config.json`` + ``weights.safetensors``) and write the
        manifest last."""

    @abstractmethod
    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[R]:
        """The trained method and the baseline on the same test events."""

    def targets(self, runs: Mapping[str, R]) -> dict[str, dict[str, Any]]:
        """Headline figures of the bench (name → values next to their anchors), from the results per trained method."""
        return {}

    def report_section(self, report: Report, runs: Mapping[str, R], plots: Mapping[str, dict[str, np.ndarray]]
                       ) -> None:
        """Figures and tables of the bench report; ``plots`` holds the arrays per trained method."""

    def untrained(self, method: str, ctx: RunContext) -> TrainInfo:
        """The manifest of a method with nothing to train (a classical baseline)."""
        return TrainInfo(self.name, method, ctx.seed).write(ctx.out)
