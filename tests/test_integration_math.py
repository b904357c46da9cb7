"""showerml.integration: exact values of the integrands, the estimate/weight formulas, the pull check (fast)."""

import math

import numpy as np
import pytest
from scipy import integrate

from showerml.errors import InputError
from showerml.integration.budget import BudgetExhausted, CountedIntegrand
from showerml.integration.coverage import pull_summary
from showerml.integration.estimates import Estimate, combine, iteration_estimate, weight_metrics
from showerml.integration.integrands import Integrand, annulus, camel, circles, correlated_gauss, gauss, gauss_shell
from showerml.integration.registry import SUITE, get_integrand
from showerml.integration.zpole import ZPole, zpole_integrand


@pytest.mark.parametrize("g", [gauss(2), gauss(4, 0.1), camel(2), camel(4), annulus(), correlated_gauss(2, 0.9),
                               correlated_gauss(4, 0.99), gauss_shell(2), gauss_shell(4), circles(),
                               zpole_integrand(True)], ids=lambda g: g.name)
def test_exact_value_agrees_with_plain_monte_carlo(g):
    x = np.random.default_rng(7).random((200_000, g.dim))
    f = g(x)
    err = f.std() / math.sqrt(len(f))
    assert abs(f.mean() - g.exact) < 4.5 * err + 1e-12


def test_exact_values_closed_forms():
    # camel in 1-d by quadrature equals the erf formula's one-dimensional factor
    alpha = 0.2
    one_d = integrate.quad(lambda t: 0.5 / (alpha * math.sqrt(math.pi)) * (math.exp(-(t - 1 / 3) ** 2 / alpha**2)
                                                                           + math.exp(-(t - 2 / 3) ** 2 / alpha**2)),
                           0, 1, epsabs=1e-13)[0]
    assert camel(1).exact == pytest.approx(one_d, rel=1e-10)
    assert camel(8).exact == pytest.approx(one_d**8, rel=1e-9)
    assert annulus().exact == pytest.approx(math.pi * (0.45**2 - 0.2**2))


def test_zpole_cross_section():
    p = ZPole()
    # closed-form s-average equals adaptive quadrature of σ(s)
    s1, s2 = p.sqrt_s_min**2, p.sqrt_s_max**2
    quad = integrate.quad(lambda s: p.sigma(s), s1, s2, points=[p.mz**2], epsrel=1e-12, limit=200)[0] / (s2 - s1)
    assert p.mean_sigma() == pytest.approx(quad, rel=1e-9)
    # peak: 12π Γee Γμμ/(M² Γ²) ≈ 2.0 nb (LEP: σ⁰ had = 41.5 nb / R_ℓ = 20.77); and the QED limit 4πα²/3s far below
    assert p.sigma(p.mz**2) == pytest.approx(2000.0, rel=0.03)
    # dσ/dcosθ integrates to σ and carries a forward-backward asymmetry above the pole
    c = np.linspace(-1, 1, 20001)
    s = np.full_like(c, 95.0**2)
    assert np.trapezoid(p.dsigma_dcos(s, c), c) == pytest.approx(p.sigma(95.0**2), rel=1e-6)
    forward = p.dsigma_dcos(s[:1], np.array([0.8]))[0] > p.dsigma_dcos(s[:1], np.array([-0.8]))[0]
    assert forward
    # mapped and unmapped integrands share the exact value; the mapping flattens the weights
    x = np.random.default_rng(3).random((200_000, 2))
    flat, mapped = zpole_integrand(False)(x), zpole_integrand(True)(x)
    assert mapped.std() / mapped.mean() < 0.35 * flat.std() / flat.mean()


def test_registry_names_and_errors():
    for name in SUITE:
        g = get_integrand(name)
        assert g.name == name and g.exact is not None
    for bad in ("camel0", "nope", "corr2_rho1.5", "gauss4_a0"):
        with pytest.raises(InputError):
            get_integrand(bad)
    with pytest.raises(InputError, match="--dim"):
        get_integrand("math:sqrt")


