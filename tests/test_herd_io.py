"""HERD files: sparse layout round trip, display, and hostile input (bad cube indices, other detectors' files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.detectors.herd import geometry as geo
from showerml.detectors.herd.simulator import HerdSimulator
from showerml.errors import DataFileError, InputError
from showerml.io.herd import dense_calo, read_herd
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import parse_spectrum


@pytest.fixture(scope="module")
def herd_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("herd") / "e.h5"
    sim = HerdSimulator("e-", chunk_size=10, max_hits=512)
    return simulate_to_file(sim, 24, parse_spectrum("loguniform:20,200"), 7, path, progress=False)


def test_file_reads_back_sparse_and_dense_agree(herd_file: Path) -> None:
    ev = read_herd(herd_file)
    assert len(ev) == 24 and ev.attrs["detector"] == "herd" and ev.attrs["n_cubes"] == geo.N_CUBES
    img = ev.dense()
    assert img.shape == (24, 21, 21, 21)
    np.testing.assert_allclose(img.sum(axis=(1, 2, 3)), ev["calo_energy"].sum(axis=1), rtol=1e-5)
    # the read-out keeps what is above threshold: ≤ the true deposit, close to it for e−
    ratio = ev["calo_energy"].sum(axis=1) / ev["deposit_true"]
    assert (ratio <= 1 + 1e-5).all() and np.median(ratio) > 0.97
    assert (np.abs(np.linalg.norm(ev["direction"], axis=1) - 1) < 1e-5).all()


def test_cube_indices_outside_the_calorimeter_are_refused() -> None:
    for bad in (np.array([geo.N_CELLS]), np.array([-3]), np.array([0])):  # flat 0 is a cut corner cube
        with pytest.raises(InputError, match="outside the calorimeter"):
            geo.check_cube_indices(bad)
    with pytest.raises(InputError, match="outside the calorimeter"):
        dense_calo(np.array([[10 * 441 + 10 * 21 + 10, 99999]]), np.array([[1.0, 2.0]]))
    with pytest.raises(InputError, match="integers"):
        geo.check_cube_indices(np.array([1.5]))


def test_reader_refuses_bad_indices_and_other_detectors(herd_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.h5"
    bad.write_bytes(herd_file.read_bytes())
    with h5py.File(bad, "r+") as f:
        f["calo_index"][0, 0] = 9999
    with pytest.raises(DataFileError, match="outside the calorimeter"):
        read_herd(bad)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["detector"] = "dampe"
        f["energy"] = np.ones(3)
    with pytest.raises(DataFileError, match="not a HERD one"):
        read_herd(other)


@pytest.mark.slow
def test_display_draws_three_projections_and_a_3d_view(herd_file: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from showerml.report.herd_display import draw_herd_event

    fig = draw_herd_event(herd_file, 3)
    assert len(fig.axes) == 5  # three projections, the 3D view, the colour bar
    with pytest.raises(InputError, match="out of range"):
        draw_herd_event(read_herd(herd_file), 99)


def test_simulator_options_are_checked() -> None:
    with pytest.raises(InputError, match="max-hits"):
        HerdSimulator("e-", max_hits=0)
    with pytest.raises(InputError, match="threshold"):
        HerdSimulator("e-", threshold_mev=-1.0)
    with pytest.raises(InputError, match="unknown particle"):
        HerdSimulator("kaon")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", "simulate", "herd", *args, "-q"],
                          capture_output=True, text=True, cwd=cwd, check=False, timeout=120)


def test_cli_bad_energy_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.h5"
    result = _cli("--n", "5", "--out", str(out), "-p", "e-", "--energy", "fixed:2e5", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error:") and "100000 GeV" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.h5*"))


@pytest.mark.slow
def test_cli_writes_identical_files_for_one_and_two_workers(tmp_path: Path) -> None:
    files = []
    for w in ("1", "2"):
        out = tmp_path / f"p{w}.h5"
        r = _cli("--n", "30", "--out", str(out), "-p", "p", "--energy", "fixed:100", "--workers", w, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        files.append(read_herd(out))
    for k in files[0].arrays:
        np.testing.assert_array_equal(files[0][k], files[1][k])
