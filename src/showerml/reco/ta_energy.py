"""TA SD energy from (S800, sec θ): a table built from simulated events, stored as JSON (no pickle).

TA assigns the SD energy by a look-up table of S800 against sec θ and E made from CORSIKA events processed like
data (Abu-Zayyad et al., ApJL 768 (2013) L1, Sec. 2, Fig. 2: lines of constant energy in the (sec θ, S800) plane).
Here: in each sec θ bin a straight line log10 S800 = c0 + c1 log10(E/EeV) is fitted to simulated events
(least squares); between bin centres c0 and c1 are interpolated linearly in sec θ (extended linearly beyond the outer
centres), and the energy follows by inverting the line, log10 E = (log10 S800 − c0)/c1.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from showerml.errors import DataFileError, InputError

__all__ = ["EnergyTable", "build_energy_table"]

_FORMAT = "showerml.ta_energy_table/1"


@dataclass(frozen=True)
class EnergyTable:
    """Bin centres in sec θ and the per-bin line coefficients (c0, c1)."""

    sec_centres: np.ndarray
    c0: np.ndarray
    c1: np.ndarray
    n_events: np.ndarray

    def coefficients(self, sec_theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(c0, c1) at sec θ: piecewise linear through the bin centres, extended linearly beyond the outer ones."""
        s = np.asarray(sec_theta, np.float64)
        x = self.sec_centres
        if len(x) == 1:
            return np.full_like(s, self.c0[0]), np.full_like(s, self.c1[0])
        k = np.clip(np.searchsorted(x, s) - 1, 0, len(x) - 2)
        w = (s - x[k]) / (x[k + 1] - x[k])
        return (self.c0[k] + w * (self.c0[k + 1] - self.c0[k]), self.c1[k] + w * (self.c1[k + 1] - self.c1[k]))

    def s800(self, energy_eev: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """The table's S800 (VEM/m²) for energies (EeV) at zenith θ (rad)."""
        c0, c1 = self.coefficients(1.0 / np.cos(theta))
        return np.asarray(10.0 ** (c0 + c1 * np.log10(energy_eev)))

    def energy(self, s800: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Energy (EeV) of events with S800 (VEM/m²) at zenith θ (rad); NaN where S800 ≤ 0 or not finite."""
        s800 = np.asarray(s800, np.float64)
        c0, c1 = self.coefficients(1.0 / np.cos(np.asarray(theta, np.float64)))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = 10.0 ** ((np.log10(s800) - c0) / c1)
        return np.where(np.isfinite(s800) & (s800 > 0), out, np.nan)

    def to_json(self) -> dict[str, object]:
        return {"format": _FORMAT, "sec_centres": self.sec_centres.tolist(), "c0": self.c0.tolist(),
                "c1": self.c1.tolist(), "n_events": self.n_events.tolist()}

    @classmethod
    def from_json(cls, d: dict[str, object]) -> EnergyTable:
        if not isinstance(d, dict) or d.get("format") != _FORMAT:
            raise InputError(f"not a TA energy table (format {_FORMAT} expected)")
        try:
            arrays = [np.asarray(d[k], np.float64) for k in ("sec_centres", "c0", "c1", "n_events")]
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"TA energy table: bad field ({e})") from None
        sec, c0, c1, n = arrays
        if not (sec.ndim == 1 and len(sec) >= 1 and c0.shape == c1.shape == n.shape == sec.shape
                and np.isfinite(np.concatenate(arrays)).all() and (np.diff(sec) > 0).all() and (c1 > 0).all()):
            raise InputError("TA energy table: sec θ centres must increase and c0, c1 be finite (c1 > 0)")
        return cls(sec, c0, c1, n)

    def save(self, path: Path) -> None:
        tmp = Path(path).with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> EnergyTable:
        try:
            d = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise DataFileError(path, f"cannot read the TA energy table ({e.__class__.__name__})") from None
        return cls.from_json(d)


def build_energy_table(energy_eev: np.ndarray, s800: np.ndarray, theta: np.ndarray, n_bins: int = 6,
                       min_per_bin: int = 20) -> EnergyTable:
    """Fit the table to simulated events (true E, reconstructed S800, reconstructed or true θ); bins of equal
    population in sec θ."""
    e, s, t = (np.asarray(a, np.float64) for a in (energy_eev, s800, theta))
    if not (e.shape == s.shape == t.shape and e.ndim == 1):
        raise InputError("energy table: energy, S800 and θ must be 1-D arrays of the same length")
    good = np.isfinite(e) & np.isfinite(s) & np.isfinite(t) & (e > 0) & (s > 0)
    e, s, sec = e[good], s[good], 1.0 / np.cos(t[good])
    if len(e) < n_bins * min_per_bin:
        raise InputError(f"energy table: {len(e)} usable events, need ≥ {n_bins * min_per_bin}")
    edges = np.quantile(sec, np.linspace(0, 1, n_bins + 1))
    which = np.clip(np.searchsorted(edges, sec, side="right") - 1, 0, n_bins - 1)
    centres, c0, c1, counts = [], [], [], []
    for b in range(n_bins):
        m = which == b
        if m.sum() < min_per_bin:
            continue
        x, y = np.log10(e[m]), np.log10(s[m])
        slope, icpt = np.polyfit(x, y, 1)
        centres.append(float(np.mean(sec[m])))
        c0.append(float(icpt))
        c1.append(float(slope))
        counts.append(int(m.sum()))
    if not centres or min(c1) <= 0:
        raise InputError("energy table: S800 does not rise with energy in the simulated events")
    return EnergyTable(np.asarray(centres), np.asarray(c0), np.asarray(c1), np.asarray(counts, np.float64))
