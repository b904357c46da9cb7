"""HERD reconstruction tasks through the task interface: selection, detector checks, the baselines, and (slow) one
training of every method with save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from showerml.detectors.herd.simulator import HerdSimulator
from showerml.errors import InputError
from showerml.metrics import reco as M
from showerml.pipelines.simulate import simulate_to_file
from showerml.reco.data import RecoSample, split_indices
from showerml.reco.herd_data import herd_images, herd_points, herd_scalars, load_herd_sample
from showerml.reco.task import RunContext
from showerml.reco.tasks.herd import HerdDirectionTask, HerdEPTask, shower_moments
from showerml.reco.tasks.herd_dampe import DampeArchitecturesTask
from showerml.spectra import parse_spectrum


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> RecoSample:
    d = tmp_path_factory.mktemp("herdtasks")
    files = []
    for particle, n, spec in (("e-", 60, "loguniform:60,300"), ("p", 100, "loguniform:300,1500")):
        path = d / f"{particle}.h5"
        simulate_to_file(HerdSimulator(particle, chunk_size=50), n, parse_spectrum(spec), 3, path, progress=False)
        files.append(path)
    return load_herd_sample(files)


def test_inputs_have_the_documented_shapes(sample: RecoSample) -> None:
    n = len(sample)
    assert herd_images(sample.arrays).shape == (n, 2, 21, 21, 21)
    nodes, mask = herd_points(sample.arrays, 64)
    assert nodes.shape == (n, 64, 6) and mask.shape == (n, 64)
    assert ((mask == 1) == (nodes[..., 5] == 1)).all()
    assert herd_scalars(sample.arrays).shape == (n, 11)


def test_tasks_refuse_another_detectors_events(sample: RecoSample) -> None:
    dampe = RecoSample({"bgo": np.zeros((3, 14, 22)), "pdg": np.array([11, 2212, 11]), "energy": np.ones(3)}, [])
    with pytest.raises(InputError, match="reads HERD events; these are 'dampe' events"):
        HerdEPTask().select(dampe)
    with pytest.raises(InputError, match="reads HERD events"):
        HerdDirectionTask().select(dampe)
    with pytest.raises(InputError, match="reads DAMPE events; these are 'herd' events"):
        DampeArchitecturesTask().select(sample)


def test_moments_separate_electrons_from_protons(sample: RecoSample) -> None:
    """The transverse RMS (R_M units) of electron showers is well below that of protons (can fail: both wide)."""
    s = HerdEPTask().select(sample)
    x = shower_moments(s.arrays)
    e = np.abs(s["pdg"]) == 11
    assert np.median(x[e, 0]) < 1.5 < np.median(x[~e, 0])
    score = -x[:, 0]
    assert M.rejection_at_efficiency(score[e], score[~e], 0.9).rejection > 3.0


@pytest.mark.slow
def test_every_method_trains_evaluates_and_reloads(sample: RecoSample, tmp_path: Path) -> None:
    tr, va, te = (sample.take(i) for i in split_indices(len(sample), 0, (0.4, 0.3, 0.3)))
    task = HerdEPTask()
    for method in ("moments", "cnn3d", "vit", "gnn"):
        ctx = RunContext(tmp_path / method, 0, 1)
        info = task.train(method, tr, va, ctx)
        ev = task.evaluate(ctx.out, info, te)
        assert set(ev.result.methods) == {method, "moments"}
        assert type(ev.result).from_json(ev.result.to_json()) == ev.result
    d = HerdDirectionTask()
    ctx = RunContext(tmp_path / "dir", 0, 1)
    info = d.train("cnn3d", tr, va, ctx)
    res = d.evaluate(ctx.out, info, te).result
    assert {"cnn3d", "pca"} == set(res.methods)


def test_herd_tasks_run_from_the_reco_cli(sample: RecoSample, tmp_path: Path) -> None:
    """`showerml reco train|evaluate` read HERD files (registered tasks); a DAMPE task refuses them in one line."""
    import subprocess
    import sys

    def reco(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "showerml.cli.main", "reco", *map(str, args)],
                              capture_output=True, text=True, cwd=tmp_path, check=False)

    from showerml.reco.registry import task_names

    assert {"herd-ep", "herd-direction", "ep-arch"} <= set(task_names())
    data = [a for f in sample.sources for a in ("--data", f)]
    r = reco("train", "herd-ep", "--method", "moments", *data, "--out", tmp_path / "m", "-q")
    assert r.returncode == 0, r.stderr
    r = reco("evaluate", "herd-ep", "--model", tmp_path / "m", *data, "--out", tmp_path / "ev.json")
    assert r.returncode == 0, r.stderr
    assert "moments" in (tmp_path / "ev.json").read_text()
    r = reco("train", "ep", *data, "--out", tmp_path / "bad", "-q")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "bad").exists()
