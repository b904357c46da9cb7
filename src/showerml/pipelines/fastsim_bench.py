"""``showerml fastsim bench``: train every benchmark model, sample, time, and evaluate against held-out showers.

Protocol (CaloChallenge 2022, arXiv:2410.21611): the last ``n_reference`` showers of the data file are held out as
the reference; the models train on (at most ``n_train` of) the others. Each model generates one shower per
reference incident energy (or the first ``n_generate``), timed as one call in batches of 10k — the ms-per-shower
figure at batch 10k; batch 1 and 100 (and 10k again, for the fast models) come from the timing harness
:func:`showerml.metrics.time_generator`. All samples go through :func:`showerml.pipelines.evaluate.evaluate_showers`
(separation powers, low/high-level classifier AUC and JSD, FPD/KPD, multiclass ranking). The run folder holds
``models/<kind>/`` (resumable: a finished model is reused on ``resume``), ``samples/<kind>.h5``, ``metrics.json``,
``comparison.json`` (one row per model) and ``report.html``. An entry with ``variants`` adds one row per sampler
setting of the same trained model (the speed/fidelity curve of a diffusion sampler); each setting is recalibrated
first, because the empty-voxel cuts and deposit maps are fitted to the model's own samples, which the sampler changes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from showerml import __version__
from showerml.errors import InputError
from showerml.generative import ShowerGenerator, load_model, model_class
from showerml.io.config import validate
from showerml.io.records import Record
from showerml.io.runfolder import RunFolder, json_safe
from showerml.io.showers import ShowerData, load_showers, write_showers
from showerml.metrics.timing import time_generator
from showerml.pipelines.evaluate import EvaluateConfig, EvaluationMetrics, SampleMetrics, evaluate_showers
from showerml.pipelines.fastsim import FastsimConfig, check_finite, train_model

__all__ = [
    "BenchConfig", "BenchModel", "FastsimBenchResult", "ModelBenchRow", "check_bench_models", "comparison_rows",
    "default_models", "run_bench",
]


@dataclass
class BenchModel:
    """One benchmark entry: kind, hyper-parameters, training and preprocessing overrides, timing batch sizes."""

    kind: str
    hparams: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    timing_batches: tuple[int, ...] = (1, 100, 10_000)
    n_generate: int | None = None
    label: str | None = None
    #: extra rows from the same trained model with other sampling settings (``name → set_sampling`` options, e.g.
    #: ``{"edm@dpmpp2m-8": {"sampler": "dpmpp2m", "steps": 8}}``): the speed/fidelity curve of a sampler
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.label or self.kind


def default_models() -> list[BenchModel]:
    """The seven models at sizes that train in minutes on 2 CPU cores (epoch counts for ~150k training showers).
    The teacher (≈ 30–35 ms per shower when sampling) is timed at batch 1 and 100 by the harness; its batch-10k figure
    is its evaluation sample, generated in batches of 10k; so is the EDM model's at each of its sampler settings
    (its full 100-step Heun sampler needs ≈ 1 min per 1k showers on one thread)."""
    mlp = {"width": 256, "blocks": 2}
    return [
        BenchModel("caloflow", train={"epochs": 20, "patience": 4, "lr_schedule": "cosine"}, timing_batches=(1, 100)),
        BenchModel("student", train={"epochs": 8, "patience": 3}),
        BenchModel("cfm", hparams={**mlp, "steps": 10}, train={"epochs": 10}),
        BenchModel("ddpm", hparams={**mlp, "steps": 20}, train={"epochs": 10}),
        BenchModel("edm", hparams={"width": 512, "blocks": 2, "sampler": "heun", "steps": 100}, train={"epochs": 12},
                   timing_batches=(1, 100), variants={
                       "edm@dpmpp2m-8": {"sampler": "dpmpp2m", "steps": 8},
                       "edm@dpmpp2m-16": {"sampler": "dpmpp2m", "steps": 16},
                       "edm@heun-16": {"sampler": "heun", "steps": 16}}),
        BenchModel("vae", hparams={**mlp, "latent": 32}, train={"epochs": 8}),
        BenchModel("gan", hparams={**mlp, "latent": 32}, train={"epochs": 8}),
    ]


@dataclass(frozen=True)
class ModelBenchRow(Record):
    """One model's line of the comparison: size, training, generation speed and evaluation figures."""

    model: str
    parameters: int
    n_train: int | None
    epochs: int | None
    best_epoch: int | None
    train_seconds: float
    n_generated: int
    ms_per_shower_b1: float | None
    ms_per_shower_b100: float | None
    ms_per_shower_b10k: float | None
    ms_per_shower_eval_sample: float
    eval_sample_batch: int
    timing: dict[str, Any]
    hparams: dict[str, Any]
    auc_low_level: float | None = None
    auc_high_level: float | None = None
    jsd_high_level_bits: float | None = None
    fpd: float | None = None
    kpd: float | None = None
    separation_power_mean: float | None = None


