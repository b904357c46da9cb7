"""The command line: happy paths and every bad input the foundation issue names (exit 2, one line, no file)."""

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest


def showerml(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "showerml.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )


def test_simulate_inspect_display(tmp_path):
    out = tmp_path / "e.h5"
    r = showerml(
        "simulate",
        "calogan",
        "--particle",
        "e+",
        "--n",
        200,
        "--energy",
        "uniform:1,100",
        "--seed",
        1,
        "--workers",
        2,
        "--out",
        out,
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        assert f["layer_0"].shape == (200, 3, 96) and f.attrs["detector"] == "calogan"
    r = showerml("inspect", out)
    assert r.returncode == 0 and "CaloGAN" in r.stdout and "events: 200" in r.stdout and "seed: 1" in r.stdout
    png = tmp_path / "ev.png"
    r = showerml("display", out, "--event", 3, "--out", png)
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_simulate_calochallenge2(tmp_path):
    out = tmp_path / "ds2.h5"
    r = showerml("simulate", "calochallenge2", "--n", 30, "--out", out, "-q")
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        assert f["showers"].shape == (30, 6480) and f.attrs["detector"] == "calochallenge2"
    r = showerml("simulate", "calochallenge2", "--particle", "pi+", "--n", 5, "--out", tmp_path / "y.h5")
    assert r.returncode == 2 and "unknown particle" in r.stderr and not (tmp_path / "y.h5").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--particle", "proton"], "unknown particle"),
        (["--energy", "uniform:100,1"], "inverted"),
        (["--energy", "uniform:-1,10"], "positive"),
        (["--energy", "fixed:0"], "positive"),
        (["--n", "0"], "--n must be a positive"),
        (["--n", "-5"], "--n must be a positive"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_simulate_bad_input(tmp_path, args, message):
    out = tmp_path / "x.h5"
    r = showerml("simulate", "calogan", "--out", out, "--n", 10, *args)
    assert r.returncode == 2
    assert r.stderr.startswith("error:") and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_unknown_detector_and_unwritable_output(tmp_path):
    r = showerml("simulate", "atlas", "--out", tmp_path / "x.h5")
    assert r.returncode == 2 and "No such command" in r.stderr
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1
    r = showerml("simulate", "calogan", "--n", "many", "--out", tmp_path / "x.h5")
    assert r.returncode == 2 and r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1
    r = showerml("simulate", "calogan", "--n", 10, "--out", tmp_path / "missing" / "x.h5")
    assert r.returncode == 2 and "does not exist" in r.stderr
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        r = showerml("simulate", "calogan", "--n", 10, "--out", locked / "x.h5")
        assert r.returncode == 2 and "cannot write" in r.stderr
    finally:
        locked.chmod(0o700)


def test_existing_output_is_kept_without_overwrite(tmp_path):
    out = tmp_path / "e.h5"
    assert showerml("simulate", "calogan", "--n", 20, "--out", out, "-q").returncode == 0
    before = out.read_bytes()
    r = showerml("simulate", "calogan", "--n", 30, "--seed", 5, "--out", out, "-q")
    assert r.returncode == 2 and "--overwrite" in r.stderr and out.read_bytes() == before
    assert showerml("simulate", "calogan", "--n", 30, "--out", out, "--overwrite", "-q").returncode == 0
    with h5py.File(out) as f:
        assert len(f["energy"]) == 30


def test_inspect_and_display_bad_files(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all")
    r = showerml("inspect", bad)
    assert r.returncode == 2 and str(bad) in r.stderr
    out = tmp_path / "e.h5"
    showerml("simulate", "calogan", "--n", 5, "--out", out, "-q")
    r = showerml("display", out, "--event", 9, "--out", tmp_path / "p.png")
    assert r.returncode == 2 and "out of range" in r.stderr and not (tmp_path / "p.png").exists()


def test_sigterm_leaves_no_partial_file(tmp_path):
    """A killed run (SIGTERM, as from a batch system) leaves neither the output nor its temporary file."""
    import signal
    import time

    out = tmp_path / "big.h5"
    proc = subprocess.Popen(
        [sys.executable, "-m", "showerml.cli.main", "simulate", "calogan", "--n", "2000000", "--yes", "--out", str(out),
         "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".big.h5.*")):
        time.sleep(0.1)
    assert list(tmp_path.glob(".big.h5.*")), "the run never started writing"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: f["layer_1"].__setitem__((3, 0, 0), float("nan")),
         "dataset 'layer_1' holds NaN or inf (first in event 3)"),
        (lambda f: f["layer_2"].__setitem__((4, 1, 1), -2.0),
         "dataset 'layer_2' holds negative energies (first in event 4)"),
        (lambda f: f["energy"].__setitem__((1, 0), 0.0), "non-positive incident energies (first in event 1)"),
        (lambda f: (f.__delitem__("layer_0"), f.create_dataset("layer_0", data=np.zeros((5, 3, 95)))),
         "dataset 'layer_0' has shape (5, 3, 95), the CaloGAN layout needs (N, 3, 96)"),
    ],
)
def test_inspect_validates_like_every_other_command(tmp_path, damage, message):
    """inspect used to print 'layout: CaloGAN' and exit 0 for files every other command rejects."""
    out = tmp_path / "e.h5"
    assert showerml("simulate", "calogan", "--n", 5, "--out", out, "-q").returncode == 0
    with h5py.File(out, "a") as f:
        damage(f)
    event = int(message.split("event ")[-1].rstrip(")")) if "first in event" in message else 0
    for command in (("inspect", out), ("display", out, "--event", event, "--out", tmp_path / "e.png")):
        r = showerml(*command)
        assert r.returncode == 2, r.stdout
        assert r.stderr.startswith("error:") and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "e.png").exists()


def test_inspect_validates_dampe_files(tmp_path):
    out = tmp_path / "d.h5"
    assert showerml("simulate", "dampe", "--particle", "e-", "--energy", "fixed:10", "--n", 4, "--max-clusters",
                    32, "--out", out, "-q").returncode == 0
    assert "layout: DAMPE" in showerml("inspect", out).stdout
    with h5py.File(out, "a") as f:
        f["psd"][2, 0, 0] = -1.0
    r = showerml("inspect", out)
    assert r.returncode == 2 and "dataset 'psd' holds negative values (first in event 2)" in r.stderr


def test_progress_shows_in_logs_one_line_per_stage(tmp_path):
    """Output to a log (not a terminal): the plan, a progress line per 10 % and the summary."""
    r = showerml("simulate", "calogan", "--n", 2500, "--out", tmp_path / "e.h5")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("plan: 2500 events") and "peak memory" in lines[0]
    assert "simulating: 0/2500 events" in lines and any(line.startswith("simulating: 2500/2500") for line in lines)
    assert lines[-1].startswith("wrote 2500 e+ showers")


IMPORTS_AT_ERROR = r"""
import sys
from showerml.cli.main import run
sys.argv = ["showerml", *sys.argv[1:]]
try:
    run()
except SystemExit as exc:
    heavy = sorted(m for m in ("torch", "scipy.stats", "matplotlib", "sklearn") if m in sys.modules)
    print("exit", exc.code, "heavy", ",".join(heavy) or "none")
"""


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "calogan", "--energy", "bad", "--out", "x.h5"],
        ["simulate", "calogan", "--energy", "fixed:1e6", "--out", "x.h5"],
        ["simulate", "dampe", "--energy", "fixed:1e9", "--out", "x.h5"],
        ["evaluate", "--reference", "missing.h5", "--generated", "g.h5", "--out", "ev"],
        ["display", "missing.h5", "--out", "m.png"],
    ],
)
def test_input_errors_come_before_the_heavy_imports(tmp_path, args):
    """A typo is reported before torch, scipy.stats or matplotlib are imported (the seconds a user waits)."""
    r = subprocess.run([sys.executable, "-c", IMPORTS_AT_ERROR, *args], capture_output=True, text=True, cwd=tmp_path)
    assert r.stdout.strip() == "exit 2 heavy none", (r.stdout, r.stderr)
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1
