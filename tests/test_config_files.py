"""``--config FILE.yaml`` for the commands that train or simulate: file values, command-line precedence, shower-model
sections built by their own dataclasses, one-line errors (exit 2, nothing written), resolved settings saved."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from showerml.anomaly.toy import toy_dijets
from showerml.errors import DataFileError, InputError
from showerml.io.config import dataclass_sections, update_dataclass
from showerml.io.hdf5 import read_attrs
from tests.anomaly_helpers import cli, write_dijet_h5


@dataclass(frozen=True)
class _Inner:
    spots: int = 12
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.spots < 1:
            raise InputError(f"spots = {self.spots} is out of range: need a positive spot count")


@dataclass(frozen=True)
class _Model:
    e0_gev: float = 1.0
    inner: _Inner = field(default_factory=_Inner)
    flag: bool = False


@dataclass(frozen=True)
class _Simulator:
    particle: str = "e+"
    model: _Model = field(default_factory=lambda: _Model(e0_gev=2.0))


def test_update_dataclass_keeps_the_base_and_runs_the_constructor_checks() -> None:
    base = dataclass_sections(_Simulator)["model"]
    assert base == _Model(e0_gev=2.0) and set(dataclass_sections(_Simulator)) == {"model"}
    got = update_dataclass(base, {"inner": {"scale": 2}}, "c.yaml", "model")
    assert got == _Model(e0_gev=2.0, inner=_Inner(scale=2.0)) and isinstance(got.inner.scale, float)
    with pytest.raises(DataFileError, match=r"'model.inner.spot' is not a setting of _Inner; valid: spots, scale$"):
        update_dataclass(base, {"inner": {"spot": 3}}, "c.yaml", "model")
    with pytest.raises(DataFileError, match="field 'model.inner.spots' must be an integer"):
        update_dataclass(base, {"inner": {"spots": 2.5}}, "c.yaml", "model")
    with pytest.raises(DataFileError, match=r"^c.yaml: model.inner: spots = -1 is out of range: need a positive"):
        update_dataclass(base, {"inner": {"spots": -1}}, "c.yaml", "model")
    with pytest.raises(DataFileError, match="'model' must be a mapping"):
        update_dataclass(base, [1, 2], "c.yaml", "model")


def _write(path: Path, settings: dict) -> Path:
    path.write_text(yaml.safe_dump(settings))
    return path


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in f if isinstance(f[k], h5py.Dataset)}


def test_simulate_calogan_reads_options_and_shower_models(tmp_path: Path, capsys, monkeypatch) -> None:
    cfg = _write(tmp_path / "c.yaml", {"n": 12, "energy": "uniform:10,20", "seed": 4, "em": {"halo_fraction": 0.05},
                                       "hadron": {"e0_gev": 2.6}})
    code, _, err = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(tmp_path / "a.h5"), "--config",
                       str(cfg), "--n", "8", "-q")
    assert code == 0, err
    attrs = read_attrs(tmp_path / "a.h5")
    saved = json.loads(attrs["config"])
    assert attrs["n_requested"] == 8 and attrs["seed"] == 4  # the command line wins, the file fills the rest
    assert saved["n"] == 8 and saved["energy"] == "uniform:10,20" and saved["em"]["halo_fraction"] == 0.05
    assert saved["em"]["halo_spots_per_gev"] == 55.0  # fields not in the file keep the simulator's calibration
    assert saved["hadron"]["e0_gev"] == 2.6 and "out" not in saved
    # the saved settings are a config file: read back, they give the same events
    back = _write(tmp_path / "back.yaml", saved)
    code, _, err = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(tmp_path / "b.h5"), "--config",
                       str(back), "-q")
    assert code == 0, err
    a, b = _arrays(tmp_path / "a.h5"), _arrays(tmp_path / "b.h5")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    # the em section reaches the simulator: without it the same seed gives other deposits
    code, _, _ = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(tmp_path / "c.h5"), "--n", "8",
                     "--energy", "uniform:10,20", "--seed", "4", "-q")
    assert code == 0
    c = _arrays(tmp_path / "c.h5")
    assert np.array_equal(a["energy"], c["energy"]) and not np.array_equal(a["layer_1"], c["layer_1"])
    assert json.loads(read_attrs(tmp_path / "c.h5")["config"])["em"]["halo_fraction"] != 0.05


@pytest.mark.parametrize(
    ("command", "settings", "message"),
    [
        (["simulate", "calogan"], {"nn": 3}, "'nn' is not a setting here (unknown key)"),
        (["simulate", "calogan"], {"n": "many"}, "field 'n' must be an integer"),
        (["simulate", "calogan"], {"n": 0}, "field 'n' must be an integer > 0"),
        (["simulate", "calogan"], {"workers": 0}, "field 'workers' must be an integer ≥ 1"),
        (["simulate", "calogan"], {"em": {"halo": 0.1}}, "'em.halo' is not a setting of EMConfig; valid: "),
        (["simulate", "calogan"], {"hadron": {"e0_gev": 40.0}}, "hadron shower parameter e0_gev = 40.0"),
        (["simulate", "calogan"], {"hadron": {"em": {"min_spots": 0}}}, "em.min_spots = 0 is out of range"),
        (["simulate", "calochallenge2"], {"hadron": {"k": 0.8}}, "'hadron' is not a setting here"),
        (["simulate", "calogan"], {"out": "x.h5"}, "'out' is not set from a config file: give --out"),
        (["simulate", "dijet"], {"sqrt_s": "high"}, "field 'sqrt_s' must be a number"),
        (["reco", "train", "ep", "--data", "d.h5"], {"epochs": 0}, "field 'epochs' must be an integer ≥ 1"),
        (["reco", "bench", "--data", "d.h5"], {"task": "ep"}, "'task' is not a setting here"),
        (["anomaly", "run", "--data", "d.h5"], {"ensemble": "five"}, "field 'ensemble' must be an integer"),
        (["anomaly", "scan", "--data", "d.h5"], {"sedes": "0,1"}, "'sedes' is not a setting here"),
    ],
)
def test_a_bad_config_is_one_line_exit_2_and_nothing_written(tmp_path: Path, capsys, monkeypatch, command,
                                                            settings, message) -> None:
    cfg = _write(tmp_path / "c.yaml", settings)
    out = tmp_path / ("out.h5" if command[0] == "simulate" else "out")
    code, _, err = cli(capsys, monkeypatch, *command, "--out", str(out), "--config", str(cfg), "-q")
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert message in err and str(cfg) in err, err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_anomaly_run_takes_its_options_from_the_file_and_saves_them(tmp_path: Path, capsys, monkeypatch) -> None:
    data = write_dijet_h5(tmp_path / "pool.h5", toy_dijets(4000, 500, seed=5))
    cfg = _write(tmp_path / "c.yaml", {"data": [str(data)], "method": "supervised", "ensemble": 1, "epochs": 2,
                                       "inject": 150, "seed": 3})
    out = tmp_path / "run"
    code, _, err = cli(capsys, monkeypatch, "anomaly", "run", "--config", str(cfg), "--seed", "4", "--out", str(out),
                       "-q")
    assert code == 0, err
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["method"] == "supervised" and saved["epochs"] == 2 and saved["seed"] == 4
    assert saved["data"] == [str(data)] and "out" not in saved
    run_config = json.loads((out / "config.json").read_text())
    assert run_config["seed"] == 4 and run_config["n_inject"] == 150 and run_config["methods"] == ["supervised"]
