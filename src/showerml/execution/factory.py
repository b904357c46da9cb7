"""Start the executor an :class:`~showerml.execution.spec.ExecutorSpec` describes."""

from __future__ import annotations

from showerml.execution.base import Executor, SerialExecutor
from showerml.execution.spec import ExecutorSpec

__all__ = ["open_executor"]


def open_executor(spec: ExecutorSpec, n_tasks: int | None = None) -> Executor:
    """The (not yet entered) executor of ``spec``; a local run of one worker or of one task runs in this process.

    Entering a Dask executor connects to its scheduler (or starts its cluster) at once, so an unreachable address is
    reported before any output is opened."""
    workers = spec.workers if n_tasks is None else max(1, min(spec.workers, n_tasks))
    if spec.kind == "local":
        if workers == 1:
            return SerialExecutor()
        from showerml.execution.local import LocalExecutor

        return LocalExecutor(workers)
    from showerml.execution.dask_backend import DaskExecutor

    return DaskExecutor(spec, workers if spec.scheduler == "local" else spec.workers)


