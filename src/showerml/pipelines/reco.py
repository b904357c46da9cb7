"""``showerml reco``: train, evaluate and benchmark the DAMPE reconstruction tasks.

``train`` splits the given files (seeded, 85 % train / 15 % validation), trains one method and writes the model
folder atomically (built under a temporary name, renamed at the end). ``evaluate`` applies a model folder to files
and always reports the classical baseline on the same events. ``bench`` routes files to tasks by particle, splits
them once (60 / 15 / 25 %), trains every method and evaluates all of them on the same test events, then writes
``metrics.json`` and ``report.html``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from showerml.errors import InputError
from showerml.io.atomic import atomic_write_bytes
from showerml.reco import tasks as TK
from showerml.reco import tasks_track as TT
from showerml.reco.data import TASKS, RecoSample, load_sample, split_indices
from showerml.reco.manifest import METHODS, read_manifest

__all__ = ["train_task", "evaluate_task", "run_bench", "quick_reco_demo", "EVALUATORS"]

EVALUATORS = {
    "ep": lambda d, i, s: TK.evaluate_identification("ep", d, i, s),
    "gp": lambda d, i, s: TK.evaluate_identification("gp", d, i, s),
    "direction": TK.evaluate_direction,
    "track": TT.evaluate_track,
    "charge": TT.evaluate_charge,
    "saturation": TK.evaluate_saturation,
    "interaction": TK.evaluate_interaction,
}


#: methods trained by the bench (each evaluation includes the classical baseline on the same events)
BENCH_METHODS = {"ep": ("cnn", "bdt"), "gp": ("cnn", "bdt"), "direction": ("cnn",), "track": ("hough",),
                 "charge": ("ml",), "saturation": ("cnn",), "interaction": ("bdt",)}


def _check_task(task: str, method: str | None) -> str:
    if task not in TASKS:
        raise InputError(f"unknown task '{task}': choose one of {', '.join(TASKS)}")
    method = method or METHODS[task][0]
    if method not in METHODS[task]:
        raise InputError(f"unknown method '{method}' for {task}: choose {', '.join(METHODS[task])}")
    return method


def _train_into(task: str, method: str, train: RecoSample, val: RecoSample, out: Path, seed: int, epochs: int,
                progress: bool, track_model: Path | None = None) -> dict[str, Any]:
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    if task in ("ep", "gp"):
        return TK.train_identification(task, train, val, method, out, seed, epochs, progress)
    if task == "direction":
        if method == "classical":
            from showerml.reco.manifest import write_manifest

            write_manifest(out, {"task": task, "method": method, "seed": seed, "train_seconds": 0.0})
            return {"task": task, "method": method}
        return TK.train_direction(train, val, out, seed, epochs, progress)
    if task == "track":
        if method == "classical":
            from showerml.reco.manifest import write_manifest

            write_manifest(out, {"task": task, "method": method, "seed": seed, "train_seconds": 0.0})
            return {"task": task, "method": method}
        return TT.train_track(train, val, out, seed, epochs, progress)
    if task == "charge":
        return TT.train_charge(train, val, out, seed, epochs, progress, track_model)
    if task == "saturation":
        return TK.train_saturation(train, val, out, seed, epochs, progress)
    return TK.train_interaction(train, out, seed, method)


def _atomic_dir(out: Path, overwrite: bool) -> Path:
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out} exists and is not empty; pass --overwrite or choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))


def _commit_dir(tmp: Path, out: Path) -> None:
    os.chmod(tmp, 0o755)
    shutil.rmtree(tmp / "checkpoints", ignore_errors=True)
    for sub in tmp.iterdir():
        shutil.rmtree(sub / "checkpoints", ignore_errors=True)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)


def train_task(task: str, data: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str],
               method: str | None = None, seed: int = 0, epochs: int = 20, max_events: int | None = None,
               overwrite: bool = False, progress: bool = True,
               track_model: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Train one task/method on ``data``; returns the manifest."""
    method = _check_task(task, method)
    sample = load_sample(data, max_events)
    tr, va, _ = split_indices(len(sample), seed, (0.85, 0.15, 0.0))
    out = Path(out)
    tmp = _atomic_dir(out, overwrite)
    try:
        info = _train_into(task, method, sample.take(tr), sample.take(va), tmp, seed, epochs, progress,
                           Path(track_model) if track_model else None)
        _commit_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return info


def evaluate_task(task: str, model: str | os.PathLike[str], data: Sequence[str | os.PathLike[str]],
                  max_events: int | None = None) -> dict[str, Any]:
    """Metrics of a trained model (and its classical baseline) on all events of ``data``."""
    _check_task(task, None)
    info = read_manifest(model, task)
    sample = load_sample(data, max_events)
    metrics, _ = EVALUATORS[task](Path(model), info, sample)
    return {"task": task, "method": info["method"], "data": [str(d) for d in data], "metrics": metrics}


