"""Run anomaly-detection methods on dijet features: one run, an injection scan, and the quick demo.

Inputs come as a labelled pool split per seed or as the official roles (see
:mod:`showerml.pipelines.anomaly_inputs`). Methods train on :class:`~showerml.anomaly.base.AnomalyInputs` and are
scored on the SR part of the test set (independent of training). S/B is quoted in the SR of the data. A method that
lacks what it needs (sidebands, a reference, a signal sample) stops the run in one line when asked for by name and is
skipped with a note under ``all``; the bump hunt runs only when the data have sidebands. A run writes one folder
(through :class:`~showerml.io.runfolder.RunFolder`, so a failed run leaves none): ``config.json`` (the resolved run
settings), ``config.yaml`` (the command's options, for ``--config``), ``metrics.json``, ``figures/``,
``report.html``. Masses in GeV inside; the CLI takes the SR in TeV.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from showerml.anomaly.base import AnomalyMethod, MethodConfig, Regions
from showerml.anomaly.methods import METHODS, make_method, unmet
from showerml.anomaly.results import AnomalyRunResult, BumpHuntSummary, MethodResult, ScanBand, ScanResult, ScanRun
from showerml.errors import InputError
from showerml.io.config import dump_yaml
from showerml.io.lhco import DijetSample
from showerml.io.runfolder import RunFolder
from showerml.metrics.anomaly import BumpHunt, anomaly_metrics, bump_hunt, format_rejection
from showerml.pipelines.anomaly_inputs import Roles, Split, check_pool, make_role_split, make_split

__all__ = ["CONFIG_FILE", "Fitted", "Roles", "RunConfig", "Split", "fit_and_score", "make_role_split", "make_split",
           "quick_demo", "run_anomaly", "scan_anomaly"]

#: the command's resolved options, as ``--config`` reads them back
CONFIG_FILE = "config.yaml"


@dataclass
class RunConfig:
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    regions: Regions = field(default_factory=Regions)
    n_inject: int = 1000
    seed: int = 0
    method: MethodConfig = field(default_factory=MethodConfig)
    cut_keep: float = 0.02  # fraction of data kept by the score cut before the bump hunt
    min_background: int = 25  # statistical floor of SIC and rejection: ≥ min_background test background events
    sqrt_s: float = 13000.0
    skip_inapplicable: bool = False  # ``--method all``: skip (with a note) the methods the inputs cannot serve

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


@dataclass(frozen=True)
class Fitted:
    """A trained method, its scores on the test set and its result (figures and training time)."""

    method: AnomalyMethod
    scores: np.ndarray
    metrics: MethodResult


def fit_and_score(name: str, split: Split, config: RunConfig, seed: int) -> Fitted:
    """Train one method; return it with its test-set scores, its metrics on the test set and its timing."""
    method_cfg = MethodConfig(**{**asdict(config.method), "seed": seed})
    t0 = time.perf_counter()
    method = make_method(name, method_cfg).fit(split.inputs)
    seconds = time.perf_counter() - t0
    scores = method.score(split.test_x)
    metrics = anomaly_metrics(scores, split.test_y, min_background=config.min_background)
    return Fitted(method, scores, MethodResult.of(metrics, seconds))


def resolve_methods(config: RunConfig, split: Split) -> tuple[list[str], list[str]]:
    """The methods to run and notes on those skipped; a method asked for by name that cannot run is an error."""
    run, notes = [], []
    for name in config.methods:
        why = unmet(name, split.inputs)
        if why is None:
            run.append(name)
        elif config.skip_inapplicable:
            notes.append(f"skipped {why.split(':')[0]}")
        else:
            raise InputError(why)
    if not run:
        raise InputError("none of the methods can run on these inputs: " + "; ".join(notes))
    return run, notes


def _sideband_bump_hunt(mjj: np.ndarray, config: RunConfig) -> tuple[BumpHunt | None, str | None]:
    """The bump hunt when the data have sidebands in the fit range; otherwise None and a note saying why."""
    sr, fit_range = (config.regions.sr_lo, config.regions.sr_hi), _fit_range(config.regions)
    in_fit = (mjj >= fit_range[0]) & (mjj < fit_range[1]) & ~config.regions.in_sr(mjj)
    if not np.any(in_fit):
        return None, (f"no bump hunt: the data hold no events in the sidebands of the fit range "
                      f"{fit_range[0] / 1000:g}–{fit_range[1] / 1000:g} TeV (signal-region-only input); the m_jj "
                      "fit needs sidebands")
    try:
        return bump_hunt(mjj, sr, fit_range, config.sqrt_s), None
    except InputError as exc:
        return None, f"no bump hunt: {exc}"


def _fit_range(regions: Regions) -> tuple[float, float]:
    lo = regions.sb_lo if regions.sb_lo is not None else 0.85 * regions.sr_lo
    hi = regions.sb_hi if regions.sb_hi is not None else 1.4 * regions.sr_hi
    return lo, hi


def run_anomaly(
    pool: DijetSample | Roles, out: str | Path, config: RunConfig, overwrite: bool = False, source: str = "",
    reference: DijetSample | None = None, settings: Mapping[str, Any] | None = None,
) -> AnomalyRunResult:
    """One split and every method in ``config.methods``; writes the run folder.

    ``pool`` is a labelled pool split with ``config.n_inject`` and ``config.seed`` (``reference`` replaces its
    reference slice), or :class:`Roles` used as given.
    """
    from showerml.pipelines.anomaly_report import bump_figure, curves_figures, write_report

    folder = RunFolder(out, overwrite=overwrite)
    if isinstance(pool, Roles):
        split = make_role_split(pool, config.regions)
    else:
        split = make_split(pool, config.regions, config.n_inject, config.seed, reference)
    methods, skipped = resolve_methods(config, split)
    notes = [*split.notes, *skipped]
    sr = (config.regions.sr_lo, config.regions.sr_hi)
    data = split.inputs.data
    before, no_hunt = _sideband_bump_hunt(data[:, 0], config)
    if no_hunt:
        notes.append(no_hunt)
    roles = isinstance(pool, Roles)
    resolved = {**asdict(config), "methods": methods, "data": source, "inputs": "roles" if roles else "pool"}
    if roles:
        resolved.pop("n_inject")
    results: dict[str, MethodResult] = {}
    curves, figures = {}, []
    with folder as run:
        run.write_json("config.json", resolved)
        if settings is not None:
            run.write_text(CONFIG_FILE, dump_yaml(settings))
        for name in methods:
            res = fit_and_score(name, split, config, config.seed)
            result = res.metrics
            if before is not None:
                s_data = res.method.score(data)
                keep = s_data >= np.quantile(s_data, 1 - config.cut_keep)
                after, _ = _sideband_bump_hunt(data[keep, 0], config)
                result = replace(result, bump_hunt_before=BumpHuntSummary.of(before),
                                 bump_hunt_after=None if after is None else BumpHuntSummary.of(after))
                figures.append((f"mjj_{name}", bump_figure(data[:, 0], keep, before, after, sr, f"{name}: top "
                                f"{100 * config.cut_keep:g} % of scores"), f"m_jj before and after the {name} cut"))
            results[name] = result
            curves[name] = (res.scores, split.test_y)
        summary = AnomalyRunResult(
            s_over_b_sr=split.s_over_b, n_signal_sr=split.n_sig_sr, n_background_sr=split.n_bkg_sr,
            s_over_sqrt_b_sr=float(split.n_sig_sr / np.sqrt(max(split.n_bkg_sr, 1))),
            n_test_signal=int(np.sum(split.test_y == 1)), n_test_background=int(np.sum(split.test_y == 0)),
            notes=tuple(notes), methods=results, n_inject=None if roles else config.n_inject,
        )
        run.write_json("metrics.json", summary)
        fig_sic, fig_rej = curves_figures(curves, config.min_background)
        rows = []
        for k, v in results.items():
            row: dict[str, Any] = {
                "method": k, "max_sic": v.max_sic,
                "rejection_02": format_rejection(v.rejection_02, v.rejection_02_lower_bound),
                "rejection_05": format_rejection(v.rejection_05, v.rejection_05_lower_bound),
                "auc": v.auc, "train_seconds": v.train_seconds,
            }
            if before is not None:
                row["Z after cut"] = float("nan") if v.bump_hunt_after is None else v.bump_hunt_after.significance
            rows.append(row)
        injected = "signal as in --train" if roles else f"{config.n_inject} signal injected"
        hunt = (f"bump hunt before any cut: Z = {before.significance:.2f}" if before is not None
                else "no bump hunt (no sidebands)")
        text = (f"{config.regions.describe()}; {injected}, S/B = {100 * split.s_over_b:.2f} % "
                f"and S/√B = {summary.s_over_sqrt_b_sr:.2f} in the SR; seed {config.seed}; {hunt}. Test set: "
                f"{summary.n_test_signal} signal, {summary.n_test_background} background events in the SR. "
                f"Rejections shown as ≥ x rest on fewer than {config.min_background} test background events."
                + "".join(f" Note: {n}." for n in notes))
        write_report(run.path, "Resonant anomaly detection", text, [("Methods", rows)],
                     [("sic", fig_sic, "SIC curves"), ("rejection", fig_rej, "background rejection"), *figures])
    return summary


def scan_anomaly(
    pool: DijetSample, out: str | Path, config: RunConfig, injections: list[int], seeds: list[int],
    overwrite: bool = False, source: str = "", reference: DijetSample | None = None,
    settings: Mapping[str, Any] | None = None,
) -> ScanResult:
    """Signal-injection scan: every method × injection × seed; medians and 16–84 % bands of max SIC per S/B.

    A band's rejection is flagged as a lower bound when any of its seeds gave only a bound.
    """
    from showerml.pipelines.anomaly_report import scan_figure, write_report

    if not injections or not seeds:
        raise InputError("a scan needs at least one --inject value and one seed")
    folder = RunFolder(out, overwrite=overwrite)
    for n in injections:
        check_pool(pool, config.regions, n)
    methods, notes = resolve_methods(config, make_split(pool, config.regions, min(injections), seeds[0], reference))
    resolved = {k: v for k, v in asdict(config).items() if k not in ("n_inject", "seed")}
    resolved.update(methods=methods, injections=injections, seeds=seeds, data=source)
    runs: list[ScanRun] = []
    rows: list[ScanBand] = []
    with folder as run:
        run.write_json("config.json", resolved)
        if settings is not None:
            run.write_text(CONFIG_FILE, dump_yaml(settings))
        for n in injections:
            per: dict[str, list[MethodResult]] = {m: [] for m in methods}
            sb = []
            for seed in seeds:
                split = make_split(pool, config.regions, n, seed, reference)
                sb.append(split.s_over_b)
                for name in methods:
                    metrics = fit_and_score(name, split, config, seed).metrics
                    per[name].append(metrics)
                    runs.append(ScanRun(**{f.name: getattr(metrics, f.name) for f in fields(MethodResult)},
                                        method=name, n_inject=n, seed=seed, s_over_b=split.s_over_b))
            for name, ms in per.items():
                rows.append(_band(name, n, float(np.median(sb)), ms))
        summary = ScanResult(runs=tuple(runs), bands=tuple(rows), notes=tuple(notes))
        run.write_json("metrics.json", summary)
        table = [{"method": r.method, "n_inject": r.n_inject, "s_over_b": r.s_over_b,
                  "max_sic_median": r.max_sic_median, "max_sic_p16": r.max_sic_p16, "max_sic_p84": r.max_sic_p84,
                  "rejection_05_median": format_rejection(r.rejection_05_median, r.rejection_05_lower_bound)}
                 for r in rows]
        text = f"{config.regions.describe()}; seeds {seeds}" + "".join(f". Note: {n}" for n in notes)
        write_report(run.path, "Signal-injection scan", text, [("Bands", table)],
                     [("scan_sic", scan_figure(rows), "max SIC vs S/B"),
                      ("scan_rej05", scan_figure(rows, "rejection_05"), "rejection at ε_S = 0.5 vs S/B")])
    return summary


def _band(method: str, n_inject: int, s_over_b: float, results: list[MethodResult]) -> ScanBand:
    """Median and 16–84 % of each figure over seeds; a rejection is a bound when any seed gave only a bound."""
    stats: dict[str, float] = {}
    for key in ("max_sic", "rejection_02", "rejection_05", "auc"):
        v = np.array([getattr(r, key) for r in results], dtype=np.float64)
        stats |= {f"{key}_median": float(np.median(v)), f"{key}_p16": float(np.percentile(v, 16)),
                  f"{key}_p84": float(np.percentile(v, 84))}
    return ScanBand(method=method, n_inject=n_inject, s_over_b=s_over_b, **stats,
                    rejection_02_lower_bound=any(r.rejection_02_lower_bound for r in results),
                    rejection_05_lower_bound=any(r.rejection_05_lower_bound for r in results))


def quick_demo(out: str | Path, seed: int = 0, overwrite: bool = True) -> AnomalyRunResult:
    """Tiny toy-data run of all six methods (well under a minute on 2 cores) for ``showerml demo``."""
    from showerml.anomaly.toy import toy_dijets

    pool = toy_dijets(10000, 800, seed=seed)
    # an ensemble of three: with ~100 signal events in the SR a single small network is at the mercy of its seed
    method = MethodConfig(n_models=3, epochs=8, patience=3, flow_epochs=8, flow_transforms=2, oversample=2, seed=seed)
    return run_anomaly(pool, out, RunConfig(n_inject=150, seed=seed, method=method), overwrite, source="toy")
