"""Atomic file writes: a temporary file beside the target, then ``os.replace``; a crash never leaves a half file.

Temporary files are named ``.<target name>.<pid>@<host>.<random>.tmp``: the writer's process id and host are in the
name, so the leftovers of a killed writer (SIGKILL, out-of-memory kill, power loss) can be told apart from the file
of a run still going on. :func:`stale_temp_files` finds those of one target whose writer no longer exists on this
host; every writer removes them before it starts (:func:`remove_stale_temp_files`), and ``showerml clean`` lists or
removes them in a whole folder (:func:`temp_files_in`).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "TempFile",
    "host_tag",
    "atomic_write_bytes",
    "make_public",
    "make_temp",
    "remove_stale_temp_files",
    "umask",
    "stale_temp_files",
    "temp_files_in",
    "temp_prefix",
]

#: ``.<name>.<pid>[@<host>].<random>.tmp`` (files and hidden run folders alike)
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)(?:@(?P<host>[A-Za-z0-9-]{1,32}))?\.(?P<rand>[A-Za-z0-9_]+)\.tmp$")


def host_tag() -> str:
    """This host's name as it appears in temporary file names (letters, digits and dashes, at most 32)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


def umask() -> int:
    """The process's file-creation mask (read without changing it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_public(path: str | os.PathLike[str]) -> None:
    """Give a temporary file (created 0600 by mkstemp) the permissions a normal file gets (0666 & ~umask)."""
    os.chmod(path, 0o666 & ~umask())


def temp_prefix(target: str | os.PathLike[str]) -> str:
    """The name prefix of this process's temporary files for ``target``: ``.<name>.<pid>@<host>.``."""
    return f".{Path(target).name}.{os.getpid()}@{host_tag()}."


def make_temp(target: str | os.PathLike[str]) -> str:
    """Create an empty temporary file beside ``target`` (permissions of a normal file); return its path."""
    t = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(t), suffix=".tmp", dir=t.parent if str(t.parent) else ".")
    os.close(fd)
    make_public(tmp)
    return tmp


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


@dataclass(frozen=True)
class TempFile:
    """A temporary file or folder of showerml's naming, with what can be said about its writer."""

    path: Path
    target: str
    pid: int
    host: str | None

    @property
    def stale(self) -> bool:
        """True when its writer ran on this host and no longer exists (a file of another host is never stale here)."""
        if self.host is not None and self.host != host_tag():
            return False
        return not _pid_alive(self.pid)


def temp_files_in(folder: str | os.PathLike[str], target: str | None = None) -> list[TempFile]:
    """showerml temporary files (and hidden run folders) in ``folder``, optionally only those of ``target``."""
    d = Path(folder)
    if not d.is_dir():
        return []
    found = []
    for entry in d.iterdir():
        m = _TEMP.match(entry.name)
        if m and (target is None or m.group("name") == target):
            found.append(TempFile(entry, m.group("name"), int(m.group("pid")), m.group("host")))
    return sorted(found, key=lambda t: t.path.name)


def stale_temp_files(target: str | os.PathLike[str]) -> list[Path]:
    """Temporary files of ``target`` left by writers that no longer exist (never those of a live writer)."""
    t = Path(target)
    return [f.path for f in temp_files_in(t.parent if str(t.parent) else ".", t.name) if f.stale and f.path.is_file()]


def remove_stale_temp_files(target: str | os.PathLike[str]) -> list[Path]:
    """Remove :func:`stale_temp_files` of ``target``; return what was removed."""
    removed = []
    for path in stale_temp_files(target):
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:  # another run removed it first
            pass
    return removed


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    target = Path(path)
    remove_stale_temp_files(target)
    tmp = make_temp(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
