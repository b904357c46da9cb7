"""``showerml reco train|evaluate|bench|tasks``: DAMPE reconstruction and identification, ML next to classical.

The tasks and their methods come from :mod:`showerml.reco.registry` (``showerml reco tasks`` lists them).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from showerml.cli.device import DEVICE, on_device
from showerml.cli.options import CONFIG, resolve_options, saved_options

__all__ = ["reco_app", "register"]

reco_app = typer.Typer(help="DAMPE-like reconstruction: identification, direction, tracking, charge, saturation, "
                            "first interaction ('showerml reco tasks' lists the tasks and methods).",
                       no_args_is_help=True)

TASK = typer.Argument(..., help="A reconstruction task ('showerml reco tasks' lists them).")
DATA = typer.Option(..., "--data", "-d", help="DAMPE file(s) from 'showerml simulate dampe' (repeat --data).")
SEED = typer.Option(0, "--seed", help="Seed of the split and the training.")
EPOCHS = typer.Option(20, "--epochs", help="Maximum epochs of the networks (early stopping on validation loss).")
MAX_EVENTS = typer.Option(None, "--max-events", help="Use at most this many events per file.")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing output folder.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars.")


def _pairs(values: list[str], option: str) -> dict[str, str]:
    from showerml.errors import InputError

    out = {}
    for value in values:
        name, sep, folder = value.partition("=")
        if not sep or not name or not folder:
            raise InputError(f"{option} takes TASK=FOLDER (e.g. track=models/track), got '{value}'")
        out[name] = folder
    return out


@reco_app.command("tasks")
def tasks() -> None:
    """List the reconstruction tasks, their methods (default first) and classical baselines."""
    from showerml.reco.registry import TASKS

    for t in TASKS.values():
        typer.echo(f"{t.name:<12} {t.title}; methods: {', '.join(t.methods)} (baseline: {t.baseline})")


@reco_app.command("train")
def train(
    ctx: typer.Context,
    task: str = TASK,
    data: list[Path] = DATA,
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    method: str = typer.Option(None, "--method", "-m", help="Method of the task (default: its first; "
                               "'showerml reco tasks' lists them)."),
    use_model: list[str] = typer.Option([], "--use-model", help="TASK=FOLDER: reuse a trained model of another task "
                                        "(e.g. charge: --use-model track=models/track)."),
    seed: int = SEED,
    epochs: int = EPOCHS,
    max_events: int = MAX_EVENTS,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
    config: Path = CONFIG,
    device: str = DEVICE,
) -> None:
    """Train one task (85 % / 15 % seeded train/validation split of --data); writes config.yaml beside the model."""
    from showerml.pipelines.reco import train_task

    o, _ = resolve_options(ctx, config, train)
    outputs = ctx.with_resource(on_device(o["device"]))  # checked first; under torchrun, rank 0 alone writes
    out = outputs(out)
    info = train_task(task, data, out, o["method"], seed=o["seed"], epochs=o["epochs"], max_events=o["max_events"],
                      overwrite=overwrite, progress=not quiet, models=_pairs(o["use_model"] or [], "--use-model"),
                      settings=saved_options(o))
    typer.echo(f"trained {task} ({info.method}) in {info.train_seconds:.1f} s → {out}")


@reco_app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    task: str = TASK,
    model: Path = typer.Option(..., "--model", help="Model folder from 'showerml reco train'."),
    data: list[Path] = DATA,
    out: Path = typer.Option(None, "--out", "-o", help="Write the metrics as JSON here."),
    max_events: int = MAX_EVENTS,
    device: str = DEVICE,
) -> None:
    """Evaluate a model and its classical baseline on every event of --data; prints JSON metrics."""
    ctx.with_resource(on_device(device))
    from showerml.io.atomic import atomic_write_bytes
    from showerml.io.runfolder import json_safe
    from showerml.pipelines.reco import evaluate_task

    result = evaluate_task(task, model, data, max_events)
    text = json.dumps(json_safe(result), indent=1, allow_nan=False)
    if out is not None:
        atomic_write_bytes(out, text.encode())
    typer.echo(text)


@reco_app.command("bench")
def bench(
    ctx: typer.Context,
    data: list[Path] = DATA,
    out: Path = typer.Option(..., "--out", "-o", help="Run folder: models/, metrics.json, report.html."),
    tasks: str = typer.Option("all", "--tasks", help="Comma list of tasks, or all."),
    test_background: list[Path] = typer.Option([], "--test-background", help="Proton/nucleus file(s) used only as "
                                               "extra e/p and γ/p test background (large rejections)."),
    reuse_models: bool = typer.Option(False, "--reuse-models", help="Keep finished models of an earlier bench "
                                      "in OUT/models (same data and seed) and only evaluate."),
    seed: int = SEED,
    epochs: int = EPOCHS,
    max_events: int = MAX_EVENTS,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
    config: Path = CONFIG,
    device: str = DEVICE,
) -> None:
    """Every ML method next to its classical baseline on the same test events (60/15/25 % split)."""
    from showerml.io.runfolder import json_safe
    from showerml.pipelines.reco import BenchOptions, run_bench

    o, _ = resolve_options(ctx, config, bench)
    outputs = ctx.with_resource(on_device(o["device"]))  # checked first; under torchrun, rank 0 alone writes
    out = outputs(out)
    tasks = o["tasks"]
    chosen = () if tasks == "all" else tuple(t.strip() for t in tasks.split(",") if t.strip())
    options = BenchOptions(seed=o["seed"], epochs=o["epochs"], tasks=chosen, max_events=o["max_events"],
                           test_background=tuple(Path(p) for p in o["test_background"] or ()),
                           reuse_models=reuse_models, overwrite=overwrite, progress=not quiet)
    result = run_bench(data, out, options, settings=saved_options(o))
    typer.echo(json.dumps(json_safe(result.targets), indent=1))
    typer.echo(f"wrote {out / 'metrics.json'} and {out / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.add_typer(reco_app, name="reco")
