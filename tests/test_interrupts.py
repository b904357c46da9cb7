"""Interrupts and leftovers: one Ctrl-C always stops a run and cleans up (even when the first KeyboardInterrupt is
swallowed in a weak-reference callback); temporary files of killed runs are removed by the next run on the same target
and by `showerml clean`, never those of a live writer; an interrupted training says how to resume."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from showerml.io.atomic import temp_files_in


def showerml(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "MPLBACKEND": "Agg"})


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _host() -> str:
    from showerml.io.atomic import host_tag

    return host_tag()


SWALLOWED = r'''
import os, signal, sys, weakref
import numpy as np
from showerml import interrupts
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import parse_spectrum

calls = []

class Sim:
    chunk_size = 10

    def attrs(self):
        return {"detector": "toy"}

    def simulate(self, n, spectrum, seed):
        calls.append(n)
        if len(calls) == 2:  # a real SIGINT delivered while a weak-reference callback runs: its raise is swallowed
            class Obj:
                pass
            def callback(ref):
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(10000):
                    pass
            obj = Obj()
            ref = weakref.ref(obj, callback)
            del obj
        return {"energy": np.full(n, 1.0), "x": np.zeros((n, 3))}

if sys.argv[2] == "install":
    interrupts.install()
try:
    simulate_to_file(Sim(), 200, parse_spectrum("fixed:1"), 0, sys.argv[1], progress=False)
except KeyboardInterrupt:
    print(f"stopped after {len(calls)} chunks")
    sys.exit(130)
print(f"finished {len(calls)} chunks")
'''


def test_a_swallowed_first_ctrl_c_still_stops_the_run(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(SWALLOWED)
    out = tmp_path / "data" / "x.h5"
    out.parent.mkdir()
    plain = subprocess.run([sys.executable, str(script), str(out), "default"], capture_output=True, text=True)
    assert "Exception ignored" in plain.stderr and "finished 20 chunks" in plain.stdout  # the problem, reproduced
    out.unlink()
    r = subprocess.run([sys.executable, str(script), str(out), "install"], capture_output=True, text=True)
    assert r.returncode == 130, (r.stdout, r.stderr)
    assert "stopped after 2 chunks" in r.stdout
    assert list(out.parent.iterdir()) == []


def test_one_ctrl_c_to_the_process_group_stops_a_parallel_run_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "big.h5"
    proc = subprocess.Popen(
        [sys.executable, "-m", "showerml.cli.main", "simulate", "calogan", "--n", "400000", "--workers", "2",
         "--out", str(out), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline and not list(tmp_path.glob(".big.h5.*")):
        time.sleep(0.1)
    assert list(tmp_path.glob(".big.h5.*")), "the run never started writing"
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the parent and its workers
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_files_are_removed_by_the_next_run_on_the_target(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = tmp_path / f".e.h5.{dead}@{_host()}.abc123.tmp"
    live = tmp_path / f".e.h5.{os.getpid()}@{_host()}.def456.tmp"  # this process is alive: a concurrent writer
    other_host = tmp_path / f".e.h5.{dead}@elsewhere-{socket.gethostname()[:5]}x.ghi789.tmp"
    other_target = tmp_path / f".f.h5.{dead}@{_host()}.jkl012.tmp"
    for p in (stale, live, other_host, other_target):
        p.write_bytes(b"partial")
    r = showerml("inspect", tmp_path / "e.h5")
    assert r.returncode == 2  # no such file yet; the leftovers are the next run's business
    assert showerml("simulate", "calogan", "--n", 5, "--out", tmp_path / "e.h5", "-q").returncode == 0
    assert not stale.exists()
    assert live.exists() and other_host.exists() and other_target.exists()


def test_clean_lists_and_removes_only_leftovers_of_dead_writers(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = tmp_path / f".e.h5.{dead}@{_host()}.abc123.tmp"
    stale_dir = tmp_path / f".run.{dead}.xyz987.tmp"  # a hidden run folder of a killed run (RunFolder naming)
    live = tmp_path / f".e.h5.{os.getpid()}@{_host()}.def456.tmp"
    stale.write_bytes(b"x")
    stale_dir.mkdir()
    (stale_dir / "metrics.json").write_text("{}")
    live.write_bytes(b"x")
    assert showerml("simulate", "calogan", "--n", 5, "--out", tmp_path / "keep.h5", "-q").returncode == 0
    r = showerml("inspect", tmp_path / "keep.h5")
    assert r.returncode == 0 and "temporary files" not in r.stdout
    (tmp_path / f".keep.h5.{dead}@{_host()}.q1.tmp").write_bytes(b"x")
    r = showerml("inspect", tmp_path / "keep.h5")
    assert "temporary files beside it: 1 (1 left by killed runs" in r.stdout
    r = showerml("clean", tmp_path, "--dry-run")
    assert r.returncode == 0 and stale.exists() and stale_dir.exists()
    assert "stale" in r.stdout and "kept" in r.stdout
    r = showerml("clean", tmp_path)
    assert r.returncode == 0, r.stderr
    assert not stale.exists() and not stale_dir.exists() and live.exists()
    assert "removed 3 of 4" in r.stdout and (tmp_path / "keep.h5").exists()
    assert [t.path for t in temp_files_in(tmp_path)] == [live]


def test_an_interrupted_training_keeps_its_checkpoint_and_says_how_to_resume(tmp_path: Path) -> None:
    import torch
    from torch import nn

    from showerml.interrupts import Interrupted
    from showerml.nn import TrainConfig, train

    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 3, generator=g)
    y = x.sum(1)
    calls = {"n": 0}

    def dies_in_epoch_three(model, batch):
        calls["n"] += 1
        if calls["n"] > 2 * 5 + 3:  # 4 training + 1 validation batch per epoch
            raise KeyboardInterrupt
        return ((model(batch[0]).squeeze(-1) - batch[1]) ** 2).mean()

    cfg = TrainConfig(epochs=6, batch_size=50, progress=False, patience=100)
    with pytest.raises(Interrupted) as info:
        train(nn.Linear(3, 1), dies_in_epoch_three, (x[:200], y[:200]), (x[200:], y[200:]), cfg,
              checkpoint_dir=tmp_path / "checkpoints")
    msg = str(info.value)
    assert "after epoch 2" in msg and "--resume" in msg and str(tmp_path / "checkpoints") in msg
    assert (tmp_path / "checkpoints" / "checkpoint.pt").exists()
    calls["n"] = 0
    with pytest.raises(KeyboardInterrupt) as plain:  # no checkpoint: nothing to resume, nothing claimed
        train(nn.Linear(3, 1), dies_in_epoch_three, (x[:200], y[:200]), (x[200:], y[200:]), cfg)
    assert not isinstance(plain.value, Interrupted)


def test_the_cli_prints_the_interrupt_note(monkeypatch, capsys) -> None:
    """Through the real command-line framework, which turns a KeyboardInterrupt into exit code 130 and drops it."""
    import typer

    from showerml import interrupts
    from showerml.cli import main

    app = typer.Typer()

    @app.command()
    def train() -> None:
        raise interrupts.Interrupted("interrupted; the checkpoint after epoch 3 is kept in m/checkpoints: run the "
                                     "same command with --resume to continue from it")

    @app.command()
    def other() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(main, "app", app)
    monkeypatch.setattr(main.interrupts, "install", lambda: None)
    for command, expected in (("train", "--resume to continue"), ("other", "nothing was written")):
        interrupts.reset()
        monkeypatch.setattr(sys, "argv", ["showerml", command])
        with pytest.raises(SystemExit) as exit_info:
            main.run()
        assert exit_info.value.code == 130
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1
    interrupts.reset()
