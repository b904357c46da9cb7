"""Per-event posteriors: the calibration metrics can fail, the toy's exact posterior, the (truth, observation) spec,
the flow's training/saving, and ``showerml infer`` on bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.errors import DataFileError
from showerml.inference.calibration import calibrate, coverage, ranks
from showerml.inference.pairs import PRESETS, PairSpec, parse_columns, read_pairs
from showerml.inference.toy import GaussianToy


def _toy_draws(width_scale: float, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    toy = GaussianToy()
    theta, x = toy.simulate(n, np.random.default_rng(1))
    return toy.sample_posterior(x, 1000, np.random.default_rng(2), width_scale), theta


def test_toy_exact_posterior_width_is_0424() -> None:
    assert GaussianToy().posterior_sd == pytest.approx(0.4240, abs=1e-4)


def test_exact_posterior_is_calibrated() -> None:
    draws, theta = _toy_draws(1.0)
    cal = calibrate(draws, theta)
    assert cal.calibration_error[0] <= 0.02
    assert abs(cal.z_sd[0] - 1.0) < 0.06 and abs(cal.z_mean[0]) < 0.08
    # contraction: 1 − s²/σ₀² = 1 − 0.1798/0.64 = 0.719
    assert cal.contraction[0] == pytest.approx(0.719, abs=0.03)
    assert cal.rank_chi2_ndf < 2.0


@pytest.mark.parametrize("scale", [0.8, 1.2])
def test_a_posterior_20_percent_too_narrow_or_wide_is_flagged(scale: float) -> None:
    draws, theta = _toy_draws(scale)
    cal = calibrate(draws, theta)
    assert cal.calibration_error[0] > 0.04  # twice the 0.02 target
    assert abs(cal.z_sd[0] - 1 / scale) < 0.08
    assert cal.rank_chi2_ndf > 3.0


def test_a_biased_posterior_is_flagged() -> None:
    draws, theta = _toy_draws(1.0)
    cal = calibrate(draws + 0.3, theta)
    assert cal.calibration_error[0] > 0.04 and cal.z_mean[0] > 0.5


def test_coverage_of_uniform_ranks_is_the_level() -> None:
    u = (np.arange(10000)[:, None] + 0.5) / 10000
    assert np.allclose(coverage(u)[:, 0], np.arange(20) * 0.05 + 0.025, atol=2e-4)
    assert ranks(np.array([[[0.0]], [[1.0]], [[2.0]]]), np.array([[1.5]]))[0, 0] == pytest.approx(2 / 3)


def _file(path: Path, with_truth: bool = True, n: int = 60) -> Path:
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        e = rng.uniform(1e4, 1e5, n)
        if with_truth:
            f["energy"] = e
            f["slope"] = rng.normal(size=(n, 2))
        f["bgo"] = (e[:, None, None] * rng.uniform(0, 0.01, (n, 14, 22))).astype(np.float32)
    return path


def test_pairs_from_a_file_and_presets(tmp_path: Path) -> None:
    pairs = read_pairs(_file(tmp_path / "a.h5"), PRESETS["dampe-energy-direction"])
    assert pairs.theta.shape == (60, 3) and pairs.x.shape == (60, 308)
    assert pairs.names == ["log10(energy)", "slope[0]", "slope[1]"]
    spec = PairSpec(parse_columns("energy:log10", "t"), parse_columns("bgo:log1p", "o"))
    assert PairSpec.from_json(spec.to_json()) == spec


def test_a_file_without_truth_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no truth dataset 'energy'"):
        read_pairs(_file(tmp_path / "b.h5", with_truth=False), PRESETS["dampe-energy"])


def test_cli_refuses_a_file_without_truth_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from showerml.cli.main import run

    out = tmp_path / "run"
    monkeypatch.setattr(sys, "argv", ["showerml", "infer", "--data", str(_file(tmp_path / "b.h5", False)),
                                      "--out", str(out)])
    with pytest.raises(SystemExit) as exc:
        run()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("error:") and err.count("\n") == 1 and "truth" in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["b.h5"]


def test_flow_trains_saves_and_loads(tmp_path: Path) -> None:
    import torch

    from showerml.inference.posterior import PosteriorConfig, fit_posterior, load_posterior, save_posterior

    theta, x = GaussianToy().simulate(600, np.random.default_rng(0))
    cfg = PosteriorConfig(summary_hidden=(16,), summary_dim=4, hidden=(16,), transforms=1, epochs=2, batch_size=128)
    model, hist = fit_posterior(theta, x, cfg)
    assert hist.epochs_run == 2 and np.isfinite(hist.best_val)
    save_posterior(model, tmp_path / "m")
    again, _ = load_posterior(tmp_path / "m")
    t, xx = torch.tensor(theta[:5], dtype=torch.float32), torch.tensor(x[:5], dtype=torch.float32)
    with torch.no_grad():
        assert torch.allclose(model.log_prob(t, xx), again.log_prob(t, xx))
    assert again.sample(x[:7], 11).shape == (11, 7, 1)


@pytest.mark.slow
def test_toy_flow_posterior_is_calibrated_and_has_the_exact_width() -> None:
    from showerml.inference.posterior import PosteriorConfig, fit_posterior

    toy = GaussianToy()
    theta, x = toy.simulate(20000, np.random.default_rng(0))
    cfg = PosteriorConfig(summary_hidden=(32,), summary_dim=8, hidden=(32, 32), transforms=2, epochs=30,
                          batch_size=512)
    model, _ = fit_posterior(theta, x, cfg)
    tt, xt = toy.simulate(1000, np.random.default_rng(1))
    draws = model.sample(xt, 1000)
    cal = calibrate(draws, tt)
    assert cal.calibration_error[0] <= 0.02
    assert abs(np.median(draws.std(axis=0)) / toy.posterior_sd - 1) < 0.05
