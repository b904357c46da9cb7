"""All six anomaly methods run through ``showerml anomaly run`` on LHC Olympics-format inputs: the CATHODE ``.npy``
(masses in TeV) and the official R&D features HDF5 (per-jet momenta, masses and τ_N in GeV)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.anomaly import METHODS
from showerml.anomaly.toy import toy_dijets
from showerml.io.lhco import read_dijet

N_BKG, N_SIG = 6000, 800


def _back_to_back_jets(features: np.ndarray) -> dict[str, np.ndarray]:
    """Per-jet columns of the official features file whose m_jj, masses and τ21 reproduce ``features`` (GeV).

    Jets back to back along x: |p| = √((M² − (m₁+m₂)²)(M² − (m₁−m₂)²)) / (2M) gives the two-body mass M.
    """
    mjj, m1, dm, t1, t2 = features.T
    m2 = m1 + dm
    p = np.sqrt((mjj**2 - (m1 + m2) ** 2) * (mjj**2 - (m1 - m2) ** 2)) / (2 * mjj)
    zero = np.zeros_like(p)
    cols = {"pxj1": p, "pyj1": zero, "pzj1": zero, "mj1": m1, "tau1j1": np.ones_like(p), "tau2j1": t1,
            "tau3j1": 0.5 * t1, "pxj2": -p, "pyj2": zero, "pzj2": zero, "mj2": m2, "tau1j2": np.ones_like(p),
            "tau2j2": t2, "tau3j2": 0.5 * t2}
    return cols


def _write_official(path: Path, features: np.ndarray, label: np.ndarray) -> None:
    """The pandas fixed-format layout of ``events_anomalydetection_v2.features.h5``."""
    cols = {**_back_to_back_jets(features), "label": label.astype(np.float64)}
    names = list(cols)
    with h5py.File(path, "w") as f:
        g = f.create_group("df")
        g.attrs.update(pandas_type=b"frame", nblocks=1, ndim=2)
        g["axis0"] = np.array([n.encode() for n in names])
        g["axis1"] = np.arange(len(label))
        g["block0_items"] = np.array([n.encode() for n in names])
        g["block0_values"] = np.stack([cols[n] for n in names], axis=1)


@pytest.fixture(scope="module")
def lhco_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pool = toy_dijets(N_BKG, N_SIG, seed=4)
    folder = tmp_path_factory.mktemp("lhco")
    npy = folder / "events_cathode.npy"
    np.save(npy, np.column_stack([pool.features / np.array([1000, 1000, 1000, 1, 1]), pool.label]))
    official = folder / "events_anomalydetection_v2.features.h5"
    _write_official(official, pool.features, pool.label)
    for path in (npy, official):  # both layouts give back the same events, in GeV
        assert np.allclose(read_dijet(path).features, pool.features, rtol=1e-6, atol=1e-6)
    return {"npy": npy, "official": official}


@pytest.mark.parametrize("layout", ["npy", "official"])
def test_all_six_methods_on_lhco_layouts(lhco_files: dict[str, Path], layout: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from showerml.cli.main import run

    out = tmp_path / "run"
    argv = ["showerml", "anomaly", "run", "--data", str(lhco_files[layout]), "--out", str(out), "--inject", "300",
            "--ensemble", "1", "--epochs", "6", "--seed", "1", "-q"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exc:
        run()
    assert int(exc.value.code or 0) == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["methods"]) == set(METHODS)
    for name, m in metrics["methods"].items():
        assert np.isfinite(m["max_sic"]) and m["max_sic"] > 0, name
    # a strong injection (S/B ≈ 10 % in the SR): the labelled method finds the signal on either layout
    assert metrics["methods"]["supervised"]["max_sic"] > 2.0
    assert (out / "report.html").exists()
