"""Generation time per shower versus batch size, on the CPU (the CaloChallenge timing figure, arXiv:2410.21611).

For each batch size B the generator ``fn(B)`` is called ``warmup`` times untimed, then ``repeats`` times (fewer if
``max_seconds`` per batch size runs out) with :func:`time.perf_counter`; the figure is the median wall time / B in
milliseconds per shower, with the fastest repeat beside it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from showerml.errors import InputError

__all__ = ["TimingResult", "time_generator"]


@dataclass(frozen=True)
class TimingResult:
    """Per batch size: median and minimum ms per shower, and how many timed repeats were run."""

    batch_sizes: tuple[int, ...]
    ms_per_shower: tuple[float, ...]
    ms_per_shower_min: tuple[float, ...]
    repeats: tuple[int, ...]
    threads: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def time_generator(
    fn: Callable[[int], Any],
    batch_sizes: Sequence[int] = (1, 100, 10_000),
    warmup: int = 1,
    repeats: int = 5,
    max_seconds: float = 60.0,
) -> TimingResult:
    """Time ``fn(batch_size)`` (which must produce ``batch_size`` showers) at each batch size."""
    if not batch_sizes or any(int(b) < 1 for b in batch_sizes):
        raise InputError(f"batch sizes must be positive integers, got {list(batch_sizes)}")
    if repeats < 1 or warmup < 0:
        raise InputError("repeats must be ≥ 1 and warmup ≥ 0")
    medians, minima, counts = [], [], []
    for b in (int(v) for v in batch_sizes):
        for _ in range(warmup):
            fn(b)
        times: list[float] = []
        budget_start = time.perf_counter()
        while len(times) < repeats:
            t0 = time.perf_counter()
            fn(b)
            times.append(time.perf_counter() - t0)
            if time.perf_counter() - budget_start > max_seconds:
                break
        medians.append(1e3 * float(np.median(times)) / b)
        minima.append(1e3 * min(times) / b)
        counts.append(len(times))
    threads = _threads()
    return TimingResult(tuple(int(b) for b in batch_sizes), tuple(medians), tuple(minima), tuple(counts), threads)


def _threads() -> int:
    try:
        import torch

        return int(torch.get_num_threads())
    except ImportError:  # pragma: no cover - torch is a dependency
        return os.cpu_count() or 1
