"""The ``report.html`` of an evaluation: metric tables, feature histograms with ratio panels, mean showers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from showerml.geometry import Geometry
from showerml.metrics.histograms import histogram_pair, reference_bins
from showerml.report.html import Report

if TYPE_CHECKING:
    from showerml.pipelines.evaluate import EvaluationResult

__all__ = ["build_report", "feature_figure"]

PANELS_PER_FIGURE = 12
MAX_LAYERS_SHOWN = 6  # as report.plots.draw_layers


def _layers_shown(geometry: Geometry) -> list[int]:
    n = geometry.n_layers
    return list(range(n)) if n <= MAX_LAYERS_SHOWN else sorted({int(round(v)) for v in np.linspace(0, n - 1, 6)})


def _feature_names(names: list[str], geometry: Geometry) -> list[str]:
    """All global features and the per-layer ones of the layers shown (all layers for ≤ 6)."""
    shown = {str(i) for i in _layers_shown(geometry)}
    return [n for n in names if not n[-1].isdigit() or n.rsplit("_", 1)[-1] in shown]


def feature_figure(result: EvaluationResult, names: list[str]) -> Any:
    """Histograms (reference filled, generated as lines) with generated/reference ratio panels below."""
    import matplotlib.pyplot as plt

    ncol = 4
    nrow = (len(names) + ncol - 1) // ncol
    fig, axes = plt.subplots(
        2 * nrow, ncol, figsize=(4.0 * ncol, 3.6 * nrow), gridspec_kw={"height_ratios": [3, 1] * nrow}, squeeze=False
    )
    ref = result.features["reference"]
    labels = [k for k in result.features if k != "reference"]
    for idx in range(nrow * ncol):
        top, bottom = axes[2 * (idx // ncol), idx % ncol], axes[2 * (idx // ncol) + 1, idx % ncol]
        if idx >= len(names):
            top.axis("off")
            bottom.axis("off")
            continue
        name = names[idx]
        edges = reference_bins(ref[name], 40)
        centres = 0.5 * (edges[1:] + edges[:-1])
        h_ref = histogram_pair(ref[name], ref[name], edges=edges).reference
        top.stairs(h_ref, edges, fill=True, color="0.8", label="reference")
        for k, label in enumerate(labels):
            pair = histogram_pair(ref[name], result.features[label][name], edges=edges)
            top.stairs(pair.generated, edges, color=f"C{k}", label=f"{label} (S={pair.separation_power:.3g})")
            ratio = np.divide(pair.generated, h_ref, out=np.full_like(h_ref, np.nan), where=h_ref > 0)
            bottom.plot(centres, ratio, drawstyle="steps-mid", color=f"C{k}")
        unit = ref.units.get(name, "")
        top.set_title(name + (f" [{unit}]" if unit else ""), fontsize=9)
        top.legend(fontsize=6)
        top.tick_params(labelsize=7)
        bottom.axhline(1.0, color="k", lw=0.6)
        bottom.set_ylim(0.5, 1.5)
        bottom.set_ylabel("gen/ref", fontsize=7)
        bottom.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def _fmt(v: Any) -> Any:
    return "—" if v is None else v


def build_report(result: EvaluationResult, geometry: Geometry) -> Report:
    """Assemble the report from an evaluation result."""
    m = result.metrics
    gen = m["generated"]
    report = Report(
        "showerml evaluation",
        f"reference: {m['reference'].get('path', '')} ({m['reference']['n_showers']} showers, geometry "
        f"{m['reference']['geometry']}); seed {m['seed']}; showerml {m['showerml_version']}",
    )
    report.heading("Summary")
    report.paragraph(
        "AUC 0.5 and JSD 0 mean the classifier cannot tell a sample from the reference. JSD = ln 2 − BCE of the "
        "isotonic-calibrated classifier on a balanced test set, in bits (0 … 1). FPD (×10³) and KPD (×10³) on the "
        "standardised high-level features with their errors (arXiv:2211.10295)."
    )
    rows = []
    for label, e in gen.items():
        c = e["classifier"]
        rows.append(
            {
                "sample": label,
                "showers": e["n_showers"],
                "AUC voxel": _fmt(c.get("low_level", {}).get("auc")),
                "JSD voxel [bits]": _fmt(c.get("low_level", {}).get("jsd_bits")),
                "AUC high-level": _fmt(c.get("high_level", {}).get("auc")),
                "JSD high-level [bits]": _fmt(c.get("high_level", {}).get("jsd_bits")),
                "FPD ×10³": f"{1e3 * e['fpd']['value']:.3g} ± {1e3 * e['fpd']['error']:.2g}",
                "KPD ×10³": f"{1e3 * e['kpd']['value']:.3g} ± {1e3 * e['kpd']['error']:.2g}",
                "mean sep. power": e["separation_power_mean"],
            }
        )
    report.table(rows)
    if m.get("multiclass"):
        mc = m["multiclass"]
        report.heading("Multiclass ranking")
        report.paragraph(
            "A softmax classifier over the reference and every sample; 'reference share' is the mean probability it "
            f"gives each sample on reference showers (ideal {1 / (len(mc['labels']) + 1):.3g}); best first."
        )
        report.table(
            [
                {
                    "rank": i + 1,
                    "sample": lab,
                    "reference share": mc["reference_share"][lab],
                    "accuracy on own showers": mc["accuracy"][lab],
                }
                for i, lab in enumerate(mc["ranking"])
            ]
        )
    report.heading("Separation power per feature")
    names = list(m["features"])
    report.table([{"feature": n, **{lab: gen[lab]["separation_power"][n] for lab in gen}} for n in names])
    report.heading("Feature histograms")
    shown = _feature_names(names, geometry)
    for start in range(0, len(shown), PANELS_PER_FIGURE):
        chunk = shown[start : start + PANELS_PER_FIGURE]
        report.figure(feature_figure(result, chunk), f"features {start + 1}–{start + len(chunk)} of {len(shown)}")
    report.heading("Average showers")
    from showerml.report.plots import draw_layers

    for name, mean in result.mean_showers.items():
        report.figure(draw_layers(geometry, mean, f"{name}: average shower"), f"{name}: mean deposit per voxel [MeV]")
    return report
