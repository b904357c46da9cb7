"""Do the error bars tell the truth? Pulls (Î − I)/σ over independent seeds.

For an honest integrator the pulls are N(0, 1): mean 0, width 1. The check is on the root-mean-square pull
√⟨pull²⟩ (it grows with a bias as well as with error bars that are too small) and on the largest |pull|. With n
seeds the RMS of a correct integrator scatters by about 1/√(2n) (0.16 for n = 20), so the ±0.2 band of the target is
a ~1.3σ band: about one correct run in five lands outside it by chance; the test suite uses fixed seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["PullSummary", "pull_summary"]


@dataclass(frozen=True)
class PullSummary:
    n: int
    mean: float
    std: float
    rms: float
    max_abs: float
    tolerance: float = 0.2
    max_allowed: float = 3.0

    @property
    def width_ok(self) -> bool:
        return abs(self.rms - 1) <= self.tolerance

    @property
    def ok(self) -> bool:
        """RMS pull within 1 ± tolerance; with ≤ 20 seeds no pull beyond ``max_allowed`` (one in 370 for N(0, 1))."""
        return self.width_ok and (self.n > 20 or self.max_abs <= self.max_allowed)

    def to_json(self) -> dict[str, float | bool]:
        return {**asdict(self), "ok": self.ok}


def pull_summary(pulls: Sequence[float], tolerance: float = 0.2) -> PullSummary:
    p = np.asarray(pulls, dtype=np.float64)
    if len(p) == 0 or not np.all(np.isfinite(p)):
        return PullSummary(len(p), math.nan, math.nan, math.inf, math.inf, tolerance)
    return PullSummary(len(p), float(p.mean()), float(p.std(ddof=1)) if len(p) > 1 else math.nan,
                       float(np.sqrt(np.mean(p**2))), float(np.abs(p).max()), tolerance)
