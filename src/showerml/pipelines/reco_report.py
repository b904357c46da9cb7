"""Figures, target summary and ``report.html`` of ``showerml reco bench``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from showerml.metrics import reco as M
from showerml.report.html import Report

__all__ = ["summarize_targets", "write_report"]


def _bin(rows: list[dict[str, Any]], low: float) -> dict[str, Any] | None:
    return next((r for r in rows if r["low"] == low), None)


def summarize_targets(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets as measured (ratios side by side with their anchors)."""
    t: dict[str, Any] = {}
    ep = results.get("ep", {})
    if "cnn" in ep and "bdt" in ep:
        cnn = _bin(ep["cnn"]["cnn"]["rejection_at_90"], 1000.0)
        zeta = _bin(ep["cnn"]["zeta"]["rejection_at_90"], 1000.0)
        bdt = _bin(ep["bdt"]["bdt"]["rejection_at_90"], 1000.0)
        if cnn and zeta and bdt:
            t["ep_1_10TeV"] = {
                "cnn": cnn["rejection"], "zeta": zeta["rejection"], "bdt": bdt["rejection"],
                "cnn_lower_limit": cnn["lower_limit"], "bdt_lower_limit": bdt["lower_limit"],
                "cnn_over_zeta": cnn["rejection"] / zeta["rejection"], "target_cnn_over_zeta": 5.0,
                "cnn_over_bdt": cnn["rejection"] / bdt["rejection"], "target_cnn_over_bdt": 2.0,
                "n_background": cnn["n_background"]}
    d = results.get("direction", {}).get("cnn")
    if d:
        cnn = _bin(d["cnn"]["psf68_deg"], 700.0)
        cls = _bin(d["classical"]["psf68_deg"], 700.0)
        if cnn and cls:
            t["psf68_1TeV"] = {"cnn_deg": cnn["value"], "classical_deg": cls["value"],
                               "improvement": cls["value"] / cnn["value"], "target": 6.0, "n": cnn["n"]}
    tr = results.get("track", {}).get("hough")
    if tr:
        row = {}
        for m in ("hough", "classical"):
            for tol in ("1mm", "100um"):
                b = _bin(tr[m][f"efficiency_{tol}"], 100000.0)
                if b:
                    row[f"{m}_{tol}"] = b["value"]
                    row["n"] = b["n"]
        t["tracking_above_100TeV"] = row
    s = results.get("saturation", {}).get("cnn")
    if s:
        after = [r for r in s["after"]["vs_lost_fraction"] if r["n"] >= 5]
        t["saturation"] = {"max_abs_bias_after": max(abs(r["value"][0]) for r in after) if after else None,
                           "max_abs_bias_before": max(abs(r["value"][0]) for r in s["before"]["vs_lost_fraction"]
                                                      if r["n"] >= 5),
                           "max_lost_fraction": s["max_lost_fraction"], "target": 0.02}
    return t


def _fig(figsize=(5.2, 3.8)):
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)


def _identification(report: Report, task: str, res: dict[str, Any], plots: dict[str, Any]) -> None:
    if "cnn" not in res:
        return
    sig = {"ep": "electron", "gp": "photon"}[task]
    report.heading(f"{task}: {sig}/proton identification")
    a = plots.get(f"{task}:cnn")
    b = plots.get(f"{task}:bdt")
    if a is not None:
        fig, ax = _fig()
        sel = (a["deposit_gev"] >= 1000) & (a["deposit_gev"] < 10000)
        y = a["label"][sel] == 1
        scores = {"CNN": a["cnn"][sel], "ζ cut": a["zeta"][sel]}
        if b is not None:
            scores["BDT"] = b["bdt"][(b["deposit_gev"] >= 1000) & (b["deposit_gev"] < 10000)]
        for name, sc in scores.items():
            if y.any() and (~y).any():
                eff, rej = M.roc_rejection(sc[y], sc[~y])
                ax.plot(eff, rej, label=name)
        ax.set_yscale("log"), ax.set_xlabel(f"{sig} efficiency ε_S"), ax.set_ylabel("proton rejection 1/ε_B")
        ax.set_xlim(0.5, 1.0), ax.legend(), ax.set_title("deposit 1–10 TeV")
        report.figure(fig, f"{task}: ROC as proton rejection (log axis), 1–10 TeV deposited")
    fig, ax = _fig()
    rows_all = []
    for key, method, label in (("cnn", "cnn", "CNN"), ("bdt", "bdt", "BDT"), ("cnn", "zeta", "ζ cut")):
        if key not in res:
            continue
        rows = res[key][method]["rejection_at_90"]
        x = np.array([np.sqrt(r["low"] * min(r["high"], 3 * r["low"])) for r in rows])
        yv = np.array([r["rejection"] for r in rows], float)
        low = yv - np.array([r["rejection_low"] for r in rows], float)
        high = np.nan_to_num(np.array([r["rejection_high"] for r in rows], float) - yv, posinf=0.0)
        ax.errorbar(x, yv, yerr=[low, high], marker="o", label=label, capsize=3)
        for r in rows:
            rows_all.append({"method": label, "deposit GeV": f"{r['low']:.0f}–{r['high']:.0f}",
                             "rejection @90%": r["rejection"], "68% low": r["rejection_low"],
                             "68% high": r["rejection_high"], "lower limit": r["lower_limit"],
                             "N_sig": r["n_signal"], "N_bkg": r["n_background"], "passed": r["n_passed"]})
    ax.set_xscale("log"), ax.set_yscale("log"), ax.set_xlabel("deposited energy (GeV)")
    ax.set_ylabel("proton rejection at 90 % efficiency"), ax.legend()
    report.figure(fig, f"{task}: rejection vs deposited energy (Clopper–Pearson 68 % errors)")
    report.table(rows_all)


