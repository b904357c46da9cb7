"""Charge of the primary from the PSD and STK signals along its track (p vs He), along the ML track (Hough + CNN,
:mod:`showerml.reco.track_finder`) and along the classical χ² track (baseline). Where a finder gives no track, the
charge is read along its calorimeter axis. Metrics: p/He peak separation and misidentification per energy bin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from showerml.errors import InputError
from showerml.io.records import Record
from showerml.metrics import reco as M
from showerml.reco import charge as C
from showerml.reco.data import RecoSample
from showerml.reco.direction import predict_direction
from showerml.reco.plots import figure
from showerml.reco.task import Evaluation, ReconstructionTask, RunContext, TaskResult, TrainInfo
from showerml.reco.track_finder import (
    ENERGY_BINS_GEV,
    TRACKER_MAX_EVENTS,
    charged,
    find_tracks,
    fit_track_finder,
)
from showerml.report.html import Report

__all__ = ["REGISTERED", "ChargeBin", "ChargeMetrics", "ChargeResult", "ChargeTask"]


@dataclass(frozen=True)
class ChargeBin(Record):
    """One incident-energy bin: p and He counts, peak separation, misidentified shares."""

    low: float
    high: float
    n_p: int
    n_he: int
    separation: float
    p_misid: float
    he_misid: float


@dataclass(frozen=True)
class ChargeMetrics(TaskResult):
    per_energy: tuple[ChargeBin, ...]
    separation_all: float
    p_misid_all: float
    he_misid_all: float


@dataclass(frozen=True)
class ChargeResult(TaskResult):
    n_events: int
    methods: dict[str, ChargeMetrics]


class ChargeTask(ReconstructionTask[ChargeResult]):
    name = "charge"
    title = "charge along the track (p vs He)"
    methods = ("ml", "classical")
    baseline = "classical"
    bench_methods = ("ml",)
    bench_roles = ("p", "nuclei")
    bench_max_events = TRACKER_MAX_EVENTS
    order = 50
    uses = ("track",)
    result_type = ChargeResult

    def select(self, sample: RecoSample) -> RecoSample:
        return charged(sample, self.name)

    def train(self, method: str, train: RecoSample, val: RecoSample, ctx: RunContext) -> TrainInfo:
        """Calibrate the MIP scales; for ``ml`` train the track chain into ``out/track`` unless ``ctx.models`` holds
        a trained ``track`` model."""
        psd_mip, stk_mip = C.calibrate_mip(train.arrays)
        extra: dict[str, float | str] = {"psd_mip_mev": psd_mip, "stk_mip_mev": stk_mip}
        seconds = 0.0
        if method == "ml":
            track = ctx.models.get("track")
            if track is None:
                seconds = fit_track_finder(charged(train, self.name), charged(val, self.name),
                                           ctx.sub("track"))["train_seconds"]
                extra["track_model"] = "track"
            else:
                extra["track_model"] = str(Path(track).resolve())
        return TrainInfo(self.name, method, ctx.seed, len(train), seconds, extra=extra).write(ctx.out)

    def evaluate(self, model_dir: Path, info: TrainInfo, test: RecoSample, ctx: RunContext | None = None
                 ) -> Evaluation[ChargeResult]:
        s = charged(test, self.name)
        z_true = np.asarray(s["charge"])
        if not ((z_true == 1).any() and (z_true == 2).any()):
            raise InputError("charge: the evaluation needs both protons and helium in --data")
        track_dir = None
        if "track_model" in info.extra:
            track_dir = Path(info.extra["track_model"])
            track_dir = track_dir if track_dir.is_absolute() else model_dir / track_dir
        e_gev = s["energy"] / 1000.0
        metrics = {}
        arrays: dict[str, np.ndarray] = {"charge": z_true, "energy_gev": e_gev}
        for m in (("ml", "classical") if track_dir is not None else ("classical",)):
            b, k, found, _ = find_tracks(track_dir if m == "ml" else None, s)
            ab, ak, _ = predict_direction(track_dir / "axis" if m == "ml" and track_dir else None, s)
            b = np.where(found[:, None], b, ab)
            k = np.where(found[:, None], k, ak)
            z = C.estimate_charge(*C.charge_signals(s.arrays, b, k), info.extra["psd_mip_mev"],
                                  info.extra["stk_mip_mev"])
            rows = []
            for lo, hi in zip(ENERGY_BINS_GEV[:-1], ENERGY_BINS_GEV[1:], strict=True):
                sel = (e_gev >= lo) & (e_gev < hi)
                zp, zh = z[sel & (z_true == 1)], z[sel & (z_true == 2)]
                ok = len(zp) >= 5 and len(zh) >= 5
                rows.append(ChargeBin(lo, hi, len(zp), len(zh),
                                      M.peak_separation(zp, zh) if ok else float("nan"),
                                      M.misidentification(zp, 0.5, 1.5) if len(zp) else float("nan"),
                                      M.misidentification(zh, 1.5, 2.5) if len(zh) else float("nan")))
            metrics[m] = ChargeMetrics(tuple(rows), M.peak_separation(z[z_true == 1], z[z_true == 2]),
                                       M.misidentification(z[z_true == 1], 0.5, 1.5),
                                       M.misidentification(z[z_true == 2], 1.5, 2.5))
            arrays[m] = z
        return Evaluation(ChargeResult(len(s), metrics), arrays)

    def report_section(self, report: Report, runs: Mapping[str, ChargeResult],
                       plots: Mapping[str, dict[str, np.ndarray]]) -> None:
        a = plots.get("ml")
        if "ml" not in runs or a is None:
            return
        report.heading("Charge")
        fig, ax = figure()
        for m, style in (("ml", "-"), ("classical", "--")):
            ax.hist(a[m], bins=np.linspace(0, 3.5, 71), histtype="step", linestyle=style, label=f"{m} track")
        ax.set_xlabel("Ẑ"), ax.set_yscale("log"), ax.legend()
        report.figure(fig, "charge estimate along the ML and the classical track (p + He)")
        report.table([{"track": m, "energy GeV": f"{r.low:.0f}–{r.high:.0f}", "n_p": r.n_p, "n_he": r.n_he,
                       "separation": r.separation, "p_misid": r.p_misid, "he_misid": r.he_misid}
                      for m in ("ml", "classical") for r in runs["ml"].methods[m].per_energy])

#: the tasks this module adds to :mod:`showerml.reco.registry`
REGISTERED = (ChargeTask(),)
