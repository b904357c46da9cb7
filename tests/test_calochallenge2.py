"""The CaloChallenge dataset-2 simulator: geometry, physics and the challenge's file layout."""

import h5py
import numpy as np
import pytest

from showerml.detectors.calochallenge import (
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
    assert cumulative[-1] == 1.0 and radial[0] > radial[1] > radial[2] > radial[-1]


def test_response_is_linear_with_stochastic_resolution():
    """Σ voxels / E_inc ≈ the sampling fraction at every energy; σ/E falls like 1/√E."""
    means, resolutions = [], []
    for e in (2, 20, 200):
        d = _fixed(e, n=300, seed=e)
        resp = d.voxels.sum(1) / d.incident
        means.append(resp.mean())
        resolutions.append(resp.std() / resp.mean())
    assert np.allclose(means, SAMPLING_FRACTION, rtol=0.06)
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
    # without showerml's attributes the voxel count alone identifies the geometry
    plain = tmp_path / "plain.h5"
    with h5py.File(path) as f, h5py.File(plain, "w") as g:
        g["incident_energies"] = f["incident_energies"][:]
        g["showers"] = f["showers"][:]
    np.testing.assert_array_equal(ShowerFile(plain).load().voxels, data.voxels)
