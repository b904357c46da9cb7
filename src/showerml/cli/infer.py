"""``showerml infer``: per-event posteriors p(θ | x) with a conditional flow, and their calibration."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from showerml.cli.device import DEVICE, on_device
from showerml.errors import InputError

if TYPE_CHECKING:
    from showerml.inference.pairs import PairSpec

__all__ = ["infer", "register"]


def _spec(data: Path | None, preset: str, truth: str, observation: str) -> PairSpec | None:
    from showerml.inference.pairs import PRESETS, PairSpec, parse_columns

    if data is None:
        if truth or observation:
            raise InputError("--truth/--observation need --data FILE; without --data the Gaussian toy is run")
        return None
    if truth or observation:
        if not (truth and observation):
            raise InputError("give both --truth and --observation (or a --spec preset)")
        return PairSpec(parse_columns(truth, "--truth"), parse_columns(observation, "--observation"))
    if preset not in PRESETS:
        raise InputError(f"unknown --spec '{preset}': choose {', '.join(PRESETS)} or give --truth/--observation")
    return PRESETS[preset]


def infer(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (model/, metrics.json, posteriors.h5, figures/)."),
    data: Path = typer.Option(None, "--data", "-d", help="Detector file with truth and observation datasets "
                              "(e.g. from showerml simulate dampe --particle e-); without it the Gaussian toy."),
    spec: str = typer.Option("dampe-energy", "--spec", help="Preset: dampe-energy or dampe-energy-direction."),
    truth: str = typer.Option("", "--truth", help="Truth datasets DATASET[:log10|log1p][,…] (overrides --spec)."),
    observation: str = typer.Option("", "--observation", help="Observation datasets, same form (e.g. bgo:log1p)."),
    n_test: int = typer.Option(1000, "--n-test", help="Held-out events for the calibration checks."),
    n_toy: int = typer.Option(20000, "--n-toy", help="Training pairs of the toy."),
    draws: int = typer.Option(1000, "--draws", help="Posterior draws per test event."),
    epochs: int = typer.Option(60, "--epochs", help="Maximum epochs (early stopping on the validation loss)."),
    peer: bool = typer.Option(False, "--peer", help="Also run the sbi package's NPE on the same pairs."),
    seed: int = typer.Option(0, "--seed"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing run folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    device: str = DEVICE,
) -> None:
    """Train q(θ | x) on (truth, observation) pairs and report coverage, calibration error, SBC and z-scores."""
    out = ctx.with_resource(on_device(device))(out)  # checked first; under torchrun, rank 0 alone writes
    from showerml.inference.posterior import PosteriorConfig
    from showerml.pipelines.infer import run_infer

    pair_spec = _spec(data, spec, truth, observation)
    if data is not None and not data.exists():
        raise InputError(f"{data}: no such file")
    result = run_infer(out, data, pair_spec, PosteriorConfig(epochs=epochs, seed=seed), n_toy, n_test, draws, peer,
                       overwrite, progress=not quiet)
    for label, cal in result.cal.items():
        for d, name in enumerate(cal.names):
            typer.echo(f"{label:9s} {name}: calibration error {cal.calibration_error[d]:.4f}, z-score "
                       f"{cal.z_mean[d]:+.3f} ± {cal.z_sd[d]:.3f}, contraction {cal.contraction[d]:.3f}, "
                       f"median posterior sd {cal.posterior_sd[d]:.4g}")
    if result.toy:
        typer.echo(f"toy: posterior width {result.toy['median_width']:.4f} (exact {result.toy['exact_width']:.4f}, "
                   f"{100 * result.toy['width_rel_deviation']:+.1f} %)")
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command("infer")(infer)
