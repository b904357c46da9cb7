"""``--device auto|cpu|cuda|mps`` for every command that trains or samples a model, and what a command does when
``torchrun`` started it on several processes.

:func:`on_device` resolves the option once (:func:`showerml.nn.devices.resolve_device`; a device the machine lacks is
a one-line error, exit 2, before anything is read or written) and makes it current for the command's body. Under
``torchrun`` every process runs the whole command — all of them take part in each training — but only rank 0 writes:
the other ranks get a private scratch folder in place of ``--out`` (removed when they finish) and print nothing, so
the output is exactly one run's, written once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import typer

__all__ = ["DEVICE", "Outputs", "on_device"]

DEVICE = typer.Option("cpu", "--device", help="Where the model trains or samples: cpu, cuda (cuda:N), mps, or "
                      "auto (CUDA, else MPS, else CPU). Under torchrun, cuda means the GPU of each process's "
                      "LOCAL_RANK.")


class Outputs:
    """Where a command writes: ``outputs(out)`` is ``out`` itself on rank 0 (and without torchrun), a scratch
    stand-in on the other ranks (a folder already there when ``folder``, so that ``--resume`` finds it)."""

    def __init__(self, scratch: Path | None) -> None:
        self.scratch = scratch

    def __call__(self, out: Path, folder: bool = True) -> Path:
        if self.scratch is None:
            return out
        stand_in = self.scratch / Path(out).name
        if folder:
            stand_in.mkdir(exist_ok=True)
        return stand_in


@contextlib.contextmanager
def on_device(device: str) -> Iterator[Outputs]:
    """Run the block on ``device`` (checked first); yields the :class:`Outputs` of this process."""
    from showerml.nn.devices import using
    from showerml.nn.distributed import env_rank

    with using(device):
        if env_rank() == 0:
            yield Outputs(None)
            return
        scratch = Path(tempfile.mkdtemp(prefix=f"showerml-rank{env_rank()}-"))
        try:
            with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
                yield Outputs(scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
