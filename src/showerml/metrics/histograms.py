"""Histogram comparison of one observable: the separation power used by CaloGAN, CaloFlow and the CaloChallenge.

For normalised histograms ``h1``, ``h2`` (Σ h = 1) on the same bins,

    S = ½ Σ_i (h1_i − h2_i)² / (h1_i + h2_i)          (0 for identical, 1 for disjoint histograms)

— the triangular discrimination / 2; see e.g. Krause & Shih, CaloFlow, arXiv:2106.05285, eq. (4.1), and the
CaloChallenge 2022 report, arXiv:2410.21611. The bins are fixed by the reference sample and values outside them
are put in the first / last bin, so a generator that lands off the reference range is not forgiven.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = [
    "HistogramPair",
    "histogram_pair",
    "counts_pair",
    "in_range_histogram_pair",
    "reference_bins",
    "separation_power",
    "separation_power_in_range",
    "separation_power_of_histograms",
]


@dataclass(frozen=True)
class HistogramPair:
    """Two normalised histograms on shared ``edges`` and their separation power."""

    edges: np.ndarray
    reference: np.ndarray
    generated: np.ndarray
    separation_power: float


def reference_bins(reference: np.ndarray, n_bins: int = 50, quantiles: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """``n_bins + 1`` equal-width edges spanning the ``quantiles`` range of the finite reference values."""
    ref = np.asarray(reference, dtype=np.float64)
    ref = ref[np.isfinite(ref)]
    if ref.size == 0:
        raise InputError("the reference sample is empty; cannot choose histogram bins")
    lo, hi = (float(v) for v in np.quantile(ref, quantiles))
    if hi <= lo:  # a constant observable: one bin around it
        lo, hi = lo - 0.5 * max(abs(lo), 1e-12), hi + 0.5 * max(abs(hi), 1e-12)
    return np.linspace(lo, hi, n_bins + 1)


def _normalised(h1: np.ndarray, h2: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Both histograms normalised to unit sum (same binning required); ``None`` when either is empty."""
    a = np.asarray(h1, dtype=np.float64)
    b = np.asarray(h2, dtype=np.float64)
    if a.shape != b.shape:
        raise InputError(f"histograms of different binning: {a.shape} vs {b.shape}")
    if a.sum() <= 0 or b.sum() <= 0:
        return None
    return a / a.sum(), b / b.sum()


def separation_power_of_histograms(h1: np.ndarray, h2: np.ndarray) -> float:
    """S = ½ Σ (h1 − h2)² / (h1 + h2) of two histograms, each normalised to unit sum first."""
    pair = _normalised(h1, h2)
    if pair is None:
        raise InputError("cannot normalise an empty histogram")
    a, b = pair
    total = a + b
    nz = total > 0
    return float(0.5 * np.sum((a[nz] - b[nz]) ** 2 / total[nz]))


def _clipped_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    v = np.clip(v[np.isfinite(v)], edges[0], edges[-1])
    return np.histogram(v, bins=edges)[0].astype(np.float64)


def histogram_pair(
    reference: np.ndarray, generated: np.ndarray, n_bins: int = 50, edges: np.ndarray | None = None
) -> HistogramPair:
    """Normalised histograms of both samples on the reference's bins, and their separation power."""
    if edges is None:
        edges = reference_bins(reference, n_bins)
    h_ref = _clipped_counts(reference, edges)
    h_gen = _clipped_counts(generated, edges)
    sp = separation_power_of_histograms(h_ref, h_gen)
    return HistogramPair(edges, h_ref / h_ref.sum(), h_gen / h_gen.sum(), sp)


def separation_power(
    reference: np.ndarray, generated: np.ndarray, n_bins: int = 50, edges: np.ndarray | None = None
) -> float:
    """Separation power of two samples of one observable, on ``n_bins`` bins spanning the reference."""
    return histogram_pair(reference, generated, n_bins, edges).separation_power


def separation_power_in_range(counts_ref: np.ndarray, counts_gen: np.ndarray) -> float:
    """The CaloChallenge evaluation's separation power of two histograms of counts *inside* fixed bins.

    Each histogram is normalised to its in-range entries (``plt.hist(density=True)`` × bin widths), then
    ``S = ½ Σ (h1 − h2)² / (h1 + h2 + 10⁻¹⁶)`` (``_separation_power`` in code/evaluate_plotting_helper.py of the
    challenge's homepage repository). NaN when either histogram has no entry in range, as the official script gives.
    """
    pair = _normalised(counts_ref, counts_gen)
    if pair is None:
        return float("nan")
    a, b = pair
    return float(0.5 * np.sum((a - b) ** 2 / (a + b + 1e-16)))


def in_range_histogram_pair(reference: np.ndarray, generated: np.ndarray, edges: np.ndarray) -> HistogramPair:
    """Histograms on fixed ``edges`` with values outside them dropped (not clipped), normalised to their in-range
    entries, and :func:`separation_power_in_range` — the CaloChallenge protocol."""
    h_ref = np.histogram(np.asarray(reference, dtype=np.float64), bins=edges)[0].astype(np.float64)
    h_gen = np.histogram(np.asarray(generated, dtype=np.float64), bins=edges)[0].astype(np.float64)
    return counts_pair(h_ref, h_gen, edges)


def counts_pair(h_ref: np.ndarray, h_gen: np.ndarray, edges: np.ndarray) -> HistogramPair:
    """A :class:`HistogramPair` from in-range counts (normalised; all-zero histograms stay zero)."""
    sp = separation_power_in_range(h_ref, h_gen)
    norm = [h / h.sum() if h.sum() > 0 else h for h in (h_ref, h_gen)]
    return HistogramPair(np.asarray(edges, dtype=np.float64), norm[0], norm[1], sp)
