"""Batch-system clusters for Dask through dask-jobqueue: the YAML that describes the worker jobs, checked strictly.

One file per site, e.g. for SLURM::

    queue: short          # partition (sbatch -p)
    account: myproject    # sbatch -A
    cores: 8              # cores per job
    memory: 16GB          # memory per job
    walltime: "02:00:00"
    jobs: 10              # jobs to submit: 10 × 8 single-threaded workers
    job_script_prologue: ["source ~/venvs/showerml/bin/activate"]

Keys common to every system: ``cores`` and ``memory`` (required), ``processes`` (Dask workers per job, default
``cores``: one single-threaded worker per core, since the simulators run single-threaded numpy), ``jobs`` (default 1),
``walltime``, ``job_script_prologue``, ``job_extra_directives``, ``local_directory``, ``log_directory``, ``interface``,
``python``, ``death_timeout``. SLURM and PBS add ``queue`` and ``account`` (PBS also ``resource_spec``); HTCondor
needs ``disk`` and takes ``job_extra_directives`` as a mapping of submit-file commands. Any other key, a wrong type or
a value out of range is a one-line :class:`~showerml.errors.DataFileError` naming it (dask-jobqueue itself would
accept a misspelt key silently or fail inside the batch system). The keys are dask-jobqueue's own
(https://jobqueue.dask.org, ``SLURMCluster``, ``PBSCluster``, ``HTCondorCluster``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from showerml.errors import DataFileError
from showerml.io.config import read_yaml, validate

__all__ = ["ClusterConfig", "HTCondorConfig", "PBSConfig", "SLURMConfig", "job_kwargs", "make_cluster",
           "read_cluster_config"]

_SIZE = re.compile(r"^\s*[0-9]*\.?[0-9]+\s*([kKmMgGtT][iI]?)?[bB]?\s*$")


def _size(value: str) -> str:
    if not _SIZE.match(value):
        raise PydanticCustomError("size", "a size such as 16GB or 500MB")
    return value


class ClusterConfig(BaseModel):
    """Settings common to the worker jobs of every batch system."""

    model_config = ConfigDict(extra="forbid")

    cores: int = Field(ge=1)
    memory: str
    processes: int | None = Field(None, ge=1)
    jobs: int = Field(1, ge=1)
    walltime: str | None = None
    job_script_prologue: list[str] | None = None
    job_extra_directives: list[str] | None = None
    local_directory: str | None = None
    log_directory: str | None = None
    interface: str | None = None
    python: str | None = None
    death_timeout: float | None = Field(None, gt=0)

    _memory = field_validator("memory")(_size)

    def describe(self) -> str:
        """``10 job(s) × 8 worker(s), 16GB each``."""
        return f"{self.jobs} job(s) × {self.processes or self.cores} worker(s), {self.memory} each"


class SLURMConfig(ClusterConfig):
    """SLURM: ``queue`` is the partition (``-p``), ``account`` the account (``-A``)."""

    queue: str | None = None
    account: str | None = None


class PBSConfig(ClusterConfig):
    """PBS / Torque: ``queue`` (``-q``), ``account`` (``-A``), ``resource_spec`` (``-l``, e.g. ``select=1:ncpus=8``)."""

    queue: str | None = None
    account: str | None = None
    resource_spec: str | None = None


class HTCondorConfig(ClusterConfig):
    """HTCondor: ``disk`` per job is required; ``job_extra_directives`` is a mapping of submit-file commands."""

    disk: str

    _disk = field_validator("disk")(_size)
    job_extra_directives: dict[str, str] | None = None  # type: ignore[assignment]


#: the command each system's jobs are submitted with
_SUBMIT = {"slurm": "sbatch", "pbs": "qsub", "htcondor": "condor_submit"}
_SCHEMAS: dict[str, type[ClusterConfig]] = {"slurm": SLURMConfig, "pbs": PBSConfig, "htcondor": HTCondorConfig}


def read_cluster_config(cluster: str, path: Path) -> ClusterConfig:
    """The checked settings of ``path`` for ``cluster`` (one of ``slurm``, ``pbs``, ``htcondor``)."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise DataFileError(path, "a cluster config must be a mapping of settings (cores, memory, queue …)")
    return validate(_SCHEMAS[cluster], raw, path)


def job_kwargs(config: ClusterConfig) -> dict[str, Any]:
    """The keyword arguments of the dask-jobqueue cluster class (``jobs`` left out: it is the scale)."""
    kwargs = config.model_dump(exclude_none=True, exclude={"jobs"})
    kwargs.setdefault("processes", config.cores)
    return kwargs


def make_cluster(cluster: str, config: ClusterConfig) -> Any:
    """A dask-jobqueue cluster of ``cluster``'s kind (its scheduler runs in this process), scaled to ``jobs``."""
    import shutil

    from showerml.errors import InputError

    submit = _SUBMIT[cluster]
    if shutil.which(submit) is None:  # jobqueue would log the failed submission and wait for workers for ever
        raise InputError(f"--cluster {cluster} submits jobs with {submit}, which is not on this machine's PATH; run "
                         f"on a {cluster} login node (or use --scheduler)")
    import dask_jobqueue

    cls = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster,
           "htcondor": dask_jobqueue.HTCondorCluster}[cluster]
    made = cls(**job_kwargs(config))
    made.scale(jobs=config.jobs)
    return made
