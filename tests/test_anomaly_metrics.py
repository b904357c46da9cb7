"""Anomaly metrics: each separates a good case from a distorted one."""

from __future__ import annotations

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.metrics.anomaly import (
    anomaly_metrics,
    asimov_significance,
    bump_hunt,
    dijet_function,
    format_rejection,
    max_sic,
    rejection_at,
    rejection_bound,
    sic_curve,
)


@pytest.fixture
def labels() -> np.ndarray:
    return np.r_[np.zeros(20000), np.ones(2000)].astype(int)


def test_sic_perfect_vs_random(labels: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    perfect = labels + 0.01 * rng.random(len(labels))
    random = rng.random(len(labels))
    floor = 25 / 20000
    assert max_sic(perfect, labels) == pytest.approx(1 / np.sqrt(floor), rel=0.02)
    assert max_sic(random, labels) == pytest.approx(1.0, abs=0.15)  # SIC = √ε_B ≤ 1 for a random score


def test_sic_floor_stops_single_event_domination(labels: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    scores = rng.random(len(labels))
    scores[np.flatnonzero(labels == 1)[:50]] = 10.0  # 50 signal events above every background event
    es, sic = sic_curve(scores, labels, min_background=25)
    assert np.all(sic < 1.5)
    # without the floor the threshold above all background gives ε_S/√(1/N_B) = 0.025·√20000 ≈ 3.5
    assert max_sic(scores, labels, eps_b_min=0.0, min_background=1) > 3.0


def test_rejection_good_vs_random(labels: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    good = rng.normal(labels * 3.0, 1.0)
    random = rng.random(len(labels))
    assert rejection_at(random, labels, 0.5) == pytest.approx(2.0, rel=0.1)
    assert rejection_at(good, labels, 0.5) > 50
    assert rejection_at(good, labels, 0.2) > rejection_at(good, labels, 0.5)
    m = anomaly_metrics(good, labels)
    assert m.auc > 0.95 and anomaly_metrics(random, labels).auc == pytest.approx(0.5, abs=0.03)
    with pytest.raises(InputError):
        rejection_at(good, labels, 0.0)


def test_metric_input_errors() -> None:
    with pytest.raises(InputError, match="both signal"):
        max_sic(np.ones(5), np.zeros(5))
    with pytest.raises(InputError, match="NaN"):
        max_sic(np.array([np.nan, 1.0]), np.array([0, 1]))


def _falling(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw m_jj (GeV) from the dijet function by inverse sampling on a fine grid."""
    grid = np.linspace(2500, 6000, 3501)
    pdf = dijet_function(grid / 13000, np.array([0.0, 12.0, 4.0]))
    cdf = np.cumsum(pdf) / pdf.sum()
    return np.interp(rng.random(n), cdf, grid)


def test_bump_hunt_finds_bump_and_not_fluctuation() -> None:
    rng = np.random.default_rng(3)
    bkg = _falling(rng, 200000)
    sr, fit_range = (3300.0, 3700.0), (2800.0, 5200.0)
    null = bump_hunt(bkg, sr, fit_range)
    assert null.n_expected == pytest.approx(null.n_observed, rel=0.05)
    assert null.significance < 2.5
    with_signal = np.concatenate([bkg, rng.normal(3500, 100, 1500)])
    found = bump_hunt(with_signal, sr, fit_range)
    assert found.significance > 5 and found.significance > null.significance + 3
    with pytest.raises(InputError, match="inside the fit range"):
        bump_hunt(bkg, (2000.0, 2500.0), fit_range)


def test_asimov_significance() -> None:
    assert asimov_significance(100, 100) == 0.0
    assert asimov_significance(1100, 1000) == pytest.approx(100 / np.sqrt(1000), rel=0.05)  # ≈ s/√b for s ≪ b


def test_rejection_below_its_floor_is_only_a_bound() -> None:
    """Few test background events (the demo's case): a perfect score removes every one of them, so 1/ε_B is unknown
    beyond N_B/25; it is flagged and printed as a bound, never as a value."""
    rng = np.random.default_rng(4)
    labels = np.r_[np.zeros(600), np.ones(200)].astype(int)
    perfect = labels + 0.01 * rng.random(len(labels))
    m = anomaly_metrics(perfect, labels, min_background=25)
    assert m.rejection_05_lower_bound and m.rejection_02_lower_bound
    assert m.rejection_05 == pytest.approx(600 / 25)
    assert format_rejection(m.rejection_05, m.rejection_05_lower_bound) == "≥ 24"
    # a realistic, measurable case keeps its value and no flag
    good = rng.normal(labels * 1.5, 1.0)
    r, bound = rejection_bound(good, labels, 0.5, 25)
    assert not bound and 3 < r < 24
    assert format_rejection(r, bound) == f"{r:.1f}"


def test_bump_hunt_messages_in_tev() -> None:
    with pytest.raises(InputError, match=r"2\.8–5\.2 TeV; widen it"):
        bump_hunt(np.full(100, 3500.0), (3300.0, 3700.0), (2800.0, 5200.0))
