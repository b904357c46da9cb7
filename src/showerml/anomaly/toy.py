"""A toy dijet feature sample (numpy only) for tests and the quick demo — *not* physics, just the right shapes.

Background: m_jj = 2.4 TeV + exponential (scale 0.55 TeV); jet masses grow with m_jj (m ∝ m_jj/3 TeV × log-normal
around 90 and 200 GeV, σ_ln = 0.7); τ21 ~ Beta(6, 3) (mean 0.67). Signal: m_jj ~ N(m_W', 3 % m_W'),
m_j1 ~ N(m_Y, 15 %), m_j2 ~ N(m_X, 10 %), τ21 ~ Beta(4, 5) (mean 0.44) — the two-prong shape of the LHCO
W' → X Y benchmark, blurred so that the methods do not all saturate. GeV.
"""

from __future__ import annotations

import numpy as np

from showerml.io.lhco import DijetSample

__all__ = ["toy_dijets"]


def toy_dijets(
    n_background: int,
    n_signal: int,
    seed: int = 0,
    m_wprime: float = 3500.0,
    m_x: float = 500.0,
    m_y: float = 100.0,
) -> DijetSample:
    """``n_background`` label-0 and ``n_signal`` label-1 events with features (m_jj, m_j1, Δm, τ21 j1, τ21 j2)."""
    rng = np.random.default_rng(seed)
    mjj = 2400.0 + rng.exponential(550.0, n_background)
    scale = mjj / 3000.0
    ma = 90.0 * scale * rng.lognormal(0.0, 0.7, n_background)
    mb = 200.0 * scale * rng.lognormal(0.0, 0.7, n_background)
    bkg = np.stack(
        [mjj, np.minimum(ma, mb), np.abs(mb - ma), rng.beta(6, 3, n_background), rng.beta(6, 3, n_background)], 1
    )
    sm = rng.normal(m_wprime, 0.03 * m_wprime, n_signal)
    s1 = np.abs(rng.normal(m_y, 0.15 * m_y, n_signal))
    s2 = np.abs(rng.normal(m_x, 0.10 * m_x, n_signal))
    sig = np.stack(
        [sm, np.minimum(s1, s2), np.abs(s2 - s1), rng.beta(4, 5, n_signal), rng.beta(4, 5, n_signal)], 1
    )
    return DijetSample(np.concatenate([bkg, sig]), np.r_[np.zeros(n_background), np.ones(n_signal)])
