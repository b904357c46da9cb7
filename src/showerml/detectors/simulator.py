"""The one interface every detector simulator offers the simulation runner (:mod:`showerml.pipelines.simulate`).

A simulator is a small, picklable description of a detector and a particle (so worker processes can rebuild it)
with a method that simulates ``n`` events from one chunk's seed. The runner splits a run into chunks of
``chunk_size`` events seeded from ``SeedSequence(seed).spawn(n_chunks)``, so the file is the same for any number of
workers. Adding a detector = one module implementing this protocol (+ its tests) and its ``simulate`` sub-command.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from showerml.spectra import Spectrum

__all__ = ["Simulator"]


@runtime_checkable
class Simulator(Protocol):
    """What every detector simulator offers the runner."""

    @property
    def chunk_size(self) -> int:
        """Events per chunk (one seed, one task)."""
        ...

    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        """``n`` events as arrays with a leading event axis (energies in MeV, lengths in mm)."""
        ...

    def attrs(self) -> dict[str, Any]:
        """File attributes describing the detector, particle and layout."""
        ...
