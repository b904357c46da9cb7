"""``showerml unfold dampe|files``: unfolding with IBU, OmniFold and a cINN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from showerml.cli.device import DEVICE, on_device
from showerml.errors import InputError

__all__ = ["register", "unfold_app"]

unfold_app = typer.Typer(help="Unfold detector-level spectra to truth level (IBU, OmniFold, cINN).",
                         no_args_is_help=True)

METHODS = typer.Option("ibu,omnifold,cinn", "--methods", "-m", help="Comma list of ibu, omnifold, cinn.")
ITERATIONS = typer.Option(4, "--iterations", help="IBU / OmniFold iterations.")
BOOT = typer.Option(20, "--boot", help="Bootstrap replicas for the per-bin errors.")
OUT = typer.Option(..., "--out", "-o", help="Run folder (metrics.json, unfolded.h5, figures/).")
SEED = typer.Option(0, "--seed")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing run folder.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress output.")


def _methods(text: str) -> tuple[str, ...]:
    from showerml.inference.unfolding import METHODS as KNOWN

    methods = tuple(m.strip().lower() for m in text.split(",") if m.strip())
    bad = [m for m in methods if m not in KNOWN]
    if bad or not methods:
        raise InputError(f"unknown --methods {','.join(bad) or '(none)'}: choose from {','.join(KNOWN)}")
    return methods


def _echo(metrics: dict[str, Any]) -> None:
    for name, m in metrics["methods"].items():
        line = f"{name:9s} {m['seconds']:7.0f} s"
        if "chi2_ndf" in m:
            line += (f"  χ²/ndf to truth {m['chi2_ndf']:.2f}, bins within 1σ {100 * m['coverage_1sigma']:.0f} %, "
                     f"2σ {100 * m['coverage_2sigma']:.0f} %")
        fit = metrics.get("fits", {}).get(name)
        if fit:
            line += (f"  γ1 {fit['gamma1']:.3f}±{fit['gamma1_err']:.3f} γ2 {fit['gamma2']:.2f}±{fit['gamma2_err']:.2f}"
                     f" E_b {fit['e_break']:.0f}±{fit['e_break_err']:.0f} GeV")
        typer.echo(line)


@unfold_app.command("dampe")
def dampe(
    ctx: typer.Context,
    out: Path = OUT,
    n_data: int = typer.Option(100_000, "--n-data", help="Data events (DAMPE 2017 broken power law)."),
    n_sim: int = typer.Option(200_000, "--n-sim", help="Simulated events (plain power law, no break)."),
    train_gamma: float = typer.Option(2.7, "--train-gamma", help="Index of the simulation's power law."),
    response_events: int = typer.Option(600, "--response-events", help="DAMPE-like electrons simulated per node "
                                        "(16 energies, 10 GeV – 10 TeV) for the response."),
    bins: int = typer.Option(16, "--bins", help="Log-spaced true-energy bins between 50 GeV and 8 TeV."),
    methods: str = METHODS,
    iterations: int = ITERATIONS,
    boot: int = BOOT,
    omnifold_boot: int = typer.Option(5, "--omnifold-boot", help="Bootstrap replicas of OmniFold (each retrains)."),
    seed: int = SEED,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
    device: str = DEVICE,
) -> None:
    """The DAMPE-like electron spectrum: simulated response, trained on a plain power law, applied to the 2017
    DAMPE spectrum with its break near 0.9 TeV; scores per bin and a broken-power-law fit per method."""
    out = ctx.with_resource(on_device(device))(out)  # checked first; under torchrun, rank 0 alone writes
    from showerml.pipelines.unfold import DampeUnfoldConfig, run_unfold_dampe

    cfg = DampeUnfoldConfig(n_data, n_sim, response_events, train_gamma, bins=bins, iterations=iterations,
                            n_boot=boot, omnifold_boot=omnifold_boot, methods=_methods(methods), seed=seed)
    metrics = run_unfold_dampe(out, cfg, overwrite, progress=not quiet)
    f = metrics["fits"]["truth"]
    typer.echo(f"truth fit  γ1 {f['gamma1']:.3f}±{f['gamma1_err']:.3f} γ2 {f['gamma2']:.2f}±{f['gamma2_err']:.2f} "
               f"E_b {f['e_break']:.0f}±{f['e_break_err']:.0f} GeV (DAMPE 2017: 3.09, 3.92, 914 GeV)")
    _echo(metrics)
    typer.echo(f"wrote {out}")


@unfold_app.command("files")
def files(
    ctx: typer.Context,
    sim: Path = typer.Option(..., "--sim", help="Simulation file with the truth and measured datasets."),
    data: Path = typer.Option(..., "--data", help="Data file with the measured dataset (and the truth, if known)."),
    truth: str = typer.Option("energy:log10", "--truth", help="Truth dataset DATASET[:TRANSFORM]."),
    measured: str = typer.Option("bgo:log10sum", "--measured", help="Measured dataset DATASET[:TRANSFORM]."),
    bins: int = typer.Option(12, "--bins", help="Equal-width true bins over the simulation's 0.1–99.9 % range."),
    methods: str = METHODS,
    iterations: int = ITERATIONS,
    boot: int = BOOT,
    seed: int = SEED,
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
    device: str = DEVICE,
) -> None:
    """Unfold the data file's measured column with the simulation file's (truth, measured) pairs."""
    out = ctx.with_resource(on_device(device))(out)  # checked first; under torchrun, rank 0 alone writes
    from showerml.inference.pairs import parse_columns
    from showerml.pipelines.unfold import run_unfold_files

    t, m = parse_columns(truth, "--truth"), parse_columns(measured, "--measured")
    if len(t) != 1 or len(m) != 1:
        raise InputError("--truth and --measured take one dataset each")
    metrics = run_unfold_files(out, sim, data, t[0], m[0], bins, _methods(methods), iterations, boot, seed,
                               overwrite, progress=not quiet)
    _echo(metrics)
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(unfold_app, name="unfold")
