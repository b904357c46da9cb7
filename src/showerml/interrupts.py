"""One Ctrl-C (or SIGTERM) always stops a run: the first signal raises :class:`KeyboardInterrupt` and is remembered.

A :class:`KeyboardInterrupt` raised while Python runs a finaliser or a weak-reference callback is printed as
"Exception ignored in …" and swallowed, so a single Ctrl-C could be lost and the run go on. In a parallel simulation
the callback is that of ``multiprocessing.util._afterfork_registry``, a ``WeakValueDictionary`` in which every lock
and queue of a process pool registers itself: when one is freed, the dictionary's ``remove`` callback runs, and a
SIGINT arriving then is lost. :func:`install` records the signal in a flag
before raising, and long loops call :func:`check` at safe points (between chunks, batches, epochs): a swallowed
interrupt is raised again there. After the first signal the default action is restored, so a second Ctrl-C
terminates at once (the temporary files it leaves are removed by the next run, or by ``showerml clean``).
"""

from __future__ import annotations

import signal
from types import FrameType

__all__ = ["Interrupted", "install", "check", "note", "pending", "reset"]

_pending: list[int] = []
_notes: list[str] = []


def _handler(signum: int, frame: FrameType | None) -> None:
    _pending.append(signum)
    signal.signal(signum, signal.SIG_DFL)  # a second signal of the same kind ends the process at once
    raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT and SIGTERM as described in the module docstring (call once per run, from the main thread)."""
    reset()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _handler)


def pending() -> bool:
    """Whether a SIGINT/SIGTERM arrived since :func:`install` (or :func:`reset`)."""
    return bool(_pending)


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if a signal arrived, even if its first raise was swallowed."""
    if _pending:
        raise KeyboardInterrupt


def reset() -> None:
    """Forget past signals and notes (tests)."""
    _pending.clear()
    _notes.clear()


class Interrupted(KeyboardInterrupt):
    """An interrupt that carries the one line to tell the user (what was kept, how to continue).

    The note is also remembered (:func:`note`): the command-line framework turns any KeyboardInterrupt into an exit
    code and drops the exception, so the entry point reads the note from here.
    """

    def __init__(self, note: str = "") -> None:
        super().__init__(note)
        if note:
            _notes.append(note)



def note() -> str | None:
    """The note of the last :class:`Interrupted` raised in this process, if any."""
    return _notes[-1] if _notes else None
