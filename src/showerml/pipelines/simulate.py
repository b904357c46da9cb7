"""Run any detector simulator into an HDF5 file: chunked, seeded, parallel, atomic.

Events are produced in fixed-size chunks; chunk ``i`` draws from ``SeedSequence(seed).spawn(n_chunks)[i]`` and chunks
are written in order, so the file is identical for any number of workers. The output path is checked before any
work and the file appears under its name only when complete.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from showerml.errors import InputError
from showerml.io.hdf5 import EventWriter, check_output_path
from showerml.io.showers import ShowerData, arrays_to_showers
from showerml.spectra import Spectrum

__all__ = ["Simulator", "simulate_showers", "simulate_to_file", "simulate_chunks"]


class Simulator(Protocol):
    """What every detector simulator offers the runner."""

    chunk_size: int

    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        """``n`` events as arrays with a leading event axis (energies in MeV, lengths in mm)."""
        ...

    def attrs(self) -> dict[str, Any]:
        """File attributes describing the detector, particle and layout."""
        ...


def _chunk_task(args: tuple[Simulator, int, Spectrum, np.random.SeedSequence]) -> dict[str, np.ndarray]:
    sim, n, spectrum, seed = args
    return sim.simulate(n, spectrum, seed)


def simulate_chunks(
    sim: Simulator, n: int, spectrum: Spectrum, seed: int, workers: int = 1
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the event chunks in order; identical output for any ``workers``."""
    if n <= 0:
        raise InputError(f"--n must be a positive number of events, got {n}")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed}")
    sizes = [min(sim.chunk_size, n - start) for start in range(0, n, sim.chunk_size)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    tasks = [(sim, size, spectrum, s) for size, s in zip(sizes, seeds, strict=True)]
    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            yield _chunk_task(task)
        return
    # forkserver, not fork: a process that already ran torch or BLAS holds thread pools whose locks a forked child
    # inherits mid-use (a deadlock seen with the tests); the fork server is a clean single-threaded parent.
    context = mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
    with context.Pool(min(workers, len(tasks))) as pool:
        yield from pool.imap(_chunk_task, tasks)


def simulate_to_file(
    sim: Simulator,
    n: int,
    spectrum: Spectrum,
    seed: int,
    out: str | os.PathLike[str],
    workers: int = 1,
    overwrite: bool = False,
    progress: bool = True,
    description: str = "simulating",
) -> Path:
    """Simulate ``n`` events into ``out`` (HDF5, gzip) with provenance attributes; return the path."""
    check_output_path(out, overwrite)
    if n <= 0:
        raise InputError(f"--n must be a positive number of events, got {n}")
    attrs = {**sim.attrs(), "spectrum": spectrum.spec, "seed": seed, "n_requested": n}
    from rich.progress import Progress

    with Progress(disable=not progress, transient=True) as bar, EventWriter(out, attrs, overwrite) as writer:
        task = bar.add_task(description, total=n)
        for chunk in simulate_chunks(sim, n, spectrum, seed, workers):
            writer.append(chunk)
            bar.update(task, advance=len(next(iter(chunk.values()))))
        finish = getattr(sim, "finish_attrs", None)
        if finish is not None:
            writer.set_attrs(**finish(writer.n_events))
    return writer.path


def simulate_showers(sim: Simulator, n: int, spectrum: Spectrum, seed: int, workers: int = 1) -> ShowerData:
    """Simulate calorimeter showers in memory (same events as :func:`simulate_to_file` with the same seed)."""
    chunks = list(simulate_chunks(sim, n, spectrum, seed, workers))
    arrays = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    return arrays_to_showers(arrays, attrs={**sim.attrs(), "spectrum": spectrum.spec, "seed": seed})
