"""Homogeneous GFlash showers in the BGO (:mod:`showerml.detectors.physics.em_homogeneous`) and their per-bar
deposition (:mod:`showerml.detectors.dampe.bgo_em`): the constants of the tuning, the analytic projection, and the
statistical equivalence of the aggregated deposit with drawing every spot."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.dampe.bgo_em import DAMPE_EM, deposit_em_showers, explicit_em_showers
from showerml.detectors.physics.em_homogeneous import (
    HomogeneousEMConfig,
    projected_cdf,
    spot_count,
    spot_shape,
)
from showerml.detectors.physics.materials import BGO
from showerml.errors import InputError


def test_spot_count_is_93_ln_z_e_to_the_0876() -> None:
    # issue 20 / hep-ex/0001020: ≈ 1.6 × 10⁵ spots at 1 TeV for Z_eff = 62.5, ≈ 2.2 × 10⁴ at 100 GeV
    n_tev = float(spot_count(1000.0, DAMPE_EM))
    assert n_tev == pytest.approx(93 * math.log(62.5) * 1000**0.876, rel=1e-12)
    assert 1.55e5 < n_tev < 1.65e5
    assert 2.1e4 < float(spot_count(100.0, DAMPE_EM)) < 2.3e4


def test_spot_profile_is_shallower_and_narrower_than_the_energy_profile() -> None:
    a_s, b_s = spot_shape(np.array([4.0]), np.array([6.0]), BGO.z)
    t_s = (a_s - 1.0) / b_s
    assert t_s[0] == pytest.approx(6.0 * (0.698 + 0.00212 * 62.5))
    assert a_s[0] == pytest.approx(4.0 * (0.639 + 0.00334 * 62.5))


@pytest.mark.parametrize("radius", [0.3, 2.0, 25.0])
def test_projected_cdf_is_the_marginal_of_the_2d_profile(radius: float) -> None:
    # the 1D density R²/(2(x² + R²)^{3/2}) is ∫ R²/(π (x² + y² + R²)²) dy ...
    for x in (-3.0 * radius, 0.0, 1.5 * radius):
        line, _ = integrate.quad(lambda y, x=x: radius**2 / (math.pi * (x * x + y * y + radius**2) ** 2),
                                 -np.inf, np.inf)
        assert line == pytest.approx(radius**2 / (2.0 * (x * x + radius**2) ** 1.5), rel=1e-7)
    # ... and the CDF matches spots drawn as GFlash draws them, r = R √(u/(1 − u)), uniform azimuth
    rng = np.random.default_rng(0)
    u = rng.random(200_000)
    x = radius * np.sqrt(u / (1.0 - u)) * np.cos(rng.random(len(u)) * 2 * np.pi)
    grid = radius * np.array([-5.0, -1.0, -0.3, 0.0, 0.2, 1.0, 4.0])
    empirical = (x[:, None] < grid[None, :]).mean(axis=0)
    assert np.abs(empirical - projected_cdf(grid, np.full_like(grid, radius))).max() < 0.004  # 3.5σ at n = 2e5


@pytest.mark.parametrize("field, value", [("spots_per_ln_z", 0.0), ("spots_per_ln_z", -5.0),
                                          ("spots_per_ln_z", math.nan), ("spots_power", 0.0),
                                          ("spots_power", 3.0), ("steps_per_layer", 0),
                                          ("steps_per_layer", 2.5), ("spot_weight_shape", 0.0)])
def test_non_physical_config_is_refused_in_one_line(field: str, value: float) -> None:
    with pytest.raises(InputError) as err:
        HomogeneousEMConfig(**{field: value})
    assert "\n" not in str(err.value) and field in str(err.value)


def _fixed_tracks(n: int, theta_deg: float, phi_deg: float, at_top: tuple[float, float]) -> geo.Tracks:
    t = math.tan(math.radians(theta_deg))
    slope = np.tile([t * math.cos(math.radians(phi_deg)), t * math.sin(math.radians(phi_deg))], (n, 1))
    intercept = np.asarray(at_top)[None, :] - slope * geo.BGO_TOP_Z
    return geo.Tracks(intercept, slope, np.ones(n, np.int64))


def _z_scores(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z-scores of the differences of the means and of the covariances of the columns of samples a and b.

    Var of a sample covariance of n draws: (E[(x−μ)²(y−μ)²] − cov²) / n, estimated from each sample."""
    def stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = len(x)
        d = x - x.mean(axis=0)
        cov = d.T @ d / (n - 1)
        fourth = (d**2).T @ (d**2) / n
        return x.mean(axis=0), x.var(axis=0, ddof=1) / n, cov, np.maximum(fourth - cov**2, 0.0) / n

    ma, va, ca, vca = stats(a)
    mb, vb, cb, vcb = stats(b)
    floor = 1e-12 * max(float(np.abs(ca).max()), 1.0)
    z_mean = (ma - mb) / np.sqrt(va + vb + floor)
    z_cov = (ca - cb) / np.sqrt(vca + vcb + floor)
    return z_mean, z_cov


