"""Evaluate generated showers against a reference sample the way the field does (CaloChallenge 2022 protocol).

For every generated sample: separation power of every high-level feature histogram, the classifier test on voxel-
level and on high-level inputs (AUC, JSD), FPD and KPD on the high-level features; with two or more generated
samples also the multiclass ranking. :func:`evaluate_showers` works in memory and returns the metrics dict;
:func:`evaluate_files` reads the files, checks them, and writes ``metrics.json``, ``config.json`` and a
self-contained ``report.html`` into one output folder (nothing is written when an input is bad).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from showerml import __version__
from showerml.errors import InputError
from showerml.features import FeatureTable, high_level_inputs, informative_features, shower_features, voxel_inputs
from showerml.io.atomic import atomic_write_bytes
from showerml.io.showers import ShowerData, load_showers
from showerml.metrics.classifier import ClassifierConfig, classifier_test, multiclass_test
from showerml.metrics.distances import fpd, kpd
from showerml.metrics.histograms import histogram_pair

__all__ = ["EvaluateConfig", "EvaluationResult", "check_compatible", "evaluate_files", "evaluate_showers"]

METRICS = "metrics.json"
REPORT = "report.html"
CONFIG = "config.json"


@dataclass
class EvaluateConfig:
    """What to compute and how; ``min_showers`` is the smallest sample accepted per file."""

    n_bins: int = 50
    min_showers: int = 500
    voxel_level: bool = True
    high_level: bool = True
    multiclass: bool = True
    fpd_min_samples: int = 20_000
    fpd_max_samples: int = 50_000
    fpd_points: int = 10
    fpd_batches: int = 20
    kpd_batches: int = 10
    kpd_batch_size: int = 5_000
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)


@dataclass
class EvaluationResult:
    """The metrics dict plus what the report needs (feature tables and mean showers)."""

    metrics: dict[str, Any]
    features: dict[str, FeatureTable]
    mean_showers: dict[str, np.ndarray]
    reference_label: str = "reference"


def check_compatible(reference: ShowerData, generated: ShowerData, ref_name: str, gen_name: str) -> None:
    """Same voxel count and layer structure, else a one-line :class:`InputError`."""
    g_ref, g_gen = reference.geometry, generated.geometry
    if g_ref.n_voxels != g_gen.n_voxels or g_ref.layer_sizes != g_gen.layer_sizes:
        raise InputError(
            f"{gen_name} has geometry '{g_gen.name}' ({g_gen.n_layers} layers, {g_gen.n_voxels} voxels) but the "
            f"reference {ref_name} has '{g_ref.name}' ({g_ref.n_layers} layers, {g_ref.n_voxels} voxels); "
            "compare showers of the same detector binning"
        )


def _required_showers(cfg: EvaluateConfig, n_features: int) -> int:
    return max(cfg.min_showers, 2 * max(2 * n_features, 20))


def _check_size(data: ShowerData, name: str, needed: int) -> None:
    if len(data) < needed:
        raise InputError(
            f"{name} holds {len(data)} showers; the evaluation needs at least {needed} per file "
            "(classifier splits and FPD/KPD batches; 10k or more give stable figures)"
        )


def _finite(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf → None, numpy scalars → Python."""
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _seed_int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1)[0])


