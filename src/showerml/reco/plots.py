"""Plot helpers shared by the tasks' report sections (matplotlib, imported lazily)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from showerml.reco.results import BinPair, BinValue
from showerml.report.html import Report

__all__ = ["figure", "line_plot"]


def figure(figsize: tuple[float, float] = (5.2, 3.8)) -> tuple[Any, Any]:
    """A new (figure, axes) of the report's default size."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)


def line_plot(report: Report, rows_by_label: Mapping[str, Sequence[BinValue | BinPair]], ylabel: str, caption: str,
              logy: bool = False, value: Callable[[Any], float] = lambda v: v) -> None:
    """One line per label through the non-empty bins (x at the geometric bin centre, the open last bin at 3 × low)."""
    fig, ax = figure()
    for label, rows in rows_by_label.items():
        x = [np.sqrt(r.low * min(r.high, 3 * r.low)) for r in rows if r.n]
        y = [value(r.value) for r in rows if r.n]
        ax.plot(x, y, marker="o", label=label)
    ax.set_xscale("log"), ax.set_xlabel("energy (GeV)"), ax.set_ylabel(ylabel), ax.legend()
    if logy:
        ax.set_yscale("log")
    report.figure(fig, caption)
