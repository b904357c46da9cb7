"""Typed results of an anomaly run and of an injection scan: what ``metrics.json`` holds, as frozen records.

A run's :class:`AnomalyRunResult` lists one :class:`MethodResult` per method (test-set AUC, max SIC, rejections at
ε_S = 0.2 and 0.5 with their lower-bound flags, training time, and the bump hunt's significance before and after the
method's cut when the data have sidebands). A scan's :class:`ScanResult` holds every (method, injection, seed) run and
the bands over seeds (median and 16–84 % of each figure). Readers use attributes (``result.methods["cwola"].max_sic``);
``to_json``/``from_json`` round-trip the JSON written by the pipeline.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from showerml.io.records import Record
from showerml.metrics.anomaly import AnomalyMetrics, BumpHunt

__all__ = ["AnomalyRunResult", "BumpHuntSummary", "MethodResult", "ScanBand", "ScanResult", "ScanRun"]


@dataclass(frozen=True, kw_only=True)
class BumpHuntSummary(Record):
    """Observed and fitted-background counts in the signal region and the significance Z."""

    n_observed: int
    n_expected: float
    significance: float

    @classmethod
    def of(cls, hunt: BumpHunt) -> BumpHuntSummary:
        return cls(n_observed=hunt.n_observed, n_expected=hunt.n_expected, significance=hunt.significance)


@dataclass(frozen=True, kw_only=True)
class MethodResult(Record):
    """One method's figures on the SR part of the test set (:class:`~showerml.metrics.anomaly.AnomalyMetrics`)."""

    auc: float
    max_sic: float
    rejection_02: float
    rejection_05: float
    n_signal: int
    n_background: int
    rejection_02_lower_bound: bool = False
    rejection_05_lower_bound: bool = False
    train_seconds: float
    bump_hunt_before: BumpHuntSummary | None = None
    bump_hunt_after: BumpHuntSummary | None = None

    @classmethod
    def of(cls, metrics: AnomalyMetrics, train_seconds: float) -> MethodResult:
        return cls(**dataclasses.asdict(metrics), train_seconds=train_seconds)


@dataclass(frozen=True, kw_only=True)
class AnomalyRunResult(Record):
    """One run: S/B and counts in the signal region, the test-set sizes, notes, and each method's result."""

    s_over_b_sr: float
    n_signal_sr: int
    n_background_sr: int
    s_over_sqrt_b_sr: float
    n_test_signal: int
    n_test_background: int
    notes: tuple[str, ...] = ()
    methods: dict[str, MethodResult]
    n_inject: int | None = None  # None: official roles used as given, no injection


@dataclass(frozen=True, kw_only=True)
class ScanRun(MethodResult):
    """One (method, injection, seed) run of a scan."""

    method: str
    n_inject: int
    seed: int
    s_over_b: float


@dataclass(frozen=True, kw_only=True)
class ScanBand(Record):
    """One method at one injection over the scan's seeds: median S/B, and median, 16 % and 84 % of each figure;
    a rejection is a lower bound when any seed gave only a bound."""

    method: str
    n_inject: int
    s_over_b: float
    max_sic_median: float
    max_sic_p16: float
    max_sic_p84: float
    rejection_02_median: float
    rejection_02_p16: float
    rejection_02_p84: float
    rejection_05_median: float
    rejection_05_p16: float
    rejection_05_p84: float
    auc_median: float
    auc_p16: float
    auc_p84: float
    rejection_02_lower_bound: bool
    rejection_05_lower_bound: bool


@dataclass(frozen=True, kw_only=True)
class ScanResult(Record):
    """Every run of a scan, the bands over seeds, and notes."""

    runs: tuple[ScanRun, ...]
    bands: tuple[ScanBand, ...]
    notes: tuple[str, ...] = ()