@dataclass(frozen=True)
class FastsimBenchResult(Record):
    """What ``fastsim bench`` measured: one row per model plus the full evaluation metrics."""

    n_train: int
    n_reference: int
    geometry: str
    models: dict[str, ModelBenchRow]
    evaluation: EvaluationMetrics
    config: dict[str, Any]
    showerml_version: str = __version__


@dataclass
class BenchConfig:
    n_train: int | None = None
    n_reference: int = 20_000
    models: list[BenchModel] = field(default_factory=default_models)
    timing_repeats: int = 3
    timing_max_seconds: float = 60.0
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    seed: int = 0
    progress: bool = True


def _split(data: ShowerData, cfg: BenchConfig) -> tuple[ShowerData, ShowerData]:
    n = len(data)
    if cfg.n_reference < 1 or n - cfg.n_reference < 100:
        raise InputError(f"the file holds {n} showers: too few for a {cfg.n_reference}-shower reference and ≥ 100 "
                         "training showers; simulate more or lower the reference size")
    n_train = n - cfg.n_reference if cfg.n_train is None else min(cfg.n_train, n - cfg.n_reference)
    return data.subset(slice(0, n_train)), data.subset(slice(n - cfg.n_reference, n))


def _get_model(entry: BenchModel, train_data: ShowerData, folder: Path, parent: ShowerGenerator | None,
               cfg: BenchConfig, resume: bool) -> tuple[ShowerGenerator, float]:
    if resume and (folder / "config.json").is_file():
        model = load_model(folder)
        return model, float(model.record.get("seconds", float("nan")))
    run_cfg = validate(FastsimConfig, {"model": entry.hparams, "train": entry.train,
                                       "preprocessing": entry.preprocessing}, f"benchmark model '{entry.name}'")
    t0 = time.perf_counter()
    model = train_model(train_data, entry.kind, folder, run_cfg, parent, resume, cfg.seed, cfg.progress)
    return model, time.perf_counter() - t0


def run_bench(
    data: str | os.PathLike[str] | ShowerData,
    out: str | os.PathLike[str],
    config: BenchConfig | None = None,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
    binning: str | os.PathLike[str] | None = None,
) -> FastsimBenchResult:
    """Run the benchmark into ``out``; returns the result (also in ``out/metrics.json``)."""
    cfg = config or BenchConfig()
    say = log or (lambda _msg: None)
    folder = RunFolder(out, resume=resume, in_place=True, keep=lambda p: (p / "models").exists())
    check_bench_models(cfg.models)
    showers = data if isinstance(data, ShowerData) else load_showers(data, None, binning)
    check_finite(showers, "the data")
    train_data, reference = _split(showers, cfg)
    with folder as run:
        return _run_models(run, cfg, train_data, reference, showers, resume, say)


def _sample_first(model: ShowerGenerator[Any], energies: np.ndarray, n: int) -> ShowerData:
    """``n`` showers at the first ``n`` of ``energies`` (what the timing harness calls)."""
    return model.sample(energies[:n], seed=0, batch_size=10_000)


def check_bench_models(models: list[BenchModel]) -> None:
    """Every entry's kind is registered and every model built from another one comes after it."""
    seen: set[str] = set()
    for entry in models:
        needed = model_class(entry.kind).requires
        if needed is not None and needed not in seen:
            raise InputError(f"'{entry.name}' is built from a trained '{needed}' model: list {needed} before it")
        seen.add(entry.kind)


def _run_models(run: RunFolder, cfg: BenchConfig, train_data: ShowerData, reference: ShowerData,
                showers: ShowerData, resume: bool, say: Callable[[str], None]) -> FastsimBenchResult:
    out_dir = run.path
    (out_dir / "samples").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(cfg.seed)
    timing_energies = rng.uniform(reference.incident.min(), reference.incident.max(), max(
        max(m.timing_batches, default=1) for m in cfg.models))
    trained: dict[str, ShowerGenerator] = {}
    generated: dict[str, ShowerData] = {}
    rows: dict[str, ModelBenchRow] = {}
    for entry in cfg.models:
        say(f"{entry.name}: training on {len(train_data)} showers")
        needed = model_class(entry.kind).requires
        parent = None if needed is None else trained[needed]
        model, seconds = _get_model(entry, train_data, out_dir / "models" / entry.name, parent, cfg, resume)
        trained.setdefault(entry.kind, model)
        own = {k: model.hparams[k] for k in model.sampling_options}
        for name, options in {entry.name: {}, **entry.variants}.items():
            if options:  # another sampler: the calibration is refitted to its samples (module docstring)
                model.set_sampling(**{**own, **options})
                model.calibrate(train_data, cfg.seed)
            rows[name], generated[name] = _sample_and_time(model, entry, name, seconds, reference, timing_energies,
                                                           out_dir, cfg, say)
        if entry.variants and any(model_class(e.kind).requires == entry.kind for e in cfg.models):
            model.set_sampling(**own)  # a model built from this one gets it as trained, calibration included
            model.calibrate(train_data, cfg.seed)
    say(f"evaluating {len(generated)} samples against {len(reference)} reference showers")
    result = evaluate_showers(reference, generated, cfg.evaluate, cfg.seed)
    for name, row in rows.items():
        rows[name] = replace(row, **_evaluation_figures(result.metrics.generated[name]))
    bench = FastsimBenchResult(n_train=len(train_data), n_reference=len(reference), geometry=showers.geometry.name,
                               models=rows, evaluation=result.metrics, config=json_safe(asdict(cfg)))
    run.write_json("comparison.json", {name: row.to_json() for name, row in rows.items()})
    run.write_json("metrics.json", bench.to_json())
    _write_report(out_dir, result, rows, showers, len(train_data), len(reference))
    return bench


