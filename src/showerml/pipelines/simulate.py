"""Run any detector simulator into an HDF5 file: chunked, seeded, parallel, atomic.

Events are produced in fixed-size chunks; chunk ``i`` draws from ``SeedSequence(seed).spawn(n_chunks)[i]`` and chunks
are written in order, so the file is identical for any number of workers. The output path is checked before any
work and the file appears under its name only when complete.

Memory is bounded by the chunk, not by ``n``: the chunk seeds are made one at a time (the ``i``-th child of
``SeedSequence(seed)`` is ``SeedSequence(seed, spawn_key=(i,))``), and with several workers at most two chunks per
worker are in flight (an ordered window of asynchronous tasks, not ``imap``, whose results pile up when writing is
slower than simulating). Workers ignore SIGINT: the writing process alone handles Ctrl-C and stops the pool.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from showerml import interrupts
from showerml.detectors.simulator import Simulator
from showerml.errors import InputError
from showerml.io.hdf5 import EventWriter, check_output_path
from showerml.io.runfolder import json_safe
from showerml.io.showers import ShowerData, arrays_to_showers
from showerml.spectra import Spectrum

__all__ = ["chunk_seeds", "simulate_showers", "simulate_to_file", "simulate_chunks"]


def _chunk_task(args: tuple[Simulator, int, Spectrum, np.random.SeedSequence]) -> dict[str, np.ndarray]:
    sim, n, spectrum, seed = args
    return sim.simulate(n, spectrum, seed)


def _ignore_sigint() -> None:
    """Pool initialiser: Ctrl-C reaches the whole process group; only the writing process acts on it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def chunk_seeds(seed: int, n_chunks: int) -> Iterator[np.random.SeedSequence]:
    """``SeedSequence(seed).spawn(n_chunks)``, one at a time (the same sequences, without holding them all)."""
    for i in range(n_chunks):
        yield np.random.SeedSequence(seed, spawn_key=(i,))


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
    spots = getattr(sim, "spots_per_event", None)
    if spots is not None:  # a batch holds at least one event: the most energetic one must fit
        from showerml.detectors.limits import check_event_memory
        from showerml.pipelines.simulate_plan import available_memory

        worst = float(np.asarray(spots(np.array([spectrum.emax_gev * 1000.0])))[0])
        check_event_memory(worst, available_memory(), spectrum.emax_gev)
    size = sim.chunk_size
    n_chunks = -(-n // size)
    tasks = ((sim, min(size, n - i * size), spectrum, s) for i, s in enumerate(chunk_seeds(seed, n_chunks)))
    if workers == 1 or n_chunks == 1:
        for task in tasks:
            yield _chunk_task(task)
        return
    # forkserver, not fork: a process that already ran torch or BLAS holds thread pools whose locks a forked child
    # inherits mid-use (a deadlock seen with the tests); the fork server is a clean single-threaded parent.
    context = mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
    n_workers = min(workers, n_chunks)
    with context.Pool(n_workers, initializer=_ignore_sigint) as pool:
        window: deque = deque()
        for task in tasks:
            window.append(pool.apply_async(_chunk_task, (task,)))
            if len(window) >= 2 * n_workers:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()


class _LogProgress:
    """Progress for logs (output not a terminal): a line at the start, every 10 % and at the end."""

    def __init__(self, description: str, total: int) -> None:
        self.description, self.total, self.done, self.next = description, total, 0, 0.1
        self.t0 = time.perf_counter()
        print(f"{description}: 0/{total} events", flush=True)

    def advance(self, k: int) -> None:
        self.done += k
        if self.done >= self.total or self.done >= self.next * self.total:
            while self.next * self.total <= self.done:
                self.next += 0.1
            t = time.perf_counter() - self.t0
            print(f"{self.description}: {self.done}/{self.total} events ({100 * self.done / self.total:.0f} %, "
                  f"{t:.1f} s)", flush=True)


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
    settings: Mapping[str, Any] | None = None,
) -> Path:
    """Simulate ``n`` events into ``out`` (HDF5, gzip) with provenance attributes; return the path.

    ``settings``, the run's resolved configuration (options and shower models), is saved as the JSON attribute
    ``config``."""
    check_output_path(out, overwrite)
    if n <= 0:
        raise InputError(f"--n must be a positive number of events, got {n}")
    attrs = {**sim.attrs(), "spectrum": spectrum.spec, "seed": seed, "n_requested": n}
    if settings is not None:
        attrs["config"] = json.dumps(json_safe(settings), allow_nan=False)  # a non-finite value → null
    from rich.progress import Progress

    live = progress and sys.stdout.isatty()
    log = _LogProgress(description, n) if progress and not live else None
    with Progress(disable=not live, transient=True) as bar, EventWriter(out, attrs, overwrite) as writer:
        task = bar.add_task(description, total=n)
        for chunk in simulate_chunks(sim, n, spectrum, seed, workers):
            interrupts.check()
            writer.append(chunk)
            k = len(next(iter(chunk.values())))
            bar.update(task, advance=k)
            if log is not None:
                log.advance(k)
        interrupts.check()
        finish = getattr(sim, "finish_attrs", None)
        if finish is not None:
            writer.set_attrs(**finish(writer.n_events))
    return writer.path


def simulate_showers(sim: Simulator, n: int, spectrum: Spectrum, seed: int, workers: int = 1) -> ShowerData:
    """Simulate calorimeter showers in memory (same events as :func:`simulate_to_file` with the same seed)."""
    chunks = list(simulate_chunks(sim, n, spectrum, seed, workers))
    arrays = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    return arrays_to_showers(arrays, attrs={**sim.attrs(), "spectrum": spectrum.spec, "seed": seed})
