"""The CaloChallenge 2022 histograms and their separation powers, with the official script's ranges and binnings.

From ``code/evaluate_plotting_helper.py`` of the challenge's homepage repository (Krause et al., arXiv:2410.21611),
datasets 2 and 3, ``t`` the voxel threshold (15.15 keV):

=================  ===================================================  ========================================
histogram          edges                                                run by ``evaluate.py --mode hist-chi``
=================  ===================================================  ========================================
E_tot/E_inc        101 linear edges on [0.5, 1.5]                       yes
E_layer_l          40 log edges from t to the reference's max of E_l    yes
EC_eta_l, EC_phi_l 101 linear edges on [−30, 30] mm                     yes
width_eta/phi_l    101 linear edges on [0, 30] mm                       yes
voxel              50 log edges from t to the reference's largest voxel yes
EC_r_l             101 linear edges on [0, 42] mm                       no (plot_ECR is defined, not called)
width_r_l          101 linear edges on [0, 20] mm                       no (plot_ECWidthR)
sparsity_l         21 linear edges on [0, 1]                            no (plot_sparsity)
=================  ===================================================  ========================================

Values outside the edges are dropped and each histogram is normalised to its in-range entries
(:func:`~showerml.metrics.histograms.separation_power_in_range`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.features.showers import FeatureTable
from showerml.metrics.histograms import HistogramPair, counts_pair, in_range_histogram_pair

__all__ = ["ChallengeHistograms", "challenge_edges", "challenge_histograms", "voxel_edges"]

_LINEAR = {
    "EC_eta": (-30.0, 30.0, 101, True),
    "EC_phi": (-30.0, 30.0, 101, True),
    "width_eta": (0.0, 30.0, 101, True),
    "width_phi": (0.0, 30.0, 101, True),
    "EC_r": (0.0, 42.0, 101, False),
    "width_r": (0.0, 20.0, 101, False),
    "sparsity": (0.0, 1.0, 21, False),
}


def _log_edges(threshold: float, top: float, n_edges: int) -> np.ndarray | None:
    if not (top > threshold > 0):
        return None  # the official script's edges would not increase: no histogram
    # the official maximum is of float32 sums, and its log10 is taken in float32: the same edges to the last bit
    return np.logspace(np.log10(threshold), np.log10(np.float32(top)), n_edges)


def voxel_edges(threshold: float, reference_voxel_max: float) -> np.ndarray | None:
    """50 log edges from the threshold to the reference's largest voxel (``plot_cell_dist``)."""
    return _log_edges(threshold, reference_voxel_max, 50)


def challenge_edges(reference: FeatureTable, threshold: float) -> dict[str, tuple[np.ndarray | None, bool]]:
    """``name → (edges, official)`` for every histogrammed feature of ``reference`` (the module table)."""
    out: dict[str, tuple[np.ndarray | None, bool]] = {"E_tot/E_inc": (np.linspace(0.5, 1.5, 101), True)}
    for name in reference.names:
        stem, _, layer = name.rpartition("_")
        if not layer.isdigit():
            continue
        if stem == "E_layer":
            out[name] = (_log_edges(threshold, float(np.max(reference[name])), 40), True)
        elif stem in _LINEAR:
            lo, hi, n, official = _LINEAR[stem]
            out[name] = (np.linspace(lo, hi, n), official)
    return out


@dataclass
class ChallengeHistograms:
    """Per histogram its :class:`HistogramPair` (None where the official edges do not exist) and whether the
    official script computes it."""

    pairs: dict[str, HistogramPair | None]
    official: dict[str, bool]

    def separation_powers(self, official_only: bool = False) -> dict[str, float]:
        return {
            n: (float("nan") if p is None else p.separation_power)
            for n, p in self.pairs.items()
            if self.official[n] or not official_only
        }


def challenge_histograms(
    reference: FeatureTable,
    generated: FeatureTable,
    threshold: float,
    voxel_counts: tuple[np.ndarray, np.ndarray] | None = None,
    voxel_bin_edges: np.ndarray | None = None,
) -> ChallengeHistograms:
    """All challenge histograms of ``generated`` against ``reference``; ``voxel_counts`` (reference, generated) on
    ``voxel_bin_edges`` add the voxel-energy histogram."""
    pairs: dict[str, HistogramPair | None] = {}
    official: dict[str, bool] = {}
    for name, (edges, is_official) in challenge_edges(reference, threshold).items():
        pairs[name] = None if edges is None else in_range_histogram_pair(reference[name], generated[name], edges)
        official[name] = is_official
    if voxel_counts is not None:
        pairs["voxel"] = None if voxel_bin_edges is None else counts_pair(*voxel_counts, voxel_bin_edges)
        official["voxel"] = True
    return ChallengeHistograms(pairs, official)
