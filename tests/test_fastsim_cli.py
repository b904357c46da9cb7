"""``showerml fastsim``: train → sample through the command line, the out-of-range warning, and every bad input
(voxel count, not-a-model folder, NaN in data, bad options) as a one-line error with exit code 2 and no output."""

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest
import yaml

from showerml.io.showers import load_showers, write_showers
from tests.fastsim_helpers import SMALL, simulated

ENV = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}


def showerml(*args):
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=ENV)


def one_line_error(r):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("fastsim_cli")
    calogan = write_showers(root / "calogan.h5", simulated("calogan", 200))
    ds2 = write_showers(root / "ds2.h5", simulated("calochallenge2", 120))
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump({"model": SMALL["cfm"], "train": {"epochs": 1, "batch_size": 64}}))
    flow_cfg = root / "flow.yaml"
    flow_cfg.write_text(yaml.safe_dump({"model": SMALL["caloflow"], "train": {"epochs": 1, "batch_size": 64}}))
    return {"root": root, "calogan": calogan, "ds2": ds2, "config": config, "flow": flow_cfg}


def test_train_then_sample(files, tmp_path):
    model = tmp_path / "cfm"
    r = showerml("fastsim", "train", "--data", files["calogan"], "--model", "cfm", "--config", files["config"],
                 "--out", model, "--seed", 3, "--quiet")
    assert r.returncode == 0, r.stderr
    assert {"config.json", "weights.safetensors", "training.json", "checkpoints"} <= {p.name for p in model.iterdir()}
    out = tmp_path / "gen.h5"
    r = showerml("fastsim", "sample", "--model", model, "--n", 40, "--energy", "uniform:2,90", "--out", out,
                 "--seed", 1)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    gen = load_showers(out)
    assert gen.voxels.shape == (40, 504) and np.all(gen.voxels >= 0)
    assert 2e3 <= gen.incident.min() and gen.incident.max() <= 9e4
    with h5py.File(out) as f:
        assert f.attrs["generator"] == "cfm" and "warning" not in f.attrs
    # energies from a file, partly outside the training range: a warning, recorded in the file
    far = tmp_path / "far.h5"
    src = simulated("calogan", 200).subset(slice(0, 10))
    src.incident = src.incident * 3
    write_showers(far, src)
    out2 = tmp_path / "gen2.h5"
    r = showerml("fastsim", "sample", "--model", model, "--energies-from", far, "--out", out2, "--steps", 2)
    assert r.returncode == 0 and "warning:" in r.stderr and "outside the training range" in r.stderr
    with h5py.File(out2) as f:
        assert "outside the training range" in f.attrs["warning"]
        assert f.attrs["sampling"] == '{"steps": 2}'  # a sampler setting is recorded in the file
    # sampler settings: a step count ≤ 0 or an option the model lacks → one line, nothing written
    out3 = tmp_path / "gen3.h5"
    msg = one_line_error(showerml("fastsim", "sample", "--model", model, "--n", 5, "--energy", "fixed:10",
                                  "--out", out3, "--steps", 0))
    assert "positive number of steps" in msg and not out3.exists()
    msg = one_line_error(showerml("fastsim", "sample", "--model", model, "--n", 5, "--energy", "fixed:10",
                                  "--out", out3, "--sampler", "heun"))
    assert "no sampling option(s) ['sampler']" in msg and not out3.exists()
    # resume of a finished run is a no-op that keeps the model
    r = showerml("fastsim", "train", "--data", files["calogan"], "--model", "cfm", "--config", files["config"],
                 "--out", model, "--seed", 3, "--resume", "--quiet")
    assert r.returncode == 0, r.stderr


def test_student_with_a_teacher_of_another_geometry_is_refused(files, tmp_path):
    teacher = tmp_path / "teacher"
    r = showerml("fastsim", "train", "--data", files["calogan"], "--model", "caloflow", "--config", files["flow"],
                 "--out", teacher, "--quiet")
    assert r.returncode == 0, r.stderr
    student = tmp_path / "student"
    msg = one_line_error(showerml("fastsim", "train", "--data", files["ds2"], "--model", "student", "--teacher",
                                  teacher,
                                  "--out", student, "--quiet"))
    assert "6480 voxels" in msg and "504 voxels" in msg
    assert not student.exists()
    msg = one_line_error(showerml("fastsim", "train", "--data", files["calogan"], "--model", "student",
                                  "--out", student))
    assert "--teacher" in msg


