"""Energy spots: the common currency between shower models and detector read-out.

A shower model turns incident particles into :class:`Spots` in the shower frame (depth ``s`` along the axis from the
shower origin, transverse offsets ``u, v``, all mm); a detector places them along the particle's trajectory and bins
them into its cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Spots"]


@dataclass
class Spots:
    """Deposits of many events at once; ``event`` indexes the parent particle of each spot."""

    event: np.ndarray  # int64 (n,)
    s: np.ndarray  # depth along the shower axis, mm
    u: np.ndarray  # transverse offset, mm
    v: np.ndarray  # transverse offset, mm
    energy: np.ndarray  # MeV

    def __len__(self) -> int:
        return len(self.event)

    @classmethod
    def empty(cls) -> Spots:
        z = np.zeros(0)
        return cls(np.zeros(0, dtype=np.int64), z, z.copy(), z.copy(), z.copy())

    @classmethod
    def concat(cls, parts: Sequence[Spots]) -> Spots:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("event", "s", "u", "v", "energy")))

    def total_per_event(self, n_events: int) -> np.ndarray:
        """Σ spot energy per event (MeV)."""
        return np.bincount(self.event, weights=self.energy, minlength=n_events)
