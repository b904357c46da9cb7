"""DCTR: weights carry a distorted sample onto the reference (and the metrics see it), ESS, and bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.inference.dctr import dctr, ess, weighted_separation_power


def _pair(n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    cov = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
    ref = rng.multivariate_normal([0, 0, 0], cov, n)
    gen = rng.multivariate_normal([0.3, -0.2, 0.0], cov * 1.2, n)
    return ref, gen


def test_dctr_halves_the_separation_and_brings_the_auc_to_one_half() -> None:
    ref, gen = _pair()
    res = dctr(ref, gen, ["a", "b", "c"])
    assert res.auc_before > 0.57 and abs(res.auc_after - 0.5) < 0.035
    assert res.mean_separation_after <= 0.5 * res.mean_separation_before
    assert 0.3 < res.ess_fraction < 1.0 and res.weights.mean() == pytest.approx(1.0)


def test_separation_power_and_ess_can_fail() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=20000), rng.normal(0.5, 1.0, 20000)
    assert weighted_separation_power(a, a[::-1]) < 1e-12 and weighted_separation_power(a, b) > 0.02
    w = np.exp(-0.5 * b) * np.exp(0.5 * 0.5) / np.exp(0.125)  # exact N(0.5,1) → N(0,1) ratio up to a constant
    assert weighted_separation_power(a, b, w) < 0.005
    assert ess(np.ones(10)) == 10 and ess(np.array([1.0, 0, 0, 0])) == 1


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(InputError, match="equal width"):
        dctr(np.zeros((100, 2)), np.zeros((100, 3)))


def test_cli_refuses_a_pair_of_different_geometry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from showerml.cli.main import run
    from showerml.detectors.geometries import CALOCHALLENGE_2, CALOGAN
    from showerml.io.showers import ShowerData, write_showers

    rng = np.random.default_rng(0)
    for name, geo in (("gen.h5", CALOGAN), ("ref.h5", CALOCHALLENGE_2)):
        write_showers(tmp_path / name, ShowerData(rng.uniform(1e3, 1e4, 50), rng.uniform(0, 10, (50, geo.n_voxels)),
                                                  geo))
    out = tmp_path / "run"
    monkeypatch.setattr(sys, "argv", ["showerml", "reweight", "--generated", str(tmp_path / "gen.h5"),
                                      "--reference", str(tmp_path / "ref.h5"), "--out", str(out)])
    with pytest.raises(SystemExit) as exc:
        run()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("error:") and err.count("\n") == 1 and "geometr" in err
    assert not out.exists()