@pytest.mark.parametrize("theta_deg, phi_deg, at_top, photon", [(0.0, 0.0, (0.0, 0.0), False),
                                                                (35.0, 25.0, (-190.0, 60.0), True)])
def test_aggregated_deposit_matches_explicit_spots_in_means_and_covariances(
        theta_deg: float, phi_deg: float, at_top: tuple[float, float], photon: bool) -> None:
    """2 GeV showers (≈ 700 spots) from 1.5 X0 above the BGO (the inclined ones near an edge, so leakage counts):
    every layer energy and every bar of layers 2 (x) and 3 (y) — means and the full covariance matrix."""
    n = 3000
    tracks = _fixed_tracks(n, theta_deg, phi_deg, at_top)
    args = (np.arange(n), np.full(n, 2000.0), np.full(n, -1.5 * BGO.x0), np.tile([3.0, -2.0], (n, 1)),
            np.tile([0.01, 0.0], (n, 1)), photon, tracks, n)
    agg = deposit_em_showers(*args, np.random.default_rng(1))
    ref, spots = explicit_em_showers(*args, np.random.default_rng(2))
    assert len(spots) > 500 * n
    cols = lambda d: np.concatenate([d.sum(axis=2), d[:, 2, 4:18], d[:, 3, 4:18]], axis=1)  # noqa: E731
    a, b = cols(agg), cols(ref)
    keep = b.std(axis=0) > 0
    z_mean, z_cov = _z_scores(a[:, keep], b[:, keep])
    # ≈ 40 means and ≈ 800 covariances: |z| < 4.5 keeps the false-alarm rate of the whole test below ≈ 1 %
    assert np.abs(z_mean).max() < 4.5, np.abs(z_mean).max()
    assert np.abs(z_cov).max() < 4.5, np.abs(z_cov).max()
    # and the comparison has power: a 3 mm shift of the axis is seen
    moved, _ = explicit_em_showers(args[0], args[1], args[2], args[3] + 3.0, *args[4:], np.random.default_rng(3))
    z_moved, _ = _z_scores(a[:, keep], cols(moved)[:, keep])
    assert np.abs(z_moved).max() > 6.0


def test_showers_before_the_bgo_lose_their_early_energy_and_photons_start_deeper() -> None:
    n = 400
    tracks = _fixed_tracks(n, 0.0, 0.0, (0.0, 0.0))
    rng = np.random.default_rng(5)
    e = np.full(n, 50_000.0)
    inside = deposit_em_showers(np.arange(n), e, 0.0, 0.0, 0.0, False, tracks, n, rng).sum(axis=2)
    above = deposit_em_showers(np.arange(n), e, -3 * BGO.x0, 0.0, 0.0, False, tracks, n, rng).sum(axis=2)
    gamma = deposit_em_showers(np.arange(n), e, 0.0, 0.0, 0.0, True, tracks, n, rng).sum(axis=2)
    depth = lambda d: (d * np.arange(14)).sum(axis=1) / d.sum(axis=1)  # noqa: E731
    assert above.sum(axis=1).mean() < 0.99 * inside.sum(axis=1).mean()
    assert depth(above).mean() < depth(inside).mean() < depth(gamma).mean()


def _vertical(n: int) -> geo.Tracks:
    return geo.Tracks(np.zeros((n, 2)), np.zeros((n, 2)), np.ones(n, np.int64))


