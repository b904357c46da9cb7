"""``showerml fastsim train|sample|bench``: generative fast shower simulation."""

from __future__ import annotations

from pathlib import Path

import typer

from showerml.cli.device import DEVICE, on_device

__all__ = ["fastsim_app", "register"]

fastsim_app = typer.Typer(help="Fast shower simulation with generative surrogates (CaloFlow teacher and student, flow "
                          "matching, DDPM, EDM score diffusion, VAE, GAN).", no_args_is_help=True)

QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars.")
SEED = typer.Option(0, "--seed", help="Random seed (preprocessing noise, initialisation, batches, sampling).")
BINNING = typer.Option(None, "--binning", help="CaloChallenge binning XML for files of unknown geometry.")


@fastsim_app.command("train")
def train(
    ctx: typer.Context,
    data: Path = typer.Option(..., "--data", "-d", help="Training showers (CaloGAN or CaloChallenge file)."),
    model: str = typer.Option(..., "--model", "-m", help="A registered model kind: caloflow, student, cfm, ddpm, edm, "
                              "vae, gan (see 'showerml fastsim models')."),
    teacher: Path = typer.Option(None, "--teacher", help="The trained model a model is built from (the student's "
                                 "caloflow teacher)."),
    config: Path = typer.Option(None, "--config", help="YAML with model:, train:, preprocessing:, max_events:."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder (config.json, weights.safetensors, checkpoints)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted training in --out."),
    binning: Path = BINNING,
    seed: int = SEED,
    quiet: bool = QUIET,
    device: str = DEVICE,
) -> None:
    """Train a generative model on a shower file."""
    outputs = ctx.with_resource(on_device(device))  # checked first; under torchrun, rank 0 alone writes
    out = outputs(out)
    from showerml.pipelines.fastsim import train_from_file

    record = train_from_file(data, model, out, teacher, config, resume, seed, not quiet, binning)
    typer.echo(f"{model}: {record['epochs_run']} epochs (best {record['best_epoch'] + 1}), val loss "
               f"{record['best_val']:.4g}, {record['seconds']:.0f} s on {record['n_train']} showers → {out}")


@fastsim_app.command("sample")
def sample(
    ctx: typer.Context,
    model: Path = typer.Option(..., "--model", "-m", help="Model folder from 'showerml fastsim train'."),
    n: int = typer.Option(None, "--n", help="Number of showers (with --energy; optional cap with --energies-from)."),
    energy: str = typer.Option(None, "--energy", help="Spectrum in GeV, e.g. uniform:1,100 or fixed:50."),
    energies_from: Path = typer.Option(None, "--energies-from", help="Take incident energies from this shower file."),
    out: Path = typer.Option(..., "--out", "-o", help="Output shower file (.h5)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
    steps: int = typer.Option(None, "--steps", help="Sampler steps (cfm, ddpm, edm; default: the model's own)."),
    sampler: str = typer.Option(None, "--sampler", help="ODE solver of an edm model: heun, euler or dpmpp2m."),
    seed: int = SEED,
    device: str = DEVICE,
) -> None:
    """Generate showers with a trained model."""
    out = ctx.with_resource(on_device(device))(out, folder=False)
    from showerml.pipelines.fastsim import sample_to_file

    path, warnings = sample_to_file(model, out, n, energy, energies_from, seed, overwrite,
                                    sampling={"steps": steps, "sampler": sampler})
    for w in warnings:
        typer.echo(f"warning: {w} (recorded in the file's 'warning' attribute)", err=True)
    typer.echo(f"wrote {path}")


@fastsim_app.command("bench")
def bench(
    ctx: typer.Context,
    data: Path = typer.Option(..., "--data", "-d", help="Shower file; its last --n-reference showers are held out."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (models, samples, metrics.json, report.html)."),
    n_train: int = typer.Option(None, "--n-train", help="At most this many training showers (default: all others)."),
    n_reference: int = typer.Option(20_000, "--n-reference", help="Held-out reference showers."),
    models: str = typer.Option("all", "--models", help="Comma list of benchmark models (e.g. caloflow,student,cfm) "
                               "or all."),
    epoch_scale: float = typer.Option(1.0, "--epoch-scale", help="Multiply every benchmark model's epochs."),
    resume: bool = typer.Option(False, "--resume", help="Reuse finished models and checkpoints in --out."),
    binning: Path = BINNING,
    seed: int = SEED,
    quiet: bool = QUIET,
    device: str = DEVICE,
) -> None:
    """Train the benchmark configs, sample, evaluate against held-out showers; comparison table and report.html."""
    out = ctx.with_resource(on_device(device))(out)
    from rich.console import Console
    from rich.table import Table

    from showerml.errors import InputError
    from showerml.metrics.classifier import ClassifierConfig
    from showerml.pipelines.evaluate import EvaluateConfig
    from showerml.pipelines.fastsim_bench import (
        BenchConfig,
        check_bench_models,
        comparison_rows,
        default_models,
        run_bench,
    )

    chosen = default_models()
    if models != "all":
        names = [m.strip() for m in models.split(",") if m.strip()]
        known = [m.name for m in chosen]
        bad = set(names) - set(known)
        if bad or not names:
            raise InputError(f"--models takes a comma list of {','.join(known)}; got '{models}'")
        chosen = [m for m in chosen if m.name in names]
        check_bench_models(chosen)
    if epoch_scale <= 0:
        raise InputError(f"--epoch-scale must be positive, got {epoch_scale}")
    for m in chosen:
        m.train["epochs"] = max(1, round(m.train.get("epochs", 10) * epoch_scale))
    cfg = BenchConfig(n_train=n_train, n_reference=n_reference, models=chosen, seed=seed, progress=not quiet,
                      evaluate=EvaluateConfig(classifier=ClassifierConfig(progress=not quiet)))
    console = Console()
    result = run_bench(data, out, cfg, resume, log=None if quiet else console.print, binning=binning)
    rows = comparison_rows(result.models)
    table = Table(title=f"fastsim bench: {result.n_train} training / {result.n_reference} reference showers")
    for col in rows[0]:
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)
    console.print(f"wrote {out / 'metrics.json'} and {out / 'report.html'}")


@fastsim_app.command("models")
def models_list() -> None:
    """List the registered generative models and what each is built from."""
    import re

    from showerml.generative import MODELS

    for kind, cls in MODELS.items():
        needs = f" (built from a trained {cls.requires} model: --teacher DIR)" if cls.requires else ""
        first = re.sub(r":\w+:`~?([^`]+)`", r"\1", (cls.__doc__ or "").strip().split("\n")[0])
        typer.echo(f"{kind:10s} {first}{needs}")


def register(app: typer.Typer) -> None:
    app.add_typer(fastsim_app, name="fastsim")
