"""``showerml simulate <detector>``: physics simulators into HDF5 files.

Every input is checked before the simulator (and its scientific libraries) is imported, so a typo is reported at
once: the ``--config`` file's options (see :mod:`showerml.cli.options`), the spectrum and its range of validity for
the detector (each command's cited :class:`~showerml.detectors.limits.EnergyRange`, declared here beside the
command), ``--n``, ``--workers``, ``--seed``, the output path; then the file's shower-model sections (``em:``,
``hadron:``), checked against the simulator's own model dataclasses. Then the run is planned (output size, peak memory,
:mod:`showerml.pipelines.simulate_plan`), the plan printed, and refused above the free disk or ``--max-memory``
unless ``--yes``. The resolved settings (every option and the full shower models) are saved in the output file's
``config`` attribute (JSON).

Every command takes the shared execution options (:mod:`showerml.cli.options`): ``--executor local|dask``,
``--scheduler``, ``--cluster``, ``--cluster-config``, and ``--shards DIR`` (one HDF5 file per task joined by the
``--out`` virtual-dataset file, :mod:`showerml.io.shards`); the events are the same bytes for any of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import typer

from showerml.cli.options import (
    CLUSTER,
    CLUSTER_CONFIG,
    CONFIG,
    EXECUTOR,
    SCHEDULER,
    SHARDS,
    execution_spec,
    resolve_options,
    saved_options,
    shower_models,
)
from showerml.detectors.limits import EnergyRange
from showerml.errors import InputError
from showerml.spectra import Spectrum, parse_spectrum

__all__ = ["CALOCHALLENGE2_RANGE", "CALOGAN_RANGE", "CLUSTER", "CLUSTER_CONFIG", "EXECUTOR", "SCHEDULER", "SHARDS",
           "simulate_app", "register", "check_inputs", "execution_spec", "plan_simulation", "run_simulator",
           "simulation_settings"]

simulate_app = typer.Typer(help="Simulate detector events into an HDF5 file.", no_args_is_help=True)

OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing output file.")
WORKERS = typer.Option(1, "--workers", "-w", help="Parallel worker processes (output is identical for any number).")
SEED = typer.Option(0, "--seed", help="Random seed.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")
MAX_MEMORY = typer.Option(None, "--max-memory", help="Memory budget, e.g. 4G (default: half the available memory).")
YES = typer.Option(False, "--yes", "-y", help="Run even above the free disk space or the memory budget.")


def check_inputs(energy: str, n: int, workers: int, seed: int, out: Path, overwrite: bool,
                 energy_range: Any | None, label: str = "this simulator") -> Spectrum:
    """The cheap checks (no simulator import): spectrum and its range of validity, counts, seed, output path."""
    from showerml.io.hdf5 import check_output_path

    spectrum = parse_spectrum(energy)
    if energy_range is not None:
        energy_range.check(spectrum.emin_gev, spectrum.emax_gev, label)
    if n <= 0:
        raise InputError(f"--n must be a positive number of events, got {n}")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    cap = 4 * (os.cpu_count() or 1)
    if workers > cap:  # each worker is a process with its own memory; beyond the cores they only add memory
        raise InputError(f"--workers {workers} is more than 4 per CPU core ({cap} here); use at most {cap}")
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed}")
    check_output_path(out, overwrite)
    return spectrum


def plan_simulation(sim: Any, spectrum: Spectrum, n: int, workers: int, out: Path, max_memory: str | None,
                    yes: bool, event_bytes: int | None = None) -> Any:
    """The :class:`~showerml.pipelines.simulate_plan.RunEstimate` of the run, checked (refused unless ``yes``)."""
    from showerml.pipelines.simulate_plan import estimate_run, parse_size, probe_event_bytes

    budget = None if max_memory is None else parse_size(max_memory)
    if event_bytes is None:
        event_bytes = probe_event_bytes(sim, spectrum.emin_gev)
    estimate = estimate_run(sim, n, workers, spectrum.emax_gev, event_bytes, out, budget)
    estimate.check(yes)
    return estimate


def run_simulator(
    make_sim: Callable[[], Any], n: int, energy: str, seed: int, out: Path, workers: int, overwrite: bool,
    quiet: bool, what: str | Callable[[Any], str], energy_range: Any | None = None, max_memory: str | None = None,
    yes: bool = False,
    spectrum: Spectrum | None = None, description: str = "simulating", event_bytes: int | None = None,
    label: str = "this simulator", settings: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
    executor: Any | None = None, shards: Path | None = None,
) -> tuple[Path, Any]:
    """Check the inputs, build the simulator, plan, run it into ``out`` and print the plan and one summary line;
    ``settings`` (the resolved configuration, or a function of the simulator giving it) are saved in the file's
    ``config`` attribute; ``executor`` (an :class:`~showerml.execution.ExecutorSpec`, default ``workers`` local
    processes) runs the chunks; ``shards`` makes them shard files joined by ``out``."""
    import time

    from showerml.execution import ExecutorSpec

    spectrum = spectrum or check_inputs(energy, n, workers, seed, out, overwrite, energy_range, label)
    executor = executor or ExecutorSpec("local", workers)
    if shards is not None:
        from showerml.io.shards import check_shard_folder

        check_shard_folder(shards)
    sim = make_sim()
    if energy_range is None and getattr(sim, "energy_range", None) is not None:
        sim.energy_range.check(spectrum.emin_gev, spectrum.emax_gev, label)
    if callable(settings):
        settings = settings(sim)
    estimate = plan_simulation(sim, spectrum, n, workers, out, max_memory, yes, event_bytes)
    if not quiet:
        typer.echo(estimate.describe())
    from showerml.pipelines.simulate import simulate_to_file

    t0 = time.perf_counter()
    path = simulate_to_file(sim, n, spectrum, seed, out, workers, overwrite, progress=not quiet,
                            description=description, settings=settings, executor=executor, shards=shards)
    seconds = time.perf_counter() - t0
    what = what(sim) if callable(what) else what
    where = f", {executor.describe()}" + (f", shards in {shards}" if shards is not None else "")
    typer.echo(f"wrote {n} {what} ({spectrum.spec} GeV, seed {seed}) to {path} in {seconds:.1f} s "
               f"({n / max(seconds, 1e-9):.0f} events/s{where})")
    return path, sim


def simulation_settings(options: Mapping[str, Any], sim: Any) -> dict[str, Any]:
    """What a simulated file records as its ``config``: the options (run controls left out) and every shower model
    the simulator was built with (its dataclass fields holding a dataclass), in full — a ``--config`` file that
    gives the same events."""
    from showerml.io.config import as_settings, dataclass_sections

    models = {name: as_settings(getattr(sim, name)) for name in dataclass_sections(type(sim))}
    return {**saved_options(options), **models}


#: 1–100 GeV: the span of the Geant4 samples of the CaloGAN application (Paganini, de Oliveira, Nachman, PRD 97 (2018)
#: 014021, arXiv:1712.10321: e+, γ, π+ uniform in 1–100 GeV) on which the EM settings are fitted (51 Geant4 e+
#: showers, 1.5–99 GeV)
CALOGAN_RANGE = EnergyRange(1.0, 100.0, "the Geant4 samples of the CaloGAN geometry it is calibrated on")
#: 1 GeV–1 TeV: the challenge's dataset-2 electron spectrum (log-uniform, Krause et al., arXiv:2410.21611)
CALOCHALLENGE2_RANGE = EnergyRange(1.0, 1000.0, "the CaloChallenge dataset-2 spectrum")


@simulate_app.command("calogan")
def calogan(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (CaloGAN layout)."),
    particle: str = typer.Option("e+", "--particle", "-p", help="e+, e-, gamma or pi+."),
    n: int = typer.Option(1000, "--n", help="Number of showers."),
    energy: str = typer.Option(
        "uniform:1,100", "--energy", help="fixed:E | uniform:A,B | loguniform:A,B | powerlaw:G,A,B (GeV), "
        "within 1–100 GeV."
    ),
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
    """Showers in the CaloGAN Pb/LAr calorimeter (3 layers, 504 cells), written in the CaloGAN layout."""
    o, sections = resolve_options(ctx, config, calogan, sections=None)

    def make() -> Any:
        from showerml.detectors.calogan import CaloGANSimulator

        return CaloGANSimulator(o["particle"], **shower_models(CaloGANSimulator, sections, config))

    run_simulator(make, o["n"], o["energy"], o["seed"], out, o["workers"], overwrite, quiet,
                  f"{o['particle']} showers", CALOGAN_RANGE, max_memory, yes, label="the calogan simulator",
                  settings=lambda sim: simulation_settings(o, sim), executor=execution_spec(o), shards=shards)


@simulate_app.command("calochallenge2")
def calochallenge2(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="Output HDF5 file (CaloChallenge layout, gzip)."),
    particle: str = typer.Option("e-", "--particle", "-p", help="e-, e+ or gamma."),
    n: int = typer.Option(1000, "--n", help="Number of showers."),
    energy: str = typer.Option("loguniform:1,1000", "--energy", help="Incident energies (GeV), as for calogan, "
                               "within 1–1000 GeV."),
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
    """Showers in the CaloChallenge dataset-2 W/Si calorimeter (45 layers × 16 α × 9 r = 6480 voxels)."""
    o, sections = resolve_options(ctx, config, calochallenge2, sections=None)

    def make() -> Any:
        from showerml.detectors.calochallenge import CaloChallenge2Simulator

        return CaloChallenge2Simulator(o["particle"], **shower_models(CaloChallenge2Simulator, sections, config))

    run_simulator(make, o["n"], o["energy"], o["seed"], out, o["workers"], overwrite, quiet,
                  f"{o['particle']} showers", CALOCHALLENGE2_RANGE, max_memory, yes,
                  label="the calochallenge2 simulator", settings=lambda sim: simulation_settings(o, sim),
                  executor=execution_spec(o), shards=shards)


def register(app: typer.Typer) -> None:
    app.add_typer(simulate_app, name="simulate")
