"""What a simulation run will need, computed before it starts: output size, peak memory, and whether they fit.

- *Output*: ``n × bytes per event`` of the uncompressed arrays, an upper bound of the gzip-compressed file; refused
  above the free space of the output's file system.
- *Peak memory*: every process holds the interpreter and libraries (:data:`BASE_PROCESS_BYTES`); a worker holds one
  chunk's output (×4 for the float64 intermediates of binning) and the spots of one batch (at most ``spot_batch``
  estimated spots plus one event, :data:`~showerml.detectors.limits.BYTES_PER_SPOT` each); the writing process
  holds at most two finished chunks per worker (the ordered window of
  :func:`~showerml.pipelines.simulate.simulate_chunks`).
  So the peak depends on the chunk size, the highest energy and the number of workers, never on ``n``.
  Refused above ``--max-memory`` (default: half the memory available when the run starts).

Both refusals are one-line :class:`~showerml.errors.InputError` messages that give the figures; ``--yes`` accepts them.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from showerml.errors import InputError

__all__ = [
    "BASE_PROCESS_BYTES",
    "RunEstimate",
    "available_memory",
    "default_memory_budget",
    "estimate_run",
    "format_bytes",
    "parse_size",
    "probe_event_bytes",
]

#: resident memory of one simulating process before any event (Python, numpy, scipy, h5py: 113 MB measured)
BASE_PROCESS_BYTES = 160 * 2**20
#: fraction of the available memory a run may plan to use unless --max-memory says otherwise
DEFAULT_MEMORY_FRACTION = 0.5
_UNITS = {"": 1, "B": 1, "K": 2**10, "KB": 2**10, "KIB": 2**10, "M": 2**20, "MB": 2**20, "MIB": 2**20,
          "G": 2**30, "GB": 2**30, "GIB": 2**30, "T": 2**40, "TB": 2**40, "TIB": 2**40}


def format_bytes(n: float) -> str:
    """``1536`` → ``1.5 KiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def parse_size(text: str, option: str = "--max-memory") -> int:
    """``4G``, ``512MB``, ``1.5GiB`` or a number of bytes → bytes; anything else → one-line :class:`InputError`."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).upper() not in _UNITS:
        raise InputError(f"{option} must be a size such as 4G, 512M or 2.5GB, got '{text}'")
    value = float(m.group(1)) * _UNITS[m.group(2).upper()]
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{option} must be a positive size, got '{text}'")
    return int(value)


def available_memory() -> int:
    """Bytes of memory available to new allocations (``MemAvailable`` on Linux, else physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 8 * 2**30


def default_memory_budget() -> int:
    """Half of the memory available now."""
    return int(DEFAULT_MEMORY_FRACTION * available_memory())


@dataclass(frozen=True)
class RunEstimate:
    """The figures of a planned run (bytes)."""

    n_events: int
    output_bytes: int
    peak_memory_bytes: int
    free_disk_bytes: int
    memory_budget_bytes: int
    workers: int

    def describe(self) -> str:
        """One line for the terminal and the log."""
        return (
            f"plan: {self.n_events} events → at most {format_bytes(self.output_bytes)} on disk "
            f"({format_bytes(self.free_disk_bytes)} free), peak memory ≈ {format_bytes(self.peak_memory_bytes)} with "
            f"{self.workers} worker(s) (budget {format_bytes(self.memory_budget_bytes)})"
        )

    def check(self, yes: bool = False) -> None:
        """Refuse a run above the free disk or the memory budget unless ``yes``."""
        if yes:
            return
        if self.output_bytes > self.free_disk_bytes:
            raise InputError(
                f"--n {self.n_events} would write up to {format_bytes(self.output_bytes)} (uncompressed) but only "
                f"{format_bytes(self.free_disk_bytes)} are free there; lower --n, choose another --out, or pass --yes"
            )
        if self.peak_memory_bytes > self.memory_budget_bytes:
            raise InputError(
                f"this run needs about {format_bytes(self.peak_memory_bytes)} of memory, above the budget of "
                f"{format_bytes(self.memory_budget_bytes)}; use fewer --workers or lower energies, raise "
                f"--max-memory, or pass --yes"
            )


def probe_event_bytes(sim: Any, emin_gev: float) -> int:
    """Bytes per event of ``sim``'s output arrays, from one simulated event at ``emin_gev`` (or the simulator's
    ``bytes_per_event`` attribute when it has one, e.g. a generator too slow to start for a probe)."""
    known = getattr(sim, "bytes_per_event", None)
    if known is not None:
        return int(known)
    from showerml.spectra import Spectrum

    out = sim.simulate(1, Spectrum("fixed", emin_gev, emin_gev), np.random.SeedSequence(0))
    return int(sum(np.asarray(a).nbytes for a in out.values()))


def _free_disk(out: str | os.PathLike[str]) -> int:
    parent = Path(out).parent if str(Path(out).parent) else Path(".")
    try:
        return int(shutil.disk_usage(parent).free)
    except OSError:
        return 2**62  # unknown: the output check reports a missing folder on its own


def estimate_run(
    sim: Any,
    n: int,
    workers: int,
    emax_gev: float,
    bytes_per_event: int,
    out: str | os.PathLike[str],
    memory_budget: int | None = None,
) -> RunEstimate:
    """The :class:`RunEstimate` of ``n`` events of ``sim`` up to ``emax_gev`` with ``workers`` processes."""
    from showerml.detectors.limits import BYTES_PER_SPOT, SPOT_BATCH

    chunk = int(sim.chunk_size)
    w = max(1, min(int(workers), -(-int(n) // chunk)))
    chunk_out = min(chunk, n) * bytes_per_event
    spots_fn = getattr(sim, "spots_per_event", None)
    if spots_fn is not None:
        per_event = float(np.asarray(spots_fn(np.array([emax_gev * 1000.0])))[0])
        batch = float(getattr(sim, "spot_batch", SPOT_BATCH))
        spots = min(min(chunk, n) * per_event, batch + per_event)
    else:
        spots = 0.0
    worker = 4 * chunk_out + spots * BYTES_PER_SPOT
    if w == 1:
        peak = BASE_PROCESS_BYTES + worker + chunk_out
    else:
        peak = (1 + w) * BASE_PROCESS_BYTES + w * worker + 2 * w * chunk_out
    budget = default_memory_budget() if memory_budget is None else int(memory_budget)
    return RunEstimate(int(n), int(n) * int(bytes_per_event), int(peak), _free_disk(out), budget, w)
