"""``showerml reco``: train, evaluate and benchmark the registered reconstruction tasks.

``train`` splits the given files (seeded, 85 % train / 15 % validation), trains one method of one task and writes
the model folder atomically. ``evaluate`` applies a model folder to files and always reports the task's classical
baseline on the same events. ``bench`` routes files to tasks by particle (each task names the roles it reads), splits
each task's sample once (60 / 15 / 25 %), trains every bench method and evaluates all of them on the same test
events, then writes ``metrics.json`` and ``report.html``. Nothing here knows a particular task: every task comes
from :mod:`showerml.reco.registry`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from showerml.errors import InputError
from showerml.io.config import dump_yaml
from showerml.io.hdf5 import read_attrs
from showerml.io.runfolder import RunFolder
from showerml.reco.data import RecoSample, load_sample, split_indices
from showerml.reco.manifest import MANIFEST, read_manifest
from showerml.reco.registry import TASKS, get_task
from showerml.reco.runs import BenchResult, ModelEvaluation, TaskBench
from showerml.reco.task import BENCH_ROLES, ReconstructionTask, RunContext, TaskResult, TrainInfo

__all__ = ["CONFIG_FILE", "BenchOptions", "train_task", "evaluate_task", "route_files", "run_bench", "quick_reco_demo"]

#: the resolved command options of a run, as a ``--config`` file reads them back
CONFIG_FILE = "config.yaml"


def _train(task: ReconstructionTask[Any], method: str, train: RecoSample, val: RecoSample, ctx: RunContext
           ) -> TrainInfo:
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    ctx.out.mkdir(parents=True, exist_ok=True)
    return task.train(method, train, val, ctx)


def _drop_checkpoints(folder: Path) -> None:
    for ckpt in sorted(folder.rglob("checkpoints"), reverse=True):
        if ckpt.is_dir():
            shutil.rmtree(ckpt, ignore_errors=True)


def _check_models(task: ReconstructionTask[Any], models: Mapping[str, str | os.PathLike[str]]) -> dict[str, Path]:
    out = {}
    for name, folder in models.items():
        if name not in task.uses:
            uses = ", ".join(task.uses) or "none"
            raise InputError(f"task {task.name} cannot reuse a '{name}' model (it reuses: {uses})")
        read_manifest(folder, name)
        out[name] = Path(folder)
    return out


def train_task(task: str, data: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str],
               method: str | None = None, *, seed: int = 0, epochs: int = 20, max_events: int | None = None,
               overwrite: bool = False, progress: bool = True,
               models: Mapping[str, str | os.PathLike[str]] | None = None,
               settings: Mapping[str, Any] | None = None) -> TrainInfo:
    """Train one method of ``task`` on ``data`` into the model folder ``out``; ``models`` maps a task this one
    reuses (:attr:`ReconstructionTask.uses`) to its trained model folder; ``settings`` (the resolved command
    options) are saved as ``config.yaml``."""
    t = get_task(task)
    method = t.check_method(method)
    reuse = _check_models(t, models or {})
    run = RunFolder(out, overwrite=overwrite)
    sample = load_sample(data, max_events)
    t.check_detector(sample)
    tr, va, _ = split_indices(len(sample), seed, (0.85, 0.15, 0.0))
    with run:
        if settings is not None:
            run.write_text(CONFIG_FILE, dump_yaml(settings))
        info = _train(t, method, sample.take(tr), sample.take(va), RunContext(run.path, seed, epochs, progress, reuse))
        _drop_checkpoints(run.path)
    return info


def evaluate_task(task: str, model: str | os.PathLike[str], data: Sequence[str | os.PathLike[str]],
                  max_events: int | None = None) -> ModelEvaluation:
    """A trained model (and its task's baseline) on all events of ``data``."""
    t = get_task(task)
    info = TrainInfo.from_manifest(read_manifest(model, t.name))
    sample = load_sample(data, max_events)
    t.check_detector(sample)
    result = t.evaluate(Path(model), info, sample).result
    return ModelEvaluation(t.name, info.method, tuple(str(d) for d in data), result)


# --- bench -----------------------------------------------------------------------------------------------------
def route_files(data: Sequence[str | os.PathLike[str]]) -> dict[str, list[Path]]:
    """Files per bench role (:data:`~showerml.reco.task.BENCH_ROLES`) by their attributes: e-/e+, gamma, p, He and
    other nuclei, files with a lowered BGO saturation."""
    roles: dict[str, list[Path]] = {r: [] for r in BENCH_ROLES}
    for path in data:
        attrs = read_attrs(path)
        if attrs.get("detector") == "ta":  # the TA-like surface detector (task 'ta')
            roles["ta"].append(Path(path))
            continue
        if attrs.get("detector") == "herd":  # the HERD-like calorimeter (tasks 'herd-ep', 'herd-direction')
            roles["herd"].append(Path(path))
            continue
        if attrs.get("detector") != "dampe":
            raise InputError(f"{path}: not a DAMPE file (detector = {attrs.get('detector')!r})")
        particle = str(attrs.get("particle"))
        if float(attrs.get("saturation_mev", 4e6)) < 4e6:
            roles["saturation"].append(Path(path))
        elif particle in ("e-", "e+"):
            roles["e"].append(Path(path))
        elif particle == "gamma":
            roles["gamma"].append(Path(path))
        elif particle == "p":
            roles["p"].append(Path(path))
        else:
            roles["nuclei"].append(Path(path))
    return roles


@dataclass(frozen=True)
class BenchOptions:
    """Settings of ``showerml reco bench``.

    ``tasks``: task names (empty: every registered task). ``max_events`` caps the events read per file (a task's
    :attr:`~ReconstructionTask.bench_max_events` caps it further); ``task_max_events`` and ``task_epochs`` override
    the cap and ``epochs`` per task. ``test_background``: hadron files used only as extra test background.
    ``reuse_models`` keeps finished model folders of an earlier run in ``out/models`` (evaluation only).
    """

    seed: int = 0
    epochs: int = 15
    tasks: tuple[str, ...] = ()
    max_events: int | None = None
    task_max_events: Mapping[str, int] = field(default_factory=dict)
    task_epochs: Mapping[str, int] = field(default_factory=dict)
    test_background: tuple[Path, ...] = ()
    reuse_models: bool = False
    overwrite: bool = False
    progress: bool = True


def _has_model(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


def _bench_task(task: ReconstructionTask[Any], files: list[Path], models: Path, opt: BenchOptions
                ) -> tuple[TaskBench, dict[str, dict[str, np.ndarray]]]:
    t0 = time.perf_counter()
    cap = opt.max_events
    if task.bench_max_events:
        cap = min(cap or task.bench_max_events, task.bench_max_events)
    cap = opt.task_max_events.get(task.name, cap)
    sample = load_sample(files, cap)
    tr, va, te = (sample.take(i) for i in split_indices(len(sample), opt.seed))
    epochs = opt.task_epochs.get(task.name, opt.epochs)
    used = {u: get_task(u) for u in task.uses}
    reuse = {u: d for u, t in used.items() if _has_model(d := t.bench_model_dir(models, t.bench_methods[0]))}
    ctx = RunContext(models, opt.seed, epochs, opt.progress, reuse, opt.test_background)
    runs: dict[str, TaskResult] = {}
    plots = {}
    for method in task.bench_methods:
        folder = task.bench_model_dir(models, method)
        if not (opt.reuse_models and _has_model(folder)):  # else: a finished model of an earlier run of this bench
            _train(task, method, tr, va, replace(ctx, out=folder))
        evaluation = task.evaluate(folder, TrainInfo.from_manifest(read_manifest(folder, task.name)), te, ctx)
        _drop_checkpoints(folder)
        runs[method], plots[method] = evaluation.result, evaluation.arrays
    return TaskBench(len(tr), len(va), len(te), epochs, time.perf_counter() - t0, runs), plots


def run_bench(data: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str],
              options: BenchOptions | None = None, settings: Mapping[str, Any] | None = None) -> BenchResult:
    """Every bench method of every chosen task next to its baseline on the same test events; writes
    ``metrics.json`` and ``report.html`` into ``out`` (and ``settings``, the resolved command options, as
    ``config.yaml``)."""
    from showerml.pipelines.reco_report import write_report

    opt = options or BenchOptions()
    chosen = sorted((get_task(n) for n in opt.tasks) if opt.tasks else TASKS.values(), key=lambda t: t.order)
    folder = RunFolder(out, overwrite=opt.overwrite, resume=opt.reuse_models and Path(out).is_dir(), in_place=True,
                       keep=lambda p: any(_has_model(m) for m in (p / "models").glob("*")))
    roles = route_files(data)
    tasks: dict[str, TaskBench] = {}
    targets: dict[str, dict[str, Any]] = {}
    plots: dict[str, dict[str, dict[str, np.ndarray]]] = {}

    def result() -> BenchResult:
        files = {k: tuple(map(str, v)) for k, v in roles.items()}
        return BenchResult(opt.seed, opt.epochs, dict(opt.task_epochs), files,
                           tuple(str(p) for p in opt.test_background), dict(tasks), dict(targets))

    with folder as run:
        if settings is not None:
            run.write_text(CONFIG_FILE, dump_yaml(settings))
        for task in chosen:
            files = [f for role in task.bench_roles for f in roles[role]]
            if not files:
                tasks[task.name] = TaskBench(skipped="no suitable --data file")
                continue
            tasks[task.name], plots[task.name] = _bench_task(task, files, run.path / "models", opt)
            run.write_json("metrics.json", result())
        for task in chosen:
            if task.name in plots:
                targets.update(task.targets(tasks[task.name].runs))
        write_report(run.path / "report.html", result(), plots)
        run.write_json("metrics.json", result())
    return result()


def quick_reco_demo(out: str | os.PathLike[str], seed: int = 0, progress: bool = False) -> BenchResult:
    """A ~1 minute e/p and direction bench on small fresh samples (for ``showerml demo``)."""
    from showerml.detectors.dampe.simulator import DampeSimulator
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.spectra import parse_spectrum

    out = Path(out)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = []
    for particle, n, spec in (("e-", 600, "loguniform:200,2000"), ("p", 1200, "loguniform:400,5000")):
        path = data / f"dampe_{particle.replace('-', 'm')}.h5"
        if not path.exists():
            simulate_to_file(DampeSimulator(particle, max_clusters=256), n, parse_spectrum(spec), seed, path,
                             progress=False)
        files.append(path)
    return run_bench(files, out, BenchOptions(seed=seed, epochs=4, tasks=("ep", "direction"), overwrite=True,
                                              progress=progress))
