"""The in-memory sample every reconstruction task reads: one detector's arrays, concatenated over files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RecoSample"]


@dataclass
class RecoSample:
    """The arrays of one or more files of one detector (``detector``: dampe, ta or herd), concatenated (DAMPE's STK
    cluster arrays and HERD's hit lists padded to a common width)."""

    arrays: dict[str, np.ndarray]
    sources: list[str]
    detector: str = "dampe"

    def __len__(self) -> int:
        return len(self.arrays["energy"])

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def take(self, index: np.ndarray) -> RecoSample:
        return RecoSample({k: v[index] for k, v in self.arrays.items()}, self.sources, self.detector)

    @property
    def deposit(self) -> np.ndarray:
        """Measured BGO energy (MeV): the sum of the (possibly saturated) bar readings."""
        return self.arrays["bgo"].reshape(len(self), -1).sum(axis=1).astype(np.float64)

    def describe(self) -> dict[str, Any]:
        if "pdg" not in self.arrays:
            a, n = np.unique(self.arrays.get("mass_number", np.zeros(0)), return_counts=True)
            return {"events": len(self), "files": self.sources, "detector": self.detector,
                    "mass_number_counts": {int(k): int(c) for k, c in zip(a, n, strict=True)}}
        pdg, counts = np.unique(self.arrays["pdg"], return_counts=True)
        return {"events": len(self), "files": self.sources, "pdg_counts": {int(p): int(c) for p, c in
                                                                           zip(pdg, counts, strict=True)}}