def _line_plot(report: Report, rows_by_label: dict[str, list[dict[str, Any]]], ylabel: str, caption: str,
               logy: bool = False, value=lambda v: v) -> None:
    fig, ax = _fig()
    for label, rows in rows_by_label.items():
        x = [np.sqrt(r["low"] * min(r["high"], 3 * r["low"])) for r in rows if r["n"]]
        y = [value(r["value"]) for r in rows if r["n"]]
        ax.plot(x, y, marker="o", label=label)
    ax.set_xscale("log"), ax.set_xlabel("energy (GeV)"), ax.set_ylabel(ylabel), ax.legend()
    if logy:
        ax.set_yscale("log")
    report.figure(fig, caption)


def write_report(out: Path, results: dict[str, Any], plots: dict[str, Any]) -> Path:
    results["targets"] = summarize_targets(results)
    report = Report("showerml reco bench: DAMPE-like reconstruction",
                    f"seed {results['seed']}, {results['epochs']} epochs max; every method on the same test events")
    report.heading("Targets")
    report.table([{"target": k, **{kk: vv for kk, vv in v.items() if not isinstance(vv, dict)}}
                  for k, v in results["targets"].items()])
    for task in ("ep", "gp"):
        _identification(report, task, results.get(task, {}), plots)
    d = results.get("direction", {}).get("cnn")
    if d:
        report.heading("Direction")
        _line_plot(report, {"CNN": d["cnn"]["psf68_deg"], "classical fit": d["classical"]["psf68_deg"]},
                   "PSF68 (deg)", "PSF68 vs deposited energy", logy=True)
        _line_plot(report, {"CNN": d["cnn"]["impact68_mm_stk_top"],
                            "classical fit": d["classical"]["impact68_mm_stk_top"]},
                   "68 % impact radius at STK top (mm)", "impact-point resolution vs deposited energy", logy=True)
    tr = results.get("track", {}).get("hough")
    if tr:
        report.heading("Tracking")
        rows = {f"{m} {tol}": [{**r, "value": r["value"][0] if isinstance(r["value"], (list, tuple)) else r["value"]}
                               for r in tr[m][f"efficiency_{tol}"]]
                for m in ("hough", "classical") for tol in ("1mm", "100um")}
        _line_plot(report, rows, "track-finding efficiency", "efficiency (track within 1 mm / 100 µm at the PSD) "
                   "vs incident energy")
    ch = results.get("charge", {}).get("ml")
    a = plots.get("charge:ml")
    if ch and a is not None:
        report.heading("Charge")
        fig, ax = _fig()
        for m, style in (("ml", "-"), ("classical", "--")):
            ax.hist(a[m], bins=np.linspace(0, 3.5, 71), histtype="step", linestyle=style, label=f"{m} track")
        ax.set_xlabel("Ẑ"), ax.set_yscale("log"), ax.legend()
        report.figure(fig, "charge estimate along the ML and the classical track (p + He)")
        report.table([{"track": m, "energy GeV": f"{r['low']:.0f}–{r['high']:.0f}", **{k: r[k] for k in
                       ("n_p", "n_he", "separation", "p_misid", "he_misid")}}
                      for m in ("ml", "classical") for r in ch[m]["per_energy"]])
    s = results.get("saturation", {}).get("cnn")
    a = plots.get("saturation:cnn")
    if s and a is not None:
        report.heading("Saturation recovery")
        fig, ax = _fig()
        ax.hist(a["before"], bins=80, histtype="step", label="before (read-out)")
        ax.hist(a["after"], bins=80, histtype="step", label="after CNN")
        ax.set_xlabel("E_BGO / E_true − 1"), ax.legend()
        report.figure(fig, "total BGO energy residuals of saturated events")
        report.table([{"lost fraction": f"{r['low']:.1f}–{r['high']:.1f}", "n": r["n"],
                       "bias before": rb["value"][0], "bias after": r["value"][0],
                       "resolution before": rb["value"][1], "resolution after": r["value"][1]}
                      for r, rb in zip(s["after"]["vs_lost_fraction"], s["before"]["vs_lost_fraction"], strict=True)
                      if r["n"]])
    ia = results.get("interaction", {}).get("bdt")
    if ia:
        report.heading("First hadronic interaction")
        report.table([{"method": m, "accuracy": ia[m]["accuracy"], "within ±1 class": ia[m]["accuracy_within_1"]}
                      for m in ("bdt", "classical")])
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        for ax, m in zip(axes, ("bdt", "classical"), strict=True):
            c = np.asarray(ia[m]["confusion"], float)
            ax.imshow(c / np.maximum(c.sum(axis=1, keepdims=True), 1), origin="lower", cmap="viridis")
            ax.set_xlabel("predicted class"), ax.set_ylabel("true class"), ax.set_title(m)
        report.figure(fig, "confusion (row-normalised): 0 tracker, 1–14 BGO layers, 15 none")
    report.heading("Timing")
    report.table(_timing_rows(results))
    return report.write(out / "report.html")


def _timing_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for task, res in results.items():
        if not isinstance(res, dict):
            continue
        for trained, metrics in res.items():
            if not isinstance(metrics, dict):
                continue
            for method, m in metrics.items():
                if isinstance(m, dict) and "inference_events_per_s" in m:
                    rows.append({"task": task, "method": method, "train s": m.get("train_seconds", 0.0),
                                 "inference events/s": m["inference_events_per_s"]})
            if "inference_events_per_s" in metrics:
                rows.append({"task": task, "method": trained, "train s": metrics.get("train_seconds", 0.0),
                             "inference events/s": metrics["inference_events_per_s"]})
    return rows
