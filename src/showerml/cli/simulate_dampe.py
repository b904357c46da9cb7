"""``showerml simulate dampe``: events in the DAMPE-like PSD + STK + BGO detector into an HDF5 file."""

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
from showerml.errors import InputError

__all__ = ["EM_NAMES", "dampe", "register"]


#: particle names the DAMPE-like simulator showers electromagnetically (see dampe.particles.parse_particle)
EM_NAMES = {"e-", "electron", "e+", "positron", "gamma", "photon", "g"}


@simulate_app.command("dampe")
def dampe(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (DAMPE layout)."),
    particle: str = typer.Option("p", "--particle", "-p", help="e-, e+, gamma, p, He, C, O, Fe or Z=N (1..28)."),
    n: int = typer.Option(1000, "--n", help="Number of accepted events."),
    energy: str = typer.Option(
        "powerlaw:2.7,100,1e5", "--energy", help="fixed:E | uniform:A,B | loguniform:A,B | powerlaw:G,A,B (GeV); "
        "e±/γ within 5 GeV–10 TeV, p and nuclei within 40 GeV–316 TeV."
    ),
    saturation: float = typer.Option(4.0e6, "--saturation", help="BGO bar read-out saturation deposit in MeV."),
    incidence: str = typer.Option("isotropic", "--incidence", help="isotropic (with acceptance) or vertical."),
    max_clusters: int = typer.Option(1024, "--max-clusters", help="Padded number of STK clusters per event."),
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
    """Cosmic rays through PSD, silicon tracker and BGO calorimeter (isotropic, with the geometry factor).

    ``--config`` may also set the shower models of the simulator (its ``em:`` and ``hadron:`` settings)."""
    from showerml.detectors.limits import DAMPE_EM_RANGE, DAMPE_NUCLEI_RANGE

    o, sections = resolve_options(ctx, config, dampe, sections=None)
    em = str(o["particle"]).strip().lower() in EM_NAMES

    def make() -> Any:
        from showerml.detectors.dampe import geometry as geo
        from showerml.detectors.dampe.simulator import DampeSimulator

        # a cluster holds at least one read-out strip: more clusters than strips cannot occur
        strips = geo.STK_N_LAYERS * round(2 * geo.STK_HALF / geo.STK_READOUT_PITCH)
        if not 1 <= o["max_clusters"] <= strips:
            raise InputError(f"--max-clusters must be between 1 and {strips} (the tracker's read-out strips), "
                             f"got {o['max_clusters']}")
        return DampeSimulator(o["particle"], saturation_mev=o["saturation"], incidence=o["incidence"],
                              max_clusters=o["max_clusters"], **shower_models(DampeSimulator, sections, config))

    path, sim = run_simulator(make, o["n"], o["energy"], o["seed"], out, o["workers"], overwrite, quiet,
                              lambda sim: f"{sim.primary.name} events", DAMPE_EM_RANGE if em else DAMPE_NUCLEI_RANGE,
                              max_memory, yes, description="dampe",
                              label=f"the dampe simulator for {'e±/γ' if em else 'protons and nuclei'}",
                              settings=lambda sim: simulation_settings(o, sim), executor=execution_spec(o),
                              shards=shards)
    from showerml.io.hdf5 import read_attrs

    attrs = read_attrs(path)
    acc = attrs.get("acceptance_m2sr", 0.0)
    if acc:
        typer.echo(f"{sim.primary.name}: acceptance {acc:.4f} ± {attrs.get('acceptance_err_m2sr', 0.0):.4f} m² sr")


def register(app: typer.Typer) -> None:
    """Nothing to add: importing this module put ``dampe`` on the ``simulate`` sub-app."""
