"""The timing harness: calls, repeats and units (no timing assertions)."""

from __future__ import annotations

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.metrics import time_generator


def test_time_generator_calls_and_reports_per_shower() -> None:
    calls: list[int] = []

    def generate(n: int) -> np.ndarray:
        calls.append(n)
        return np.zeros((n, 504), dtype=np.float32)

    res = time_generator(generate, batch_sizes=(1, 100, 1000), warmup=2, repeats=3)
    assert calls == [1] * 5 + [100] * 5 + [1000] * 5
    assert res.batch_sizes == (1, 100, 1000) and res.repeats == (3, 3, 3)
    assert all(m > 0 and lo <= m for m, lo in zip(res.ms_per_shower, res.ms_per_shower_min, strict=True))
    assert res.threads >= 1 and set(res.as_dict()) >= {"ms_per_shower", "batch_sizes"}


def test_time_budget_stops_repeats_and_bad_sizes() -> None:
    res = time_generator(lambda n: None, batch_sizes=(10,), warmup=0, repeats=1000, max_seconds=0.0)
    assert res.repeats == (1,)
    with pytest.raises(InputError):
        time_generator(lambda n: None, batch_sizes=(0,))
