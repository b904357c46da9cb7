"""Each reconstruction metric against an analytic value, and shown to fail on a distorted prediction."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from showerml.io.runfolder import json_safe
from showerml.metrics import reco as M


def test_rejection_matches_the_gaussian_analytic_value_and_drops_for_identical_samples() -> None:
    rng = np.random.default_rng(0)
    sig, bkg = rng.normal(2.0, 1.0, 200_000), rng.normal(0.0, 1.0, 200_000)
    r = M.rejection_at_efficiency(sig, bkg, 0.9)
    expected = 1.0 / stats.norm.sf(2.0 - stats.norm.ppf(0.9))  # ≈ 4.23
    assert r.rejection == pytest.approx(expected, rel=0.02)
    assert r.rejection_low < r.rejection < r.rejection_high and not r.lower_limit
    same = M.rejection_at_efficiency(rng.normal(0, 1, 50_000), rng.normal(0, 1, 50_000), 0.9)
    assert same.rejection == pytest.approx(1 / 0.9, rel=0.02)  # a useless classifier: 1/ε_B = 1/ε_S


def test_rejection_without_passing_background_is_a_lower_limit_from_clopper_pearson() -> None:
    r = M.rejection_at_efficiency(np.full(100, 5.0) + np.arange(100) * 1e-3, np.zeros(1000), 0.9)
    assert r.lower_limit and r.n_passed == 0
    # k = 0 of n: upper 68 % CL bound of ε is 1 − (0.1587)^(1/n)
    assert r.rejection == pytest.approx(1.0 / (1.0 - 0.158655 ** (1 / 1000)), rel=1e-3)
    assert r.rejection_high == np.inf


def test_rejection_interval_covers_the_truth_about_68_percent_of_the_time() -> None:
    rng = np.random.default_rng(1)
    true_eps = stats.norm.sf(2.0 - stats.norm.ppf(0.9))
    hits = 0
    for _ in range(200):
        r = M.rejection_at_efficiency(rng.normal(2, 1, 20_000), rng.normal(0, 1, 300), 0.9)
        hits += r.rejection_low <= 1 / true_eps <= r.rejection_high
    assert 0.55 < hits / 200 < 0.85


def test_rejection_per_bin_keeps_the_bin_edges_and_sets_the_threshold_per_bin() -> None:
    rng = np.random.default_rng(2)
    e = rng.uniform(0, 2, 40_000)
    y = rng.random(40_000) < 0.5
    score = np.where(y, rng.normal(0, 1, 40_000) + np.where(e < 1, 3.0, 0.5), rng.normal(0, 1, 40_000))
    low, high = M.rejection_per_bin(score, y, e, [0, 1, 2])
    assert (low.low, low.high, high.low) == (0.0, 1.0, 1.0)
    assert low.rejection > 5 * high.rejection


def test_a_rejection_row_reads_the_json_written_before_the_types_were_merged() -> None:
    """Rows of reco bench metrics.json written by the former separate bin type (bin edges first) read back as
    ``Rejection``."""
    old = {"low": 1000.0, "high": None, "rejection": 26.0, "rejection_low": 20.0, "rejection_high": None,
           "eps_b": 1 / 26, "threshold": 0.3, "n_signal": 100, "n_background": 2600, "n_passed": 100,
           "lower_limit": False}
    row = M.Rejection.from_json(old)
    assert (row.low, row.rejection, row.n_background, row.lower_limit) == (1000.0, 26.0, 2600, False)
    assert np.isnan(row.high) and np.isnan(row.rejection_high)
    assert set(row.to_json()) == set(old)
    unbinned = M.rejection_at_efficiency(np.arange(1.0, 11.0), np.zeros(100), 0.9)  # no background passes
    back = M.Rejection.from_json(json.loads(json.dumps(json_safe(unbinned), allow_nan=False)))
    assert np.isnan(back.low) and back.n_passed == unbinned.n_passed == 0 and back.lower_limit


def test_roc_rejection_is_monotone_and_separates_good_from_bad() -> None:
    rng = np.random.default_rng(3)
    eff, rej = M.roc_rejection(rng.normal(2, 1, 5000), rng.normal(0, 1, 5000))
    assert np.all(np.diff(eff) >= 0) and np.all(np.diff(rej) <= 0)
    eff_bad, rej_bad = M.roc_rejection(rng.normal(0.2, 1, 5000), rng.normal(0, 1, 5000))
    assert np.interp(0.9, eff, rej) > 2 * np.interp(0.9, eff_bad, rej_bad)


def test_psf68_is_zero_for_the_truth_and_the_offset_for_a_tilted_prediction() -> None:
    rng = np.random.default_rng(4)
    k = rng.normal(0, 0.3, (5000, 2))
    assert M.psf68(k, k) == pytest.approx(0.0, abs=1e-5)
    vertical = np.zeros((5000, 2))
    tilted = np.column_stack([np.full(5000, np.tan(np.radians(1.0))), np.zeros(5000)])
    assert M.psf68(tilted, vertical) == pytest.approx(1.0, rel=1e-6)
    # a 2D Gaussian smear of σ per axis: 68 % radius = σ √(−2 ln 0.32)
    smear = rng.normal(0, np.tan(np.radians(0.5)), (200_000, 2))
    assert M.psf68(smear, np.zeros((200_000, 2))) == pytest.approx(0.5 * np.sqrt(-2 * np.log(0.32)), rel=0.02)


def test_impact_resolution_measures_the_distance_at_the_requested_depth() -> None:
    n = 1000
    b, k = np.zeros((n, 2)), np.zeros((n, 2))
    assert M.impact_resolution(b, k, b, k, -200.0) == 0.0
    shifted = b + np.array([0.6, 0.8])
    assert M.impact_resolution(shifted, k, b, k, -200.0) == pytest.approx(1.0)
    tilted = k + np.array([0.01, 0.0])  # pivoting at z = 0: 2 mm off at z = −200
    assert M.impact_resolution(b, tilted, b, k, -200.0) == pytest.approx(2.0)
    assert M.impact_resolution(b, tilted, b, k, 0.0) == pytest.approx(0.0)


def test_track_efficiency_counts_missing_tracks_as_failures() -> None:
    d = np.array([0.05, 0.5, 2.0, np.nan])
    assert M.track_efficiency(d, 1.0)[0] == 0.5
    assert M.track_efficiency(d, 0.1)[0] == 0.25
    eff, err = M.track_efficiency(np.full(100, 0.01), 0.1)
    assert eff == 1.0 and err == pytest.approx(0.01)


def test_peak_separation_and_misidentification_on_known_peaks() -> None:
    rng = np.random.default_rng(5)
    p, he = rng.normal(1.0, 0.1, 100_000), rng.normal(2.0, 0.1, 100_000)
    assert M.peak_separation(p, he) == pytest.approx(1 / np.sqrt(0.02), rel=0.02)
    assert abs(M.peak_separation(p, rng.normal(1.0, 0.1, 100_000))) < 0.05
    assert M.misidentification(p, 0.5, 1.5) < 1e-3
    wide = rng.normal(1.0, 0.5, 100_000)  # P(|x − 1| > 0.5) = 2(1 − Φ(1))
    assert M.misidentification(wide, 0.5, 1.5) == pytest.approx(2 * stats.norm.sf(1.0), abs=0.01)


def test_bias_resolution_of_a_scaled_and_smeared_estimate() -> None:
    rng = np.random.default_rng(6)
    true = rng.uniform(1, 10, 200_000)
    assert M.bias_resolution(true, true) == (0.0, 0.0)
    bias, res = M.bias_resolution(true * 1.02 * (1 + rng.normal(0, 0.05, len(true))), true)
    assert bias == pytest.approx(0.02, abs=0.002) and res == pytest.approx(1.02 * 0.05, rel=0.03)


def test_confusion_and_accuracy() -> None:
    true = np.array([0, 1, 2, 2, 3])
    pred = np.array([0, 2, 2, 1, 3])
    c = M.confusion_matrix(true, pred, 4)
    assert c.trace() == 3 and c[1, 2] == 1 and c.sum() == 5
    assert M.accuracy(true, pred) == 0.6 and M.accuracy(true, pred, 1) == 1.0
    assert M.accuracy(true, true) == 1.0


def test_binned_applies_a_metric_per_bin_and_reports_empty_bins() -> None:
    x = np.array([0.5, 1.5, 1.6])
    rows = M.binned(lambda a: float(a.mean()), x, [0, 1, 2, 3], np.array([1.0, 2.0, 4.0]))
    assert [r["n"] for r in rows] == [1, 2, 0]
    assert rows[1]["value"] == 3.0 and np.isnan(rows[2]["value"])
