"""Electromagnetic showers behave as the textbook says (PDG review 'Passage of particles through matter', sec. 34.5)."""

import numpy as np
import pytest

from showerml.detectors.physics import BGO, LAR, PB, W, mixture
from showerml.detectors.physics.em import EMConfig, em_shower_spots

PURE_GFLASH = EMConfig(halo_fraction=0.0)


def _mean_profile(e_mev, material, photon, n=1000, seed=0, config=PURE_GFLASH):
    """Average dE/dt of ``n`` showers in 0.25 X0 bins out to 40 X0."""
    rng = np.random.default_rng(seed)
    spots = em_shower_spots(np.full(n, e_mev), material, rng, photon=photon, config=config)
    t = spots.s / material.x0
    edges = np.arange(0, 40.25, 0.25)
    profile, _ = np.histogram(t, edges, weights=spots.energy)
    return 0.5 * (edges[1:] + edges[:-1]), profile / n, spots


def _smoothed_argmax(t, profile):
    smooth = np.convolve(profile, np.ones(7) / 7, mode="same")
    return t[np.argmax(smooth)]


@pytest.mark.parametrize("material", [BGO, PB, W])
@pytest.mark.parametrize("e_gev", [10, 100, 1000])
def test_shower_maximum_follows_ln_e_over_ec(material, e_gev):
    """t_max = ln(E/E_c) − 0.5 (electrons) and + 0.5 (photons), in X0; GFlash and PDG agree to about 1 X0."""
    y = np.log(e_gev * 1000 / material.ec)
    t, prof_e, _ = _mean_profile(e_gev * 1000, material, photon=False)
    _, prof_g, _ = _mean_profile(e_gev * 1000, material, photon=True, seed=1)
    t_e, t_g = _smoothed_argmax(t, prof_e), _smoothed_argmax(t, prof_g)
    assert t_e == pytest.approx(y - 0.5, abs=1.0)
    assert t_g == pytest.approx(y + 0.5, abs=1.0)
    assert 0.5 < t_g - t_e < 2.0  # photons first convert, ~9/7 X0 deeper


def test_maximum_grows_logarithmically_with_energy():
    maxima = [_smoothed_argmax(*_mean_profile(e * 1000, BGO, False)[:2]) for e in (10, 100, 1000)]
    steps = np.diff(maxima)
    assert np.allclose(steps, np.log(10), atol=0.6)


def test_ninety_percent_within_one_moliere_radius():
    """About 90 % of the energy lies within 1 R_M of the axis (PDG), and ≈ 99 % within 3.5 R_M."""
    _, _, spots = _mean_profile(50_000, BGO, False, n=300, config=EMConfig())
    r = np.hypot(spots.u, spots.v) / BGO.moliere_radius
    w = spots.energy
    inside_1 = w[r < 1].sum() / w.sum()
    inside_35 = w[r < 3.5].sum() / w.sum()
    assert 0.85 <= inside_1 <= 0.95
    assert inside_35 >= 0.97


def test_energy_is_conserved_up_to_the_escape_fraction():
    rng = np.random.default_rng(3)
    e = rng.uniform(1e3, 1e6, 500)
    cfg = EMConfig()
    spots = em_shower_spots(e, BGO, rng, config=cfg)
    ratio = spots.total_per_event(500) / e
    assert (ratio <= 1.0 + 1e-9).all()
    assert ratio.mean() == pytest.approx(1 - cfg.escape_mean, abs=0.002)
    assert ratio.std() == pytest.approx(cfg.escape_std, rel=0.3)


def test_longitudinal_fluctuations_are_correlated_and_shrink_with_energy():
    """Shower-to-shower spread of the depth of the energy centroid falls with energy (GFlash σ(ln T) ∝ 1/ln y)."""
    spreads = []
    for e in (2_000, 200_000):
        rng = np.random.default_rng(5)
        spots = em_shower_spots(np.full(400, float(e)), BGO, rng, config=PURE_GFLASH)
        depth = np.bincount(spots.event, spots.energy * spots.s, 400) / np.bincount(spots.event, spots.energy, 400)
        spreads.append(depth.std() / depth.mean())
    assert spreads[1] < spreads[0]


def test_mixture_follows_the_sampling_rules():
    """CaloGAN's 2 mm Pb + 4 mm LAr: X0 ≈ 15.6 mm (PHYSICS.md), R_M = 21.2 MeV · X0 / E_c."""
    m = mixture("PbLAr", [(PB, 2.0), (LAR, 4.0)])
    assert m.x0 == pytest.approx(15.6, abs=0.1)
    assert PB.x0 < m.x0 < LAR.x0 and PB.lambda_i < m.lambda_i < LAR.lambda_i
    assert m.moliere_radius == pytest.approx(21.2052 * m.x0 / m.ec)
