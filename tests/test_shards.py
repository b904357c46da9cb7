"""Sharded outputs (issue 23): one HDF5 file per task joined by a virtual-dataset file that the readers read as one
file; the set is atomic (an interrupted run leaves no joined file), a re-run resumes from the complete shards
(verified by checksum), shards of another run in the folder are refused with one line (exit 2) and nothing lost."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from showerml.detectors.calogan import CaloGANSimulator
from showerml.errors import DataFileError
from showerml.execution import ExecutorSpec, executor_spec
from showerml.io.shards import check_sharded, read_shard_info, shard_name
from showerml.io.showers import load_showers
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import Spectrum, parse_spectrum
from tests.anomaly_helpers import cli
from tests.test_execution import dask_address  # noqa: F401  (the session's LocalCluster)

SIM = CaloGANSimulator("e+", chunk_size=20)
SPECTRUM = parse_spectrum("uniform:1,100")
N = 70  # 4 shards: 20, 20, 20, 10


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def arrays(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in f}


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same run written as one ordinary file."""
    return simulate_to_file(SIM, N, SPECTRUM, 5, tmp_path_factory.mktemp("plain") / "plain.h5", progress=False)


def test_joined_file_reads_as_the_plain_file(tmp_path: Path, plain: Path, monkeypatch) -> None:
    out = simulate_to_file(SIM, N, SPECTRUM, 5, tmp_path / "run.h5", progress=False, shards=tmp_path / "shards")
    assert sorted(p.name for p in (tmp_path / "shards").iterdir()) == [shard_name(i) for i in range(4)]
    with h5py.File(out) as f:
        assert f["layer_0"].is_virtual and f.attrs["n_events"] == N and f.attrs["shard_count"] == 4
    want, got = arrays(plain), arrays(out)
    assert want.keys() == got.keys() and all(np.array_equal(want[k], got[k]) for k in want)
    monkeypatch.chdir("/")  # the shards are found relative to the joined file, not to the working directory
    a, b = load_showers(plain), load_showers(out)
    assert np.array_equal(a.voxels, b.voxels) and np.array_equal(a.incident, b.incident)
    assert check_sharded(out, verify=True) == 4


def test_shards_are_the_same_bytes_for_any_executor(tmp_path: Path, dask_address: str) -> None:  # noqa: F811
    runs = {"local1": ExecutorSpec("local", 1), "dask2": executor_spec("dask", 2, dask_address)}
    for name, spec in runs.items():
        (tmp_path / name).mkdir()
        simulate_to_file(SIM, N, SPECTRUM, 5, tmp_path / name / "run.h5", progress=False, executor=spec,
                         shards=tmp_path / name / "shards")
    for i in range(4):
        assert md5(tmp_path / "local1" / "shards" / shard_name(i)) == md5(tmp_path / "dask2" / "shards" / shard_name(i))
    assert md5(tmp_path / "local1" / "run.h5") == md5(tmp_path / "dask2" / "run.h5")


@dataclass(frozen=True)
class _Breaks:
    """The CaloGAN simulator that stops (like Ctrl-C) at its ``stop_at``-th chunk; same attributes, same run."""

    sim: Any
    calls: list
    stop_at: int = 3

    @property
    def chunk_size(self) -> int:
        return int(self.sim.chunk_size)

    def attrs(self) -> dict[str, Any]:
        return dict(self.sim.attrs())

    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        self.calls.append(seed.spawn_key)
        if len(self.calls) == self.stop_at:
            raise KeyboardInterrupt
        return dict(self.sim.simulate(n, spectrum, seed))


def test_interrupted_run_leaves_no_joined_file_and_resumes(tmp_path: Path, plain: Path, capsys) -> None:
    out, shards = tmp_path / "run.h5", tmp_path / "shards"
    calls: list = []
    with pytest.raises(KeyboardInterrupt):
        simulate_to_file(_Breaks(SIM, calls), N, SPECTRUM, 5, out, progress=False, shards=shards)
    assert not out.exists() and sorted(os.listdir(shards)) == [shard_name(0), shard_name(1)]  # no temp files
    fine = _Breaks(SIM, [], stop_at=0)
    simulate_to_file(fine, N, SPECTRUM, 5, out, progress=True, shards=shards)
    assert "resuming, 2 of 4 shards already complete" in capsys.readouterr().out
    assert fine.calls == [(2,), (3,)]  # only the missing chunks were simulated
    want, got = arrays(plain), arrays(out)
    assert all(np.array_equal(want[k], got[k]) for k in want)


