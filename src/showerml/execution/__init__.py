"""Where the chunks of an embarrassingly parallel run are computed: this machine's processes or a Dask cluster.

An :class:`~showerml.execution.base.Executor` maps a picklable function over tasks and yields the results *in task
order* with a bounded number of tasks in flight, so the caller writes them in order and its memory does not grow with
the run. The executor never changes a result: every task carries its own seed (numpy ``SeedSequence``), so the same
seed gives the same bytes on any executor and any number of workers.

- ``local`` (:mod:`~showerml.execution.local`): a process pool on this machine (the default).
- ``dask`` (:mod:`~showerml.execution.dask_backend`): a running ``dask.distributed`` scheduler, a ``LocalCluster``
  started for the run (``--scheduler local``), or a batch-system cluster started through dask-jobqueue
  (``--cluster slurm|htcondor|pbs``, :mod:`~showerml.execution.cluster`).

:func:`executor_spec` checks the options (cheap, no Dask import); :func:`open_executor` starts the executor.
"""

from __future__ import annotations

from showerml.execution.base import Executor
from showerml.execution.factory import open_executor
from showerml.execution.spec import CLUSTERS, EXECUTORS, ExecutorSpec, executor_spec

__all__ = ["CLUSTERS", "EXECUTORS", "Executor", "ExecutorSpec", "executor_spec", "open_executor"]
