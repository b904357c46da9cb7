"""TA-like surface detector (issue 21): TA's standard reconstruction (baseline), a BDT on the 14 + 2 composition
observables, and the network of :mod:`showerml.reco.ta_net` that corrects the standard reconstruction and estimates
the mass.

Every method sees the same events: those passing TA's quality cuts on the standard reconstruction
(:mod:`showerml.reco.ta_quality`). The energy table of the standard reconstruction is built from the training
hadrons (:func:`showerml.reco.ta_energy.build_energy_table`) and saved with every model. Metrics
(:mod:`showerml.reco.ta_metrics`): 68 % opening angle above 10 EeV and at 10^18.5–10^19 eV, ΔE/E bias and
resolution per log10 E bin, Δcos θ, the explained variance of the standard reconstruction's zenith error, the
p/He/N/Fe fractions of equal test mixtures (20 mixtures, unfolded with the validation response), the ln A
resolution and the hadron rejection at 50 % and 90 % photon efficiency. Direction and energy figures use hadrons.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.reco import ta_metrics as TM
from showerml.reco.bdt import BDT
from showerml.reco.data import RecoSample
from showerml.reco.plots import figure, line_plot
from showerml.reco.results import BinPair, BinValue, bin_pairs, bin_values
from showerml.reco.ta_energy import EnergyTable, build_energy_table
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TaskResult, TrainInfo
from showerml.report.html import Report

__all__ = ["REGISTERED", "TaMethodMetrics", "TaResult", "TaTask", "TA_ANCHORS", "ta_labels"]

SPECIES = ("p", "He", "N", "Fe")
_A = np.array([1, 4, 14, 56])
TABLE_FILE = "energy_table.json"
#: issue 21 targets (network vs standard above 10 EeV; composition; network vs BDT for ln A)
TA_ANCHORS = {"energy_res_ratio": 1.25, "psf68_ratio_above_10": 1.0, "psf68_ratio_18p5_19": 1.2,
              "explained_variance_theta": 0.3, "fraction_error": 0.07, "ln_a_ratio_bdt_over_net": 1.2}


@dataclass(frozen=True)
class TaMethodMetrics(TaskResult):
    """One method on the test events (NaN where the method does not estimate the quantity)."""

    psf68_deg_above_10eev: float
    psf68_deg_18p5_19: float
    psf68_deg_by_log10e: tuple[BinValue, ...]
    energy_bias_above_10eev: float
    energy_resolution_above_10eev: float
    energy_by_log10e: tuple[BinPair, ...]
    dcos_theta_68_above_10eev: float
    explained_variance_theta: float
    fractions_mean: tuple[float, ...]
    fractions_rms_error: tuple[float, ...]
    ln_a_resolution: float
    mixture_mean_ln_a_bias: float
    photon_rejection_at_50: float
    photon_rejection_at_90: float
    inference_events_per_s: float
    train_seconds: float


@dataclass(frozen=True)
class TaResult(TaskResult):
    n_test: int
    n_hadrons_above_10eev: int
    n_photons: int
    methods: dict[str, TaMethodMetrics]


def ta_labels(s: RecoSample) -> tuple[np.ndarray, np.ndarray]:
    """(class 0–3 for p/He/N/Fe, −1 otherwise; photon flag)."""
    a = np.asarray(s["mass_number"])
    return np.select([a == v for v in _A], list(range(4)), -1), a == 0


def _nan_metrics(rate: float, train_s: float) -> dict[str, Any]:
    nan = float("nan")
    return {"psf68_deg_above_10eev": nan, "psf68_deg_18p5_19": nan, "psf68_deg_by_log10e": (),
            "energy_bias_above_10eev": nan, "energy_resolution_above_10eev": nan, "energy_by_log10e": (),
            "dcos_theta_68_above_10eev": nan, "explained_variance_theta": nan, "fractions_mean": (),
            "fractions_rms_error": (), "ln_a_resolution": nan, "mixture_mean_ln_a_bias": nan,
            "photon_rejection_at_50": nan, "photon_rejection_at_90": nan, "inference_events_per_s": rate,
            "train_seconds": train_s}


def _geometry_metrics(s: RecoSample, theta: np.ndarray, phi: np.ndarray, energy: np.ndarray) -> dict[str, Any]:
    cls, _ = ta_labels(s)
    e = np.asarray(s["energy"], np.float64)
    had = cls >= 0
    above = had & (e > 10.0)
    lg = np.log10(e) + 18.0
    ang = TM.opening_angle_deg(theta, phi, s["theta"], s["phi"])
    low = had & (lg >= 18.5) & (lg < 19.0)
    bias, res = TM.energy_bias_resolution(energy[above], e[above])
    from showerml.metrics import reco as M

    return {"psf68_deg_above_10eev": TM.psf68_deg(ang[above]), "psf68_deg_18p5_19": TM.psf68_deg(ang[low]),
            "psf68_deg_by_log10e": bin_values(M.binned(TM.psf68_deg, lg[had], TM.LOG10E_EDGES, ang[had])),
            "energy_bias_above_10eev": bias, "energy_resolution_above_10eev": res,
            "energy_by_log10e": bin_pairs(M.binned(TM.energy_bias_resolution, lg[had], TM.LOG10E_EDGES,
                                                   energy[had], e[had])),
            "dcos_theta_68_above_10eev": TM.dcos_theta_68(theta[above], np.asarray(s["theta"])[above])}


def _composition_metrics(s: RecoSample, prob: np.ndarray, ln_a: np.ndarray, photon: np.ndarray,
                         response: np.ndarray, seed: int) -> dict[str, Any]:
    cls, gam = ta_labels(s)
    had = cls >= 0
    counts = np.bincount(cls[had], minlength=4)
    out: dict[str, Any] = {}
    if counts.min() >= 20:
        per = int(min(250, counts.min()))
        mean, rms = TM.mixture_fraction_errors(prob[had], cls[had], response, per, 20, seed)
        out["fractions_mean"], out["fractions_rms_error"] = tuple(map(float, mean)), tuple(map(float, rms))
        rng = np.random.default_rng(seed)
        idx = np.concatenate([rng.choice(np.flatnonzero(cls[had] == c), per, replace=False) for c in range(4)])
        out["mixture_mean_ln_a_bias"] = float(ln_a[had][idx].mean() - np.log(_A).mean())
    ln_a_true = np.log(np.maximum(np.asarray(s["mass_number"], np.float64), 1.0))
    out["ln_a_resolution"] = TM.ln_a_resolution(ln_a[had], ln_a_true[had])
    if gam.any() and had.any():
        out["photon_rejection_at_50"] = TM.photon_rejection(photon[had | gam], gam[had | gam], 0.5).rejection
        out["photon_rejection_at_90"] = TM.photon_rejection(photon[had | gam], gam[had | gam], 0.9).rejection
    return out


def _features(s: RecoSample) -> np.ndarray:
    return np.asarray(s["obs"], np.float64)


class TaTask(ReconstructionTask[TaResult]):
    name = "ta"
    detector = "ta"
    title = "TA-like SD: standard reconstruction, composition BDT and the correcting network"
    methods = ("net", "bdt", "standard")
    baseline = "standard"
    bench_methods = ("net", "bdt")
    bench_roles = ("ta",)
    order = 80
    result_type = TaResult

    def select(self, sample: RecoSample) -> RecoSample:
        if sample.detector != "ta":
            raise InputError(f"task 'ta' needs TA-like SD files (showerml simulate ta), got {sample.detector} files")
        keep = np.flatnonzero(np.asarray(sample["std_passed"], bool))
        if len(keep) < 50:
            raise InputError(f"task 'ta': only {len(keep)} events pass TA's quality cuts (need ≥ 50); simulate more")
        return sample.take(keep)

    @staticmethod
    def _table(train: RecoSample, out: Path) -> EnergyTable:
        cls, _ = ta_labels(train)
        had = cls >= 0
        table = build_energy_table(np.asarray(train["energy"])[had], np.asarray(train["std_s800"])[had],
                                   np.asarray(train["std_theta"])[had])
        out.mkdir(parents=True, exist_ok=True)
        table.save(out / TABLE_FILE)
        return table

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        tr, va = self.select(train), self.select(val)
        table = self._table(tr, ctx.out)
        if method == "standard":
            return TrainInfo(self.name, method, ctx.seed, len(tr)).write(ctx.out)
        if method == "bdt":
            return self._train_bdt(tr, va, ctx)
        from showerml.reco.ta_net import fit_ta_net

        model = fit_ta_net(tr, va, table, ctx.out, ctx.epochs, ctx.seed, ctx.progress)
        pred, _ = model.predict(va)
        cls, _ = ta_labels(va)
        model.meta["response"] = TM.response_matrix(pred["prob"][cls >= 0], cls[cls >= 0], 4).tolist()
        model.save(ctx.out / "net")
        return TrainInfo(self.name, method, ctx.seed, len(tr), model.meta["train_seconds"],
                         model.meta["epochs_run"]).write(ctx.out)

    def _train_bdt(self, tr: RecoSample, va: RecoSample, ctx: RunContext) -> TrainInfo:
        t0 = time.perf_counter()
        cls, gam = ta_labels(tr)
        had = cls >= 0
        x = _features(tr)
        comp = BDT(seed=ctx.seed).fit(x[had], cls[had])
        lna = BDT(kind="regressor", seed=ctx.seed).fit(x[had], np.log(_A[cls[had]]))
        extra: dict[str, Any] = {}
        if gam.any():
            BDT(seed=ctx.seed).fit(x, gam.astype(int)).save(ctx.out / "bdt_photon")
        vcls, _ = ta_labels(va)
        response = TM.response_matrix(comp.predict_proba(_features(va)[vcls >= 0]), vcls[vcls >= 0], 4)
        comp.save(ctx.out / "bdt_composition", {"response": response.tolist(), **extra})
        lna.save(ctx.out / "bdt_ln_a")
        return TrainInfo(self.name, "bdt", ctx.seed, len(tr), time.perf_counter() - t0).write(ctx.out)

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[TaResult]:
        s = self.select(test)
        seed = ctx.seed if ctx is not None else 0
        table = EnergyTable.load(model_dir / TABLE_FILE)
        cls, gam = ta_labels(s)
        arrays: dict[str, np.ndarray] = {"energy": np.asarray(s["energy"]), "label": cls, "photon": gam,
                                         "theta_true": np.asarray(s["theta"]), "std_theta": np.asarray(s["std_theta"])}
        seconds = np.asarray(s["std_seconds"], np.float64).sum() if "std_seconds" in s.arrays else np.nan
        std_e = np.asarray(table.energy(np.maximum(np.asarray(s["std_s800"], np.float64), 1e-3), s["std_theta"]))
        metrics = {"standard": TaMethodMetrics(**{**_nan_metrics(len(s) / seconds, 0.0),
                                                  **_geometry_metrics(s, np.asarray(s["std_theta"]),
                                                                      np.asarray(s["std_phi"]), std_e)})}
        arrays["standard_energy"] = std_e
        arrays["standard_angle"] = TM.opening_angle_deg(s["std_theta"], s["std_phi"], s["theta"], s["phi"])
        if info.method == "net":
            from showerml.reco.ta_net import TaNetModel

            model = TaNetModel.load(model_dir / "net")
            pred, rate = model.predict(s)
            geo = _geometry_metrics(s, pred["theta"], pred["phi"], pred["energy"])
            had = cls >= 0
            geo["explained_variance_theta"] = TM.explained_variance(
                (np.asarray(s["theta"]) - np.asarray(s["std_theta"]))[had], pred["d_theta"][had])
            comp = _composition_metrics(s, pred["prob"], pred["ln_a"], pred["photon"],
                                        np.asarray(model.meta["response"]), seed)
            metrics["net"] = TaMethodMetrics(**{**_nan_metrics(rate, info.train_seconds), **geo, **comp})
            arrays.update({"net_energy": pred["energy"], "net_ln_a": pred["ln_a"], "net_photon": pred["photon"],
                           "net_angle": TM.opening_angle_deg(pred["theta"], pred["phi"], s["theta"], s["phi"]),
                           "net_d_theta": pred["d_theta"]})
        elif info.method == "bdt":
            x = _features(s)
            t0 = time.perf_counter()
            comp_bdt, cfg = BDT.load(model_dir / "bdt_composition")
            prob = comp_bdt.predict_proba(x)
            ln_a = BDT.load(model_dir / "bdt_ln_a")[0].predict(x)
            photon_dir = model_dir / "bdt_photon"
            photon = (BDT.load(photon_dir)[0].decision_function(x)[:, 0] if photon_dir.is_dir()
                      else np.zeros(len(s)))
            rate = len(s) / max(time.perf_counter() - t0, 1e-9)
            comp = _composition_metrics(s, prob, ln_a, photon, np.asarray(cfg["response"]), seed)
            metrics["bdt"] = TaMethodMetrics(**{**_nan_metrics(rate, info.train_seconds), **comp})
            arrays.update({"bdt_ln_a": ln_a, "bdt_photon": photon})
        n_above = int(((cls >= 0) & (np.asarray(s["energy"]) > 10.0)).sum())
        return Evaluation(TaResult(len(s), n_above, int(gam.sum()), metrics), arrays)

    def targets(self, runs: Mapping[str, TaResult]) -> dict[str, dict[str, Any]]:
        if "net" not in runs:
            return {}
        net, std = runs["net"].methods["net"], runs["net"].methods["standard"]
        out: dict[str, dict[str, Any]] = {
            "ta_energy_above_10EeV": {"net": net.energy_resolution_above_10eev,
                                      "standard": std.energy_resolution_above_10eev,
                                      "ratio": std.energy_resolution_above_10eev / net.energy_resolution_above_10eev,
                                      "target": TA_ANCHORS["energy_res_ratio"]},
            "ta_psf68_above_10EeV": {"net_deg": net.psf68_deg_above_10eev, "standard_deg": std.psf68_deg_above_10eev,
                                     "ratio": std.psf68_deg_above_10eev / net.psf68_deg_above_10eev,
                                     "target": TA_ANCHORS["psf68_ratio_above_10"]},
            "ta_psf68_18.5_19": {"net_deg": net.psf68_deg_18p5_19, "standard_deg": std.psf68_deg_18p5_19,
                                 "ratio": std.psf68_deg_18p5_19 / net.psf68_deg_18p5_19,
                                 "target": TA_ANCHORS["psf68_ratio_18p5_19"]},
            "ta_explained_variance_theta": {"net": net.explained_variance_theta,
                                            "target": TA_ANCHORS["explained_variance_theta"]},
            "ta_fractions_1111": {"net_rms_error": list(net.fractions_rms_error),
                                  "target": TA_ANCHORS["fraction_error"]},
        }
        if "bdt" in runs:
            bdt = runs["bdt"].methods["bdt"]
            out["ta_fractions_1111"]["bdt_rms_error"] = list(bdt.fractions_rms_error)
            out["ta_ln_a_resolution"] = {"net": net.ln_a_resolution, "bdt": bdt.ln_a_resolution,
                                         "ratio": bdt.ln_a_resolution / net.ln_a_resolution,
                                         "target": TA_ANCHORS["ln_a_ratio_bdt_over_net"]}
        return out

    def report_section(self, report: Report, runs: Mapping[str, TaResult],
                       plots: Mapping[str, dict[str, np.ndarray]]) -> None:
        if "net" not in runs:
            return
        report.heading("TA-like SD")
        m = runs["net"].methods
        line_plot(report, {"network": m["net"].energy_by_log10e, "standard": m["standard"].energy_by_log10e},
                  "ΔE/E resolution", "energy resolution (half 16–84 % range) vs log10(E/eV)",
                  value=lambda v: v[1])
        line_plot(report, {"network": m["net"].psf68_deg_by_log10e, "standard": m["standard"].psf68_deg_by_log10e},
                  "68 % opening angle (deg)", "angular resolution vs log10(E/eV)")
        a = plots.get("net")
        if a is not None and a["photon"].any():
            from showerml.metrics import reco as M

            fig, ax = figure()
            had = a["label"] >= 0
            eff, rej = M.roc_rejection(a["net_photon"][a["photon"]], a["net_photon"][had])
            ax.plot(eff, rej, label="network")
            b = plots.get("bdt")
            if b is not None:
                eff, rej = M.roc_rejection(b["bdt_photon"][b["photon"]], b["bdt_photon"][b["label"] >= 0])
                ax.plot(eff, rej, label="BDT (14 observables)")
            ax.set_yscale("log"), ax.set_xlabel("photon efficiency"), ax.set_ylabel("hadron rejection 1/ε_B")
            ax.legend()
            report.figure(fig, "photon efficiency vs hadron rejection")
        rows = []
        for trained, run in runs.items():
            for method, v in run.methods.items():
                if method == "standard" and trained != "net":
                    continue
                rows.append({"method": method, "psf68 >10 EeV (deg)": v.psf68_deg_above_10eev,
                             "ΔE/E res >10 EeV": v.energy_resolution_above_10eev,
                             "EV(Δθ)": v.explained_variance_theta,
                             "fraction RMS error p/He/N/Fe": ", ".join(f"{x:.3f}" for x in v.fractions_rms_error),
                             "σ(ln A)": v.ln_a_resolution, "rejection @50 % γ": v.photon_rejection_at_50,
                             "events/s": v.inference_events_per_s, "train s": v.train_seconds})
        report.table(rows)


#: the tasks this module adds to :mod:`showerml.reco.registry`
REGISTERED = (TaTask(),)
