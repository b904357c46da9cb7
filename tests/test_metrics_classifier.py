"""The classifier test and its multiclass version on Gaussians, where AUC and JSD are known analytically."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm

from showerml.errors import InputError
from showerml.metrics import ClassifierConfig, classifier_test, multiclass_test

FAST = ClassifierConfig(hidden=(32, 32), dropout=0.0, epochs=15, patience=3, batch_size=512, lr=2e-3)


def _jsd_bits_unit_gaussians(mu: float) -> float:
    """JSD(N(0,1), N(mu,1)) in bits by numerical integration."""

    def integrand(x: float) -> float:
        p, q = norm.pdf(x), norm.pdf(x, mu)
        m = 0.5 * (p + q)
        return 0.5 * (p * np.log2(p / m) + q * np.log2(q / m))

    return quad(integrand, -12, 12 + mu)[0]


def test_shifted_gaussians_match_analytic_auc_and_jsd() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20_000, 1)), rng.normal(size=(20_000, 1)) + 1.0
    res = classifier_test(x, y, FAST, seed=0)
    assert res.auc == pytest.approx(norm.cdf(1 / np.sqrt(2)), abs=0.015)  # 0.760
    assert res.jsd_bits == pytest.approx(_jsd_bits_unit_gaussians(1.0), abs=0.02)  # 0.166
    assert res.jsd_nats == pytest.approx(res.jsd_bits * np.log(2))
    assert res.n_test == 8_000 and res.n_train == 24_000


def test_identical_gaussians_give_auc_one_half() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(15_000, 10)), rng.normal(size=(15_000, 10))
    res = classifier_test(x, y, FAST, seed=0)
    assert res.auc == pytest.approx(0.5, abs=0.02)
    assert abs(res.jsd_bits) < 0.02


def test_same_seed_same_result() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(1_000, 3)), rng.normal(size=(1_000, 3)) + 0.3
    a, b = classifier_test(x, y, FAST, seed=5), classifier_test(x, y, FAST, seed=5)
    assert (a.auc, a.bce, a.epochs) == (b.auc, b.bce, b.epochs)


def test_multiclass_ranks_generators_by_closeness() -> None:
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(6_000, 2))
    gens = [rng.normal(size=(6_000, 2)) + shift for shift in (1.5, 0.05, 0.5)]
    res = multiclass_test(ref, gens, ["far", "close", "middle"], FAST, seed=0)
    assert res.ranking == ["close", "middle", "far"]
    assert res.reference_share["close"] > res.reference_share["far"]
    assert res.accuracy["far"] > res.accuracy["close"]


def test_too_few_or_mismatched_inputs() -> None:
    with pytest.raises(InputError, match="at least 50"):
        classifier_test(np.zeros((10, 2)), np.zeros((10, 2)))
    with pytest.raises(InputError):
        classifier_test(np.zeros((100, 2)), np.zeros((100, 3)))
    with pytest.raises(InputError):
        multiclass_test(np.zeros((100, 2)), [np.zeros((100, 2))], ["a", "b"])
