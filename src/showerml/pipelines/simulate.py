"""Run any detector simulator into an HDF5 file (or a set of shards): chunked, seeded, parallel, atomic.

Events are produced in fixed-size chunks; chunk ``i`` draws from ``SeedSequence(seed).spawn(n_chunks)[i]`` and chunks
are written in order, so the file is identical for any executor and any number of workers (a local process pool, a
Dask cluster: :mod:`showerml.execution`). The output path is checked before any work, the executor started (a Dask
scheduler reached) before any output is opened, and the file appears under its name only when complete.

Memory is bounded by the chunk, not by ``n``: the chunk seeds are made one at a time (the ``i``-th child of
``SeedSequence(seed)`` is ``SeedSequence(seed, spawn_key=(i,))``), and the executor keeps at most two chunks per
worker in flight (:class:`~showerml.execution.base.Executor`).

With ``shards`` (a folder) every chunk is written by the worker that simulated it as one shard file, and the output
is the HDF5 virtual-dataset file joining them (:mod:`showerml.io.shards`): a re-run resumes from the complete shards
of the same run, and shards of another run in the folder are refused.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from showerml import interrupts
from showerml.detectors.simulator import Simulator
from showerml.errors import InputError
from showerml.execution import ExecutorSpec, open_executor
from showerml.io.hdf5 import EventWriter, check_output_path
from showerml.io.runfolder import json_safe
from showerml.io.showers import ShowerData, arrays_to_showers
from showerml.spectra import Spectrum

__all__ = ["chunk_seeds", "simulate_showers", "simulate_to_file", "simulate_chunks"]

_Task = tuple[Simulator, int, Spectrum, np.random.SeedSequence]


def _chunk_task(args: _Task) -> dict[str, np.ndarray]:
    sim, n, spectrum, seed = args
    return sim.simulate(n, spectrum, seed)


def _shard_task(args: tuple[_Task, str, dict[str, Any], int, int, str]) -> Any:
    """Simulate one chunk and write it as a shard (in the worker: events never travel back); its ShardInfo."""
    from showerml.io.shards import write_shard

    task, path, attrs, index, count, run = args
    return write_shard(path, _chunk_task(task), attrs, index, count, run)


def chunk_seeds(seed: int, n_chunks: int) -> Iterator[np.random.SeedSequence]:
    """``SeedSequence(seed).spawn(n_chunks)``, one at a time (the same sequences, without holding them all)."""
    for i in range(n_chunks):
        yield np.random.SeedSequence(seed, spawn_key=(i,))


def _check_run(sim: Simulator, n: int, spectrum: Spectrum, seed: int, workers: int) -> int:
    """The run's checks (counts, seed, the most energetic event fits in memory); the number of chunks."""
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
    return -(-n // sim.chunk_size)


def _tasks(sim: Simulator, n: int, spectrum: Spectrum, seed: int, n_chunks: int) -> Iterator[_Task]:
    size = sim.chunk_size
    return ((sim, min(size, n - i * size), spectrum, s) for i, s in enumerate(chunk_seeds(seed, n_chunks)))


def simulate_chunks(
    sim: Simulator, n: int, spectrum: Spectrum, seed: int, workers: int = 1, executor: ExecutorSpec | None = None
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the event chunks in order; identical output for any ``workers`` and any ``executor`` (default: a local
    pool of ``workers`` processes)."""
    n_chunks = _check_run(sim, n, spectrum, seed, workers)
    spec = executor or ExecutorSpec("local", workers)
    with open_executor(spec, n_chunks) as ex:
        yield from ex.map(_chunk_task, _tasks(sim, n, spectrum, seed, n_chunks))


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
    executor: ExecutorSpec | None = None,
    shards: str | os.PathLike[str] | None = None,
) -> Path:
    """Simulate ``n`` events into ``out`` (HDF5, gzip) with provenance attributes; return the path.

    ``settings``, the run's resolved configuration (options and shower models), is saved as the JSON attribute
    ``config``. ``executor`` runs the chunks (default: ``workers`` local processes); with ``shards`` (a folder) the
    chunks are shard files there and ``out`` the virtual-dataset file joining them (module docstring)."""
    check_output_path(out, overwrite)
    n_chunks = _check_run(sim, n, spectrum, seed, workers)
    attrs: dict[str, Any] = {**sim.attrs(), "spectrum": spectrum.spec, "seed": seed, "n_requested": n}
    if settings is not None:
        attrs["config"] = json.dumps(json_safe(settings), allow_nan=False)  # a non-finite value → null
    spec = executor or ExecutorSpec("local", workers)
    if shards is not None:
        return _simulate_to_shards(sim, n, spectrum, seed, Path(out), Path(shards), n_chunks, attrs, spec,
                                   overwrite, progress, description)
    from rich.progress import Progress

    live = progress and sys.stdout.isatty()
    log = _LogProgress(description, n) if progress and not live else None
    with open_executor(spec, n_chunks) as ex, Progress(disable=not live, transient=True) as bar, \
            EventWriter(out, attrs, overwrite) as writer:
        task = bar.add_task(description, total=n)
        for chunk in ex.map(_chunk_task, _tasks(sim, n, spectrum, seed, n_chunks)):
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


def _simulate_to_shards(sim: Simulator, n: int, spectrum: Spectrum, seed: int, out: Path, folder: Path,
                        n_chunks: int, attrs: dict[str, Any], spec: ExecutorSpec, overwrite: bool, progress: bool,
                        description: str) -> Path:
    """The sharded run: resume from this run's complete shards, simulate the others, join them (VDS)."""
    from rich.progress import Progress

    from showerml.io import shards as sh

    folder = sh.check_shard_folder(folder)
    run = sh.run_id(attrs, n, sim.chunk_size)
    done, notes = sh.scan_shards(folder, run, n_chunks, overwrite)  # another run's shards: refused here, unchanged
    todo = [i for i in range(n_chunks) if i not in done]
    size = sim.chunk_size
    with open_executor(spec, max(1, len(todo))) as ex:
        if overwrite:
            sh.remove_foreign_shards(folder, run, n_chunks)
        folder.mkdir(exist_ok=True)
        if progress:
            for note in notes:
                print(f"{description}: {note}", flush=True)
            if done:
                print(f"{description}: resuming, {len(done)} of {n_chunks} shards already complete in {folder}",
                      flush=True)
        where = str(folder.resolve())
        tasks = (((sim, min(size, n - i * size), spectrum, np.random.SeedSequence(seed, spawn_key=(i,))),
                  os.path.join(where, sh.shard_name(i)), attrs, i, n_chunks, run) for i in todo)
        live = progress and sys.stdout.isatty()
        log = _LogProgress(description, n) if progress and not live else None
        with Progress(disable=not live, transient=True) as bar:
            task = bar.add_task(description, total=n)
            already = sum(i.n_events for i in done.values())
            bar.update(task, advance=already)
            if log is not None and already:
                log.advance(already)
            for info in ex.map(_shard_task, tasks):
                interrupts.check()
                done[info.index] = info
                bar.update(task, advance=info.n_events)
                if log is not None:
                    log.advance(info.n_events)
    interrupts.check()
    infos = [done[i] for i in range(n_chunks)]
    finish = getattr(sim, "finish_attrs", None)
    final = {**attrs, **(finish(sum(i.n_events for i in infos)) if finish is not None else {})}
    return sh.join_shards(out, folder, infos, final, run, overwrite)


def simulate_showers(sim: Simulator, n: int, spectrum: Spectrum, seed: int, workers: int = 1,
                     executor: ExecutorSpec | None = None) -> ShowerData:
    """Simulate calorimeter showers in memory (same events as :func:`simulate_to_file` with the same seed)."""
    chunks = list(simulate_chunks(sim, n, spectrum, seed, workers, executor))
    arrays = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    return arrays_to_showers(arrays, attrs={**sim.attrs(), "spectrum": spectrum.spec, "seed": seed})
