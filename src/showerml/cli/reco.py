"""``showerml reco train|evaluate|bench``: DAMPE reconstruction and identification, ML next to classical."""

from __future__ import annotations

import json
from pathlib import Path

import typer

__all__ = ["reco_app", "register"]

reco_app = typer.Typer(help="DAMPE-like reconstruction: e/p, γ/p, direction, tracking, charge, saturation, "
                            "first interaction.", no_args_is_help=True)

TASK = typer.Argument(..., help="ep, gp, direction, track, charge, saturation or interaction.")
DATA = typer.Option(..., "--data", "-d", help="DAMPE file(s) from 'showerml simulate dampe' (repeat --data).")
SEED = typer.Option(0, "--seed", help="Seed of the split and the training.")
EPOCHS = typer.Option(20, "--epochs", help="Maximum epochs of the networks (early stopping on validation loss).")
MAX_EVENTS = typer.Option(None, "--max-events", help="Use at most this many events per file.")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing output folder.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars.")


@reco_app.command("train")
def train(
    task: str = TASK,
    data: list[Path] = DATA,
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    method: str = typer.Option(None, "--method", "-m", help="ep/gp: cnn|bdt|zeta; direction: cnn|classical; "
                               "track: hough|classical; interaction: bdt|classical."),
    track_model: Path = typer.Option(None, "--track-model", help="charge: reuse a trained 'track' model folder."),
    seed: int = SEED,
    epochs: int = EPOCHS,
    max_events: int = MAX_EVENTS,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Train one task (85 % / 15 % seeded train/validation split of --data)."""
    from showerml.pipelines.reco import train_task

    info = train_task(task, data, out, method, seed, epochs, max_events, overwrite, not quiet, track_model)
    typer.echo(f"trained {task} ({info.get('method')}) in {float(info.get('train_seconds', 0.0)):.1f} s → {out}")


@reco_app.command("evaluate")
def evaluate(
    task: str = TASK,
    model: Path = typer.Option(..., "--model", help="Model folder from 'showerml reco train'."),
    data: list[Path] = DATA,
    out: Path = typer.Option(None, "--out", "-o", help="Write the metrics as JSON here."),
    max_events: int = MAX_EVENTS,
) -> None:
    """Evaluate a model and its classical baseline on every event of --data; prints JSON metrics."""
    from showerml.io.atomic import atomic_write_bytes
    from showerml.pipelines.reco import _json, evaluate_task

    result = evaluate_task(task, model, data, max_events)
    text = json.dumps(result, indent=1, default=_json)
    if out is not None:
        atomic_write_bytes(out, text.encode())
    typer.echo(text)


@reco_app.command("bench")
def bench(
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
) -> None:
    """Every ML method next to its classical baseline on the same test events (60/15/25 % split)."""
    from showerml.errors import InputError
    from showerml.pipelines.reco import run_bench
    from showerml.reco.data import TASKS

    chosen = TASKS if tasks == "all" else tuple(t.strip() for t in tasks.split(",") if t.strip())
    bad = [t for t in chosen if t not in TASKS]
    if bad:
        raise InputError(f"unknown task(s) {', '.join(bad)}: choose from {', '.join(TASKS)}")
    result = run_bench(data, out, seed, epochs, max_events, chosen, overwrite, not quiet,
                       test_background=test_background, reuse_models=reuse_models)
    typer.echo(json.dumps(result.get("targets", {}), indent=1, default=str))
    typer.echo(f"wrote {out / 'metrics.json'} and {out / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.add_typer(reco_app, name="reco")
