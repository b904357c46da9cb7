"""DAMPE's BGO preselection before the ζ cut: well-contained, shower-like events, as a mask with per-cut reasons.

An event passes when all four cuts pass (E the BGO deposit, the sum of the bar readings; DAMPE electron analysis,
Nature 552 (2017) 63, Methods, and its cut list):

- ``max_layer_fraction``: no layer holds more than 35 % of E;
- ``containment``: the calorimeter axis (:func:`showerml.reco.features.line_fit`) lies within 280 mm of the centre in
  x and in y at the BGO top (z = 46 mm) and bottom (z = 448 mm); an axis needs ≥ 2 layers with energy per view;
- ``max_rms``: the largest lateral RMS (:func:`showerml.reco.features.layer_stats`, DAMPE's core-centroid RMS) among
  the layers holding more than 1 % of E is below 100 mm;
- ``last_layer_bars``: fewer than 8 · log10(E/GeV) − 5 bars above 10 MeV in the last layer (11 at 100 GeV, 19 at
  1 TeV).

Every e/p method (ζ, BDT, CNN) is trained and measured on the events this selection keeps, so they are compared on the
same events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.detectors.dampe import geometry as geo
from showerml.reco.features import layer_stats, line_fit

__all__ = ["CUTS", "Preselection", "preselect", "DAMPE_EP_BINS_GEV"]

#: DAMPE's deposited-energy bins of the e/p figures (GeV): 100 GeV–1 TeV, 1–10 TeV and above
DAMPE_EP_BINS_GEV = (100.0, 1000.0, 10000.0, np.inf)

MAX_LAYER_FRACTION = 0.35
CONTAINMENT_MM = 280.0
MAX_RMS_MM = 100.0
RMS_LAYER_FRACTION = 0.01
LAST_LAYER_BAR_MEV = 10.0
#: the cuts, in the order they are listed
CUTS = ("max_layer_fraction", "containment", "max_rms", "last_layer_bars")


@dataclass(frozen=True)
class Preselection:
    """``mask``: events passing every cut; ``passed[cut]``: events passing that cut (whatever the others do)."""

    mask: np.ndarray
    passed: dict[str, np.ndarray]

    def reasons(self) -> dict[str, int]:
        """Events failing each cut (an event can fail several)."""
        return {k: int((~v).sum()) for k, v in self.passed.items()}

    def first_failure(self) -> np.ndarray:
        """Per event, the first cut it fails (in :data:`CUTS` order), '' when it passes."""
        out = np.full(len(self.mask), "", dtype=object)
        for cut in reversed(CUTS):
            out[~self.passed[cut]] = cut
        return out


def preselect(bgo: np.ndarray) -> Preselection:
    """DAMPE's preselection of bar images (N, 14, 22) in MeV (module docstring)."""
    e = np.asarray(bgo, dtype=np.float64)
    if e.ndim != 3 or e.shape[1:] != (geo.BGO_N_LAYERS, geo.BGO_N_BARS):
        raise ValueError(f"BGO images must have shape (N, {geo.BGO_N_LAYERS}, {geo.BGO_N_BARS}), got {e.shape}")
    el, _, rms = layer_stats(e)
    total = el.sum(axis=1)
    has_energy = total > 0
    frac = el / np.where(has_energy, total, 1.0)[:, None]
    layer_ok = frac.max(axis=1) <= MAX_LAYER_FRACTION
    intercept, slope = line_fit(e)
    views = np.stack([(el[:, proj::2] > 0).sum(axis=1) >= 2 for proj in (0, 1)], axis=1).all(axis=1)
    inside = np.ones(len(e), dtype=bool)
    for z in (geo.BGO_TOP_Z, geo.BGO_BOTTOM_Z):
        inside &= (np.abs(intercept + slope * z) < CONTAINMENT_MM).all(axis=1)
    rms_ok = np.where(frac > RMS_LAYER_FRACTION, rms, 0.0).max(axis=1) < MAX_RMS_MM
    n_last = (e[:, -1, :] > LAST_LAYER_BAR_MEV).sum(axis=1)
    e_gev = np.where(has_energy, total, 1.0) / 1000.0
    bars_ok = n_last < 8.0 * np.log10(e_gev) - 5.0
    passed = {"max_layer_fraction": layer_ok & has_energy, "containment": views & inside & has_energy,
              "max_rms": rms_ok & has_energy, "last_layer_bars": bars_ok & has_energy}
    mask = np.logical_and.reduce([passed[c] for c in CUTS])
    return Preselection(mask, passed)
