"""Figures of the inference checks: coverage curves, SBC rank histograms, z-scores, unfolded spectra with ratio
panels, weight distributions. Each function returns a matplotlib figure."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from showerml.inference.calibration import Calibration  # noqa: E402

__all__ = ["draw_coverage", "draw_ranks", "draw_unfolded", "draw_weights"]


def draw_coverage(results: Mapping[str, Calibration]) -> plt.Figure:
    """Coverage c(α) against α per method and parameter, with the ±2σ binomial band of a calibrated posterior."""
    first = next(iter(results.values()))
    n_par = len(first.names)
    fig, axes = plt.subplots(1, n_par, figsize=(4.2 * n_par, 4), squeeze=False)
    a = first.levels
    band = 2 * np.sqrt(a * (1 - a) / first.n_events)
    for d, ax in enumerate(axes[0]):
        ax.fill_between(a, a - band, a + band, color="0.85", label="calibrated ±2σ")
        ax.plot([0, 1], [0, 1], "k:", lw=1)
        for label, cal in results.items():
            ax.plot(a, cal.coverage[:, d], "o-", ms=3, label=f"{label} (err {cal.calibration_error[d]:.3f})")
        ax.set(xlabel="credibility level α", ylabel="coverage", title=first.names[d], xlim=(0, 1), ylim=(0, 1))
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def draw_ranks(results: Mapping[str, Calibration]) -> plt.Figure:
    """SBC rank histograms (uniform if calibrated) and the 99 % band of a uniform histogram."""
    first = next(iter(results.values()))
    n_par = len(first.names)
    fig, axes = plt.subplots(1, n_par, figsize=(4.2 * n_par, 3.6), squeeze=False)
    bins = first.rank_counts.shape[0]
    expected = first.n_events / bins
    for d, ax in enumerate(axes[0]):
        ax.axhspan(expected - 2.58 * np.sqrt(expected), expected + 2.58 * np.sqrt(expected), color="0.85")
        for label, cal in results.items():
            ax.stairs(cal.rank_counts[:, d], np.linspace(0, 1, bins + 1), label=label)
        ax.set(xlabel="rank of the truth among the draws", ylabel="events", title=first.names[d])
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def draw_unfolded(edges: np.ndarray, truth: np.ndarray, results: Mapping[str, tuple[np.ndarray, np.ndarray]],
                  measured: np.ndarray | None = None, xlabel: str = "E [GeV]", power: float = 3.0) -> plt.Figure:
    """E^power-weighted spectra per bin (truth, unfolded ± bootstrap errors) and a ratio-to-truth panel."""
    centres = np.sqrt(edges[1:] * edges[:-1])
    width = np.diff(edges)
    scale = centres**power / width
    fig, (top, bot) = plt.subplots(2, 1, figsize=(6.4, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    top.stairs(truth * scale, edges, color="k", label="truth")
    if measured is not None:
        top.stairs(measured * scale, edges, color="0.6", ls="--", label="measured (not unfolded)")
    for i, (label, (value, err)) in enumerate(results.items()):
        off = centres * (1 + 0.03 * (i - (len(results) - 1) / 2))
        top.errorbar(off, value * scale, err * scale, fmt="o", ms=3, label=label)
        ratio = np.divide(value, truth, out=np.full_like(value, np.nan), where=truth > 0)
        rerr = np.divide(err, truth, out=np.full_like(err, np.nan), where=truth > 0)
        bot.errorbar(off, ratio, rerr, fmt="o", ms=3)
    bot.axhline(1.0, color="k", lw=1)
    top.set(xscale="log", yscale="log", ylabel=f"E^{power:g} × counts / GeV")
    bot.set(xscale="log", xlabel=xlabel, ylabel="unfolded / truth", ylim=(0.7, 1.3))
    top.legend(fontsize=8)
    fig.tight_layout()
    return fig


def draw_weights(weights: Mapping[str, np.ndarray]) -> plt.Figure:
    """Histograms of log10 w."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, w in weights.items():
        lw = np.log10(np.clip(np.asarray(w, dtype=float), 1e-12, None))
        ax.hist(lw, bins=60, histtype="step", label=label)
    ax.set(xlabel="log10 w", ylabel="events", yscale="log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
