"""``showerml simulate dijet``: Pythia 8 + FastJet dijet events into an LHCO-style feature file."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from showerml.cli.simulate import OVERWRITE, QUIET, SEED, WORKERS, simulate_app

__all__ = ["dijet", "register"]


@simulate_app.command("dijet")
def dijet(
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (showerml dijet feature layout)."),
    process: str = typer.Option("qcd", "--process", "-p", help="qcd (HardQCD:all) or signal (W' → X Y → 4q)."),
    n: int = typer.Option(1000, "--n", help="Number of events passing the trigger."),
    sqrt_s: float = typer.Option(13000.0, "--sqrt-s", help="Centre-of-mass energy in GeV."),
    pthat_min: float = typer.Option(1000.0, "--pthat-min", help="QCD: PhaseSpace:pTHatMin in GeV."),
    mhat_min: float = typer.Option(0.0, "--mhat-min", help="QCD: PhaseSpace:mHatMin in GeV (0: off)."),
    m_wprime: float = typer.Option(3500.0, "--m-wprime", help="Signal: W' mass in GeV."),
    m_x: float = typer.Option(500.0, "--m-x", help="Signal: X mass in GeV (X → qq)."),
    m_y: float = typer.Option(100.0, "--m-y", help="Signal: Y mass in GeV (Y → qq)."),
    min_leading_pt: float = typer.Option(1200.0, "--min-leading-pt", help="Trigger: leading-jet p_T in GeV."),
    smear_pt: float = typer.Option(0.0, "--smear-pt", help="Gaussian jet p_T smearing, fraction (e.g. 0.05)."),
    smear_m: float = typer.Option(0.0, "--smear-m", help="Gaussian jet mass smearing, fraction (e.g. 0.1)."),
    no_mpi: bool = typer.Option(False, "--no-mpi", help="Switch off multiparton interactions."),
    chunk_size: int = typer.Option(500, "--chunk-size", help="Events per seeded chunk (changes the output)."),
    seed: int = SEED,
    workers: int = WORKERS,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Dijets at √s = 13 TeV from Pythia 8 + FastJet (anti-kT R = 1.0) reduced to m_jj, m_j1, Δm, τ21 j1, τ21 j2."""
    from showerml.detectors.dijet import DijetConfig, DijetGenerator
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.spectra import Spectrum

    config = DijetConfig(
        process=process,
        sqrt_s=sqrt_s,
        pthat_min=pthat_min,
        mhat_min=mhat_min,
        m_wprime=m_wprime,
        m_x=m_x,
        m_y=m_y,
        min_leading_pt=min_leading_pt,
        smear_pt=smear_pt,
        smear_m=smear_m,
        mpi=not no_mpi,
    )
    gen = DijetGenerator(config, chunk_size=chunk_size)
    beam = Spectrum("fixed", sqrt_s, sqrt_s)  # the runner records it; the generator takes √s from its config
    t0 = time.perf_counter()
    path = simulate_to_file(gen, n, beam, seed, out, workers, overwrite, progress=not quiet, description=process)
    seconds = time.perf_counter() - t0
    typer.echo(
        f"wrote {n} {process} dijet events (seed {seed}) to {path} in {seconds:.1f} s "
        f"({n / seconds:.1f} events/s with {workers} worker(s))"
    )


def register(app: typer.Typer) -> None:
    """Nothing to add: importing this module put ``dijet`` on the ``simulate`` sub-app."""
