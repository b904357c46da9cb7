"""``showerml simulate dijet``: Pythia 8 + FastJet dijet events into an LHCO-style feature file."""

from __future__ import annotations

from pathlib import Path

import typer

from showerml.cli.options import CONFIG, resolve_options, saved_options
from showerml.cli.simulate import (
    CLUSTER,
    CLUSTER_CONFIG,
    EXECUTOR,
    MAX_MEMORY,
    OVERWRITE,
    QUIET,
    SCHEDULER,
    SEED,
    SHARDS,
    WORKERS,
    YES,
    check_inputs,
    execution_spec,
    run_simulator,
    simulate_app,
)
from showerml.errors import InputError

__all__ = ["dijet", "register"]

#: bytes per event of the output arrays (features 5, jets 2×4, tau 2×3 float64; label, trials): 168, rounded up
DIJET_EVENT_BYTES = 192


@simulate_app.command("dijet")
def dijet(
    ctx: typer.Context,
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
    max_memory: str = MAX_MEMORY,
    yes: bool = YES,
    config: Path = CONFIG,
    executor: str = EXECUTOR,
    scheduler: str = SCHEDULER,
    cluster: str = CLUSTER,
    cluster_config: Path = CLUSTER_CONFIG,
    shards: Path = SHARDS,
) -> None:
    """Dijets at √s = 13 TeV from Pythia 8 + FastJet (anti-kT R = 1.0) reduced to m_jj, m_j1, Δm, τ21 j1, τ21 j2."""
    from showerml.spectra import Spectrum

    o, _ = resolve_options(ctx, config, dijet)
    process, n, sqrt_s, pthat_min, mhat_min = o["process"], o["n"], o["sqrt_s"], o["pthat_min"], o["mhat_min"]
    m_wprime, m_x, m_y, min_leading_pt = o["m_wprime"], o["m_x"], o["m_y"], o["min_leading_pt"]
    smear_pt, smear_m, no_mpi, chunk_size = o["smear_pt"], o["smear_m"], o["no_mpi"], o["chunk_size"]
    seed, workers = o["seed"], o["workers"]

    if not (sqrt_s > 0 and sqrt_s < float("inf")):
        raise InputError(f"--sqrt-s must be a positive energy in GeV, got {sqrt_s}")
    beam = Spectrum("fixed", sqrt_s, sqrt_s)  # the runner records it; the generator takes √s from its config
    check_inputs(beam.spec, n, workers, seed, out, overwrite, None)

    def make():
        from showerml.detectors.dijet import DijetConfig, DijetGenerator

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
        return DijetGenerator(config, chunk_size=chunk_size)

    run_simulator(make, n, beam.spec, seed, out, workers, overwrite, quiet, f"{process} dijet events", None,
                  max_memory, yes, spectrum=beam, description=process, event_bytes=DIJET_EVENT_BYTES,
                  settings=saved_options(o), executor=execution_spec(o), shards=shards)


def register(app: typer.Typer) -> None:
    """Nothing to add: importing this module put ``dijet`` on the ``simulate`` sub-app."""
