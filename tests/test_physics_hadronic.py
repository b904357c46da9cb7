"""Hadronic showers and ionisation: interaction depth, e/h, shower shape, MIP peak and Z² scaling."""

import numpy as np
import pytest
from scipy.stats import kstest

from showerml.detectors.physics import BGO, PLASTIC_SCINTILLATOR, SI
from showerml.detectors.physics.em import em_shower_spots
from showerml.detectors.physics.hadronic import (
    HadronConfig,
    first_interaction_depth,
    hadron_shower_spots,
    mean_em_fraction,
)
from showerml.detectors.physics.ionisation import ionisation_loss, landau_parameters


def test_first_interaction_depth_is_exponential_with_lambda_i():
    rng = np.random.default_rng(0)
    depth = first_interaction_depth(20_000, BGO.lambda_i, rng)
    assert depth.mean() == pytest.approx(BGO.lambda_i, rel=0.03)
    assert kstest(depth, "expon", args=(0, BGO.lambda_i)).pvalue > 0.01
    # PHYSICS.md: 79 % of protons interact in 35 cm of BGO
    assert (depth < 350).mean() == pytest.approx(1 - np.exp(-350 / BGO.lambda_i), abs=0.01)
    assert (depth < 350).mean() == pytest.approx(0.79, abs=0.02)


def test_em_fraction_rises_with_energy():
    f = mean_em_fraction(np.array([10.0, 100.0, 1000.0]), e0_gev=1.0, k=0.82)
    assert np.all(np.diff(f) > 0) and 0.3 < f[0] < 0.45 and f[2] < 0.75


def _shape(spots, n):
    w = np.bincount(spots.event, spots.energy, n)
    depth = np.bincount(spots.event, spots.energy * spots.s, n) / w
    width = np.sqrt(np.bincount(spots.event, spots.energy * (spots.u**2 + spots.v**2), n) / w)
    return w, depth, width


def test_hadron_showers_are_deeper_wider_and_respond_less_than_em_showers():
    n, e = 400, np.full(400, 100_000.0)
    rng = np.random.default_rng(1)
    had, _ = hadron_shower_spots(e, BGO, rng, HadronConfig(e0_gev=2.6))
    em = em_shower_spots(e, BGO, rng)
    w_h, depth_h, width_h = _shape(had, n)
    w_e, depth_e, width_e = _shape(em, n)
    assert np.median(depth_h) > 2 * np.median(depth_e)
    assert np.median(width_h) > 2 * np.median(width_e)
    resp_h, resp_e = w_h / e, w_e / e
    assert resp_h.mean() < 0.9 * resp_e.mean()  # invisible energy: e/h > 1
    assert resp_h.std() / resp_h.mean() > 5 * resp_e.std() / resp_e.mean()
    assert (resp_h <= 1).all()


def test_mip_peak_in_a_bgo_bar_and_in_silicon():
    """Most probable loss: ≈ 23 MeV in 25 mm of BGO (DAMPE MIP calibration) and ≈ 88 keV in 320 µm Si (PDG)."""
    rng = np.random.default_rng(2)
    for material, thickness, mpv_expected in ((BGO, 25.0, 23.0), (SI, 0.32, 0.088)):
        loss = ionisation_loss(material, np.full(200_000, thickness), rng)
        hist, edges = np.histogram(loss, bins=np.linspace(0.5 * mpv_expected, 2 * mpv_expected, 301))
        peak = 0.5 * (edges[np.argmax(hist)] + edges[np.argmax(hist) + 1])
        assert peak == pytest.approx(mpv_expected, rel=0.12)
        assert peak < loss.mean()  # the Landau tail pulls the mean above the peak


@pytest.mark.parametrize("z", [2, 6, 8, 26])
def test_ionisation_scales_with_charge_squared(z):
    """Median loss ∝ z² (Bethe–Bloch) and the relative spread narrows as the charge grows."""
    rng = np.random.default_rng(z)
    one = ionisation_loss(PLASTIC_SCINTILLATOR, np.full(40_000, 10.0), rng, 1)
    many = ionisation_loss(PLASTIC_SCINTILLATOR, np.full(40_000, 10.0), rng, z)
    assert np.median(many) / np.median(one) == pytest.approx(z**2, rel=0.05)

    def iqr(x):
        q1, q3 = np.percentile(x, [25, 75])
        return (q3 - q1) / np.median(x)

    assert iqr(many) < iqr(one)


def test_landau_width_is_proportional_to_charge_squared():
    _, xi1 = landau_parameters(PLASTIC_SCINTILLATOR, 10.0, 1)
    _, xi2 = landau_parameters(PLASTIC_SCINTILLATOR, 10.0, 2)
    assert xi2 / xi1 == pytest.approx(4.0)
