"""``showerml simulate dampe``: events in the DAMPE-like PSD + STK + BGO detector into an HDF5 file."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from showerml.cli.simulate import OVERWRITE, QUIET, SEED, WORKERS, simulate_app

__all__ = ["dampe", "register"]


@simulate_app.command("dampe")
def dampe(
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (DAMPE layout)."),
    particle: str = typer.Option("p", "--particle", "-p", help="e-, e+, gamma, p, He, C, O, Fe or Z=N (1..28)."),
    n: int = typer.Option(1000, "--n", help="Number of accepted events."),
    energy: str = typer.Option(
        "powerlaw:2.7,100,1e5", "--energy", help="fixed:E | uniform:A,B | loguniform:A,B | powerlaw:G,A,B (GeV)."
    ),
    saturation: float = typer.Option(4.0e6, "--saturation", help="BGO bar read-out saturation deposit in MeV."),
    incidence: str = typer.Option("isotropic", "--incidence", help="isotropic (with acceptance) or vertical."),
    max_clusters: int = typer.Option(1024, "--max-clusters", help="Padded number of STK clusters per event."),
    seed: int = SEED,
    workers: int = WORKERS,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Cosmic rays through PSD, silicon tracker and BGO calorimeter (isotropic, with the geometry factor)."""
    from showerml.detectors.dampe.simulator import DampeSimulator
    from showerml.io.hdf5 import read_attrs
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.spectra import parse_spectrum

    spectrum = parse_spectrum(energy)
    sim = DampeSimulator(particle, saturation_mev=saturation, incidence=incidence, max_clusters=max_clusters)
    t0 = time.perf_counter()
    path = simulate_to_file(sim, n, spectrum, seed, out, workers, overwrite, progress=not quiet,
                            description=f"dampe {sim.primary.name}")
    seconds = time.perf_counter() - t0
    attrs = read_attrs(path)
    acc = attrs.get("acceptance_m2sr", 0.0)
    acc_note = f", acceptance {acc:.4f} ± {attrs.get('acceptance_err_m2sr', 0.0):.4f} m² sr" if acc else ""
    typer.echo(
        f"wrote {n} {sim.primary.name} events ({spectrum.spec} GeV, seed {seed}) to {path} in {seconds:.1f} s "
        f"({n / seconds:.0f} events/s, {workers} worker(s)){acc_note}"
    )


def register(app: typer.Typer) -> None:
    """Nothing to add: importing this module put ``dampe`` on the ``simulate`` sub-app."""
