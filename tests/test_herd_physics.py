"""Physics of the HERD-like 3D calorimeter: geometry, longitudinal and lateral containment, linearity, e/p depth."""

from __future__ import annotations

import numpy as np
import pytest

from showerml.detectors.herd import geometry as geo
from showerml.detectors.herd.em import HERD_EM, deposit_em_cubes
from showerml.detectors.herd.simulator import HerdSimulator
from showerml.detectors.physics.em import gflash_longitudinal
from showerml.detectors.physics.materials import LYSO
from showerml.spectra import parse_spectrum


def _vertical(energy_gev: float, n: int, seed: int = 1) -> np.ndarray:
    """(n, 21, 21, 21) deposits of vertical e− entering the top at the centre of cube (10, 10)."""
    rng = np.random.default_rng(seed)
    start = np.tile([0.0, 0.0, geo.HALF], (n, 1))
    axis = np.tile([0.0, 0.0, -1.0], (n, 1))
    dep = deposit_em_cubes(np.arange(n), np.full(n, energy_gev * 1e3), start, axis, False, n, rng)
    return dep.reshape(n, geo.N_SIDE, geo.N_SIDE, geo.N_SIDE)


def test_geometry_matches_the_published_calorimeter() -> None:
    # ≈ 7,500 cubes of 3 cm; 63 cm = 55 X0 = 3 λ_I of LYSO (Zhang et al. 2014; HEASARC)
    assert geo.N_CUBES == 7497
    depth = geo.N_SIDE * geo.PITCH
    assert depth / LYSO.x0 == pytest.approx(55.3, abs=0.1)
    assert depth / LYSO.lambda_i == pytest.approx(3.0, abs=0.05)
    assert LYSO.moliere_radius == pytest.approx(20.7, abs=0.05)
    # the centre of every kept cube is inside the prism, every cut corner cube outside the grid's octagon
    flat = np.flatnonzero(geo.active_mask().ravel())
    assert (geo.cube_index(geo.cube_centres(flat)) == flat).all()
    assert geo.cube_index(np.array([[-300.0, -300.0, 0.0]]))[0] == -1


def test_isotropic_tracks_enter_the_prism_through_the_five_faces() -> None:
    tr = geo.generate_tracks(np.random.default_rng(3), 4000)
    e = tr.entry
    assert (tr.path > 0).all()
    on_surface = np.isclose(np.abs(e).max(axis=1), geo.HALF, atol=1e-6) | np.isclose(
        np.maximum(np.abs(e[:, 0] + e[:, 1]), np.abs(e[:, 0] - e[:, 1])), geo.CHAMFER, atol=1e-6)
    assert on_surface.all()
    assert not np.isclose(e[:, 2], -geo.HALF).any()  # nothing through the bottom
    top = np.isclose(e[:, 2], geo.HALF)
    assert 0.2 < top.mean() < 0.5 and (tr.direction[top, 2] < 0).all()
    assert (tr.n_trials >= 1).all()


def test_longitudinal_containment_follows_the_gflash_profile() -> None:
    """Mean depth of the deposit (X0) of vertical 100 GeV e− = the mean of the GFlash Gamma profile (α/β)."""
    dep = _vertical(100.0, 200)
    layer_e = dep.sum(axis=(2, 3))[:, ::-1]  # top first
    t_mid = (np.arange(geo.N_SIDE) + 0.5) * geo.PITCH / LYSO.x0
    cog = (layer_e * t_mid).sum(axis=1) / layer_e.sum(axis=1)
    alpha, t_max = gflash_longitudinal(np.full(20000, 1e5), LYSO, np.random.default_rng(0))
    expected = np.mean(alpha * t_max / (alpha - 1.0))
    assert cog.mean() == pytest.approx(expected, abs=0.4)
    # 55 X0 contain the shower: < 0.5 % beyond 25 X0 (8 layers = 21 X0 hold the bulk)
    beyond = layer_e[:, 10:].sum(axis=1) / layer_e.sum(axis=1)
    assert beyond.mean() < 0.005


def test_lateral_containment_in_moliere_radii() -> None:
    """PDG: ≈ 90 % within 1 R_M, ≈ 95 % within 2 R_M. The 3 × 3 cube columns (±2.17 R_M) hold > 95 %, the
    central column (±0.72 R_M, a square inside the 1 R_M circle) less than 90 % and more than half."""
    dep = _vertical(100.0, 100).sum(axis=1)  # (n, j, i) columns
    total = dep.sum(axis=(1, 2))
    centre = dep[:, 10, 10] / total
    nine = dep[:, 9:12, 9:12].sum(axis=(1, 2)) / total
    assert 0.5 < centre.mean() < 0.9
    assert nine.mean() > 0.95


def test_energy_linearity_of_contained_electrons() -> None:
    ratios = [_vertical(e, 30, seed=int(e)).sum(axis=(1, 2, 3)).mean() / (e * 1e3) for e in (20.0, 200.0, 2000.0)]
    assert min(ratios) > 0.985 and max(ratios) - min(ratios) < 0.01


def test_protons_shower_deeper_than_electrons() -> None:
    spec = parse_spectrum("fixed:200")
    cog = {}
    for particle in ("e-", "p"):
        out = HerdSimulator(particle, incidence="vertical").simulate(60, spec, np.random.SeedSequence(5))
        idx, e = out["calo_index"].astype(np.int64), out["calo_energy"].astype(float)
        k = np.where(idx >= 0, idx // (geo.N_SIDE**2), 0)
        depth = (geo.N_SIDE - 0.5 - k) * geo.PITCH / LYSO.x0  # X0 below the top
        cog[particle] = (e * depth).sum(axis=1) / np.maximum(e.sum(axis=1), 1e-9)
    assert np.median(cog["p"]) > np.median(cog["e-"]) + 8.0
    assert np.median(cog["e-"]) == pytest.approx(9.0, abs=2.0)


def test_proton_interaction_probability_in_three_interaction_lengths() -> None:
    out = HerdSimulator("p", incidence="vertical").simulate(400, parse_spectrum("fixed:40"),
                                                          np.random.SeedSequence(2))
    hit = out["first_interaction_depth"] < 1e4
    expected = 1.0 - np.exp(-geo.N_SIDE * geo.PITCH / LYSO.lambda_i)
    assert hit.mean() == pytest.approx(expected, abs=3 * np.sqrt(expected * (1 - expected) / 400))


def test_same_seed_same_events_and_sparse_readout_is_sorted() -> None:
    sim = HerdSimulator("e-")
    a = sim.simulate(20, parse_spectrum("fixed:50"), np.random.SeedSequence(9))
    b = sim.simulate(20, parse_spectrum("fixed:50"), np.random.SeedSequence(9))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    e = a["calo_energy"]
    assert (np.diff(e, axis=1) <= 0).all()
    assert ((a["calo_index"] >= 0) == (e > 0)).all()
    assert (e[e > 0] >= sim.threshold_mev).all()
    assert HERD_EM.material is LYSO