def evaluate_showers(
    reference: ShowerData,
    generated: Mapping[str, ShowerData],
    config: EvaluateConfig | None = None,
    seed: int = 0,
) -> EvaluationResult:
    """All metrics of every generated sample against ``reference``; same seed → same numbers."""
    cfg = config or EvaluateConfig()
    if not generated:
        raise InputError("give at least one generated sample to evaluate")
    labels = list(generated)
    ref_table = shower_features(reference)
    needed = _required_showers(cfg, len(ref_table.names))
    _check_size(reference, "the reference", needed)
    for label, data in generated.items():
        check_compatible(reference, data, "sample", f"'{label}'")
        _check_size(data, f"'{label}'", needed)
    seeds = np.random.SeedSequence(seed).spawn(len(labels) + 1)
    tables = {"reference": ref_table} | {label: shower_features(d) for label, d in generated.items()}
    used = informative_features(ref_table)
    ref_hl = high_level_inputs(reference, ref_table, used) if cfg.high_level or cfg.multiclass else None
    ref_vox = voxel_inputs(reference) if cfg.voxel_level else None
    ref_feat = ref_table.matrix(used)
    per_gen: dict[str, Any] = {}
    hl_inputs: dict[str, np.ndarray] = {}
    for k, label in enumerate(labels):
        data, table = generated[label], tables[label]
        s_clf, s_fpd, s_kpd = (_seed_int(s) for s in seeds[k].spawn(3))
        sep = {n: histogram_pair(ref_table[n], table[n], cfg.n_bins).separation_power for n in ref_table.names}
        entry: dict[str, Any] = {
            "n_showers": len(data),
            "separation_power": sep,
            "separation_power_mean": float(np.mean(list(sep.values()))),
            "separation_power_max": {"feature": max(sep, key=sep.__getitem__), "value": max(sep.values())},
        }
        clf = {}
        if cfg.voxel_level:
            assert ref_vox is not None
            res = classifier_test(ref_vox, voxel_inputs(data), cfg.classifier, s_clf, f"{label}: voxel classifier")
            clf["low_level"] = res.as_dict()
        if cfg.high_level or cfg.multiclass:
            hl_inputs[label] = high_level_inputs(data, table, used)
        if cfg.high_level:
            assert ref_hl is not None
            res = classifier_test(
                ref_hl, hl_inputs[label], cfg.classifier, s_clf + 1, f"{label}: high-level classifier"
            )
            clf["high_level"] = res.as_dict()
        entry["classifier"] = clf
        gen_feat = table.matrix(used)
        f = fpd(ref_feat, gen_feat, cfg.fpd_min_samples, cfg.fpd_max_samples, cfg.fpd_points, cfg.fpd_batches, s_fpd)
        entry["fpd"] = f.as_dict()
        entry["kpd"] = kpd(ref_feat, gen_feat, cfg.kpd_batches, cfg.kpd_batch_size, s_kpd).as_dict()
        per_gen[label] = entry
    metrics: dict[str, Any] = {
        "showerml_version": __version__,
        "seed": seed,
        "reference": {
            "n_showers": len(reference),
            "geometry": reference.geometry.name,
            "n_voxels": reference.geometry.n_voxels,
        },
        "units": {"jsd_bits": "bits (JSD / ln 2, in [0, 1])", "jsd_nats": "nats", "bce": "nats"},
        "features": {n: ref_table.units.get(n, "") for n in ref_table.names},
        "features_used": used,
        "generated": per_gen,
        "multiclass": None,
    }
    if cfg.multiclass and len(labels) >= 2:
        assert ref_hl is not None
        mc = multiclass_test(
            ref_hl,
            [hl_inputs[lab] for lab in labels],
            labels,
            cfg.classifier,
            _seed_int(seeds[-1]),
            "multiclass (high level)",
        )
        metrics["multiclass"] = mc.as_dict()
    means = {"reference": reference.voxels.mean(axis=0, dtype=np.float64)}
    means |= {label: d.voxels.mean(axis=0, dtype=np.float64) for label, d in generated.items()}
    return EvaluationResult(_finite(metrics), tables, means)


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; give a folder for --out")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(
            f"{out} exists and is not empty; pass --overwrite to replace its metrics or choose another --out"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"folder {parent} does not exist; create it or choose another --out")
    if not os.access(parent if not out.exists() else out, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to {out}; choose a writable --out")


def _labels(generated: Sequence[Path], labels: Sequence[str] | None) -> list[str]:
    if labels:
        if len(labels) != len(generated):
            raise InputError(f"{len(labels)} --labels for {len(generated)} --generated files; give one label per file")
        out = list(labels)
    else:
        out = [p.stem for p in generated]
        if len(set(out)) != len(out):
            out = [f"{i}:{p.stem}" for i, p in enumerate(generated)]
    if len(set(out)) != len(out) or any(lab in ("reference", "") for lab in out):
        raise InputError(f"labels must be distinct, non-empty and not 'reference', got {out}")
    return out


def evaluate_files(
    reference: str | os.PathLike[str],
    generated: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    labels: Sequence[str] | None = None,
    binning: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    max_events: int | None = None,
    seed: int = 0,
    config: EvaluateConfig | None = None,
    report: bool = True,
) -> dict[str, Any]:
    """Evaluate files; write ``out/metrics.json``, ``out/config.json`` and ``out/report.html``; return the metrics."""
    cfg = config or EvaluateConfig()
    out_dir = Path(out)
    gen_paths = [Path(p) for p in generated]
    if not gen_paths:
        raise InputError("give at least one --generated file")
    if max_events is not None and max_events <= 0:
        raise InputError(f"--max-events must be positive, got {max_events}")
    names = _labels(gen_paths, labels)
    _check_out(out_dir, overwrite)
    ref = load_showers(reference, max_events, binning)
    gens = {}
    for name, path in zip(names, gen_paths, strict=True):
        data = load_showers(path, max_events, binning)
        check_compatible(ref, data, str(reference), str(path))
        gens[name] = data
    result = evaluate_showers(ref, gens, cfg, seed)
    metrics = result.metrics
    metrics["reference"]["path"] = str(reference)
    for name, path in zip(names, gen_paths, strict=True):
        metrics["generated"][name]["path"] = str(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    run_config = {
        "reference": str(reference),
        "generated": [str(p) for p in gen_paths],
        "labels": names,
        "binning": None if binning is None else str(binning),
        "max_events": max_events,
        "seed": seed,
        "evaluate": asdict(cfg),
    }
    atomic_write_bytes(out_dir / CONFIG, json.dumps(_finite(run_config), indent=2).encode())
    atomic_write_bytes(out_dir / METRICS, json.dumps(metrics, indent=2, allow_nan=False).encode())
    if report:
        from showerml.pipelines.evaluate_report import build_report

        build_report(result, ref.geometry).write(out_dir / REPORT)
    return metrics
