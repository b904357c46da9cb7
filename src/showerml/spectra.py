"""Incident-energy spectra, parsed from the CLI syntax ``kind:args`` with energies in GeV.

``fixed:50`` · ``uniform:1,100`` · ``loguniform:1,1000`` · ``powerlaw:2.7,100,1e5`` (dN/dE ∝ E^−γ between
E_min and E_max). Samples are returned in MeV, the unit used inside showerml.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = ["Spectrum", "parse_spectrum"]

GEV = 1000.0
_USAGE = "use fixed:E, uniform:EMIN,EMAX, loguniform:EMIN,EMAX or powerlaw:GAMMA,EMIN,EMAX (GeV)"


@dataclass(frozen=True)
class Spectrum:
    """An incident-energy distribution; bounds in GeV."""

    kind: str
    emin_gev: float
    emax_gev: float
    gamma: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in {"fixed", "uniform", "loguniform", "powerlaw"}:
            raise InputError(f"unknown energy spectrum '{self.kind}': {_USAGE}")
        if not (np.isfinite(self.emin_gev) and np.isfinite(self.emax_gev)) or self.emin_gev <= 0:
            raise InputError(f"energies must be positive and finite, got {self.spec}: {_USAGE}")
        if self.emax_gev < self.emin_gev or (self.kind != "fixed" and self.emax_gev == self.emin_gev):
            raise InputError(f"energy range is inverted or empty in {self.spec}: give EMIN < EMAX")
        if self.kind == "powerlaw" and not np.isfinite(self.gamma):
            raise InputError(f"power-law index must be finite in {self.spec}")

    @property
    def spec(self) -> str:
        """The CLI form, stored in file attributes."""
        if self.kind == "fixed":
            return f"fixed:{self.emin_gev:g}"
        if self.kind == "powerlaw":
            return f"powerlaw:{self.gamma:g},{self.emin_gev:g},{self.emax_gev:g}"
        return f"{self.kind}:{self.emin_gev:g},{self.emax_gev:g}"

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` energies in MeV (inverse-CDF sampling for the power law)."""
        lo, hi = self.emin_gev, self.emax_gev
        if self.kind == "fixed":
            e = np.full(n, lo)
        elif self.kind == "uniform":
            e = rng.uniform(lo, hi, n)
        elif self.kind == "loguniform" or (self.kind == "powerlaw" and abs(self.gamma - 1.0) < 1e-9):
            e = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
        else:  # E^-γ: F^-1(u) = [lo^(1-γ) + u (hi^(1-γ) - lo^(1-γ))]^(1/(1-γ))
            g1 = 1.0 - self.gamma
            u = rng.uniform(0.0, 1.0, n)
            e = (lo**g1 + u * (hi**g1 - lo**g1)) ** (1.0 / g1)
        return e * GEV


def parse_spectrum(text: str) -> Spectrum:
    """Parse ``kind:args`` (GeV) into a :class:`Spectrum`; raise :class:`InputError` with the syntax otherwise."""
    kind, _, args = text.strip().partition(":")
    try:
        values = [float(a) for a in args.split(",")] if args else []
    except ValueError:
        raise InputError(f"cannot read numbers in energy spectrum '{text}': {_USAGE}") from None
    expected = {"fixed": 1, "uniform": 2, "loguniform": 2, "powerlaw": 3}
    if kind not in expected:
        raise InputError(f"unknown energy spectrum '{text}': {_USAGE}")
    if len(values) != expected[kind]:
        raise InputError(f"'{kind}' takes {expected[kind]} number(s), got '{text}': {_USAGE}")
    if kind == "fixed":
        return Spectrum("fixed", values[0], values[0])
    if kind == "powerlaw":
        return Spectrum("powerlaw", values[1], values[2], gamma=values[0])
    return Spectrum(kind, values[0], values[1])
