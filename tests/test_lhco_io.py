"""Reading LHCO R&D features: CATHODE .npy (TeV), the official pandas HDF5 table (GeV), showerml files."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.errors import DataFileError
from showerml.io.lhco import JET_COLUMNS, read_dijet, read_dijet_files

ALL_COLUMNS = [f"{v}j{j}" for j in (1, 2) for v in ("px", "py", "pz", "m", "tau1", "tau2", "tau3")] + ["label"]


def _jets(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Back-to-back jets of p_T 1.5 TeV at rapidities ±0.3 (GeV), masses 100 and 500, known τ."""
    rng = np.random.default_rng(seed)
    phi = rng.uniform(-np.pi, np.pi, n)
    pt, eta = 1500.0, 0.3
    cols = {
        "pxj1": pt * np.cos(phi), "pyj1": pt * np.sin(phi), "pzj1": np.full(n, pt * np.sinh(eta)),
        "mj1": np.full(n, 500.0), "tau1j1": np.full(n, 0.5), "tau2j1": np.full(n, 0.1), "tau3j1": np.full(n, 0.05),
        "pxj2": -pt * np.cos(phi), "pyj2": -pt * np.sin(phi), "pzj2": np.full(n, -pt * np.sinh(eta)),
        "mj2": np.full(n, 100.0), "tau1j2": np.full(n, 0.4), "tau2j2": np.full(n, 0.3), "tau3j2": np.full(n, 0.2),
        "label": (np.arange(n) % 2).astype(float),
    }
    return cols


def _expected_mjj() -> float:
    pt, eta = 1500.0, 0.3
    e1 = np.sqrt((pt * np.cosh(eta)) ** 2 + 500.0**2)
    e2 = np.sqrt((pt * np.cosh(eta)) ** 2 + 100.0**2)
    return float(np.sqrt((e1 + e2) ** 2))


def _write_pandas_fixed(path: Path, cols: dict[str, np.ndarray], names: list[str]) -> None:
    """The layout pandas ``to_hdf(key='df')`` writes in its default fixed format (checked against pandas)."""
    with h5py.File(path, "w") as f:
        g = f.create_group("df")
        g.attrs.update(pandas_type=b"frame", nblocks=1, ndim=2)
        g["axis0"] = np.array([n.encode() for n in names])
        g["axis1"] = np.arange(len(cols[names[0]]))
        g["block0_items"] = np.array([n.encode() for n in names])
        g["block0_values"] = np.stack([cols[n] for n in names], axis=1)


def test_official_features_table(tmp_path: Path) -> None:
    path = tmp_path / "events_anomalydetection_v2.features.h5"
    _write_pandas_fixed(path, _jets(50), ALL_COLUMNS)
    s = read_dijet(path)
    assert s.features.shape == (50, 5)
    assert np.allclose(s.features[:, 0], _expected_mjj(), rtol=1e-9)
    assert np.allclose(s.features[:, 1], 100.0) and np.allclose(s.features[:, 2], 400.0)  # lighter jet first
    assert np.allclose(s.features[:, 3], 0.75) and np.allclose(s.features[:, 4], 0.2)  # τ21 follows the mass order
    assert list(s.label[:4]) == [0, 1, 0, 1]


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None or importlib.util.find_spec("tables") is None,
                    reason="pandas + tables (showerml[lhco]) not installed")
@pytest.mark.parametrize("fmt", ["fixed", "table", "table_data_columns"])
def test_real_pandas_files(tmp_path: Path, fmt: str) -> None:
    """Files written by pandas itself, read by showerml with h5py alone (pandas.read_hdf is never called)."""
    import pandas as pd

    path = tmp_path / f"{fmt}.h5"
    frame = pd.DataFrame(_jets(30))
    if fmt == "table_data_columns":  # every column its own field of the table
        frame.to_hdf(path, key="df", format="table", data_columns=True)
    else:
        frame.to_hdf(path, key="df", format=fmt)
    s = read_dijet(path)
    assert np.allclose(s.features[:, 0], _expected_mjj())
    assert np.allclose(s.features[:, 3], 0.75) and list(s.label[:4]) == [0, 1, 0, 1]


def test_missing_columns_and_tev_units(tmp_path: Path) -> None:
    cols = _jets(20)
    bad = tmp_path / "bad.h5"
    _write_pandas_fixed(bad, cols, [c for c in ALL_COLUMNS if c != "tau2j2"])
    with pytest.raises(DataFileError, match="lacks columns tau2j2"):
        read_dijet(bad)
    tev = tmp_path / "tev.h5"
    scaled = {k: (v / 1000 if not k.startswith(("tau", "label")) else v) for k, v in cols.items()}
    _write_pandas_fixed(tev, scaled, ALL_COLUMNS)
    with pytest.raises(DataFileError, match="look like TeV"):
        read_dijet(tev)
    assert set(JET_COLUMNS) < set(ALL_COLUMNS)


def test_cathode_npy_tev_to_gev(tmp_path: Path) -> None:
    rows = np.array([[3.5, 0.1, 0.4, 0.3, 0.2, 1.0], [2.9, 0.15, 0.1, 0.7, 0.6, 0.0]] * 10)
    path = tmp_path / "innerdata.npy"
    np.save(path, rows)
    s = read_dijet(path)
    assert np.allclose(s.features[:2, :3], [[3500, 100, 400], [2900, 150, 100]])
    assert list(s.label[:2]) == [1, 0]
    both = read_dijet_files([path, path])
    assert len(both) == 40


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array([[3500.0, 100.0, 400.0, 0.3, 0.2, 1.0]] * 5), "look like GeV"),
        (np.ones((5, 4)), "layout is \\(N, 6\\)"),
        (np.array([[3.5, 0.1, 0.4, 2.9, 3.1, 1.0]] * 5), "wrong order"),
        (np.array([[3.5, 3.6, 0.4, 0.3, 0.2, 1.0]] * 5), "inconsistent"),
        (np.array([[3.5, 0.1, 0.4, 0.3, 0.2, 7.0]] * 5), "label"),
    ],
)
def test_cathode_npy_errors(tmp_path: Path, array: np.ndarray, message: str) -> None:
    path = tmp_path / "x.npy"
    np.save(path, array)
    with pytest.raises(DataFileError, match=message):
        read_dijet(path)


def test_cli_bad_file_exits_2_without_output(tmp_path: Path) -> None:
    path = tmp_path / "gev.npy"
    np.save(path, np.array([[3500.0, 100.0, 400.0, 0.3, 0.2, 1.0]] * 5))
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "showerml.cli.main", "anomaly", "run", "--data", str(path), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "look like GeV" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