def test_combine_is_inverse_variance():
    a, b = Estimate(1.0, 0.1, 100), Estimate(2.0, 0.2, 100)
    c = combine([a, b])
    w = np.array([100.0, 25.0])
    assert c.value == pytest.approx((w @ [1.0, 2.0]) / w.sum())
    assert c.error == pytest.approx(w.sum() ** -0.5)
    assert c.chi2_dof == pytest.approx(float(w @ (np.array([1.0, 2.0]) - c.value) ** 2))
    e = iteration_estimate(np.array([1.0, 2.0, 3.0, 4.0]))
    assert e.value == 2.5 and e.error == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)


def test_weight_metrics_formulas():
    w = np.ones(1000)
    m = weight_metrics(w)
    assert m.ess_over_n == pytest.approx(1) and m.unweighting_raw == pytest.approx(1) and m.sigma_over_mean == 0
    rng = np.random.default_rng(0)
    w = rng.exponential(size=100_000)
    m = weight_metrics(w)
    assert m.ess_over_n == pytest.approx(1 / (1 + m.sigma_over_mean**2))
    assert m.ess_over_n == pytest.approx(0.5, abs=0.01)  # exponential: σ = mean
    assert m.unweighting_raw == pytest.approx(w.mean() / w.max())
    assert m.unweighting_robust == pytest.approx(w.mean() / np.quantile(w, 1 - 1e-3))
    assert m.xs_fraction_above_robust == pytest.approx(w[w > np.quantile(w, 1 - 1e-3)].sum() / w.sum())
    spiked = np.r_[w, 1000.0]  # one outlier sinks the raw efficiency, not the robust one
    assert weight_metrics(spiked).unweighting_raw < 0.2 * m.unweighting_raw
    assert weight_metrics(spiked).unweighting_robust == pytest.approx(m.unweighting_robust, rel=0.05)
    # bootstrap median of the maximum of N-point replicas, by brute force on a small sample
    small = rng.exponential(size=50)
    reps = small[rng.integers(0, 50, size=(20_000, 50))].max(axis=1)
    assert weight_metrics(small).unweighting_bootstrap_median == pytest.approx(small.mean() / np.median(reps))
    # zeros (cuts) count in N
    m0 = weight_metrics(np.r_[np.zeros(500), np.ones(500)])
    assert m0.zero_fraction == 0.5 and m0.ess_over_n == pytest.approx(0.5)


def test_counted_integrand_budget_and_bad_values():
    g = gauss(2)
    f = CountedIntegrand(g, 100)
    f(np.full((60, 2), 0.5))
    assert f.calls == 60 and f.remaining == 40
    with pytest.raises(BudgetExhausted):
        f(np.full((41, 2), 0.5))
    x = np.full((5, 2), 0.5)
    for fn, match in ((lambda x: np.full(len(x), np.nan), "nan"), (lambda x: -np.ones(len(x)), "negative"),
                      (lambda x: np.ones((len(x), 2)), "shape"), (lambda x: "text", "array of numbers")):
        with pytest.raises(InputError, match=match):
            CountedIntegrand(Integrand("bad", 2, fn, None, ""), 10)(x)


def test_pull_summary_flags_bias_and_small_errors():
    good = np.random.default_rng(5).normal(size=20)  # RMS 0.95 (seeds 1 and 3 give 0.58 and 1.24: see coverage.py)
    assert pull_summary(good).ok
    assert not pull_summary(good * 2).ok  # error bars halved
    assert not pull_summary(good + 1.5).ok  # a bias of 1.5σ
    assert not pull_summary([0.0, math.nan]).ok


def test_zpole_channels_are_consistent_and_sum_to_the_integral():
    from showerml.integration.multichannel import _channel_integrand
    from showerml.integration.zpole import zpole_channels

    f, channels = zpole_integrand(False), zpole_channels()
    u = np.random.default_rng(2).random((200_000, 2))
    for c in channels:
        x, jac = c.forward(u[:1000])
        assert np.allclose(c.density(x) * jac, 1.0)  # g(T(u)) |∂T/∂u| = 1
    parts = [_channel_integrand(f, channels, k)(u) for k in range(2)]
    total = sum(p.mean() for p in parts)
    err = math.sqrt(sum(p.var() / len(p) for p in parts))
    assert abs(total - f.exact) < 4 * err
