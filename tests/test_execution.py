"""Executors (issue 23): the same seed gives the same bytes on a local pool of 1 or 2 processes and on a Dask
LocalCluster of 2 workers; bad executor options, an unreachable scheduler and a cluster YAML with unknown keys are
one-line errors (exit 2) with nothing written.

One Dask LocalCluster (2 single-threaded worker processes) serves every test of the session that needs one
(:func:`dask_address`, imported by the other modules that use it)."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import h5py
import pytest
import yaml

from showerml.detectors.calogan import CaloGANSimulator
from showerml.errors import DataFileError
from showerml.execution import ExecutorSpec, executor_spec, open_executor
from showerml.execution.cluster import job_kwargs, read_cluster_config
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import parse_spectrum
from tests.anomaly_helpers import cli

_CLUSTER: list = []


@pytest.fixture(scope="session")
def dask_address() -> Iterator[str]:
    """The address of one LocalCluster of 2 single-threaded worker processes, shared by the whole session."""
    LocalCluster = pytest.importorskip("distributed").LocalCluster

    if not _CLUSTER:
        _CLUSTER.append(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                     silence_logs=logging.CRITICAL))
        yield _CLUSTER[0].scheduler_address
        _CLUSTER.pop().close()
    else:  # the fixture imported into another module: the cluster of the first
        yield _CLUSTER[0].scheduler_address


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


SIM = CaloGANSimulator("e+", chunk_size=20)
SPECTRUM = parse_spectrum("uniform:1,100")


def _same_bytes(tmp_path: Path, runs: dict[str, ExecutorSpec]) -> None:
    """5 chunks of 20 (the last 12), seed 11, through each executor: byte-identical files (the file's config carries
    no execution option)."""
    digests = {}
    for name, spec in runs.items():
        out = simulate_to_file(SIM, 92, SPECTRUM, 11, tmp_path / f"{name}.h5", progress=False, executor=spec,
                               settings={"n": 92, "seed": 11})
        digests[name] = md5(out)
    assert len(set(digests.values())) == 1, digests
    with h5py.File(tmp_path / f"{name}.h5") as f:
        assert f["energy"].shape == (92, 1) and f.attrs["n_events"] == 92


def test_same_bytes_for_local_1_and_dask_2(tmp_path: Path, dask_address: str) -> None:
    _same_bytes(tmp_path, {"local1": ExecutorSpec("local", 1), "dask2": executor_spec("dask", 2, dask_address)})


@pytest.mark.slow  # a process pool starts besides the cluster (local ×1 vs ×2 is also in test_calogan's fast tests)
def test_same_bytes_for_local_1_local_2_and_dask_2(tmp_path: Path, dask_address: str) -> None:
    _same_bytes(tmp_path, {"local1": ExecutorSpec("local", 1), "local2": ExecutorSpec("local", 2),
                           "dask2": executor_spec("dask", 2, dask_address)})


def test_the_byte_comparison_can_fail(tmp_path: Path) -> None:
    a = simulate_to_file(SIM, 20, SPECTRUM, 11, tmp_path / "a.h5", progress=False)
    b = simulate_to_file(SIM, 20, SPECTRUM, 12, tmp_path / "b.h5", progress=False)
    assert md5(a) != md5(b)


@pytest.mark.parametrize("detector", [["calogan"], ["herd", "--particle", "e-", "--energy", "fixed:50"]])
def test_cli_dask_run_matches_the_local_run(tmp_path: Path, dask_address: str, capsys, monkeypatch,
                                            detector: list[str]) -> None:
    args = ["simulate", *detector, "--n", "30", "--seed", "4", "--quiet"]
    code, out, err = cli(capsys, monkeypatch, *args, "--out", str(tmp_path / "local.h5"))
    assert code == 0, err
    code, out, err = cli(capsys, monkeypatch, *args, "--out", str(tmp_path / "dask.h5"), "--executor", "dask",
                         "--scheduler", dask_address)
    assert code == 0, err
    assert f"dask at {dask_address}" in out
    assert md5(tmp_path / "local.h5") == md5(tmp_path / "dask.h5")


def test_executor_map_keeps_task_order(dask_address: str) -> None:
    with open_executor(executor_spec("dask", 2, dask_address)) as ex:
        assert list(ex.map(abs, range(-9, 1))) == list(range(9, -1, -1))
        assert ex.in_flight == 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--executor", "spark"], "--executor must be one of local, dask, got 'spark'"),
        (["--scheduler", "tcp://h:8786"], "--scheduler is for --executor dask"),
        (["--executor", "dask"], "--executor dask needs --scheduler ADDRESS"),
        (["--executor", "dask", "--scheduler", "not an address"], "--scheduler must be 'local' or a scheduler"),
        (["--cluster", "slurm"], "--cluster slurm needs --cluster-config"),
        (["--cluster", "lsf"], "--cluster must be one of slurm, htcondor, pbs, got 'lsf'"),
        (["--cluster-config", "c.yaml"], "--cluster-config is for --cluster"),
    ],
)
def test_bad_executor_options_are_one_line_errors(tmp_path: Path, capsys, monkeypatch, options, message) -> None:
    out = tmp_path / "x.h5"
    code, _, err = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(out), "--n", "5", *options)
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_unreachable_scheduler_is_one_line_within_the_timeout(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("showerml.execution.spec.CONNECT_TIMEOUT_S", 1.0)
    import distributed  # noqa: F401  (imported before the clock starts: the timeout is about the connection)

    t0 = time.perf_counter()
    code, _, err = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(tmp_path / "x.h5"), "--n", "5",
                       "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--shards", str(tmp_path / "s"))
    seconds = time.perf_counter() - t0
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s" in err, err
    assert err.count("\n") == 1 and seconds < 8, (err, seconds)
    assert list(tmp_path.iterdir()) == []  # no output, no shard folder


SLURM = {"queue": "short", "account": "myproj", "cores": 4, "memory": "8GB", "walltime": "01:00:00", "jobs": 3,
         "job_script_prologue": ["source venv/bin/activate"]}


def test_cluster_config_is_checked_and_mapped(tmp_path: Path) -> None:
    path = tmp_path / "slurm.yaml"
    path.write_text(yaml.safe_dump(SLURM))
    config = read_cluster_config("slurm", path)
    kwargs = job_kwargs(config)
    assert kwargs["processes"] == 4 and "jobs" not in kwargs and kwargs["queue"] == "short"
    assert config.describe() == "3 job(s) × 4 worker(s), 8GB each"
    spec = executor_spec(cluster="slurm", cluster_config=path)
    assert spec.kind == "dask" and spec.describe().startswith("dask on slurm (3 job(s)")


@pytest.mark.parametrize(
    ("cluster", "settings", "message"),
    [
        ("slurm", {**SLURM, "partition": "short"}, "'partition' is not a setting here (unknown key)"),
        ("slurm", {"cores": 4}, "field 'memory' is missing"),
        ("slurm", {**SLURM, "cores": 0}, "field 'cores' must be an integer ≥ 1"),
        ("slurm", {**SLURM, "memory": "lots"}, "field 'memory' must be a size such as 16GB or 500MB, got \"lots\""),
        ("htcondor", {"cores": 2, "memory": "4GB"}, "field 'disk' is missing"),
        ("htcondor", {"cores": 2, "memory": "4GB", "disk": "1GB", "queue": "q"}, "'queue' is not a setting here"),
        ("pbs", {"cores": 2, "memory": "4GB", "resource_spec": "select=1:ncpus=2", "disk": "1GB"},
         "'disk' is not a setting here"),
    ],
)
def test_cluster_config_errors(tmp_path: Path, cluster: str, settings: dict, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(settings))
    with pytest.raises(DataFileError, match=re.escape(message)):
        read_cluster_config(cluster, path)


def test_cluster_yaml_with_unknown_key_fails_the_command(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**SLURM, "ques": "short"}))
    out = tmp_path / "x.h5"
    code, _, err = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(out), "--n", "5", "--cluster",
                       "slurm", "--cluster-config", str(path))
    assert code == 2 and "'ques' is not a setting here (unknown key)" in err and err.count("\n") == 1, err
    assert not out.exists()


def test_a_cluster_without_its_batch_system_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(SLURM))
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch here
    out = tmp_path / "x.h5"
    code, _, err = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(out), "--n", "5", "--cluster",
                       "slurm", "--cluster-config", str(path))
    assert code == 2 and "submits jobs with sbatch, which is not on this machine's PATH" in err, err
    assert not out.exists()


@pytest.mark.slow  # a scheduler starts: ≈ 3 s idle, 25 s on a loaded machine
def test_slurm_job_script_from_the_yaml(tmp_path: Path) -> None:
    """dask-jobqueue writes the job script the YAML describes (the scheduler starts, no job is submitted)."""
    SLURMCluster = pytest.importorskip("dask_jobqueue").SLURMCluster

    path = tmp_path / "slurm.yaml"
    path.write_text(yaml.safe_dump(SLURM))
    kwargs = job_kwargs(read_cluster_config("slurm", path))
    with SLURMCluster(scheduler_options={"dashboard_address": ":0"}, **kwargs) as cluster:
        script = cluster.job_script()
    for line in ("#SBATCH -p short", "#SBATCH -A myproj", "#SBATCH -t 01:00:00", "source venv/bin/activate",
                 "--nworkers 4", "--nthreads 1"):
        assert line in script, script


def test_a_task_error_reaches_the_caller(dask_address: str) -> None:
    import math

    with open_executor(executor_spec("dask", 2, dask_address)) as ex, pytest.raises(ValueError, match="domain"):
        list(ex.map(math.sqrt, [4.0, -1.0, 9.0]))


def test_a_scheduler_without_workers_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    """A scheduler that answers but has no worker would leave the run waiting for ever: one line after the timeout."""
    LocalCluster = pytest.importorskip("distributed").LocalCluster
    monkeypatch.setattr("showerml.execution.spec.CONNECT_TIMEOUT_S", 1.0)
    with LocalCluster(n_workers=0, processes=False, protocol="tcp://", dashboard_address=":0",
                      silence_logs=logging.CRITICAL) as empty:
        code, _, err = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(tmp_path / "x.h5"), "--n", "5",
                           "--executor", "dask", "--scheduler", empty.scheduler_address)
    assert code == 2 and f"the Dask scheduler at {empty.scheduler_address} has no worker after 1 s" in err, err
    assert err.count("\n") == 1 and list(tmp_path.iterdir()) == []


def test_execution_options_from_a_config_file_are_not_saved(tmp_path: Path, dask_address: str, capsys,
                                                             monkeypatch) -> None:
    import json

    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump({"executor": "dask", "scheduler": dask_address, "workers": 2, "n": 25}))
    out = tmp_path / "x.h5"
    code, printed, err = cli(capsys, monkeypatch, "simulate", "calogan", "--out", str(out), "--config", str(config))
    assert code == 0 and f"dask at {dask_address}" in printed, err
    with h5py.File(out) as f:
        saved = json.loads(f.attrs["config"])
        assert f.attrs["n_events"] == 25
    assert saved["n"] == 25 and not {"executor", "scheduler", "workers", "cluster", "cluster_config"} & set(saved)
