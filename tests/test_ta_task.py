"""The 'ta' reconstruction task end to end on a small simulated sample (slow): standard reconstruction, BDT and
network through the task interface and the CLI, the wrong-window refusal, and MIGRAD against Levenberg–Marquardt
(on the events both reconstructions pass through TA's quality cuts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from showerml.detectors.ta import TaSimulator
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import Spectrum

pytestmark = pytest.mark.slow
SPECTRUM = Spectrum("powerlaw", 3e9, 3e11, 1.0)  # E^-1, 3–300 EeV


@pytest.fixture(scope="module")
def ta_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ta") / "mix.h5"
    simulate_to_file(TaSimulator("p:1,He:1,N:1,Fe:1,photon:1"), 500, SPECTRUM, 11, path, progress=False)
    return path


def test_task_trains_and_evaluates_every_method_on_the_same_events(ta_file: Path, tmp_path: Path) -> None:
    from showerml.reco.data import load_sample, split_indices
    from showerml.reco.registry import get_task
    from showerml.reco.task import RunContext, TrainInfo
    from showerml.reco.tasks.ta import TaResult

    sample = load_sample([ta_file])
    assert sample.detector == "ta" and len(sample) == 500
    task = get_task("ta")
    tr, va, te = (sample.take(i) for i in split_indices(len(sample), 0))
    results = {}
    for method in ("net", "bdt"):
        ctx = RunContext(tmp_path / method, 0, 1, False)
        (tmp_path / method).mkdir()
        info = task.train(method, tr, va, ctx)
        assert not (tmp_path / method / "checkpoints" / "train_traces.h5").exists() or method == "net"
        ev = task.evaluate(tmp_path / method, TrainInfo.from_manifest(info.manifest()), te, ctx)
        results[method] = ev.result
        again = TaResult.from_json(json.loads(json.dumps(ev.result.to_json(), default=float)))
        assert set(again.methods) == set(ev.result.methods)
    std = results["net"].methods["standard"]
    assert 0.1 < std.psf68_deg_above_10eev < 5.0 and 0.02 < std.energy_resolution_above_10eev < 0.6
    net = results["net"].methods["net"]
    assert np.isfinite(net.explained_variance_theta) and np.isfinite(net.ln_a_resolution)
    assert results["bdt"].n_test == results["net"].n_test  # the same test events and cuts for every method
    assert task.targets(results)["ta_ln_a_resolution"]["bdt"] == results["bdt"].methods["bdt"].ln_a_resolution


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", "reco", *args], capture_output=True, text=True,
                          check=False, timeout=1200)


def test_cli_refuses_a_network_input_of_another_window(ta_file: Path, tmp_path: Path) -> None:
    model = tmp_path / "m"
    r = _cli("train", "ta", "--data", str(ta_file), "--out", str(model), "--epochs", "1", "--quiet")
    assert r.returncode == 0, r.stderr
    w5 = tmp_path / "w5.h5"
    simulate_to_file(TaSimulator(window=5), 120, SPECTRUM, 3, w5, progress=False)
    out = tmp_path / "eval.json"
    r = _cli("evaluate", "ta", "--model", str(model), "--data", str(w5), "--out", str(out))
    assert r.returncode == 2
    message = r.stderr.strip()
    assert "expected (events, 6, 6, 128, 2)" in message and len(message.splitlines()) == 1
    assert not out.exists()


def test_migrad_and_levenberg_marquardt_find_the_same_fits(ta_file: Path) -> None:
    from showerml.io.ta import read_ta
    from showerml.reco import ta_lsq
    from showerml.reco.ta_reconstruct import reconstruct
    from showerml.reco.ta_stations import StationArrays

    ev = read_ta(ta_file, slice(0, 40))
    st = StationArrays.from_mapping(ev.arrays)
    fits = {}
    for backend in ta_lsq.BACKENDS:
        old = ta_lsq.DEFAULT_BACKEND
        ta_lsq.DEFAULT_BACKEND = backend
        try:
            fits[backend] = reconstruct(st, ev.grid_xy)
        finally:
            ta_lsq.DEFAULT_BACKEND = old
    a, b = fits["lm"].joint, fits["minuit"].joint
    ok = fits["lm"].quality.passed & fits["minuit"].quality.passed  # events both call good reconstructions
    assert ok.sum() >= 5
    assert np.median(np.degrees(np.abs(a.theta - b.theta)[ok])) < 0.05
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.nanmedian(np.abs(a.s800 / b.s800 - 1)[ok]) < 0.01
        assert np.nanmedian((a.theta_err / b.theta_err)[ok]) == pytest.approx(1.0, abs=0.1)
