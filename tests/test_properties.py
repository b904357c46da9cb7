"""Property-based checks (hypothesis) of the small pure pieces every simulator relies on."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from showerml.detectors.geometries import CALOCHALLENGE_2, CALOGAN
from showerml.geometry import CartesianLayer, CylindricalLayer, Geometry
from showerml.spectra import Spectrum

energies = st.floats(min_value=1e-2, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    lo=energies,
    factor=st.floats(min_value=1.001, max_value=1e3),
    gamma=st.floats(min_value=0.5, max_value=4.0),
    kind=st.sampled_from(["uniform", "loguniform", "powerlaw"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_spectrum_samples_stay_within_bounds(lo, factor, gamma, kind, seed):
    hi = lo * factor
    spectrum = Spectrum(kind, lo, hi, gamma)
    e = spectrum.sample(np.random.default_rng(seed), 500)
    assert np.all(e >= lo * 1000 * (1 - 1e-9)) and np.all(e <= hi * 1000 * (1 + 1e-9))
    assert Spectrum(kind, lo, hi, gamma).spec == spectrum.spec


@settings(max_examples=40, deadline=None)
@given(nx=st.integers(1, 20), ny=st.integers(1, 20), n_alpha=st.integers(1, 12), n_r=st.integers(1, 10))
def test_geometry_json_round_trip_and_split(nx, ny, n_alpha, n_r):
    geo = Geometry(
        "g",
        (
            CartesianLayer(nx=nx, ny=ny, cell_x=2.0, cell_y=3.0, z0=0.0, z1=1.0),
            CylindricalLayer(r_edges=tuple(float(i) for i in range(n_r + 1)), n_alpha=n_alpha, z0=1.0, z1=2.0),
        ),
    )
    assert Geometry.from_json(geo.to_json()) == geo
    voxels = np.arange(3 * geo.n_voxels, dtype=float).reshape(3, -1)
    parts = geo.split(voxels)
    assert [p.shape[1:] for p in parts] == [(ny, nx), (n_alpha, n_r)]
    np.testing.assert_array_equal(np.concatenate([p.reshape(3, -1) for p in parts], axis=1), voxels)
    np.testing.assert_allclose(geo.layer_energies(voxels).sum(1), voxels.sum(1))


def test_builtin_geometries_round_trip():
    for geo in (CALOGAN, CALOCHALLENGE_2):
        assert Geometry.from_json(geo.to_json()) == geo