# --- bench -----------------------------------------------------------------------------------------------------
def _route(data: Sequence[str | os.PathLike[str]]) -> dict[str, list[Path]]:
    """Files per role by their attributes: e-/e+, gamma, p, He (and other nuclei), low-saturation files."""
    from showerml.io.hdf5 import read_attrs

    roles: dict[str, list[Path]] = {"e": [], "gamma": [], "p": [], "nuclei": [], "saturation": []}
    for path in data:
        attrs = read_attrs(path)
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


def _split(sample: RecoSample, seed: int) -> tuple[RecoSample, RecoSample, RecoSample]:
    a, b, c = split_indices(len(sample), seed)
    return sample.take(a), sample.take(b), sample.take(c)


def run_bench(data: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], seed: int = 0,
              epochs: int = 15, max_events: int | None = None, tasks: Sequence[str] = TASKS,
              overwrite: bool = False, progress: bool = True, track_max_events: int | None = 2500,
              test_background: Sequence[str | os.PathLike[str]] = (), reuse_models: bool = False,
              task_epochs: dict[str, int] | None = None, task_max_events: dict[str, int] | None = None
              ) -> dict[str, Any]:
    """Every method next to its baseline on the same test events; writes ``metrics.json`` and ``report.html``.

    ``task_epochs`` overrides ``epochs`` per task (e.g. the saturation net, ~10 batches an epoch on the bench
    sample, is far from converged after the 8 epochs that suffice for the larger samples).

    ``reuse_models`` keeps finished model folders of an earlier run in ``out/models`` (evaluation only).
    ``test_background``: hadron files used only as extra test background of ep/gp (read in chunks).
    ``max_events`` caps the events read per file; the tracker tasks (per-event Python loops and two-pass Hough
    images) read at most ``track_max_events`` per file; ``task_max_events`` overrides the cap per task (e.g. more
    electrons for the direction net than for e/p).
    """
    from showerml.pipelines.reco_report import write_report

    roles = _route(data)
    out = Path(out)
    if out.exists() and (out / "metrics.json").exists() and not overwrite:
        raise InputError(f"{out} already holds a bench; pass --overwrite or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    task_epochs = dict(task_epochs or {})
    results: dict[str, Any] = {"seed": seed, "epochs": epochs, "task_epochs": task_epochs,
                               "files": {k: [str(p) for p in v] for k, v in roles.items()},
                               "test_background": [str(p) for p in test_background]}
    plots: dict[str, Any] = {}
    groups = {"ep": roles["e"] + roles["p"], "gp": roles["gamma"] + roles["p"], "direction": roles["e"],
              "track": roles["p"] + roles["nuclei"], "charge": roles["p"] + roles["nuclei"],
              "saturation": roles["saturation"], "interaction": roles["p"]}
    track_dir = out / "models" / "track"
    for task in tasks:
        files = groups[task]
        if not files:
            results[task] = {"skipped": "no suitable --data file"}
            continue
        t0 = time.perf_counter()
        cap = max_events
        if task in ("track", "charge") and track_max_events:
            cap = min(cap or track_max_events, track_max_events)
        cap = (task_max_events or {}).get(task, cap)
        sample = load_sample(files, cap)
        tr, va, te = _split(sample, seed)
        n_epochs = task_epochs.get(task, epochs)
        task_out: dict[str, Any] = {"n_train": len(tr), "n_val": len(va), "n_test": len(te), "epochs": n_epochs}
        for method in BENCH_METHODS[task]:
            mdir = track_dir if task == "track" else out / "models" / f"{task}_{method}"
            mdir.mkdir(parents=True, exist_ok=True)
            if reuse_models and (mdir / "reco.json").exists():
                pass  # a finished model of an earlier run of this bench (same files, seed and split)
            elif task == "charge":
                TT.train_charge(tr, va, mdir, seed, n_epochs, progress,
                                track_dir if (track_dir / "reco.json").exists() else None)
            else:
                _train_into(task, method, tr, va, mdir, seed, n_epochs, progress)
            if task in ("ep", "gp") and test_background:
                metrics, arrays = TK.evaluate_identification(task, mdir, read_manifest(mdir, task), te,
                                                             [Path(p) for p in test_background])
            else:
                metrics, arrays = EVALUATORS[task](mdir, read_manifest(mdir, task), te)
            for ckpt in (mdir / "checkpoints", *(p / "checkpoints" for p in mdir.iterdir() if p.is_dir())):
                shutil.rmtree(ckpt, ignore_errors=True)
            task_out[method] = metrics
            plots[f"{task}:{method}"] = arrays
        task_out["seconds"] = time.perf_counter() - t0
        results[task] = task_out
        atomic_write_bytes(out / "metrics.json", json.dumps(results, indent=1, default=_json).encode())
    write_report(out, results, plots)
    atomic_write_bytes(out / "metrics.json", json.dumps(results, indent=1, default=_json).encode())
    return results


def _json(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def quick_reco_demo(out: str | os.PathLike[str], seed: int = 0, progress: bool = False) -> dict[str, Any]:
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
    return run_bench(files, out, seed=seed, epochs=4, tasks=("ep", "direction"), overwrite=True,
                     progress=progress)
