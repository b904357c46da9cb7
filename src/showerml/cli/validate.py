"""``showerml validate dampe``: the DAMPE-like simulation next to published DAMPE figures (a table + report)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["validate_app", "register"]

validate_app = typer.Typer(help="Validate a simulator against published figures.", no_args_is_help=True)


@validate_app.command("dampe")
def dampe(
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (table.json, report.html)."),
    n: int = typer.Option(None, "--n", help="Protons generated per deposited-energy bin (default 250000: ≥ 10⁵ "
                          "in each bin); the electron and fixed-energy samples scale with it."),
    quick: bool = typer.Option(False, "--quick", help="Tiny samples (a minute; for tests and a first look)."),
    data: list[Path] = typer.Option([], "--data", "-d", help="Measure on these DAMPE files (electrons and protons) "
                                    "instead of simulating (repeat --data)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    workers: int = typer.Option(1, "--workers", "-w", help="Parallel simulation processes."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing run folder."),
) -> None:
    """ζ < 8.5 after DAMPE's preselection, energy resolutions, proton deposit, acceptance, back-scatter and
    saturation, each next to its published value and source ("not published" where none exists)."""
    from showerml.errors import InputError
    from showerml.pipelines.dampe_validation import FULL, QUICK, ValidationPlan, run_validation

    if quick and n is not None:
        raise InputError("give either --quick or --n, not both")
    plan = QUICK if quick else (ValidationPlan.from_n(n) if n is not None else FULL)
    folder, _ = run_validation(out, plan, seed=seed, workers=workers, data=data, overwrite=overwrite,
                               log=lambda line: typer.echo(line))
    typer.echo(f"wrote {folder / 'table.json'} and {folder / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.add_typer(validate_app, name="validate")
