"""Reconstruction tasks by name.

Every module of :mod:`showerml.reco.tasks` lists its task(s) in a module-level ``REGISTERED`` tuple; this module
imports them all (in name order) and registers those, so adding a task is adding one module there. Code outside the
package (a plug-in, a test) calls :func:`register` itself. The pipeline, the CLI choices and
the bench report read :data:`TASKS`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from showerml.errors import InputError
from showerml.reco.task import ReconstructionTask

__all__ = ["TASKS", "register", "unregister", "get_task", "task_names"]

#: every registered task, by name, in the order of :attr:`ReconstructionTask.order`
TASKS: dict[str, ReconstructionTask[Any]] = {}


def register(task: ReconstructionTask[Any]) -> ReconstructionTask[Any]:
    """Add ``task`` under ``task.name`` (a name taken by another task is a programming error)."""
    if not task.name or not task.methods or task.baseline not in task.methods:
        raise ValueError(f"task {task!r}: needs a name, methods and a baseline among them")
    if task.name in TASKS and TASKS[task.name] is not task:
        raise ValueError(f"a reconstruction task named '{task.name}' is already registered")
    TASKS[task.name] = task
    ordered = sorted(TASKS.values(), key=lambda t: t.order)
    TASKS.clear()
    TASKS.update((t.name, t) for t in ordered)
    return task


def unregister(name: str) -> None:
    """Remove a task (tests register toy tasks and remove them again)."""
    TASKS.pop(name, None)


def get_task(name: str) -> ReconstructionTask[Any]:
    """The task registered as ``name``, or a one-line :class:`InputError` listing the known tasks."""
    if name not in TASKS:
        raise InputError(f"unknown task '{name}': choose one of {', '.join(TASKS)}")
    return TASKS[name]


def task_names() -> tuple[str, ...]:
    return tuple(TASKS)


def _discover() -> None:
    package = importlib.import_module("showerml.reco.tasks")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        for task in getattr(importlib.import_module(f"{package.__name__}.{info.name}"), "REGISTERED", ()):
            register(task)


_discover()
