"""The DAMPE validation table as text (terminal, Markdown) and as a report: the table, then the ζ, F_last and ΣRMS
distributions of electrons and protons near 1 TeV deposited (after DAMPE's preselection) with the cut ζ < 8.5.

Rows are dictionaries with ``quantity``, ``showerml`` (value with its statistical error), ``published`` and
``source`` (see :mod:`showerml.pipelines.dampe_validation`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from showerml.report.html import Report

__all__ = ["COLUMNS", "format_table", "markdown_table", "validation_report"]

#: the table's columns, in order
COLUMNS = ("quantity", "showerml", "published", "source")


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as a plain-text block, one row per paragraph (the columns are too wide for one line each)."""
    out = []
    for r in rows:
        out.append(f"{r['quantity']}\n  showerml:  {r['showerml']}\n  published: {r['published']}\n"
                   f"  source:    {r['source']}")
    return "\n".join(out)


def markdown_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as a Markdown table (``|`` in cells escaped)."""
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def _histograms(plots: Mapping[str, Any]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e, p = plots["electrons"], plots["protons"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    panels = (("zeta", "log10 ζ", np.log10), ("f_last", "F_last (last-layer fraction)", np.log10),
              ("sum_rms", "Σ RMS_i (mm)", None))
    for ax, (key, label, tf) in zip(axes, panels, strict=True):
        xe = np.asarray(e[key], float)
        xp = np.asarray(p[key], float)
        if tf is not None:
            xe, xp = tf(np.maximum(xe, 1e-6)), tf(np.maximum(xp, 1e-6))
            label = label if key == "zeta" else "log10 " + label
        both = np.concatenate([xe, xp])
        if len(both) == 0:
            continue
        bins = np.linspace(float(both.min()), float(both.max()) + 1e-9, 50)
        for x, name in ((xe, "electrons"), (xp, "protons")):
            if len(x):
                ax.hist(x, bins=bins, histtype="step", density=True, label=f"{name} ({len(x)})")
        if key == "zeta":
            ax.axvline(np.log10(8.5), color="k", ls="--", label="ζ = 8.5")
        ax.set_xlabel(label), ax.set_yscale("log"), ax.legend(fontsize=8)
    lo, hi = plots["range_gev"]
    fig.suptitle(f"after the preselection, BGO deposit {lo:g}–{hi:g} GeV")
    return fig


def validation_report(rows: Sequence[Mapping[str, Any]], plots: Mapping[str, Any], meta: Mapping[str, Any]) -> Report:
    """The report: a note on the method, the table, the distributions near 1 TeV deposited."""
    report = Report("DAMPE-like detector: validation against published DAMPE figures",
                    f"seed {meta.get('seed')}, {meta.get('workers')} workers, {meta.get('seconds', 0):.0f} s, "
                    f"load average {meta.get('load_average')}")
    report.paragraph("ζ = F_last · (Σ_i RMS_i)⁴ / (8 × 10⁶ mm⁴), RMS_i about the core centre of gravity (hottest bar "
                     "and its two neighbours); the cut ζ < 8.5 after DAMPE's preselection (no layer > 35 % of the "
                     "deposit, axis within 280 mm at the BGO top and bottom, largest RMS of layers above 1 % < 100 mm,"
                     " fewer than 8 log10(E/GeV) − 5 bars above 10 MeV in the last layer). Energies binned in BGO "
                     "deposit. Rejections with Clopper–Pearson 68 % intervals.")
    report.table(rows, COLUMNS)
    report.figure(_histograms(plots), "ζ, F_last and ΣRMS of electrons and protons near 1 TeV deposited")
    return report
