"""``showerml demo``: the main job on a small embedded default, ending in ``report.html``.

Simulates CaloGAN showers (e+, γ, π+), draws event displays and layer profiles, compares the simulator with the
shared Geant4 showers when that file exists, and writes everything to one run folder. The folder is assembled under a
temporary name and renamed at the end, so an interrupted demo never leaves a half-written run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from showerml import __version__
from showerml.io.runfolder import RunFolder, json_safe
from showerml.report.html import Report

__all__ = ["run_demo", "DEMO_SECTIONS"]

Section = Callable[[Path, Report, dict[str, Any], int], None]


def _calogan_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.io.showers import load_showers
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.report.plots import draw_event, draw_layer_fraction_histograms, draw_longitudinal_profiles
    from showerml.spectra import parse_spectrum

    report.heading("CaloGAN calorimeter: simulated showers")
    samples = {}
    spectrum = parse_spectrum("uniform:1,100")
    for particle, n in (("e+", 2000), ("gamma", 1000), ("pi+", 1000)):
        path = run / "data" / f"calogan_{particle.replace('+', 'plus')}.h5"
        t0 = time.perf_counter()
        simulate_to_file(CaloGANSimulator(particle), n, spectrum, seed, path, workers=1, progress=False)
        dt = time.perf_counter() - t0
        samples[particle] = load_showers(path)
        metrics[f"calogan_{particle}_showers_per_second"] = n / dt
    report.paragraph(
        "2000 e+, 1000 γ and 1000 π+ showers, uniform 1–100 GeV, in the CaloGAN Pb/LAr geometry "
        "(layers of 90 / 347 / 43 mm; cells 5×160, 40×40, 80×40 mm). Files: data/calogan_*.h5 (CaloGAN layout)."
    )
    for particle, data in samples.items():
        report.figure(draw_event(data, 0), f"event display: {particle}, event 0")
    report.figure(draw_longitudinal_profiles(samples), "mean energy per layer / E_inc")
    report.figure(draw_layer_fraction_histograms(samples), "layer energy fractions")


def _geant4_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.pipelines.calibration import DEFAULT_GEANT4, compare_with_geant4
    from showerml.report.plots import draw_layer_fraction_histograms

    report.heading("Calibration against Geant4 (51 CaloGAN e+ showers)")
    if not os.path.exists(DEFAULT_GEANT4):
        report.paragraph(f"skipped: {DEFAULT_GEANT4} not found")
        return
    rows, g4, sim = compare_with_geant4(DEFAULT_GEANT4, repeats=40, seed=seed)
    report.paragraph("Each Geant4 incident energy simulated 40 times with showerml (matched energies).")
    report.table(rows)
    report.figure(draw_layer_fraction_histograms({"Geant4": g4, "showerml": sim}), "layer energy fractions")
    metrics["geant4_calibration"] = rows


def _dampe_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.io.dampe import read_dampe
    from showerml.pipelines.dampe_demo import dampe_demo_figures

    report.heading("DAMPE-like space detector: event displays")
    report.paragraph(
        "PSD (charge), silicon tracker (track) and 14 × 22 BGO bars (energy, shower shape); files: data/dampe_*.h5. "
        "Each display shows both BGO views with the tracker clusters and PSD hits on top and the true track."
    )
    for caption, fig in dampe_demo_figures(run / "data", seed):
        report.figure(fig, caption)
    for path in sorted((run / "data").glob("dampe_*.h5")):
        events = read_dampe(path)
        metrics[f"{path.stem}_mean_bgo_energy_gev"] = float(events["bgo"].sum((1, 2)).mean() / 1000)


def _evaluation_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.metrics.classifier import ClassifierConfig
    from showerml.metrics.distortion import distort_showers
    from showerml.pipelines.evaluate import EvaluateConfig, evaluate_showers
    from showerml.pipelines.simulate import simulate_showers
    from showerml.report.evaluation import build_report
    from showerml.spectra import parse_spectrum

    n = 4000
    spectrum = parse_spectrum("uniform:10,100")
    sim = CaloGANSimulator("e+")
    reference = simulate_showers(sim, n, spectrum, seed + 101)
    independent = simulate_showers(sim, n, spectrum, seed + 202)
    distorted = distort_showers(independent, {0: 1.05}, width_smear=0.10, seed=seed)
    config = EvaluateConfig(
        fpd_min_samples=1000,
        fpd_max_samples=n,
        fpd_batches=5,
        kpd_batches=5,
        kpd_batch_size=1000,
        classifier=ClassifierConfig(hidden=(128, 128), epochs=15, patience=4),
    )
    result = evaluate_showers(reference, {"independent": independent, "distorted": distorted}, config, seed)
    build_report(result, reference.geometry).write(run / "evaluation" / "report.html")
    (run / "evaluation" / "metrics.json").write_text(json.dumps(json_safe(result.metrics), indent=2))

    report.heading("Evaluating generated showers: the metrics say 'same' and 'different'")
    report.paragraph(
        f"Reference: {n} simulated CaloGAN e+ showers (10–100 GeV). 'independent': another {n} from a different seed; "
        "'distorted': that sample with the layer-0 energy scaled by 5 % and the widths smeared by 10 %. "
        "Full evaluation report: evaluation/report.html."
    )
    rows = []
    for label, entry in result.metrics.generated.items():
        low, high = entry.classifier.low_level, entry.classifier.high_level
        assert low is not None and high is not None  # both run with this config
        rows.append(
            {
                "sample": label,
                "AUC voxel": low.auc,
                "AUC high-level": high.auc,
                "JSD high-level [bits]": high.jsd_bits,
                "FPD": entry.fpd.value,
                "KPD": entry.kpd.value,
                "mean separation power": entry.separation_power_mean,
            }
        )
        metrics[f"evaluation_{label}"] = rows[-1]
    report.table(rows)


def _fastsim_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.pipelines.fastsim_demo import fastsim_demo_section

    fastsim_demo_section(run, report, metrics, seed)


def _reco_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.pipelines.reco import quick_reco_demo
    from showerml.reco.tasks.identification import IdentificationResult

    result = quick_reco_demo(run / "reco", seed)
    report.heading("DAMPE-like reconstruction: e/p identification and direction (quick version)")
    report.paragraph(
        "600 electrons and 1200 protons (0.2–5 TeV), 4 training epochs: proton rejection at 90 % electron efficiency "
        "per deposited-energy bin for the ζ shower-shape cut, the BDT and the CNN; the classical BGO line fit vs the "
        "direction CNN. A lower limit means no test proton passed. Full report: reco/report.html."
    )
    rows = []
    ep = result.tasks["ep"].runs if "ep" in result.tasks else {}
    for trained, method in (("cnn", "zeta"), ("cnn", "cnn"), ("bdt", "bdt")):
        run_ep = ep.get(trained)
        evaluated = run_ep.methods.get(method) if isinstance(run_ep, IdentificationResult) else None
        for b in evaluated.rejection_at_90 if evaluated is not None else ():
            if b.n_signal and b.n_background:
                bound = "≥ " if b.lower_limit else ""
                rows.append(
                    {
                        "method": method,
                        "E_dep bin [GeV]": f"{b.low:g}–{b.high:g}",
                        "rejection 1/ε_p": f"{bound}{b.rejection:.3g}",
                        "test e / p": f"{b.n_signal} / {b.n_background}",
                    }
                )
    report.table(rows)
    metrics["reco_quick"] = {"ep_rejection": rows}


def _anomaly_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.metrics.anomaly import format_rejection
    from showerml.pipelines.anomaly import quick_demo

    result = quick_demo(run / "anomaly", seed)
    report.heading("Resonant anomaly detection (toy dijet features, quick version)")
    report.paragraph(
        "All six methods on a numpy toy sample with the shapes of the LHC Olympics features (not physics: "
        "real events come from `showerml simulate dijet`, Pythia 8 + FastJet). "
        f"Injected signal: S/B = {result.s_over_b_sr:.3g} in the signal region. Full report: anomaly/report.html."
    )
    rows = [
        {"method": name, "AUC": m.auc, "max SIC": m.max_sic,
         "rejection at ε_S = 0.5": format_rejection(m.rejection_05, m.rejection_05_lower_bound)}
        for name, m in result.methods.items()
    ]
    report.table(rows)
    metrics["anomaly_quick"] = rows


def _integrate_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.pipelines.integrate_demo import integrate_demo_section

    integrate_demo_section(run, report, metrics, seed)


def _ta_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.pipelines.ta_demo import ta_demo_section

    ta_demo_section(run, report, metrics, seed)


def _inference_section(run: Path, report: Report, metrics: dict[str, Any], seed: int) -> None:
    from showerml.pipelines.inference_demo import inference_demo_section

    inference_demo_section(run, report, metrics, seed)


#: sections in order; later capabilities append theirs
DEMO_SECTIONS: list[Section] = [
    _calogan_section,
    _geant4_section,
    _dampe_section,
    _evaluation_section,
    _fastsim_section,
    _reco_section,
    _anomaly_section,
    _integrate_section,
    _ta_section,
    _inference_section,
]


def run_demo(
    out: str | os.PathLike[str], seed: int = 0, overwrite: bool = False, log: Callable[[str], None] | None = None
) -> Path:
    """Run every demo section into ``out``; returns the report path. ``log`` gets one line per section (with its
    wall time), so a run whose output goes to a file shows where it is."""
    say = log or (lambda _msg: None)
    folder = RunFolder(out, overwrite=overwrite, create_parents=True)  # runs/demo in a fresh clone
    with folder as run:
        (run.path / "data").mkdir()
        (run.path / "evaluation").mkdir()
        report = Report("showerml demo", f"showerml {__version__} · seed {seed}")
        metrics: dict[str, Any] = {"showerml_version": __version__, "seed": seed}
        for i, section in enumerate(DEMO_SECTIONS, 1):
            name = section.__name__.strip("_").removesuffix("_section").replace("_", " ")
            say(f"demo [{i}/{len(DEMO_SECTIONS)}] {name} …")
            t0 = time.perf_counter()
            section(run.path, report, metrics, seed)
            say(f"demo [{i}/{len(DEMO_SECTIONS)}] {name}: done in {time.perf_counter() - t0:.0f} s")
        run.write_json("metrics.json", metrics)
        report.write(run.path / "report.html")
    return folder.target / "report.html"
