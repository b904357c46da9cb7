"""The CaloChallenge dataset-2 simulator: geometry, physics and the challenge's file layout."""

import h5py
import numpy as np
import pytest

from showerml.detectors.calochallenge import (
    ENERGY_SCALE,
    SAMPLING_FRACTION,
    THRESHOLD_MEV,
    W_SI,
    CaloChallenge2Simulator,
)
from showerml.detectors.geometries import CALOCHALLENGE_2
from showerml.io import ShowerFile
from showerml.pipelines.simulate import simulate_showers, simulate_to_file
from showerml.spectra import parse_spectrum


def _fixed(e_gev, n=200, seed=0):
    return simulate_showers(CaloChallenge2Simulator(), n, parse_spectrum(f"fixed:{e_gev}"), seed)


@pytest.mark.parametrize("e_gev", [10, 100, 1000])
def test_longitudinal_maximum(e_gev):
    """Mean-profile maximum at t = ln(E/E_c) − 0.5 X0 (± 1.5 X0); one read-out layer is 3.4 mm = 0.81 X0."""
    data = _fixed(e_gev)
    profile = data.voxels.reshape(-1, 45, 16 * 9).sum((0, 2))
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    t_max = (np.argmax(smooth) + 0.5) * 3.4 / W_SI.x0
    assert t_max == pytest.approx(np.log(e_gev * 1000 / W_SI.ec) - 0.5, abs=1.5)


def test_lateral_containment_in_moliere_units():
    """≈ 90 % of the visible energy within one Molière radius (10.9 mm ≈ 2.3 radial bins of 4.65 mm)."""
    data = _fixed(100, n=300)
    radial = data.voxels.reshape(-1, 45, 16, 9).sum((0, 1, 2))
    cumulative = np.cumsum(radial) / radial.sum()
    edges = np.arange(1, 10) * 4.65
    inside_rm = np.interp(W_SI.moliere_radius, edges, cumulative)
    assert 0.85 <= inside_rm <= 0.96
    assert cumulative[-1] == pytest.approx(1.0) and radial[0] > radial[1] > radial[2] > radial[-1]


def test_challenge_energy_scale_constants():
    """The challenge's files are silicon deposits × 1/0.033; its threshold is 0.5 keV in silicon, 15.15 keV scaled."""
    assert ENERGY_SCALE == pytest.approx(1 / 0.033) and SAMPLING_FRACTION * ENERGY_SCALE == pytest.approx(1.0)
    assert THRESHOLD_MEV == pytest.approx(15.15e-3, abs=0.01e-3)


def test_response_is_linear_with_stochastic_resolution():
    """At the challenge's scale Σ voxels / E_inc ≈ 1 (minus ≈ 1–2 % leakage) at every energy; σ/E ∝ 1/√E."""
    means, resolutions = [], []
    for e in (2, 20, 200):
        d = _fixed(e, n=300, seed=e)
        resp = d.voxels.sum(1) / d.incident
        means.append(resp.mean())
        resolutions.append(resp.std() / resp.mean())
    assert np.allclose(means, 0.985, atol=0.03)
    assert all(m < 1.0 + 0.02 for m in means)
    assert resolutions[0] == pytest.approx(0.17 / np.sqrt(2), rel=0.35)
    assert resolutions[0] / resolutions[2] == pytest.approx(10, rel=0.4)


def test_threshold_and_sparsity():
    low, high = _fixed(1, n=100), _fixed(500, n=50)
    positive = low.voxels[low.voxels > 0]
    assert positive.min() >= THRESHOLD_MEV
    assert (low.voxels > 0).mean() < (high.voxels > 0).mean()


def test_file_is_in_the_challenge_layout(tmp_path):
    """What the challenge's evaluation script checks: the two datasets, (N, 1) and (N, 6480), gzip, in MeV."""
    path = simulate_to_file(
        CaloChallenge2Simulator(),
        120,
        parse_spectrum("loguniform:1,1000"),
        3,
        tmp_path / "ds2.h5",
        workers=2,
        progress=False,
    )
    with h5py.File(path) as f:
        assert {"incident_energies", "showers"} <= set(f.keys())
        assert f["incident_energies"].shape == (120, 1) and f["showers"].shape == (120, 6480)
        assert f["showers"].compression == "gzip"
        e = f["incident_energies"][:, 0]
        assert 1e3 <= e.min() and e.max() <= 1e6
    data = ShowerFile(path).load()
    assert data.geometry == CALOCHALLENGE_2
    assert data.attrs["energy_scale"] == pytest.approx(1 / 0.033)
    assert data.attrs["threshold_mev"] == pytest.approx(THRESHOLD_MEV)
    response = data.voxels.sum(1) / data.incident
    assert 0.9 < float(np.median(response)) < 1.05 and ((response > 0.5) & (response < 1.5)).mean() > 0.99
    # without showerml's attributes the voxel count alone identifies the geometry
    plain = tmp_path / "plain.h5"
    with h5py.File(path) as f, h5py.File(plain, "w") as g:
        g["incident_energies"] = f["incident_energies"][:]
        g["showers"] = f["showers"][:]
    np.testing.assert_array_equal(ShowerFile(plain).load().voxels, data.voxels)
