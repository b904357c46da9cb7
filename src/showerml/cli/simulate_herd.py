"""``showerml simulate herd``: events in the HERD-like LYSO cube calorimeter into an HDF5 file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from showerml.cli.options import CONFIG, resolve_options, shower_models
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
    execution_spec,
    run_simulator,
    simulate_app,
    simulation_settings,
)
from showerml.cli.simulate_dampe import EM_NAMES

__all__ = ["herd", "register"]


@simulate_app.command("herd")
def herd(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (HERD layout)."),
    particle: str = typer.Option("p", "--particle", "-p", help="e-, e+, gamma, p, He, C, O, Fe or Z=N (1..28)."),
    n: int = typer.Option(1000, "--n", help="Number of accepted events."),
    energy: str = typer.Option(
        "powerlaw:2.7,100,1e5", "--energy", help="fixed:E | uniform:A,B | loguniform:A,B | powerlaw:G,A,B (GeV); "
        "e±/γ within 10 GeV–100 TeV, p and nuclei within 40 GeV–1 PeV."
    ),
    incidence: str = typer.Option("isotropic", "--incidence", help="isotropic (five faces) or vertical."),
    threshold: float = typer.Option(5.0, "--threshold", help="Cube read-out threshold in MeV."),
    max_hits: int = typer.Option(2048, "--max-hits", help="Stored cubes per event (the most energetic ones)."),
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
    """Cosmic rays isotropic over the five instrumented faces of a 3D calorimeter of 7,497 LYSO cubes.

    ``--config`` may also set the shower models (its ``em:``, ``hadron:`` and ``cubes:`` settings)."""
    from showerml.detectors.herd.simulator import HERD_EM_RANGE, HERD_NUCLEI_RANGE

    o, sections = resolve_options(ctx, config, herd, sections=None)
    em = str(o["particle"]).strip().lower() in EM_NAMES

    def make() -> Any:
        from showerml.detectors.herd.simulator import HerdSimulator

        return HerdSimulator(o["particle"], incidence=o["incidence"], threshold_mev=o["threshold"],
                             max_hits=o["max_hits"], **shower_models(HerdSimulator, sections, config))

    run_simulator(make, o["n"], o["energy"], o["seed"], out, o["workers"], overwrite, quiet,
                  lambda sim: f"{sim.primary.name} events", HERD_EM_RANGE if em else HERD_NUCLEI_RANGE,
                  max_memory, yes, description="herd",
                  label=f"the herd simulator for {'e±/γ' if em else 'protons and nuclei'}",
                  settings=lambda sim: simulation_settings(o, sim), executor=execution_spec(o), shards=shards)


def register(app: typer.Typer) -> None:
    """Nothing to add: importing this module put ``herd`` on the ``simulate`` sub-app."""
