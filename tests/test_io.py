import h5py
import numpy as np
import pytest

from showerml.detectors.geometries import CALOCHALLENGE_2, CALOGAN, calochallenge_binning_from_xml
from showerml.errors import DataFileError, InputError
from showerml.io import EventWriter, ShowerData, ShowerFile, load_showers, write_showers
from showerml.io.hdf5 import read_attrs

from .conftest import SHARED_DATA


def _random_showers(n: int, geometry, seed: int = 0) -> ShowerData:
    rng = np.random.default_rng(seed)
    voxels = rng.exponential(10.0, (n, geometry.n_voxels)).astype(np.float32) * (
        rng.random((n, geometry.n_voxels)) < 0.3
    )
    return ShowerData(rng.uniform(1e3, 1e5, n), voxels, geometry, rng.exponential(1.0, (n, geometry.n_layers)))


def test_calogan_layout_round_trip(tmp_path):
    data = _random_showers(50, CALOGAN)
    path = write_showers(tmp_path / "a.h5", data, attrs={"particle": "e+"})
    with h5py.File(path) as f:
        assert f["energy"].shape == (50, 1) and f["layer_0"].shape == (50, 3, 96)
        assert f["layer_1"].shape == (50, 12, 12) and f["layer_2"].shape == (50, 12, 6)
        assert f["layer_0"].compression == "gzip"
        assert f["energy"][0, 0] == pytest.approx(data.incident[0] / 1000)  # GeV in the CaloGAN layout
    back = load_showers(path)
    np.testing.assert_allclose(back.incident, data.incident)
    np.testing.assert_array_equal(back.voxels, data.voxels)
    assert back.geometry == CALOGAN and read_attrs(path)["particle"] == "e+"


def test_calochallenge_layout_round_trip_and_chunks(tmp_path):
    data = _random_showers(120, CALOCHALLENGE_2, seed=3)
    path = write_showers(tmp_path / "cc.h5", data)
    with h5py.File(path) as f:
        assert f["showers"].shape == (120, 6480) and f["incident_energies"].shape == (120, 1)
    file = ShowerFile(path)
    chunks = list(file.iter_chunks(chunk_size=50))
    assert [len(c) for c in chunks] == [50, 50, 20]
    np.testing.assert_array_equal(np.concatenate([c.voxels for c in chunks]), data.voxels)


def test_plain_calochallenge_file_without_attributes_is_recognised(tmp_path):
    """A user's challenge file holds only the two datasets; the voxel count identifies dataset 2."""
    path = tmp_path / "user.h5"
    with h5py.File(path, "w") as f:
        f["incident_energies"] = np.full((4, 1), 1000.0)
        f["showers"] = np.zeros((4, 6480))
    assert ShowerFile(path).geometry == CALOCHALLENGE_2


def test_unknown_voxel_count_asks_for_binning(tmp_path):
    path = tmp_path / "user.h5"
    with h5py.File(path, "w") as f:
        f["incident_energies"] = np.full((4, 1), 1000.0)
        f["showers"] = np.zeros((4, 368))
    with pytest.raises(DataFileError, match="--binning"):
        ShowerFile(path)
    xml = SHARED_DATA / "calochallenge_binning_dataset_1_photons.xml"
    if xml.exists():
        assert ShowerFile(path, binning=xml).geometry.n_voxels == 368


def test_binning_xml_of_dataset_2_matches_builtin_geometry():
    xml = SHARED_DATA / "calochallenge_binning_dataset_2.xml"
    if not xml.exists():
        pytest.skip("CaloChallenge binning XML not found in ../shared/data")
    geo = calochallenge_binning_from_xml(xml)
    assert geo.n_voxels == CALOCHALLENGE_2.n_voxels == 6480
    assert [layer.r_edges for layer in geo.layers] == [layer.r_edges for layer in CALOCHALLENGE_2.layers]


def _calogan_file(path, **override):
    arrays = {
        "energy": np.full((5, 1), 10.0),
        "layer_0": np.ones((5, 3, 96)),
        "layer_1": np.ones((5, 12, 12)),
        "layer_2": np.ones((5, 12, 6)),
    }
    arrays.update(override)
    with h5py.File(path, "w") as f:
        for k, v in arrays.items():
            if v is not None:
                f[k] = v
    return path


