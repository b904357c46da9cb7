"""The executor interface: map a function over tasks, results in task order, a bounded number in flight."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TypeVar

__all__ = ["Executor", "SerialExecutor"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(ABC):
    """Runs picklable ``fn(task)`` calls somewhere; a context manager (start on enter, stop on exit)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @abstractmethod
    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """``fn(task)`` for every task, yielded in task order; at most :attr:`in_flight` tasks submitted ahead."""

    @property
    @abstractmethod
    def in_flight(self) -> int:
        """Tasks submitted ahead of the one being waited for (bounds the memory of finished results)."""

    def describe(self) -> str:
        """One line for the log."""
        return type(self).__name__

    def close(self) -> None:
        """Stop the workers (idempotent); nothing to stop by default."""
        return None


class SerialExecutor(Executor):
    """Every task in this process, one after the other (``--workers 1``, or a single task)."""

    @property
    def in_flight(self) -> int:
        return 1

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)

    def describe(self) -> str:
        return "local, 1 process"
