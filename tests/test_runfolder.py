"""The one run folder: checks before work, atomic commit, nothing left by a failed or interrupted run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.io.atomic import host_tag
from showerml.io.runfolder import RunFolder, json_safe, stale_run_folders


def test_fresh_run_appears_only_when_complete(tmp_path):
    target = tmp_path / "run"
    with RunFolder(target) as run:
        run.write_json("metrics.json", {"auc": 0.5})
        assert not target.exists()
        assert run.path.name.startswith(".run.") and run.path.parent == tmp_path
    assert json.loads((target / "metrics.json").read_text()) == {"auc": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_run_leaves_nothing_and_keeps_the_previous_run(tmp_path, exc):
    target = tmp_path / "run"
    target.mkdir()
    (target / "metrics.json").write_text("old")
    with pytest.raises(type(exc)), RunFolder(target, overwrite=True) as run:
        run.write_text("metrics.json", "new")
        raise exc
    assert (target / "metrics.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_overwrite_replaces_the_previous_run_whole(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "stale.png").write_text("old")
    with RunFolder(target, overwrite=True) as run:
        run.write_text("report.html", "<html>")
    assert sorted(p.name for p in target.iterdir()) == ["report.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (None, {"target": ""}, "--out is empty"),
        ("file", {}, "is a file"),
        ("full", {}, "already holds files; pass --overwrite"),
        (None, {"resume": True}, "nothing to resume"),
        (None, {"target": "missing/run"}, "does not exist; create it"),
    ],
)
def test_bad_targets_are_refused_before_any_work(tmp_path, monkeypatch, make, kwargs, message):
    monkeypatch.chdir(tmp_path)
    target = kwargs.pop("target", "run")
    if make == "file":
        (tmp_path / "run").write_text("x")
    elif make == "full":
        (tmp_path / "run").mkdir()
        (tmp_path / "run" / "config.json").write_text("{}")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InputError, match=message) as info:
        RunFolder(target, **kwargs)
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_missing_parent_folders_are_created_only_when_asked(tmp_path):
    with RunFolder(tmp_path / "runs" / "demo", create_parents=True) as run:
        run.write_text("report.html", "<html>")
    assert (tmp_path / "runs" / "demo" / "report.html").exists()
    with pytest.raises(InputError, match="does not exist"):
        RunFolder(tmp_path / "other" / "demo")


def test_in_place_run_keeps_a_checkpoint_but_not_an_empty_folder(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt), RunFolder(target, in_place=True, keep=lambda p: (p / "ckpt").exists()):
        raise KeyboardInterrupt
    assert not target.exists()
    with pytest.raises(KeyboardInterrupt), RunFolder(target, in_place=True, keep=lambda p: (p / "ckpt").exists()) as r:
        (r.path / "ckpt").write_text("epoch 3")
        raise KeyboardInterrupt
    assert (target / "ckpt").exists()
    with RunFolder(target, resume=True) as run:
        assert run.path == target


def test_folders_of_killed_runs_are_removed_by_the_next_run(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".run.{pid}@{host_tag()}.abc123.tmp"
    stale.mkdir()
    alive = tmp_path / f".run.{os.getpid()}@{host_tag()}.xyz789.tmp"
    alive.mkdir()
    assert stale_run_folders(tmp_path / "run") == [stale]
    with RunFolder(tmp_path / "run") as run:
        run.write_text("a", "b")
    assert not stale.exists() and alive.exists()


def test_json_safe_turns_non_finite_and_numpy_into_plain_json():
    value = {"a": np.float32(np.nan), "b": np.arange(2), "c": (np.int64(3), float("inf")), 4: None}
    assert json_safe(value) == {"a": None, "b": [0, 1], "c": [3, None], "4": None}
    json.dumps(json_safe(value), allow_nan=False)
