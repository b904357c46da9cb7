"""Unfolding: IBU against PyUnfold, closure of IBU/OmniFold on a smearing toy, the broken power law and its fit,
the quantile response, and ``showerml unfold`` on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.inference.ibu import ibu, response_matrix
from showerml.inference.omnifold import omnifold
from showerml.inference.response import QuantileResponse
from showerml.inference.spectra import DAMPE_2017, BrokenPowerLaw
from showerml.inference.spectral_fit import fit_broken_power_law
from showerml.inference.unfolding import score, unfold_all


def _toy(n_sim: int, n_data: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    gen = rng.normal(0.0, 1.0, n_sim)
    truth = rng.normal(0.3, 0.8, n_data)
    return gen, gen + rng.normal(0, 0.5, n_sim), truth, truth + rng.normal(0, 0.5, n_data)


def test_ibu_matches_pyunfold() -> None:
    pyunfold = pytest.importorskip("pyunfold")
    gen, sim, _, data = _toy(50_000, 20_000)
    edges = np.linspace(-3, 3, 13)
    r, prior = response_matrix(gen, sim, edges, edges)
    d = np.histogram(data, edges)[0].astype(float)
    for iterations in (1, 3, 8):
        ours = ibu(d, r, prior, iterations)
        ref = pyunfold.iterative_unfold(d, np.sqrt(d), r, np.zeros_like(r), r.sum(axis=0), np.zeros(r.shape[1]),
                                        prior=prior / prior.sum(), ts="ks", ts_stopping=-1.0, max_iter=iterations)
        assert ref["num_iterations"] == iterations
        np.testing.assert_allclose(ours, ref["unfolded"], rtol=1e-9)


def test_ibu_closes_on_a_toy_and_scores_can_fail() -> None:
    gen, sim, truth, data = _toy(20_000, 10_000)
    edges = np.linspace(-4.0, 4.0, 17)  # the whole truth range: no events from outside migrate in
    res = unfold_all(gen, sim, data, edges, np.linspace(-5.0, 5.0, 21), methods=("ibu",), iterations=4, n_boot=10,
                     data_truth=truth)
    t = np.histogram(truth, edges)[0]
    r = res["ibu"]
    assert r.scores["chi2_ndf"] < 3.0 and np.all(np.abs(r.values - t) < 3.5 * r.errors + 1)
    measured = np.histogram(data, edges)[0].astype(float)  # not unfolded: wider than the truth
    assert score(measured, np.sqrt(measured), t)["chi2_ndf"] > 5.0
    with pytest.raises(InputError, match="unknown unfolding"):
        unfold_all(gen, sim, data, edges, edges, methods=("svd",))


def test_omnifold_moves_the_simulation_onto_the_data() -> None:
    gen, sim, truth, data = _toy(6000, 4000)
    edges = np.linspace(-2.0, 2.0, 6)
    nu = omnifold(gen, sim, data, iterations=2)
    t = np.histogram(truth, edges)[0] / len(truth)
    before = np.abs(np.histogram(gen, edges)[0] / len(gen) - t).sum()
    after = np.abs(np.histogram(gen, edges, weights=nu)[0] / nu.sum() - t).sum()
    assert after < 0.5 * before and nu.sum() == pytest.approx(len(data))


@pytest.mark.slow
def test_omnifold_and_cinn_unfold_a_toy_as_well_as_ibu() -> None:
    gen, sim, truth, data = _toy(40_000, 20_000)
    edges = np.linspace(-2.5, 2.5, 11)
    res = unfold_all(gen, sim, data, edges, np.linspace(-3.5, 3.5, 15), iterations=4, n_boot=5, omnifold_boot=3,
                     data_truth=truth)
    for name, r in res.items():
        assert r.scores["chi2_ndf"] < 5.0, name


def test_broken_power_law_sampling_and_fit() -> None:
    law = BrokenPowerLaw(e_min=50.0, e_max=8000.0)
    assert (DAMPE_2017.gamma1, DAMPE_2017.gamma2, DAMPE_2017.e_break) == (3.09, 3.92, 914.0)
    e = law.sample(200_000, np.random.default_rng(0))
    edges = np.geomspace(50, 8000, 17)
    n = np.histogram(e, edges)[0]
    expected = law.bin_fractions(edges) * len(e)
    assert np.all(np.abs(n - expected) < 4 * np.sqrt(expected) + 1)
    fit = fit_broken_power_law(edges, n, np.sqrt(np.maximum(n, 1)), law)
    assert abs(fit.gamma1 - 3.09) < 3 * fit.gamma1_err + 0.01 and abs(fit.gamma2 - 3.92) < 3 * fit.gamma2_err
    plain = np.histogram(BrokenPowerLaw(3.09, 3.09, e_min=50, e_max=8000).sample(200_000,
                                        np.random.default_rng(1)), edges)[0]
    flat = fit_broken_power_law(edges, plain, np.sqrt(np.maximum(plain, 1)), law)
    assert flat.gamma2 - flat.gamma1 < 2 * flat.gamma2_err  # no significant softening in an unbroken power law


def test_quantile_response_reproduces_its_nodes() -> None:
    rng = np.random.default_rng(0)
    e_true = np.repeat([10.0, 100.0, 1000.0], 2000)
    e_meas = e_true * rng.normal(1.0, 0.02 * np.log10(e_true), len(e_true))
    resp = QuantileResponse.from_events(e_true, e_meas)
    out = resp.sample(np.full(20_000, 100.0), rng) / 100.0
    assert np.std(out) == pytest.approx(0.04, rel=0.1)
    mid = resp.sample(np.full(20_000, 10**1.5), rng) / 10**1.5
    assert 0.02 < np.std(mid) < 0.04
    with pytest.raises(InputError, match="within the response nodes"):
        resp.sample(np.array([5000.0]), rng)
