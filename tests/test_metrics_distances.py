"""FPD and KPD (arXiv:2211.10295) against analytic values for Gaussians, and ≈ 0 for identical distributions."""

from __future__ import annotations

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.metrics import fpd, frechet_distance, kpd, mmd2_unbiased


def test_frechet_distance_analytic() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200_000, 2))
    # shift by (0.5, 0) and scale the second coordinate by 2: FD = 0.25 + (1 - 2)^2 = 1.25
    y = rng.normal(size=(200_000, 2)) * np.array([1.0, 2.0]) + np.array([0.5, 0.0])
    assert frechet_distance(x, y) == pytest.approx(1.25, abs=0.02)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)


def test_fpd_identical_gaussians_is_zero_within_error() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20_000, 5)), rng.normal(size=(20_000, 5))
    res = fpd(x, y, min_samples=2_000, max_samples=20_000, seed=0, normalise=False)
    assert abs(res.value) < max(3 * res.error, 2e-3)
    assert res.values[0] > res.values[-1]  # the finite-N bias the extrapolation removes


def test_fpd_shifted_gaussians_matches_analytic() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(20_000, 5)), rng.normal(size=(20_000, 5)) + np.array([1.0, 0, 0, 0, 0])
    res = fpd(x, y, min_samples=2_000, max_samples=20_000, seed=0, normalise=False)
    assert res.value == pytest.approx(1.0, abs=0.05)  # |Δμ|² = 1; sampling noise of the means ~ 0.02
    # standardising with the reference (std 1) changes nothing here
    assert fpd(x, y, 2_000, 20_000, seed=0).value == pytest.approx(res.value, rel=0.05)


def test_mmd2_unbiased_is_centred_on_zero() -> None:
    rng = np.random.default_rng(3)
    values = [mmd2_unbiased(rng.normal(size=(300, 3)), rng.normal(size=(300, 3))) for _ in range(200)]
    assert abs(np.mean(values)) < 3 * np.std(values) / np.sqrt(len(values))


def test_kpd_identical_is_zero_and_shift_matches_analytic() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(10_000, 1)), rng.normal(size=(10_000, 1))
    same = kpd(x, y, batch_size=2_000, seed=0, normalise=False)
    assert abs(same.value) < 3 * same.error + 1e-3
    mu = 0.5
    # d = 1, k = (xy + 1)^3; with E x = mu, E x^2 = 1 + mu^2, E x^3 = mu^3 + 3 mu for x ~ N(mu, 1) and moments of
    # N(0, 1): MMD² = (mu^3 + 3mu)^2 + 3(1 + mu^2)^2 + 3mu^2 + 1 + 4 - 2 (3 (1 + mu^2) + 1)
    analytic = (mu**3 + 3 * mu) ** 2 + 3 * (1 + mu**2) ** 2 + 3 * mu**2 + 1 + 4 - 2 * (3 * (1 + mu**2) + 1)
    shifted = kpd(y + mu, x, n_batches=20, batch_size=2_000, seed=0, normalise=False)
    assert shifted.value == pytest.approx(analytic, abs=3 * shifted.error + 0.1 * analytic)
    assert shifted.value > 20 * same.error


def test_same_seed_same_values_and_bad_input() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(3_000, 4)), rng.normal(size=(3_000, 4))
    assert fpd(x, y, 500, 3_000, seed=7) == fpd(x, y, 500, 3_000, seed=7)
    assert kpd(x, y, batch_size=1_000, seed=7) == kpd(x, y, batch_size=1_000, seed=7)
    with pytest.raises(InputError, match="at least"):
        fpd(x[:30], y[:30])
    with pytest.raises(InputError):
        kpd(x, y[:, :3])
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        kpd(bad, y)
