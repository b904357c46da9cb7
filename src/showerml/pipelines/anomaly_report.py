"""Figures and the HTML page of an anomaly-detection run (SIC, rejection, m_jj before/after a cut, scan bands)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from showerml.anomaly.results import ScanBand
from showerml.metrics.anomaly import BumpHunt, dijet_function, efficiencies, sic_curve
from showerml.report.html import Report

__all__ = ["bump_figure", "curves_figures", "scan_figure", "write_report"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def curves_figures(scores: Mapping[str, tuple[np.ndarray, np.ndarray]], min_background: int = 25) -> tuple[Any, Any]:
    """SIC(ε_S) and rejection 1/ε_B(ε_S) for every method on one plot each; a random classifier for reference."""
    plt = _plt()
    fig_sic, ax_sic = plt.subplots(figsize=(6, 4.2))
    fig_rej, ax_rej = plt.subplots(figsize=(6, 4.2))
    grid = np.linspace(0.01, 1, 100)
    ax_sic.plot(grid, np.sqrt(grid), "k:", label="random")
    ax_rej.plot(grid, 1 / grid, "k:", label="random")
    for name, (s, y) in scores.items():
        es, sic = sic_curve(s, y, min_background=min_background)
        ax_sic.plot(es, sic, label=name)
        eps_s, eps_b = efficiencies(s, y)
        keep = eps_b > 0
        ax_rej.plot(eps_s[keep], 1 / eps_b[keep], label=name)
    ax_sic.set(xlabel="signal efficiency ε_S", ylabel="SIC = ε_S/√ε_B", title="significance improvement")
    ax_rej.set(xlabel="signal efficiency ε_S", ylabel="background rejection 1/ε_B", yscale="log", title="rejection")
    for ax in (ax_sic, ax_rej):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig_sic, fig_rej


def bump_figure(
    mjj: np.ndarray,
    selected: np.ndarray,
    before: BumpHunt,
    after: BumpHunt | None,
    sr: tuple[float, float],
    title: str,
    sqrt_s: float = 13000.0,
) -> Any:
    """m_jj of the data before and after the score cut, with the sideband fits extrapolated into the SR."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for values, fit, label in ((mjj, before, "all data"), (mjj[selected], after, "after cut")):
        if fit is None:
            continue
        edges = np.asarray(fit.edges)
        counts, _ = np.histogram(values, edges)
        centres = 0.5 * (edges[1:] + edges[:-1])
        line = ax.errorbar(centres / 1000, counts, yerr=np.sqrt(counts), fmt="o", ms=3, label=label)
        mu = dijet_function(centres / sqrt_s, np.asarray(fit.params)) * np.diff(edges)
        ax.plot(centres / 1000, mu, "-", color=line[0].get_color(), alpha=0.7,
                label=f"sideband fit, Z = {fit.significance:.2f}")
    ax.axvspan(sr[0] / 1000, sr[1] / 1000, color="grey", alpha=0.15, label="signal region")
    ax.set(xlabel="m_jj [TeV]", ylabel="events / bin", yscale="log", title=title)
    ax.legend(fontsize=8)
    return fig


def scan_figure(rows: Sequence[ScanBand], key: str = "max_sic") -> Any:
    """Median and 16–84 % band of ``key`` (a figure of :class:`ScanBand`) against S/B in the SR, one per method."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for method in sorted({r.method for r in rows}):
        sel = sorted((r for r in rows if r.method == method), key=lambda r: r.s_over_b)
        x = np.array([r.s_over_b for r in sel]) * 100
        line = ax.plot(x, [getattr(r, f"{key}_median") for r in sel], "o-", label=method)
        ax.fill_between(x, [getattr(r, f"{key}_p16") for r in sel], [getattr(r, f"{key}_p84") for r in sel],
                        color=line[0].get_color(), alpha=0.2)
    ax.axhline(1.0, color="k", ls=":", lw=1)
    ax.set(xlabel="S/B in the signal region [%]", ylabel=key.replace("_", " "), xscale="log",
           title="signal-injection scan (median, 16–84 %)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def write_report(
    out: Path, title: str, summary: str, tables: Sequence[tuple[str, list[dict[str, Any]]]], figures: Sequence[Any]
) -> Path:
    """``report.html`` plus every figure as ``figures/<n>.png``; ``figures`` holds (name, fig, caption)."""
    report = Report(title, summary)
    for heading, rows in tables:
        report.heading(heading)
        report.table(rows)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    report.heading("Figures")
    for name, fig, caption in figures:
        fig.savefig(out / "figures" / f"{name}.png", dpi=90, bbox_inches="tight")
        report.figure(fig, caption)
    return report.write(out / "report.html")
