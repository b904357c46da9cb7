"""``showerml simulate <detector>``: physics simulators into HDF5 files."""

from __future__ import annotations

from pathlib import Path

import typer

from showerml.spectra import parse_spectrum

simulate_app = typer.Typer(help="Simulate detector events into an HDF5 file.", no_args_is_help=True)

OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing output file.")
WORKERS = typer.Option(1, "--workers", "-w", help="Parallel worker processes (output is identical for any number).")
SEED = typer.Option(0, "--seed", help="Random seed.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")


def run_simulator(
    sim: object, n: int, energy: str, seed: int, out: Path, workers: int, overwrite: bool, quiet: bool, what: str
) -> Path:
    """Parse the spectrum, run ``sim`` into ``out`` and print one summary line."""
    from showerml.pipelines.simulate import simulate_to_file

    spectrum = parse_spectrum(energy)
    path = simulate_to_file(sim, n, spectrum, seed, out, workers, overwrite, progress=not quiet)  # type: ignore[arg-type]
    typer.echo(f"wrote {n} {what} ({spectrum.spec} GeV, seed {seed}) to {path}")
    return path


@simulate_app.command("calogan")
def calogan(
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (CaloGAN layout)."),
    particle: str = typer.Option("e+", "--particle", "-p", help="e+, e-, gamma or pi+."),
    n: int = typer.Option(1000, "--n", help="Number of showers."),
    energy: str = typer.Option(
        "uniform:1,100", "--energy", help="fixed:E | uniform:A,B | loguniform:A,B | powerlaw:G,A,B (GeV)."
    ),
    seed: int = SEED,
    workers: int = WORKERS,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Showers in the CaloGAN Pb/LAr calorimeter (3 layers, 504 cells), written in the CaloGAN layout."""
    from showerml.detectors.calogan import CaloGANSimulator

    run_simulator(CaloGANSimulator(particle), n, energy, seed, out, workers, overwrite, quiet, f"{particle} showers")


@simulate_app.command("calochallenge2")
def calochallenge2(
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (CaloChallenge layout, gzip)."),
    particle: str = typer.Option("e-", "--particle", "-p", help="e-, e+ or gamma."),
    n: int = typer.Option(1000, "--n", help="Number of showers."),
    energy: str = typer.Option("loguniform:1,1000", "--energy", help="Incident energies (GeV), as for calogan."),
    seed: int = SEED,
    workers: int = WORKERS,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Showers in the CaloChallenge dataset-2 W/Si calorimeter (45 layers × 16 α × 9 r = 6480 voxels)."""
    from showerml.detectors.calochallenge import CaloChallenge2Simulator

    sim = CaloChallenge2Simulator(particle)
    run_simulator(sim, n, energy, seed, out, workers, overwrite, quiet, f"{particle} showers")


def register(app: typer.Typer) -> None:
    app.add_typer(simulate_app, name="simulate")
