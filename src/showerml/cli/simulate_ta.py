"""``showerml simulate ta``: air showers on a Telescope-Array-like surface detector into an HDF5 file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from showerml.cli.options import resolve_options
from showerml.cli.simulate import (
    CLUSTER,
    CLUSTER_CONFIG,
    CONFIG,
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
from showerml.spectra import Spectrum, parse_spectrum

__all__ = ["ta", "register", "parse_eev_spectrum"]

#: 10^17–10^21 eV: the energies of De Domenico et al.'s X_max parametrisation (arXiv:1305.2331) for nuclei
EEV_MIN, EEV_MAX = 0.1, 1000.0
GEV_PER_EEV = 1e9


def parse_eev_spectrum(text: str) -> Spectrum:
    """The CLI spectrum syntax with energies in EeV → a :class:`Spectrum` in GeV, within 10^17–10^21 eV."""
    s = parse_spectrum(text.replace("EeV", "").replace("eev", ""))
    if s.emin_gev < EEV_MIN * (1 - 1e-9) or s.emax_gev > EEV_MAX * (1 + 1e-9):
        raise InputError(f"--energy {text} (EeV) leaves 0.1–1000 EeV (10^17–10^21 eV), where the shower "
                         "parametrisations hold; choose energies inside, e.g. powerlaw:1,1,316")
    return Spectrum(s.kind, s.emin_gev * GEV_PER_EEV, s.emax_gev * GEV_PER_EEV, s.gamma)


@simulate_app.command("ta")
def ta(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (TA layout)."),
    n: int = typer.Option(1000, "--n", help="Number of events that trigger the array."),
    energy: str = typer.Option("powerlaw:1,1,316", "--energy", help="fixed:E | uniform:A,B | loguniform:A,B | "
                               "powerlaw:G,A,B in EeV (default E^-1 from 1 to 316 EeV), within 0.1–1000 EeV."),
    composition: str = typer.Option("p:1,He:1,N:1,Fe:1", "--composition", "-c",
                                    help="Mixture of p, He, N, Fe, photon (e.g. p:1,Fe:1) or one species."),
    grid: Path = typer.Option(None, "--grid", help="Station layout file, 'x y' in m per line (default: 507 "
                              "stations on a 1.2 km grid)."),
    off_fraction: float = typer.Option(0.01, "--off-fraction", help="Probability that a station is off."),
    window: int = typer.Option(6, "--window", help="Stations per side of the network input (N of N x N x 128 x 2)."),
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
    """Showers of protons, nuclei or photons on a TA-like array of two-layer scintillator stations."""
    from showerml.cli.simulate import check_inputs

    o, _ = resolve_options(ctx, config, ta)
    spectrum = parse_eev_spectrum(o["energy"])
    check_inputs(spectrum.spec, o["n"], o["workers"], o["seed"], out, overwrite, None)
    from showerml.detectors.ta.primaries import parse_composition

    parse_composition(o["composition"])  # before any heavier import

    def make() -> Any:
        from showerml.detectors.ta import TaSimulator, default_layout, load_layout

        layout = load_layout(Path(o["grid"])) if o["grid"] is not None else default_layout()
        return TaSimulator(o["composition"], layout=layout, off_fraction=o["off_fraction"], window=o["window"])

    run_simulator(make, o["n"], o["energy"], o["seed"], out, o["workers"], overwrite, quiet,
                  lambda sim: f"TA events of {sim.mixture.spec}", None, max_memory, yes, spectrum=spectrum,
                  description="ta", label="the ta simulator", settings=lambda sim: simulation_settings(o, sim),
                  executor=execution_spec(o), shards=shards)


def register(app: typer.Typer) -> None:
    """Nothing to add: importing this module put ``ta`` on the ``simulate`` sub-app."""