@pytest.mark.parametrize("energy_gev", [10.0, 1000.0])
def test_longitudinal_peak_and_mean_follow_gflash(energy_gev: float) -> None:
    """Showers from the BGO top: the mean profile peaks at GFlash's T = ln y − 0.812 X0 (PDG: ln y − 0.5) within
    0.5 X0, and the layer-binned mean depth equals the GFlash expectation E[Σ_k t_k ΔF_k]/E[Σ_k ΔF_k] of the
    same (T, α) distribution within 0.05 X0 (measured: 0.02 X0 low, the lateral leakage of deep spots)."""
    from scipy.special import gammainc

    from showerml.detectors.physics.em_homogeneous import homogeneous_profiles

    n, e = 1000, energy_gev * 1e3
    d = deposit_em_showers(np.arange(n), np.full(n, e), 0.0, 0.0, 0.0, False, _vertical(n), n,
                           np.random.default_rng(1)).sum(axis=2)
    profile = d.mean(axis=0)
    k = int(profile.argmax())
    y0, y1, y2 = profile[k - 1: k + 2]
    peak_x0 = (k + 0.5 + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)) * geo.BGO_BAR / BGO.x0
    ln_y = math.log(e / BGO.ec)
    assert abs(peak_x0 - (ln_y - 0.812)) < 0.5 and abs(peak_x0 - (ln_y - 0.5)) < 0.5
    mid = (np.arange(geo.BGO_N_LAYERS) + 0.5) * geo.BGO_BAR / BGO.x0
    prof = homogeneous_profiles(np.full(200_000, e), np.random.default_rng(2), DAMPE_EM)
    f = np.diff(gammainc(prof.alpha[:, None], prof.beta[:, None] * np.append(mid - mid[0], mid[-1] + mid[0])[None]),
                axis=1)
    expected = (f * mid).sum() / f.sum()
    assert abs((d * mid).sum() / d.sum() - expected) < 0.05


def test_moliere_containment_of_the_homogeneous_radial_profile() -> None:
    """PDG: ≈ 90 % of the energy within 1 R_M, ≈ 99 % within 3.5 R_M. GFlash's homogeneous profile in BGO
    (R_M = 22.6 mm) gives 87 % and 98 % at 100 GeV (every spot of 30 showers)."""
    n = 30
    _, spots = explicit_em_showers(np.arange(n), np.full(n, 1e5), 0.0, 0.0, 0.0, False, _vertical(n), n,
                                   np.random.default_rng(0))
    r = np.hypot(spots.u, spots.v) / BGO.moliere_radius
    inside = [float(spots.energy[r < k].sum() / spots.energy.sum()) for k in (1.0, 3.5)]
    assert 0.85 < inside[0] < 0.93
    assert 0.97 < inside[1] < 0.995


def test_calogan_and_calochallenge_output_is_unchanged_by_the_bgo_model() -> None:
    """Bit-identical CaloGAN / CaloChallenge events for a fixed seed: SHA-256 of every output array, pinned from
    commit 4ff50fa (before the homogeneous BGO model; same digests measured there and here). The sampling
    calorimeters keep em.py's CaloGAN-calibrated model. Pinned on this machine's numpy build (x86-64)."""
    import hashlib

    from showerml.detectors.calochallenge import CaloChallenge2Simulator
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.spectra import parse_spectrum

    def digest(sim: object, spectrum: str) -> str:
        out = sim.simulate(40, parse_spectrum(spectrum), np.random.SeedSequence(2026))  # type: ignore[attr-defined]
        h = hashlib.sha256()
        for key in sorted(out):
            h.update(key.encode())
            h.update(np.ascontiguousarray(out[key]).tobytes())
        return h.hexdigest()

    assert digest(CaloGANSimulator("e+"), "uniform:1,100").startswith("86c92357fffa6c882ed3b93f011b0d57")
    assert digest(CaloGANSimulator("gamma"), "uniform:1,100").startswith("8780a1d4ea5f81089f3142a4ebb47bf2")
    assert digest(CaloChallenge2Simulator("e-"), "fixed:50").startswith("12debec5cfaa1244c941a1df3be41755")
