"""``--executor local``: a process pool on this machine, results in order through a window of asynchronous tasks.

The window (at most two tasks per worker ahead of the one being waited for), not ``imap``: with ``imap`` finished
results pile up in memory when the consumer (writing a file) is slower than the workers. Workers ignore SIGINT: Ctrl-C
reaches the whole process group, and the consuming process alone acts on it and stops the pool. The pool starts from
a fork server, not ``fork``: a process that already ran torch or BLAS holds thread pools whose locks a forked child
inherits mid-use (a deadlock seen with the tests); the fork server is a clean single-threaded parent.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from showerml.execution.base import Executor

__all__ = ["LocalExecutor"]

T = TypeVar("T")
R = TypeVar("R")


def _ignore_sigint() -> None:
    """Pool initialiser: Ctrl-C reaches the whole process group; only the consuming process acts on it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalExecutor(Executor):
    """``workers`` processes of a ``multiprocessing`` pool (fork server on Linux, spawn elsewhere)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Any = None

    def __enter__(self) -> LocalExecutor:
        context = mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
        self._pool = context.Pool(self.workers, initializer=_ignore_sigint)
        return self

    @property
    def in_flight(self) -> int:
        return 2 * self.workers

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        assert self._pool is not None, "use LocalExecutor as a context manager"
        window: deque = deque()
        for task in tasks:
            window.append(self._pool.apply_async(fn, (task,)))
            if len(window) >= self.in_flight:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()

    def describe(self) -> str:
        return f"local, {self.workers} processes"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
