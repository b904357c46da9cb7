"""Cosmic-ray electron spectra for the unfolding study.

DAMPE's electron + positron flux (DAMPE Collaboration, Ambrosi et al., Nature 552 (2017) 63, fig. 2 and text) is
fitted between 55 GeV and 2.63 TeV by a smoothly broken power law

    Φ(E) ∝ (E/E₀)^(−γ₁) [1 + (E/E_b)^((γ₂ − γ₁)/Δ)]^(−Δ),   Δ = 0.1 (fixed),

with γ₁ = 3.09 ± 0.01, E_b = 914 ± 98 GeV, γ₂ = 3.92 ± 0.20 — a softening near 0.9 TeV. Sampling is by inverse CDF on
a fine log-energy grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = ["DAMPE_2017", "BrokenPowerLaw"]


@dataclass(frozen=True)
class BrokenPowerLaw:
    """dN/dE ∝ E^(−γ₁) [1 + (E/E_b)^((γ₂−γ₁)/Δ)]^(−Δ) on [e_min, e_max] GeV; γ₂ = γ₁ gives a plain power law."""

    gamma1: float = 3.09
    gamma2: float = 3.92
    e_break: float = 914.0
    smoothness: float = 0.1
    e_min: float = 20.0
    e_max: float = 10_000.0

    def __post_init__(self) -> None:
        if not 0 < self.e_min < self.e_max or self.smoothness <= 0 or self.e_break <= 0:
            raise InputError("a broken power law needs 0 < e_min < e_max, E_b > 0 and Δ > 0")

    def density(self, e_gev: np.ndarray) -> np.ndarray:
        """Unnormalised dN/dE."""
        e = np.asarray(e_gev, dtype=float)
        d = (self.gamma2 - self.gamma1) / self.smoothness
        return e ** -self.gamma1 * (1.0 + (e / self.e_break) ** d) ** -self.smoothness

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n energies in GeV (inverse CDF on 4,000 log-spaced nodes, linear in between)."""
        grid = np.geomspace(self.e_min, self.e_max, 4001)
        f = self.density(grid) * grid  # dN/dlnE
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(np.log(grid)))])
        return np.exp(np.interp(rng.uniform(0.0, cdf[-1], n), cdf, np.log(grid)))

    def bin_fractions(self, edges_gev: np.ndarray) -> np.ndarray:
        """Expected fraction of events per bin (trapezoid in ln E on 200 nodes per bin)."""
        out = []
        for lo, hi in zip(edges_gev[:-1], edges_gev[1:], strict=True):
            g = np.geomspace(lo, hi, 201)
            f = self.density(g) * g
            out.append(float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(np.log(g)))))
        a = np.asarray(out)
        return a / a.sum()


#: the DAMPE 2017 fit (central values), sampled over 20 GeV – 10 TeV
DAMPE_2017 = BrokenPowerLaw()