def test_a_damaged_shard_is_simulated_again(tmp_path: Path, plain: Path, capsys) -> None:
    out, shards = tmp_path / "run.h5", tmp_path / "shards"
    simulate_to_file(SIM, N, SPECTRUM, 5, out, progress=False, shards=shards)
    out.unlink()
    with h5py.File(shards / shard_name(1), "r+") as f:
        f["layer_1"][0, 0, 0] += 1.0
    with pytest.raises(DataFileError, match="damaged shard"):
        read_shard_info(shards / shard_name(1))
    simulate_to_file(SIM, N, SPECTRUM, 5, out, progress=True, shards=shards)
    printed = capsys.readouterr().out
    assert "shard-000001.h5: damaged shard" in printed and "resuming, 3 of 4" in printed
    assert np.array_equal(arrays(plain)["layer_1"], arrays(out)["layer_1"])


def test_shards_of_two_runs_are_refused_and_nothing_is_lost(tmp_path: Path, capsys, monkeypatch) -> None:
    shards = tmp_path / "shards"
    args = ["simulate", "calogan", "--n", "12", "--quiet", "--shards", str(shards)]
    code, _, err = cli(capsys, monkeypatch, *args, "--seed", "1", "--out", str(tmp_path / "a.h5"))
    assert code == 0, err
    before = {p.name: md5(p) for p in shards.iterdir()}
    code, _, err = cli(capsys, monkeypatch, *args, "--seed", "2", "--out", str(tmp_path / "b.h5"))
    assert code == 2 and "holds shards of another run" in err and err.count("\n") == 1, err
    assert {p.name: md5(p) for p in shards.iterdir()} == before and not (tmp_path / "b.h5").exists()
    assert check_sharded(tmp_path / "a.h5") == 1
    code, _, err = cli(capsys, monkeypatch, *args, "--seed", "2", "--out", str(tmp_path / "b.h5"), "--overwrite")
    assert code == 0, err
    with pytest.raises(DataFileError, match="belongs to another run"):
        check_sharded(tmp_path / "a.h5")


def test_a_missing_shard_is_reported(tmp_path: Path) -> None:
    out = simulate_to_file(SIM, N, SPECTRUM, 5, tmp_path / "run.h5", progress=False, shards=tmp_path / "s")
    (tmp_path / "s" / shard_name(2)).unlink()
    with pytest.raises(DataFileError, match="shard-000002.h5 is missing"):
        check_sharded(out)
    with h5py.File(out) as f:  # what a reader would see: the VDS fill value, never silent zeros
        assert np.isnan(f["layer_0"][40:60]).all() and np.isfinite(f["layer_0"][:40]).all()
    with pytest.raises(DataFileError, match="shard-000002.h5 is missing"):  # the project's reader says so
        load_showers(out)


def test_shards_folder_that_is_a_file_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "f").write_text("x")
    code, _, err = cli(capsys, monkeypatch, "simulate", "calogan", "--n", "5", "--out", str(tmp_path / "o.h5"),
                       "--shards", str(tmp_path / "f"))
    assert code == 2 and "is a file; give a folder" in err and not (tmp_path / "o.h5").exists()


_KILLED_RUN = """
import sys
from showerml.detectors.calogan import CaloGANSimulator
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import parse_spectrum
simulate_to_file(CaloGANSimulator("e+", chunk_size=20), 400, parse_spectrum("uniform:1,100"), 5, sys.argv[1],
                 progress=False, shards=sys.argv[2])
"""


@pytest.mark.slow  # a separate process killed mid-run, then the resumed run: ≈ 10 s idle
def test_a_killed_run_resumes_from_its_complete_shards(tmp_path: Path) -> None:
    """SIGKILL (no clean-up code runs): complete shards stay, no joined file; the re-run simulates only the rest and
    gives the same bytes as an uninterrupted run."""
    import signal
    import subprocess
    import sys

    out, shards = tmp_path / "run.h5", tmp_path / "shards"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(out), str(shards)])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(shards.glob("shard-*.h5"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = {p.name: md5(p) for p in shards.glob("shard-*.h5")}
    assert 3 <= len(kept) < 20 and not out.exists()
    sim = CaloGANSimulator("e+", chunk_size=20)
    simulate_to_file(sim, 400, SPECTRUM, 5, out, progress=False, shards=shards)
    assert {p.name: md5(p) for p in shards.glob("shard-*.h5") if p.name in kept} == kept  # kept, not rewritten
    assert not [p for p in shards.iterdir() if p.name.endswith(".tmp")]  # the killed writer's temp file removed
    fresh = simulate_to_file(sim, 400, SPECTRUM, 5, tmp_path / "fresh.h5", progress=False, shards=tmp_path / "f")
    assert arrays(out).keys() == arrays(fresh).keys()
    assert all(np.array_equal(arrays(out)[k], arrays(fresh)[k]) for k in arrays(out))
    assert all(md5(shards / shard_name(i)) == md5(tmp_path / "f" / shard_name(i)) for i in range(20))
