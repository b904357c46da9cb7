"""The executor options of a command, checked before anything starts: ``--executor``, ``--scheduler``, ``--cluster``,
``--cluster-config``, ``--workers``.

Rules (each broken rule is a one-line :class:`~showerml.errors.InputError`):

- ``--executor local`` (default): ``--workers`` processes on this machine; ``--scheduler`` and ``--cluster`` refused.
- ``--executor dask --scheduler ADDRESS``: a running scheduler (``tcp://host:8786``, ``host:8786``, ``tls://…``);
  ``--scheduler local`` starts a ``LocalCluster`` of ``--workers`` single-threaded processes for the run.
- ``--cluster slurm|htcondor|pbs --cluster-config FILE.yaml`` (implies ``--executor dask``): dask-jobqueue submits
  the worker jobs the file describes (:mod:`showerml.execution.cluster`; unknown keys refused).
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path

from showerml.errors import InputError, MissingExtraError
from showerml.execution.cluster import ClusterConfig, read_cluster_config

__all__ = ["CLUSTERS", "CONNECT_TIMEOUT_S", "EXECUTORS", "ExecutorSpec", "executor_spec"]

EXECUTORS = ("local", "dask")
CLUSTERS = ("slurm", "htcondor", "pbs")
#: seconds to reach a scheduler (and, for a running scheduler, to see its first worker) before giving up
CONNECT_TIMEOUT_S = 5.0
#: ``[protocol://]host:port`` of a dask.distributed scheduler
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$")


@dataclass(frozen=True)
class ExecutorSpec:
    """What runs the tasks: ``kind`` ``local`` or ``dask``; for Dask a ``scheduler`` (an address or ``local``) or a
    ``cluster`` (``slurm``, ``htcondor``, ``pbs``) with its checked ``cluster_config``."""

    kind: str = "local"
    workers: int = 1
    scheduler: str | None = None
    cluster: str | None = None
    cluster_config: ClusterConfig | None = None
    connect_timeout: float = CONNECT_TIMEOUT_S

    @property
    def local_processes(self) -> int:
        """Worker processes this run starts on this machine (0 for a remote scheduler or a batch cluster)."""
        if self.kind == "local" or self.scheduler == "local":
            return self.workers
        return 0

    def describe(self) -> str:
        """``local, 2 processes`` / ``dask LocalCluster, 2 workers`` / ``dask at tcp://…`` / ``dask on slurm …``."""
        if self.kind == "local":
            return f"local, {self.workers} process{'es' if self.workers > 1 else ''}"
        if self.scheduler == "local":
            return f"dask LocalCluster, {self.workers} worker{'s' if self.workers > 1 else ''}"
        if self.scheduler is not None:
            return f"dask at {self.scheduler}"
        assert self.cluster_config is not None
        return f"dask on {self.cluster} ({self.cluster_config.describe()})"


def executor_spec(
    executor: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    cluster: str | None = None,
    cluster_config: str | os.PathLike[str] | None = None,
    connect_timeout: float | None = None,
) -> ExecutorSpec:
    """The checked :class:`ExecutorSpec` of the command-line options (see the module docstring); ``connect_timeout``
    defaults to :data:`CONNECT_TIMEOUT_S`."""
    timeout = CONNECT_TIMEOUT_S if connect_timeout is None else float(connect_timeout)
    kind = str(executor).strip().lower()
    if kind not in EXECUTORS:
        raise InputError(f"--executor must be one of {', '.join(EXECUTORS)}, got '{executor}'")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if cluster is not None:
        cluster = str(cluster).strip().lower()
        if cluster not in CLUSTERS:
            raise InputError(f"--cluster must be one of {', '.join(CLUSTERS)}, got '{cluster}'")
        if scheduler is not None:
            raise InputError("give either --scheduler (a running scheduler) or --cluster (jobs to submit), not both")
        if cluster_config is None:
            raise InputError(f"--cluster {cluster} needs --cluster-config FILE.yaml (cores, memory, queue …; see "
                             "docs/scaling.md)")
        kind = "dask"
    elif cluster_config is not None:
        raise InputError("--cluster-config is for --cluster slurm|htcondor|pbs; give --cluster too")
    if kind == "local":
        if scheduler is not None:
            raise InputError("--scheduler is for --executor dask; add --executor dask or leave --scheduler out")
        return ExecutorSpec("local", workers)
    _require_dask(cluster)
    if cluster is not None:
        assert cluster_config is not None
        return ExecutorSpec("dask", workers, None, cluster, read_cluster_config(cluster, Path(cluster_config)),
                            timeout)
    if scheduler is None:
        raise InputError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786, or 'local' for a "
                         "LocalCluster of --workers processes) or --cluster slurm|htcondor|pbs")
    address = str(scheduler).strip()
    if address.lower() != "local" and not _ADDRESS.match(address):
        raise InputError(f"--scheduler must be 'local' or a scheduler address such as tcp://host:8786, got "
                         f"'{scheduler}'")
    return ExecutorSpec("dask", workers, "local" if address.lower() == "local" else address, None, None, timeout)


def _require_dask(cluster: str | None) -> None:
    """A one-line install hint when dask.distributed (or dask-jobqueue for a cluster) is missing."""
    for module in ("distributed",) + (("dask_jobqueue",) if cluster else ()):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError("--executor dask", "distributed", module)