def _sample_and_time(model: ShowerGenerator[Any], entry: BenchModel, name: str, seconds: float,
                     reference: ShowerData, timing_energies: np.ndarray, out_dir: Path, cfg: BenchConfig,
                     say: Callable[[str], None]) -> tuple[ModelBenchRow, ShowerData]:
    """One comparison row: the evaluation sample (written to ``samples/<name>.h5``) and the timing harness."""
    n_gen = min(entry.n_generate or len(reference), len(reference))
    say(f"{name}: sampling {n_gen} showers")
    t0 = time.perf_counter()
    sample = model.sample(reference.incident[:n_gen], seed=cfg.seed + 1, batch_size=10_000)
    gen_ms = 1e3 * (time.perf_counter() - t0) / n_gen
    write_showers(out_dir / "samples" / f"{name}.h5", sample, attrs={"generator": entry.kind}, overwrite=True)
    timing = time_generator(partial(_sample_first, model, timing_energies), entry.timing_batches,
                            warmup=1, repeats=cfg.timing_repeats, max_seconds=cfg.timing_max_seconds)
    ms = dict(zip(timing.batch_sizes, timing.ms_per_shower, strict=True))
    row = ModelBenchRow(
        model=entry.kind, parameters=sum(p.numel() for p in model.net.parameters()),
        n_train=model.record.get("n_train"), epochs=model.record.get("epochs_run"),
        best_epoch=model.record.get("best_epoch"), train_seconds=seconds,
        n_generated=n_gen, ms_per_shower_b1=ms.get(1), ms_per_shower_b100=ms.get(100),
        ms_per_shower_b10k=ms.get(10_000, gen_ms if n_gen >= 10_000 else None),
        ms_per_shower_eval_sample=gen_ms, eval_sample_batch=min(n_gen, 10_000), timing=timing.as_dict(),
        hparams=dict(model.hparams),
    )
    say(f"{name}: {seconds:.0f} s training, {gen_ms:.3g} ms/shower when sampling {n_gen}")
    return row, sample


def _evaluation_figures(metrics: SampleMetrics) -> dict[str, Any]:
    """The comparison's evaluation columns from one generated sample's evaluation metrics."""
    low, high = metrics.classifier.low_level, metrics.classifier.high_level
    return {"auc_low_level": None if low is None else low.auc,
            "auc_high_level": None if high is None else high.auc,
            "jsd_high_level_bits": None if high is None else high.jsd_bits,
            "fpd": metrics.fpd.value, "kpd": metrics.kpd.value,
            "separation_power_mean": metrics.separation_power_mean}


def comparison_rows(rows: dict[str, ModelBenchRow]) -> list[dict[str, Any]]:
    """The comparison table: one flat row of formatted figures per model."""
    def f(v: Any, fmt: str) -> str:
        return "—" if v is None else format(v, fmt)

    return [{"model": name, "AUC voxel": f(r.auc_low_level, ".3f"), "AUC high-level": f(r.auc_high_level, ".3f"),
             "FPD": f(r.fpd, ".3g"), "mean sep. power": f(r.separation_power_mean, ".3g"),
             "ms/shower b=1": f(r.ms_per_shower_b1, ".3g"), "b=100": f(r.ms_per_shower_b100, ".3g"),
             "b=10k": f(r.ms_per_shower_b10k, ".3g"), "training [s]": f(r.train_seconds, ".0f"),
             "epochs": r.epochs, "parameters": r.parameters} for name, r in rows.items()]


def _write_report(
    out: Path, result: Any, rows: dict[str, ModelBenchRow], data: ShowerData, n_train: int, n_ref: int
) -> None:
    from showerml.report.evaluation import build_report

    report = build_report(result, data.geometry)
    report.heading("Fast simulation: model comparison")
    report.paragraph(f"{n_train} training showers, {n_ref} held-out reference showers "
                     f"(geometry '{data.geometry.name}'). Generation time per shower on this CPU "
                     "(median of repeats; a 10k figure without repeats is the model's single evaluation-sample run).")
    report.table(comparison_rows(rows))
    report.write(out / "report.html")
