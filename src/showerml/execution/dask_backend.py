"""``--executor dask``: tasks on a ``dask.distributed`` cluster, results in task order through a bounded window.

Three ways to get the cluster (:class:`~showerml.execution.spec.ExecutorSpec`): a running scheduler's address
(reached within ``connect_timeout`` seconds, and it must show a worker within as long: otherwise a one-line
:class:`~showerml.errors.InputError` before any output is opened), ``local`` (a ``LocalCluster`` of single-threaded
worker processes, started and stopped with the run), or a dask-jobqueue batch cluster
(:mod:`showerml.execution.cluster`, whose jobs may wait in the queue: the run waits for its first worker).

Tasks are submitted with ``pure=False`` (each chunk is its own task even when two look alike) and at most two per
worker thread are ahead of the result being waited for, so finished results do not pile up in this process. Dask
moves tasks and results with pickle: connect only to a scheduler you trust, as to any Dask cluster.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from showerml.errors import InputError, ShowermlError
from showerml.execution.base import Executor
from showerml.execution.spec import ExecutorSpec

__all__ = ["DaskExecutor"]

T = TypeVar("T")
R = TypeVar("R")


class DaskExecutor(Executor):
    """A Dask client (and the cluster it started, if any) for the duration of a run."""

    def __init__(self, spec: ExecutorSpec, workers: int) -> None:
        self.spec = spec
        self.workers = workers
        self._client: Any = None
        self._cluster: Any = None
        self._threads = 1

    def __enter__(self) -> DaskExecutor:
        try:
            self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def _connect(self) -> None:
        from distributed import Client, LocalCluster

        spec = self.spec
        if spec.scheduler == "local":
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", silence_logs=logging.CRITICAL)
            self._client = Client(self._cluster)
        elif spec.scheduler is not None:
            quiet = logging.getLogger("distributed")
            level = quiet.level
            quiet.setLevel(logging.CRITICAL)  # the failed connection is told in one line below, not in a traceback
            try:
                self._client = Client(spec.scheduler, timeout=spec.connect_timeout)
            except (OSError, TimeoutError) as exc:
                reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
                raise InputError(f"cannot reach the Dask scheduler at {spec.scheduler} within "
                                 f"{spec.connect_timeout:g} s ({reason}); start it (dask scheduler) or check "
                                 f"--scheduler") from None
            finally:
                quiet.setLevel(level)
            try:
                self._client.wait_for_workers(1, timeout=spec.connect_timeout)
            except (OSError, TimeoutError):
                raise InputError(f"the Dask scheduler at {spec.scheduler} has no worker after "
                                 f"{spec.connect_timeout:g} s; start some (dask worker {spec.scheduler})") from None
        else:
            from showerml.execution.cluster import make_cluster

            assert spec.cluster is not None and spec.cluster_config is not None
            self._cluster = make_cluster(spec.cluster, spec.cluster_config)
            self._client = Client(self._cluster)
            print(f"dask: submitted {spec.cluster_config.jobs} {spec.cluster} job(s); waiting for the first worker",
                  flush=True)
            self._client.wait_for_workers(1)
        self._refresh()

    def _refresh(self) -> None:
        """Worker threads now on the cluster (a batch cluster grows as its jobs start)."""
        try:
            self._threads = max(1, sum(self._client.nthreads().values()))
        except (OSError, TimeoutError):  # the next result will say what happened
            pass

    @property
    def in_flight(self) -> int:
        return 2 * self._threads

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        assert self._client is not None, "use DaskExecutor as a context manager"
        window: deque = deque()
        try:
            for task in tasks:
                window.append(self._client.submit(fn, task, pure=False))
                if len(window) >= self.in_flight:
                    yield self._result(window.popleft())
                    self._refresh()
            while window:
                yield self._result(window.popleft())
        finally:
            for future in window:
                future.cancel()

    def _result(self, future: Any) -> Any:
        try:
            return future.result()
        except (OSError, TimeoutError) as exc:
            if isinstance(exc, ShowermlError):
                raise
            raise ShowermlError(f"lost the Dask cluster ({self.describe()}) during the run: {exc}") from None

    def describe(self) -> str:
        return self.spec.describe()

    def close(self) -> None:
        """Close the client, then the cluster this run started. Best effort: after Ctrl-C the LocalCluster's workers,
        in the same process group, are already closing on their own, and the cluster's first close can fail on
        their state; it is tried once more when they are gone."""
        import time

        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        for thing in (client, cluster):
            for attempt in range(2):
                if thing is None:
                    break
                try:
                    thing.close()
                    break
                except Exception:  # noqa: BLE001 - closing is best effort; the run's own error is the one to show
                    time.sleep(1.0 if attempt == 0 else 0.0)
