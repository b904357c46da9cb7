"""Where a model trains or samples: ``auto | cpu | cuda | mps`` resolved once, in one place.

:func:`resolve_device` turns the ``--device`` option into a :class:`torch.device` (``auto``: CUDA if present, else
Apple's MPS, else the CPU; under ``torchrun`` a CUDA process takes the GPU of its ``LOCAL_RANK``). Asking for a device
the machine does not have is a one-line :class:`~showerml.errors.InputError`, raised before anything is read or
written. :func:`using` makes the resolved device the current one for the code it wraps, so the training loop
(:func:`showerml.nn.train`) and the samplers find it without every pipeline passing it down.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator

import torch
from torch import nn

from showerml.errors import InputError

__all__ = ["DEVICE_CHOICES", "current_device", "placed", "resolve_device", "using"]

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")

_CURRENT: contextvars.ContextVar[torch.device | None] = contextvars.ContextVar("showerml_device", default=None)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _local_cuda() -> torch.device:
    """``cuda:LOCAL_RANK`` under torchrun (one GPU per process), else ``cuda:0``."""
    local = int(os.environ.get("LOCAL_RANK", "0") or 0)
    count = torch.cuda.device_count()
    if local >= count:
        raise InputError(f"--device cuda: process LOCAL_RANK={local} has no GPU of its own ({count} visible); "
                         "start at most one process per GPU (torchrun --nproc-per-node)")
    return torch.device("cuda", local)


def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """The device for ``name`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``), checked to exist on this machine."""
    if isinstance(name, torch.device):
        name = str(name)
    text = (name or "auto").strip().lower()
    kind, _, index = text.partition(":")
    if kind not in DEVICE_CHOICES or (index and (kind != "cuda" or not index.isdigit())):
        raise InputError(f"--device must be one of {', '.join(DEVICE_CHOICES)} (or cuda:N), got '{name}'")
    if kind == "auto":
        if torch.cuda.is_available():
            return _local_cuda()
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if kind == "cpu":
        return torch.device("cpu")
    if kind == "mps":
        if not _mps_available():
            raise InputError("--device mps: Apple's Metal (MPS) backend is not available on this machine; "
                             "use --device cpu or auto")
        return torch.device("mps")
    if not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA GPU is available to this torch "
                         f"({torch.__version__}); use --device cpu or auto")
    if index:
        if int(index) >= torch.cuda.device_count():
            raise InputError(f"--device {text}: only {torch.cuda.device_count()} CUDA device(s) are visible")
        return torch.device("cuda", int(index))
    return _local_cuda()


def current_device() -> torch.device:
    """The device set by the innermost :func:`using` block (the CPU outside any)."""
    return _CURRENT.get() or torch.device("cpu")


@contextlib.contextmanager
def using(device: str | torch.device | None) -> Iterator[torch.device]:
    """Make ``device`` (resolved by :func:`resolve_device`) the current device inside the block."""
    resolved = resolve_device(device)
    token = _CURRENT.set(resolved)
    try:
        yield resolved
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def placed(module: nn.Module, device: torch.device | None = None) -> Iterator[torch.device]:
    """Run the block with ``module`` on ``device`` (default: the current device), which is also where new tensors are
    made; the module goes back where it was afterwards. On the CPU nothing moves and nothing changes."""
    dev = device if device is not None else current_device()
    if dev.type == "cpu":
        yield dev
        return
    first = next(iter(module.parameters()), None)
    home = first.device if first is not None else torch.device("cpu")
    module.to(dev)
    try:
        with torch.device(dev):
            yield dev
    finally:
        module.to(home)
