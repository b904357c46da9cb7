"""Where a simulator may be used, and what a shower costs in memory.

*Energy ranges of validity.* Each detector's ``simulate`` command declares the :class:`EnergyRange` of incident
energies its parametrisation was calibrated or validated on, with its source, beside its options
(:mod:`showerml.cli.simulate`: a new detector touches no file here); a spectrum reaching outside is refused before the
simulator is imported (:meth:`EnergyRange.check`). The DAMPE-like ranges are still defined here, where the DAMPE
simulator imports them:

- DAMPE-like e±/γ: 5 GeV–10 TeV, the mission's design range for electrons and photons (Chang et al., Astropart.
  Phys. 95 (2017) 6, arXiv:1706.08453);
- DAMPE-like p and nuclei: 40 GeV–316 TeV, from the lowest energy of DAMPE's published proton spectrum (40 GeV–100 TeV,
  An et al., Sci. Adv. 5 (2019) eaax3793) to the highest of its proton + helium spectrum (46 GeV–316 TeV, DAMPE
  Collaboration, PRD 109 (2024) L121101).

*Spot cost.* The shower models deposit energy as spots (:mod:`showerml.detectors.physics`); their number grows with
energy (EM core ∝ E^0.6, EM halo ∝ E), and every spot costs a fixed number of float64 temporaries (≈ 150 B). The
soft halo makes it linear: a 10⁶ GeV CaloGAN positron has 55 × 10⁶ halo spots, ≈ 8 GB of temporaries for one shower
(what ``--energy fixed:1e6 --n 2`` used to take: 16 GB). The ranges above exclude such energies; in addition the
simulators
split each chunk of events into batches of at most :data:`SPOT_BATCH` estimated spots (:func:`spot_batches`), so the
memory of a run is bounded by the batch, not by the number of events or their energy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = [
    "EnergyRange",
    "DAMPE_EM_RANGE",
    "DAMPE_NUCLEI_RANGE",
    "SPOT_BATCH",
    "BYTES_PER_SPOT",
    "em_spots",
    "hadron_spots",
    "spot_batches",
    "check_event_memory",
]

#: estimated spots processed at once inside one chunk (see :func:`spot_batches`)
SPOT_BATCH = 1_000_000
#: peak bytes held per spot while a batch is simulated and binned (measured with tracemalloc on CaloGAN e+ at
#: 100 GeV and dataset-2 e− at 1 TeV: 150–190 B; see tests/test_limits.py, which checks the bound)
BYTES_PER_SPOT = 256


@dataclass(frozen=True)
class EnergyRange:
    """Incident energies (GeV) a simulator is valid for, and why."""

    emin_gev: float
    emax_gev: float
    reason: str

    def check(self, emin_gev: float, emax_gev: float, what: str) -> None:
        """Refuse a spectrum from ``emin_gev`` to ``emax_gev`` that leaves the range (one-line :class:`InputError`)."""
        if emin_gev < self.emin_gev * (1 - 1e-9) or emax_gev > self.emax_gev * (1 + 1e-9):
            asked = f"{emin_gev:g} GeV" if emin_gev == emax_gev else f"{emin_gev:g}–{emax_gev:g} GeV"
            raise InputError(
                f"{what} is valid for incident energies {self.emin_gev:g}–{self.emax_gev:g} GeV ({self.reason}); "
                f"--energy asks for {asked}: choose energies inside that range"
            )


DAMPE_EM_RANGE = EnergyRange(5.0, 10_000.0, "DAMPE's design range for electrons and photons")
DAMPE_NUCLEI_RANGE = EnergyRange(40.0, 316_000.0, "the energies of DAMPE's published proton and p+He spectra")


def em_spots(e_gev: np.ndarray | float, spots_per_gev: float, spots_power: float, min_spots: int,
             halo_spots_per_gev: float = 0.0) -> np.ndarray:
    """Mean spots of one EM shower: core max(k E^p, min), halo k_h E, and ≤ 32 spots of the primary's track (one per
    X0/4 over half the depth of the maximum)."""
    e = np.asarray(e_gev, dtype=float)
    return np.maximum(spots_per_gev * e**spots_power, min_spots) + halo_spots_per_gev * e + 32.0


def hadron_spots(e_gev: np.ndarray | float, spots_per_gev: float, spots_power: float, em_spots_per_gev: float,
                 em_spots_power: float, em_min_spots: int) -> np.ndarray:
    """Upper estimate of the spots of one hadron shower: the hadronic part k E^p plus the π0 sub-showers.

    n_sub = 1 + Poisson(ln E) sub-showers share at most E, so Σ k E_i^p ≤ k n_sub^(1−p) E^p (concavity); n_sub is
    taken at its mean plus three standard deviations.
    """
    e = np.maximum(np.asarray(e_gev, dtype=float), 1e-3)
    lam = np.log(np.maximum(e, 1.0))
    n_sub = 1.0 + lam + 3.0 * np.sqrt(lam)
    em = em_spots_per_gev * n_sub ** (1.0 - em_spots_power) * e**em_spots_power + n_sub * (em_min_spots + 32)
    return spots_per_gev * e**spots_power + em + 256.0


def spot_batches(cost: np.ndarray, budget: float = SPOT_BATCH) -> list[slice]:
    """Consecutive slices of events whose summed ``cost`` (spots) stays within ``budget`` (at least one event each)."""
    n = len(cost)
    total = np.cumsum(cost)
    if n == 0 or total[-1] <= budget:
        return [slice(0, n)]
    out, start, base = [], 0, 0.0
    while start < n:
        stop = int(np.searchsorted(total, base + budget, side="right"))
        stop = max(stop, start + 1)
        out.append(slice(start, stop))
        base = float(total[stop - 1])
        start = stop
    return out


def check_event_memory(spots_per_event: float, available_bytes: int, emax_gev: float) -> None:
    """Refuse a spectrum whose single most energetic event would not fit in memory (a batch holds at least one)."""
    need = spots_per_event * BYTES_PER_SPOT
    if need > available_bytes:
        raise InputError(
            f"one shower at {emax_gev:g} GeV holds ≈ {spots_per_event:.3g} energy spots, ≈ {need / 2**30:.1f} GiB of "
            f"memory, more than the {available_bytes / 2**30:.1f} GiB available; lower the energies"
        )
