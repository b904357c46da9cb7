"""The ``report.html`` of an evaluation: metric tables, feature histograms with ratio panels, mean showers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from showerml.geometry import Geometry
from showerml.metrics.evaluation import ClassifierResult, Distance, EvaluationResult
from showerml.metrics.histograms import histogram_pair, reference_bins
from showerml.report.html import Report

__all__ = ["build_report", "challenge_figure", "feature_figure"]

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
        _style_panels(top, bottom, name + (f" [{unit}]" if unit else ""))
    fig.tight_layout()
    return fig


def _style_panels(top: Any, bottom: Any, title: str) -> None:
    """Title, legend and the ratio panel's reference line and range, shared by every histogram figure."""
    top.set_title(title, fontsize=9)
    top.legend(fontsize=6)
    top.tick_params(labelsize=7)
    bottom.axhline(1.0, color="k", lw=0.6)
    bottom.set_ylim(0.5, 1.5)
    bottom.set_ylabel("gen/ref", fontsize=7)
    bottom.tick_params(labelsize=7)


def challenge_figure(result: EvaluationResult, names: list[str]) -> Any:
    """The CaloChallenge protocol's histograms (its edges; log x for energies) with generated/reference ratios."""
    import matplotlib.pyplot as plt

    ncol = 4
    nrow = (len(names) + ncol - 1) // ncol
    fig, axes = plt.subplots(
        2 * nrow, ncol, figsize=(4.0 * ncol, 3.6 * nrow), gridspec_kw={"height_ratios": [3, 1] * nrow}, squeeze=False
    )
    labels = list(result.challenge)
    for idx in range(nrow * ncol):
        top, bottom = axes[2 * (idx // ncol), idx % ncol], axes[2 * (idx // ncol) + 1, idx % ncol]
        first = result.challenge[labels[0]].pairs.get(names[idx]) if idx < len(names) else None
        if first is None:
            top.axis("off")
            bottom.axis("off")
            continue
        name, edges = names[idx], first.edges
        centres = 0.5 * (edges[1:] + edges[:-1])
        top.stairs(first.reference, edges, fill=True, color="0.8", label="reference")
        for k, label in enumerate(labels):
            pair = result.challenge[label].pairs[name]
            assert pair is not None
            top.stairs(pair.generated, edges, color=f"C{k}", label=f"{label} (S={pair.separation_power:.3g})")
            ratio = np.divide(
                pair.generated, pair.reference, out=np.full_like(pair.reference, np.nan), where=pair.reference > 0
            )
            bottom.plot(centres, ratio, drawstyle="steps-mid", color=f"C{k}")
        if name == "voxel" or name.startswith("E_layer"):
            top.set_xscale("log")
            bottom.set_xscale("log")
            top.set_yscale("log")
        _style_panels(top, bottom, name)
    fig.tight_layout()
    return fig


def _missing(v: float | None) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _fmt(v: float | None) -> Any:
    return "—" if _missing(v) else v


def _distance(d: Distance) -> str:
    """×10³ with its error; values within 2σ of 0 (negative estimates included) are marked."""
    if d.value is None or _missing(d.value):
        return "—"
    text = f"{1e3 * d.value:.3g} ± {1e3 * (d.error or 0.0):.2g}"
    return text + " (consistent with 0)" if d.consistent_with_zero else text


def _jsd(scores: ClassifierResult | None) -> Any:
    if scores is None or _missing(scores.jsd_bits):
        return "—"
    v = scores.jsd_bits
    return f"{v:.3g} (< 0: consistent with 0)" if v < 0 else v


def build_report(result: EvaluationResult, geometry: Geometry) -> Report:
    """Assemble the report from an evaluation result."""
    m = result.metrics
    gen = m.generated
    report = Report(
        "showerml evaluation",
        f"reference: {m.reference.path or ''} ({m.reference.n_showers} showers, geometry "
        f"{m.reference.geometry}); seed {m.seed}; showerml {m.showerml_version}",
    )
    report.heading("Summary")
    protocol = m.protocol
    if protocol == "calochallenge":
        what = (
            "Protocol: CaloChallenge 2022 (the official evaluate.py's definitions): voxels below "
            f"{1e3 * m.threshold_mev:.4g} keV set to 0; its high-level features, histogram ranges and "
            "binnings, separation powers (histograms normalised inside their ranges), low-level classifier on "
            "[log10 E_inc, E_v/E_inc], high-level classifier and FPD/KPD on its feature set (features divided by the "
            "reference's maximum, quartic-kernel KPD). showerml's own feature separation powers are listed too."
        )
    else:
        what = (
            "Protocol: showerml (features binned in 50 bins over the reference's range, out-of-range values in the "
            "edge bins; FPD/KPD on the standardised informative features)."
        )
    report.paragraph(
        what + " AUC 0.5 and JSD 0 mean the classifier cannot tell a sample from the reference. JSD = ln 2 − BCE of "
        "the isotonic-calibrated classifier on a balanced test set, in bits (0 … 1); JSD, FPD and KPD are ≥ 0 by "
        "definition, so a negative estimate is consistent with 0. FPD (×10³) and KPD (×10³) with their errors "
        "(arXiv:2211.10295)."
    )
    rows = []
    for label, e in gen.items():
        low, high = e.classifier.low_level, e.classifier.high_level
        rows.append(
            {
                "sample": label,
                "showers": e.n_showers,
                "AUC voxel": _fmt(None if low is None else low.auc),
                "JSD voxel [bits]": _jsd(low),
                "AUC high-level": _fmt(None if high is None else high.auc),
                "JSD high-level [bits]": _jsd(high),
                "FPD ×10³": _distance(e.fpd),
                "KPD ×10³": _distance(e.kpd),
                "mean sep. power": _fmt(e.separation_power_mean),
            }
        )
    report.table(rows)
    if m.multiclass is not None:
        mc = m.multiclass
        report.heading("Multiclass ranking")
        report.paragraph(
            "A softmax classifier over the reference and every sample; 'reference share' is the mean probability it "
            f"gives each sample on reference showers (ideal {1 / (len(mc.labels) + 1):.3g}); best first."
        )
        report.table(
            [
                {
                    "rank": i + 1,
                    "sample": lab,
                    "reference share": mc.reference_share[lab],
                    "accuracy on own showers": mc.accuracy[lab],
                }
                for i, lab in enumerate(mc.ranking)
            ]
        )
    report.heading("Separation power per feature")
    names = list(m.features)
    report.table([{"feature": n, **{lab: _fmt(gen[lab].separation_power[n]) for lab in gen}} for n in names])
    if protocol == "calochallenge" and result.challenge:
        extra = list(next(iter(gen.values())).separation_power_extra)
        if extra:
            report.heading("Separation power, histograms the official script defines but does not run", level=3)
            report.table([{"feature": n, **{lab: _fmt(gen[lab].separation_power_extra[n]) for lab in gen}}
                          for n in extra])
        sml = list(m.features_showerml)
        report.heading("Separation power, showerml's features and binning", level=3)
        report.table([{"feature": n, **{lab: _fmt(gen[lab].separation_power_showerml[n]) for lab in gen}}
                      for n in sml])
        report.heading("Feature histograms (CaloChallenge ranges and binnings)")
        shown = _feature_names(names, geometry)
        for start in range(0, len(shown), PANELS_PER_FIGURE):
            chunk = shown[start : start + PANELS_PER_FIGURE]
            caption = f"histograms {start + 1}–{start + len(chunk)} of {len(shown)}"
            report.figure(challenge_figure(result, chunk), caption)
    else:
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
