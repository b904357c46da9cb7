"""showerml integrate: the integrators count every call, their error bars are checked by pulls, bad input stops
everything (exit 2, one line, nothing written)."""

import math
import sys
from dataclasses import replace

import h5py
import numpy as np
import pytest
import torch

from showerml.integration.coverage import pull_summary
from showerml.integration.integrands import camel, correlated_gauss, gauss
from showerml.integration.nis import NISConfig, integrate_nis
from showerml.integration.vegas_baseline import integrate_vegas

TINY = NISConfig(batch=1000, eval_batch=2000, layers=2, hidden=16, bins=8, buffered_steps=1)


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _cli(monkeypatch, capsys, *args):
    from showerml.cli import main

    monkeypatch.setattr(sys, "argv", ["showerml", "integrate", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main.run()
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_nis_counts_every_call_and_learns():
    g = camel(2)
    r = integrate_nis(g, 8000, seed=0, config=TINY)
    assert r.calls == 8000 and r.calls_training == 4000  # training included in the budget, nothing beyond it
    assert r.estimate.n == 4000 and abs(r.pull) < 4
    assert r.points is not None and r.points.shape == (4000, 2) and (r.points >= 0).all() and (r.points <= 1).all()
    assert r.weights.ess_over_n > 0.3  # a flat sampler gets 0.19 on camel2


def test_vegas_pulls_and_that_lying_errors_are_flagged():
    g = gauss(2)
    results = [integrate_vegas(g, 20_000, seed=s, keep_points=False) for s in range(20)]
    assert all(r.calls <= 20_000 for r in results)
    pulls = np.array([r.pull for r in results])
    assert pull_summary(pulls).ok, pull_summary(pulls)
    shrunk = pulls * 2  # the same results with error bars halved
    assert not pull_summary(shrunk).ok
    sigma = np.array([r.estimate.error for r in results])
    biased = np.array([(r.estimate.value * 1.002 - g.exact) / s for r, s in zip(results, sigma, strict=True)])
    assert not pull_summary(biased).ok  # a 0.2 % bias at ~0.05 % errors


def test_vegas_is_confidently_wrong_on_the_correlated_ridge():
    g = correlated_gauss(4, 0.99)
    r = integrate_vegas(g, 100_000, seed=0, keep_points=False)
    assert abs(r.pull) > 3  # the failure mode NIS is benchmarked against (benchmarks/bench_integrate.py)


def test_cli_happy_path_writes_events(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    code, stdout, _ = _cli(monkeypatch, capsys, "--integrand", "gauss2", "--method", "nis,vegas", "--calls", "6e3",
                           "--batch", "1000", "--buffered-steps", "0", "--seed", "3", "--out", out)
    assert code == 0, stdout
    assert "nis" in stdout and "vegas" in stdout
    import json

    res = json.loads((out / "results.json").read_text())
    assert [r["method"] for r in res["results"]] == ["nis", "vegas"]
    assert all(r["calls"] <= 6000 for r in res["results"])
    with h5py.File(out / "events_nis.h5") as f:
        x = f["x"][:]
        assert x.ndim == 2 and x.shape[1] == 2 and len(x) > 0 and f.attrs["integrand"] == "gauss2"


BAD_USER = """
import numpy as np
def nan(x):
    return np.where(x[:, 0] > 0.5, np.nan, 1.0)
def negative(x):
    return x[:, 0] - 0.5
def shape(x):
    return np.ones((len(x), 3))
def loop(x):
    return float(x[0, 0])
"""


@pytest.mark.parametrize(("args", "message"), [
    (["--integrand", "{mod}:nan", "--dim", "2"], "nan"),
    (["--integrand", "{mod}:negative", "--dim", "2"], "negative"),
    (["--integrand", "{mod}:shape", "--dim", "2"], "shape"),
    (["--integrand", "{mod}:loop", "--dim", "2"], "shape"),
    (["--integrand", "{mod}:missing", "--dim", "2"], "no function"),
    (["--integrand", "{mod}:nan"], "--dim"),
    (["--integrand", "camel4", "--calls", "1500"], "smaller than one training batch"),
    (["--integrand", "camel4", "--calls", "abc"], "--calls"),
    (["--integrand", "camel99x"], "unknown integrand"),
    (["--integrand", "camel2", "--method", "mc"], "--method"),
    (["--integrand", "camel2", "--loss", "l2"], "--loss"),
])
def test_cli_bad_input_exit_2_nothing_written(tmp_path, monkeypatch, capsys, args, message):
    mod = tmp_path / "user_f.py"
    mod.write_text(BAD_USER)
    out = tmp_path / "run"
    args = [a.format(mod=mod) for a in args]
    code, stdout, err = _cli(monkeypatch, capsys, *args, "--method", "nis", "--calls", "2000", "--batch", "1000",
                             "--out", out) if "--method" not in args and "--calls" not in args else \
        _cli(monkeypatch, capsys, *args, "--batch", "1000", "--out", out)
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message.lower() in lines[0].lower(), err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["user_f.py"] or all(
        p.name in ("user_f.py", "__pycache__") for p in tmp_path.iterdir())


def test_kl_and_variance_losses_both_train():
    g = camel(2)
    for loss in ("kl", "variance"):
        r = integrate_nis(g, 8000, seed=1, config=replace(TINY, loss=loss), keep_points=False)
        assert math.isfinite(r.estimate.value) and r.weights.ess_over_n > 0.25, (loss, r.weights)


@pytest.mark.slow
def test_madnis_runs_on_the_same_budget():
    pytest.importorskip("madnis")
    from showerml.integration.madnis_baseline import MadnisConfig, integrate_madnis

    r = integrate_madnis(camel(2), 20_000, seed=0, config=MadnisConfig(batch=2000, eval_batch=5000))
    assert r.calls == 20_000 and abs(r.pull) < 4


@pytest.mark.slow
def test_nis_pulls_over_20_seeds():
    g = correlated_gauss(2, 0.9)
    cfg = replace(TINY, batch=2000, eval_batch=10_000, layers=4, hidden=32)
    pulls = [integrate_nis(g, 30_000, seed=s, config=cfg, keep_points=False).pull for s in range(20)]
    assert pull_summary(pulls).ok, pull_summary(pulls)


@pytest.mark.slow
def test_circles_exact_value_recomputed():
    from showerml.integration.integrands import CIRCLES_EXACT, circles_exact

    assert circles_exact() == pytest.approx(CIRCLES_EXACT, rel=1e-9)


def test_multichannel_nis_on_the_z_pole():
    from showerml.integration.multichannel import integrate_multichannel
    from showerml.integration.zpole import zpole_channels, zpole_integrand

    f = zpole_integrand(False)
    r = integrate_multichannel(f, zpole_channels(), 8000, seed=0, config=TINY)
    assert r.calls == 8000 and abs(r.pull) < 4 and set(r.settings["per_channel"]) == {"breit-wigner", "flat"}
