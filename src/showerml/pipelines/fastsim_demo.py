"""A quick fast-simulation section for ``showerml demo`` (≈ 1 min on 2 cores): simulate CaloGAN e+ showers, train a
small conditional flow-matching model, sample at held-out energies, compare (classifier AUC, layer fractions,
generation time). Signature of a demo section: ``(run_folder, report, metrics, seed)``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from showerml.report.html import Report

__all__ = ["fastsim_demo_section"]


def fastsim_demo_section(run: Path, report: Report, metrics: dict[str, Any], seed: int,
                         n_train: int = 3000, n_test: int = 1500, epochs: int = 25) -> None:
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.io.showers import write_showers
    from showerml.metrics.classifier import ClassifierConfig
    from showerml.pipelines.evaluate import EvaluateConfig, evaluate_showers
    from showerml.pipelines.fastsim import FastsimConfig, train_model
    from showerml.pipelines.simulate import simulate_showers
    from showerml.report.plots import draw_layer_fraction_histograms, draw_longitudinal_profiles
    from showerml.spectra import parse_spectrum

    report.heading("Fast simulation: a flow-matching surrogate of the CaloGAN e+ simulator")
    data = simulate_showers(CaloGANSimulator("e+"), n_train + n_test, parse_spectrum("uniform:1,100"), seed + 7)
    train, test = data.subset(slice(0, n_train)), data.subset(slice(n_train, None))
    cfg = FastsimConfig.model_validate({"model": {"width": 256, "blocks": 2, "steps": 10},
                                        "train": {"epochs": epochs, "patience": epochs}})
    t0 = time.perf_counter()
    model = train_model(train, "cfm", run / "models" / "cfm", cfg, seed=seed, progress=False)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    generated = model.sample(test.incident, seed=seed)
    ms = 1e3 * (time.perf_counter() - t0) / len(test)
    write_showers(run / "data" / "fastsim_cfm_eplus.h5", generated, attrs={"generator": "cfm"})
    ev = EvaluateConfig(multiclass=False, fpd_min_samples=500, kpd_batch_size=500,
                        classifier=ClassifierConfig(epochs=10, patience=3))
    clf = evaluate_showers(test, {"cfm": generated}, ev, seed).metrics.generated["cfm"].classifier
    assert clf.low_level is not None and clf.high_level is not None
    auc_v, auc_h = clf.low_level.auc, clf.high_level.auc
    metrics["fastsim_demo"] = {"n_train": n_train, "n_test": n_test, "epochs": epochs, "train_seconds": train_s,
                               "ms_per_shower": ms, "auc_voxel": auc_v, "auc_high_level": auc_h}
    report.paragraph(
        f"Conditional flow matching (straight paths, 10 midpoint steps; showerml fastsim) trained for {epochs} epochs "
        f"on {n_train} simulated e+ showers in {train_s:.0f} s; {n_test} held-out showers regenerated at their "
        "incident "
        f"energies in {ms:.3g} ms per shower. Classifier test AUC (0.5 = indistinguishable): voxel level "
        f"{auc_v:.3f}, high level {auc_h:.3f}. This is a smoke-size model; 'showerml fastsim bench' trains the "
        "benchmark configurations. Model: models/cfm; showers: data/fastsim_cfm_eplus.h5."
    )
    samples = {"simulation": test, "flow matching": generated}
    report.figure(draw_longitudinal_profiles(samples), "mean energy per layer / E_inc: simulation vs surrogate")
    report.figure(draw_layer_fraction_histograms(samples), "layer energy fractions: simulation vs surrogate")