def test_bad_inputs_exit_2_without_output(files, tmp_path):
    out = tmp_path / "x.h5"
    not_model = tmp_path / "empty"
    not_model.mkdir()
    msg = one_line_error(showerml("fastsim", "sample", "--model", not_model, "--n", 5, "--energy", "fixed:10",
                                  "--out", out))
    assert "not a showerml model folder" in msg
    msg = one_line_error(showerml("fastsim", "sample", "--model", files["root"], "--n", 5, "--energy", "fixed:10",
                                  "--out", out))
    assert "not a showerml model" in msg
    assert not out.exists()
    bad = tmp_path / "nan.h5"
    with h5py.File(bad, "w") as f:
        showers = simulated("calochallenge2", 120).voxels[:20].copy()
        showers[3, 7] = np.nan
        f["showers"] = showers
        f["incident_energies"] = np.full((20, 1), 1e4)
    msg = one_line_error(showerml("fastsim", "train", "--data", bad, "--model", "cfm", "--out", tmp_path / "m"))
    assert "NaN" in msg and not (tmp_path / "m").exists()
    msg = one_line_error(showerml("fastsim", "train", "--data", files["calogan"], "--model", "flowy", "--out",
                                  tmp_path / "m"))
    assert "unknown model 'flowy'" in msg and "cfm" in msg
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("train: {epochz: 3}\n")
    msg = one_line_error(showerml("fastsim", "train", "--data", files["calogan"], "--model", "cfm", "--config", cfg,
                                  "--out", tmp_path / "m"))
    assert "epochz" in msg and not (tmp_path / "m").exists()


def test_bench_bad_options_exit_2(files, tmp_path):
    msg = one_line_error(showerml("fastsim", "bench", "--data", files["calogan"], "--out", tmp_path / "b",
                                  "--models", "cfm,flowy"))
    assert "--models" in msg
    msg = one_line_error(showerml("fastsim", "bench", "--data", files["calogan"], "--out", tmp_path / "b",
                                  "--n-reference", 150))
    assert "too few" in msg


@pytest.mark.slow
def test_bench_writes_the_comparison(tmp_path):
    data = write_showers(tmp_path / "e.h5", simulated("calogan", 1300, seed=5))
    out = tmp_path / "bench"
    r = showerml("fastsim", "bench", "--data", data, "--out", out, "--models", "cfm,vae", "--n-reference", 600,
                 "--epoch-scale", 0.07, "--quiet")
    assert r.returncode == 0, r.stderr
    assert {"metrics.json", "comparison.json", "report.html", "models", "samples"} <= {p.name for p in out.iterdir()}
    import json

    rows = json.loads((out / "comparison.json").read_text())
    assert set(rows) == {"cfm", "vae"} and all(0.5 <= r["auc_low_level"] <= 1.0 for r in rows.values())


@pytest.mark.slow
def test_every_model_trains_resumes_and_samples(files, tmp_path):
    cfgs = {}
    for kind, hp in SMALL.items():
        cfgs[kind] = tmp_path / f"{kind}.yaml"
        cfgs[kind].write_text(yaml.safe_dump({"model": hp, "train": {"epochs": 2, "batch_size": 64}}))
    for kind in ["caloflow", "student", "cfm", "ddpm", "edm", "vae", "gan"]:
        model = tmp_path / kind
        extra = ["--teacher", tmp_path / "caloflow"] if kind == "student" else []
        r = showerml("fastsim", "train", "--data", files["calogan"], "--model", kind, "--config", cfgs[kind],
                     "--out", model, "--quiet", *extra)
        assert r.returncode == 0, (kind, r.stderr)
        (model / "config.json").unlink()  # as if killed before the final save: resume from the checkpoint
        r = showerml("fastsim", "train", "--data", files["calogan"], "--model", kind, "--config", cfgs[kind],
                     "--out", model, "--quiet", "--resume", *extra)
        assert r.returncode == 0 and (model / "config.json").is_file(), (kind, r.stderr)
        out = tmp_path / f"{kind}.h5"
        r = showerml("fastsim", "sample", "--model", model, "--n", 25, "--energy", "uniform:1,100", "--out", out)
        assert r.returncode == 0, (kind, r.stderr)
        assert load_showers(out).voxels.shape == (25, 504)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("train:\n  epochs: -3\n", "field 'train.epochs' must be an integer ≥ 1, got -3"),
        ("train:\n  lr: fast\n", "field 'train.lr' must be a number"),
        ("train:\n  lr_schedule: linear\n", "field 'train.lr_schedule' must be one of 'constant' or 'cosine'"),
        ("preprocessing:\n  alpha: 0.7\n", "field 'preprocessing.alpha' must be a number < 0.5"),
        ("model:\n  steps: 2.5\n", "field 'model.steps' must be an integer"),
        ("model:\n  depth: 3\n", "'model.depth' is not a setting here"),
        ("optimizer: adam\n", "'optimizer' is not a setting here"),
        ("- 1\n- 2\n", "must be a mapping of settings"),
    ],
)
def test_a_bad_yaml_config_is_one_line_naming_the_field(files, tmp_path, yaml_text, expected):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml_text)
    msg = one_line_error(showerml("fastsim", "train", "--data", files["calogan"], "--model", "cfm", "--config", cfg,
                                  "--out", tmp_path / "m", "--quiet"))
    assert expected in msg, msg
    assert not (tmp_path / "m").exists()
