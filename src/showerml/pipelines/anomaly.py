"""Run anomaly-detection methods on a dijet feature sample: one run, an injection scan, and the quick demo.

The labelled pool (background + signal, e.g. a QCD and a signal file) is split per seed:

- background: 60 % → data, 20 % → the perfectly modelled reference (idealized, supervised), 20 % → test;
- signal: ``n_inject`` events → data; of the rest, half → labelled training signal (supervised), half → test.

Methods train on :class:`~showerml.anomaly.base.AnomalyInputs` and are scored on the SR part of the test set
(independent of training). S/B is quoted in the SR of the data. A run writes one folder: ``config.json``,
``metrics.json``, ``figures/``, ``report.html``. Masses in GeV inside; the CLI takes the SR in TeV.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from showerml.anomaly.base import AnomalyInputs, MethodConfig, Regions
from showerml.anomaly.methods import METHODS, make_method
from showerml.errors import InputError
from showerml.io.lhco import DijetSample
from showerml.metrics.anomaly import BumpHunt, anomaly_metrics, bump_hunt

__all__ = ["RunConfig", "Split", "make_split", "quick_demo", "run_anomaly", "scan_anomaly"]

BKG_FRACTIONS = (0.6, 0.2, 0.2)  # data, reference, test


@dataclass
class RunConfig:
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    regions: Regions = field(default_factory=Regions)
    n_inject: int = 1000
    seed: int = 0
    method: MethodConfig = field(default_factory=MethodConfig)
    cut_keep: float = 0.02  # fraction of data kept by the score cut before the bump hunt
    min_background: int = 25  # SIC floor: ε_B ≥ min_background / N_B(test)
    sqrt_s: float = 13000.0

    def __post_init__(self) -> None:
        for m in self.methods:
            if m not in METHODS:
                raise InputError(f"unknown anomaly method '{m}': use one of {', '.join(METHODS)}")
        if not self.methods:
            raise InputError("give at least one --method")
        if self.n_inject < 0:
            raise InputError(f"--inject must be a non-negative number of signal events, got {self.n_inject}")
        if not 0 < self.cut_keep <= 1:
            raise InputError(f"the cut must keep a fraction in (0, 1] of the data, got {self.cut_keep}")


@dataclass
class Split:
    inputs: AnomalyInputs
    test_x: np.ndarray
    test_y: np.ndarray
    data_label: np.ndarray
    s_over_b: float
    n_sig_sr: int
    n_bkg_sr: int


def check_pool(pool: DijetSample, regions: Regions, n_inject: int) -> None:
    """Bad input as one-line errors before any work: labels, SR inside the data, injection ≤ available signal."""
    if np.any(pool.label < 0):
        raise InputError("the data must carry truth labels (0/1) to evaluate the methods; unlabelled events found")
    n_bkg, n_sig = int(np.sum(pool.label == 0)), int(np.sum(pool.label == 1))
    if n_bkg < 100:
        raise InputError(f"need at least 100 background events, the data has {n_bkg}")
    mjj = pool.mjj[pool.label == 0]
    n_sr = int(np.sum(regions.in_sr(mjj)))
    if n_sr < 20:
        raise InputError(
            f"the signal region {regions.sr_lo / 1000:g}–{regions.sr_hi / 1000:g} TeV holds {n_sr} background "
            f"events (data m_jj spans {mjj.min() / 1000:.2f}–{mjj.max() / 1000:.2f} TeV); move --sr inside the data"
        )
    if n_inject > n_sig // 2:
        raise InputError(
            f"--inject {n_inject} exceeds the {n_sig // 2} signal events available (half of the {n_sig} signal "
            "events; the rest train the supervised classifier and test); inject fewer or add signal"
        )
    if n_sig < 40:
        raise InputError(f"need at least 40 labelled signal events for training and testing, the data has {n_sig}")


def make_split(pool: DijetSample, regions: Regions, n_inject: int, seed: int) -> Split:
    """Seeded split of the pool into data, reference, labelled signal and the SR test set."""
    check_pool(pool, regions, n_inject)
    rng = np.random.default_rng(seed)
    bkg = rng.permutation(np.flatnonzero(pool.label == 0))
    sig = rng.permutation(np.flatnonzero(pool.label == 1))
    n_data, n_ref = int(BKG_FRACTIONS[0] * len(bkg)), int(BKG_FRACTIONS[1] * len(bkg))
    b_data, b_ref, b_test = bkg[:n_data], bkg[n_data : n_data + n_ref], bkg[n_data + n_ref :]
    rest = sig[len(sig) // 2 :]
    s_inj, s_train, s_test = sig[:n_inject], rest[: len(rest) // 2], rest[len(rest) // 2 :]
    f, lab = pool.features, pool.label
    data_idx = rng.permutation(np.concatenate([b_data, s_inj]))
    test_idx = np.concatenate([b_test, s_test])
    test_idx = test_idx[regions.in_sr(f[test_idx, 0])]
    in_sr = regions.in_sr(f[data_idx, 0])
    n_sig_sr = int(np.sum(in_sr & (lab[data_idx] == 1)))
    n_bkg_sr = int(np.sum(in_sr & (lab[data_idx] == 0)))
    inputs = AnomalyInputs(f[data_idx], regions, reference=f[b_ref], signal=f[s_train])
    return Split(inputs, f[test_idx], lab[test_idx], lab[data_idx], n_sig_sr / max(n_bkg_sr, 1), n_sig_sr, n_bkg_sr)


def fit_and_score(name: str, split: Split, config: RunConfig, seed: int) -> dict[str, Any]:
    """Train one method; return its metrics on the test set, its test scores and its timing."""
    method_cfg = MethodConfig(**{**asdict(config.method), "seed": seed})
    t0 = time.perf_counter()
    method = make_method(name, method_cfg).fit(split.inputs)
    seconds = time.perf_counter() - t0
    scores = method.score(split.test_x)
    metrics = anomaly_metrics(scores, split.test_y, min_background=config.min_background).to_dict()
    return {"method": method, "scores": scores, "metrics": {**metrics, "train_seconds": seconds}}


def _prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise InputError(f"{out} exists and is not empty; pass --overwrite or choose another --out")
        shutil.rmtree(out)
    if not out.parent.exists():
        raise InputError(f"folder {out.parent} does not exist; create it or choose another --out")
    out.mkdir(parents=True, exist_ok=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(_jsonable(payload), indent=2, sort_keys=True, default=float))


def _fit_range(regions: Regions) -> tuple[float, float]:
    lo = regions.sb_lo if regions.sb_lo is not None else 0.85 * regions.sr_lo
    hi = regions.sb_hi if regions.sb_hi is not None else 1.4 * regions.sr_hi
    return lo, hi


def run_anomaly(
    pool: DijetSample, out: str | Path, config: RunConfig, overwrite: bool = False, source: str = ""
) -> dict[str, Any]:
    """One split (``config.n_inject``, ``config.seed``), every method in ``config.methods``; writes the run folder."""
    from showerml.pipelines.anomaly_report import bump_figure, curves_figures, write_report

    out = Path(out)
    split = make_split(pool, config.regions, config.n_inject, config.seed)
    _prepare_out(out, overwrite)
    _write_json(out / "config.json", {**asdict(config), "data": source})
    sr, fit_range = (config.regions.sr_lo, config.regions.sr_hi), _fit_range(config.regions)
    data = split.inputs.data
    before = bump_hunt(data[:, 0], sr, fit_range, config.sqrt_s)
    results: dict[str, Any] = {}
    curves, figures = {}, []
    for name in config.methods:
        res = fit_and_score(name, split, config, config.seed)
        s_data = res["method"].score(data)
        keep = s_data >= np.quantile(s_data, 1 - config.cut_keep)
        try:
            after: BumpHunt | None = bump_hunt(data[keep, 0], sr, fit_range, config.sqrt_s)
        except InputError:  # too few events left in the sidebands to fit
            after = None
        res["metrics"]["bump_hunt_before"] = before.to_dict()
        res["metrics"]["bump_hunt_after"] = after.to_dict() if after else {"significance": float("nan")}
        results[name] = res["metrics"]
        curves[name] = (res["scores"], split.test_y)
        figures.append((f"mjj_{name}", bump_figure(data[:, 0], keep, before, after, sr, f"{name}: top "
                        f"{100 * config.cut_keep:g} % of scores"), f"m_jj before and after the {name} cut"))
    summary = {
        "s_over_b_sr": split.s_over_b, "n_signal_sr": split.n_sig_sr, "n_background_sr": split.n_bkg_sr,
        "s_over_sqrt_b_sr": split.n_sig_sr / np.sqrt(max(split.n_bkg_sr, 1)), "n_inject": config.n_inject,
        "n_test_signal": int(np.sum(split.test_y == 1)), "n_test_background": int(np.sum(split.test_y == 0)),
        "methods": results,
    }
    _write_json(out / "metrics.json", summary)
    fig_sic, fig_rej = curves_figures(curves, config.min_background)
    rows = [{"method": k, **{m: v[m] for m in ("max_sic", "rejection_02", "rejection_05", "auc", "train_seconds")},
             "Z after cut": v["bump_hunt_after"]["significance"]} for k, v in results.items()]
    text = (f"{config.regions.describe()}; {config.n_inject} signal injected, S/B = {100 * split.s_over_b:.2f} % "
            f"and S/√B = {summary['s_over_sqrt_b_sr']:.2f} in the SR; seed {config.seed}; bump hunt before any cut: "
            f"Z = {before.significance:.2f}. Test set: {summary['n_test_signal']} signal, "
            f"{summary['n_test_background']} background events in the SR.")
    write_report(out, "Resonant anomaly detection", text, [("Methods", rows)],
                 [("sic", fig_sic, "SIC curves"), ("rejection", fig_rej, "background rejection"), *figures])
    return summary


def scan_anomaly(
    pool: DijetSample, out: str | Path, config: RunConfig, injections: list[int], seeds: list[int],
    overwrite: bool = False, source: str = "",
) -> dict[str, Any]:
    """Signal-injection scan: every method × injection × seed; medians and 16–84 % bands of max SIC per S/B."""
    from showerml.pipelines.anomaly_report import scan_figure, write_report

    if not injections or not seeds:
        raise InputError("a scan needs at least one --inject value and one seed")
    for n in injections:
        check_pool(pool, config.regions, n)
    out = Path(out)
    _prepare_out(out, overwrite)
    _write_json(out / "config.json", {**asdict(config), "injections": injections, "seeds": seeds, "data": source})
    runs, rows = [], []
    for n in injections:
        per: dict[str, list[dict[str, Any]]] = {m: [] for m in config.methods}
        sb = []
        for seed in seeds:
            split = make_split(pool, config.regions, n, seed)
            sb.append(split.s_over_b)
            for name in config.methods:
                metrics = fit_and_score(name, split, config, seed)["metrics"]
                per[name].append(metrics)
                runs.append({"method": name, "n_inject": n, "seed": seed, "s_over_b": split.s_over_b, **metrics})
        for name, ms in per.items():
            row: dict[str, Any] = {"method": name, "n_inject": n, "s_over_b": float(np.median(sb))}
            for key in ("max_sic", "rejection_02", "rejection_05", "auc"):
                v = np.array([m[key] for m in ms], dtype=np.float64)
                row[f"{key}_median"], row[f"{key}_p16"], row[f"{key}_p84"] = (
                    float(np.median(v)), float(np.percentile(v, 16)), float(np.percentile(v, 84)))
            rows.append(row)
    summary = {"runs": runs, "bands": rows}
    _write_json(out / "metrics.json", summary)
    table = [{k: r[k] for k in ("method", "n_inject", "s_over_b", "max_sic_median", "max_sic_p16", "max_sic_p84",
                                "rejection_05_median")} for r in rows]
    write_report(out, "Signal-injection scan", f"{config.regions.describe()}; seeds {seeds}", [("Bands", table)],
                 [("scan_sic", scan_figure(rows), "max SIC vs S/B"),
                  ("scan_rej05", scan_figure(rows, "rejection_05"), "rejection at ε_S = 0.5 vs S/B")])
    return summary


def quick_demo(out: str | Path, seed: int = 0, overwrite: bool = True) -> dict[str, Any]:
    """Tiny toy-data run of all six methods (well under a minute on 2 cores) for ``showerml demo``."""
    from showerml.anomaly.toy import toy_dijets

    pool = toy_dijets(10000, 800, seed=seed)
    # an ensemble of three: with ~100 signal events in the SR a single small network is at the mercy of its seed
    method = MethodConfig(n_models=3, epochs=8, patience=3, flow_epochs=8, flow_transforms=2, oversample=2, seed=seed)
    return run_anomaly(pool, out, RunConfig(n_inject=150, seed=seed, method=method), overwrite, source="toy")
