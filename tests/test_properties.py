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


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**63), k=st.integers(1, 20))
def test_chunk_seeds_are_the_spawned_children(seed, k):
    """Chunk seeds made one at a time equal SeedSequence.spawn: the same file as before for any n and workers."""
    from showerml.pipelines.simulate import chunk_seeds

    spawned = [s.generate_state(4).tolist() for s in np.random.SeedSequence(seed).spawn(k)]
    assert [s.generate_state(4).tolist() for s in chunk_seeds(seed, k)] == spawned


@settings(max_examples=60, deadline=None)
@given(cost=st.lists(st.floats(0.0, 1e7), min_size=0, max_size=300), budget=st.floats(1.0, 1e7))
def test_spot_batches_partition_the_events_within_the_budget(cost, budget):
    from showerml.detectors.limits import spot_batches

    c = np.asarray(cost, dtype=float)
    batches = spot_batches(c, budget)
    covered = np.concatenate([np.arange(len(c))[b] for b in batches]) if batches else np.zeros(0)
    np.testing.assert_array_equal(covered, np.arange(len(c)))
    for b in batches:
        assert c[b].sum() <= budget * (1 + 1e-12) or b.stop - b.start == 1


@settings(max_examples=60, deadline=None)
@given(value=st.floats(0.01, 1e4), unit=st.sampled_from(["K", "M", "G", "MB", "GiB", "T"]))
def test_memory_sizes_parse_and_nonsense_is_one_line(value, unit):
    import pytest

    from showerml.errors import InputError
    from showerml.pipelines.simulate_plan import parse_size

    scale = {"K": 2**10, "M": 2**20, "G": 2**30, "MB": 2**20, "GiB": 2**30, "T": 2**40}[unit]
    assert parse_size(f"{value}{unit}") == int(value * scale)
    for bad in ("", "-1G", "G4", "4 parsecs", "nan", "0"):
        with pytest.raises(InputError, match="--max-memory"):
            parse_size(bad)