@pytest.mark.parametrize(
    "override, message",
    [
        ({"layer_1": None}, "missing dataset 'layer_1'"),
        ({"layer_1": np.ones((5, 12, 11))}, "shape"),
        ({"layer_2": np.full((5, 12, 6), np.nan)}, "NaN or inf"),
        ({"layer_0": -np.ones((5, 3, 96))}, "negative energies"),
        ({"energy": np.zeros((5, 1))}, "non-positive incident"),
        ({"layer_2": np.ones((4, 12, 6))}, "different numbers of events"),
    ],
)
def test_bad_files_get_one_line_errors_naming_the_file(tmp_path, override, message):
    path = _calogan_file(tmp_path / "bad.h5", **override)
    with pytest.raises(DataFileError, match=message) as info:
        load_showers(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_truncated_and_foreign_files(tmp_path):
    good = write_showers(tmp_path / "good.h5", _random_showers(200, CALOGAN))
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataFileError, match="truncated"):
        load_showers(truncated)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(DataFileError, match="not a CaloGAN"):
        load_showers(other)
    with pytest.raises(DataFileError, match="no such file"):
        load_showers(tmp_path / "missing.h5")


def test_writer_is_atomic_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "events.h5"
    with pytest.raises(RuntimeError):
        with EventWriter(path) as w:
            w.append({"x": np.zeros((10, 2))})
            raise RuntimeError("simulated crash")
    assert not path.exists() and list(tmp_path.iterdir()) == []
    with EventWriter(path) as w:
        w.append({"x": np.zeros((10, 2))})
    before = path.read_bytes()
    with pytest.raises(InputError, match="--overwrite"):
        EventWriter(path)
    assert path.read_bytes() == before
    with EventWriter(path, overwrite=True) as w:
        w.append({"x": np.ones((3, 2))})
    with h5py.File(path) as f:
        assert f["x"].shape == (3, 2) and f.attrs["n_events"] == 3 and "showerml_version" in f.attrs


def test_unwritable_output_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        EventWriter(tmp_path / "no" / "such" / "dir.h5")


def test_a_kill_while_the_writer_opens_leaves_no_temporary_file(tmp_path, monkeypatch):
    """SIGTERM becomes KeyboardInterrupt; arriving while the temporary HDF5 file is being set up (before the
    with-block runs), it must still remove the file."""
    import showerml.io.hdf5 as hdf5

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hdf5.h5py, "File", killed)
    with pytest.raises(KeyboardInterrupt):
        with EventWriter(tmp_path / "out.h5"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_output_name_mistakes_say_what_is_wrong(tmp_path):
    """An empty --out and a folder given as --out are named as such (not "exists; pass --overwrite")."""
    from showerml.io.hdf5 import check_output_path

    with pytest.raises(InputError, match="--out is empty"):
        check_output_path("", overwrite=False)
    with pytest.raises(InputError, match="is a folder; give a file name"):
        check_output_path(tmp_path, overwrite=False)
    with pytest.raises(InputError, match="is a folder; give a file name"):
        check_output_path(tmp_path, overwrite=True)


def test_temporary_files_carry_the_writer_pid_and_stale_ones_are_found(tmp_path):
    """A writer's temporary file names its process; the leftovers of a dead writer are found and removed by the
    next writer of the same target, while a live writer's file is left alone."""
    import os
    import subprocess
    import sys

    from showerml.io.atomic import atomic_write_bytes, stale_temp_files, temp_files_in

    path = tmp_path / "events.h5"
    with EventWriter(path) as w:
        (tmp,) = temp_files_in(tmp_path, "events.h5")
        assert tmp.pid == os.getpid() and not tmp.stale
        w.append({"x": np.zeros((2, 2))})
    assert temp_files_in(tmp_path) == []
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = tmp_path / f".notes.txt.{proc.pid}@{tmp.host}.zz9.tmp"
    dead.write_text("half")
    live = tmp_path / f".notes.txt.{os.getpid()}@{tmp.host}.zz8.tmp"
    live.write_text("half")
    assert stale_temp_files(tmp_path / "notes.txt") == [dead]
    atomic_write_bytes(tmp_path / "notes.txt", b"done")
    assert not dead.exists() and live.exists() and (tmp_path / "notes.txt").read_bytes() == b"done"
