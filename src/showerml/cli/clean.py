"""``showerml clean PATH``: list and remove the temporary files a killed run left beside its output.

A run writes under a hidden temporary name (``.<name>.<pid>@<host>.<random>.tmp``, :mod:`showerml.io.atomic`) and
renames it when complete; SIGKILL, an out-of-memory kill or a power loss leave that file (or hidden run folder)
behind. The next run on the same target removes it; ``clean`` does it for a whole folder (or one target). Files whose
writer is still running (same host, live process) or that were written on another host are listed, never removed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

__all__ = ["clean", "register"]


def clean(
    path: Path = typer.Argument(..., help="A folder, or an output file/folder whose leftovers to remove."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Only list what would be removed."),
) -> None:
    """Remove temporary files and hidden run folders left by killed runs (never those of a run still going on)."""
    from showerml.errors import InputError
    from showerml.io.atomic import host_tag, temp_files_in

    if str(path).strip() == "":
        raise InputError("PATH is empty; give a folder or an output name")
    if path.is_dir() and not temp_files_in(path.parent if str(path.parent) else ".", path.name):
        found = temp_files_in(path)
    else:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise InputError(f"folder {parent} does not exist")
        found = temp_files_in(parent, path.name)
    if not found:
        typer.echo(f"no temporary files of showerml in {path}")
        return
    removed = 0
    for f in found:
        if not f.stale:
            why = "its writer is still running" if f.host in (None, host_tag()) else f"written on host {f.host}"
            typer.echo(f"kept     {f.path} ({why})")
            continue
        if not dry_run:
            if f.path.is_dir():
                shutil.rmtree(f.path, ignore_errors=True)
            else:
                f.path.unlink(missing_ok=True)
            removed += 1
        typer.echo(f"{'stale' if dry_run else 'removed'}  {f.path} (writer process {f.pid} no longer exists)")
    if not dry_run:
        typer.echo(f"removed {removed} of {len(found)} temporary file(s)")


def register(app: typer.Typer) -> None:
    app.command("clean")(clean)
