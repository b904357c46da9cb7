"""``showerml simulate <detector>``: physics simulators into HDF5 files."""

from __future__ import annotations

from pathlib import Path

import typer

from showerml.errors import InputError
from showerml.spectra import parse_spectrum

simulate_app = typer.Typer(help="Simulate detector events into an HDF5 file.", no_args_is_help=True)

OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing output file.")
WORKERS = typer.Option(1, "--workers", "-w", help="Parallel worker processes (output is identical for any number).")
SEED = typer.Option(0, "--seed", help="Random seed.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")


@simulate_app.command("calogan")
def calogan(
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (CaloGAN layout)."),
    particle: str = typer.Option("e+", "--particle", "-p", help="e+, e-, gamma or pi+."),
    n: int = typer.Option(1000, "--n", help="Number of showers."),
    energy: str = typer.Option("uniform:1,100", "--energy", help="fixed:E | uniform:A,B | loguniform:A,B | powerlaw:G,A,B (GeV)."),
    seed: int = SEED,
    workers: int = WORKERS,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Showers in the CaloGAN Pb/LAr calorimeter (3 layers, 504 cells), written in the CaloGAN layout."""
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.pipelines.simulate import simulate_to_file

    spectrum = parse_spectrum(energy)
    sim = CaloGANSimulator(particle)
    path = simulate_to_file(sim, n, spectrum, seed, out, workers, overwrite, progress=not quiet)
    typer.echo(f"wrote {n} {particle} showers ({spectrum.spec} GeV, seed {seed}) to {path}")


def check_positive(name: str, value: int) -> None:
    if value <= 0:
        raise InputError(f"{name} must be positive, got {value}")


def register(app: typer.Typer) -> None:
    app.add_typer(simulate_app, name="simulate")
