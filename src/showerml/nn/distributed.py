"""Data-parallel training across processes (``torchrun``): the collectives the one training loop needs.

Under ``torchrun`` (environment ``WORLD_SIZE`` > 1) :func:`process_group` joins the process group on first use —
NCCL when the process trains on a CUDA device, gloo on the CPU — and leaves it at exit. The training loop then keeps
the single-process mathematics: every rank draws the same global batch order from the run seed, takes its own
slice of every global batch (a distributed sampler without padding), and the gradients are summed across ranks
weighted by each slice's share of the global batch,

    g = Σ_r (n_r / N) ∇L_r,   L_r = mean loss on rank r's n_r examples,  N = Σ_r n_r,

which is exactly the gradient of the mean loss over the global batch (what DDP's bucketed all-reduce computes when
the slices are equal; Li et al., "PyTorch Distributed", VLDB 2020, arXiv:2006.15704). So a run on W processes
follows the same loss curve as one process at the same global batch size, up to the order of floating-point sums.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from showerml.errors import InputError

__all__ = [
    "Group",
    "average_buffers",
    "broadcast_module",
    "env_rank",
    "env_world_size",
    "process_group",
    "rank_seed",
    "reduce_gradients",
    "shared_path",
    "sum_across",
]

_PATH_BYTES = 4096


@dataclass(frozen=True)
class Group:
    """The process group a training run is part of (``world_size == 1``: a single process, no collectives)."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")  # where collective buffers live (the training device; CUDA for NCCL)

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def env_world_size() -> int:
    """``WORLD_SIZE`` set by ``torchrun`` (1 without it)."""
    try:
        return max(int(os.environ.get("WORLD_SIZE", "1") or 1), 1)
    except ValueError:
        raise InputError(f"WORLD_SIZE={os.environ['WORLD_SIZE']!r} is not a number of processes") from None


def env_rank() -> int:
    """``RANK`` set by ``torchrun`` (0 without it)."""
    try:
        return int(os.environ.get("RANK", "0") or 0)
    except ValueError:
        raise InputError(f"RANK={os.environ['RANK']!r} is not a process rank") from None


def process_group(device: torch.device) -> Group:
    """The current process group, joined now if ``torchrun`` started this process and no group exists yet."""
    if dist.is_available() and dist.is_initialized():
        return Group(dist.get_rank(), dist.get_world_size(), device)
    world = env_world_size()
    if world == 1:
        return Group(device=device)
    if not dist.is_available():
        raise InputError("WORLD_SIZE > 1 but this torch was built without torch.distributed")
    missing = [k for k in ("MASTER_ADDR", "MASTER_PORT", "RANK") if k not in os.environ]
    if missing:
        raise InputError(f"WORLD_SIZE={world} but {', '.join(missing)} unset: start multi-process training with "
                         "torchrun (see docs/distributed_training.md)")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend)
    atexit.register(_leave)
    return Group(dist.get_rank(), dist.get_world_size(), device)


def _leave() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def rank_seed(seed: int, rank: int, epoch: int) -> int:
    """Seed of rank ``rank``'s torch random stream in ``epoch`` (dropout, noise inside a loss), derived from the run
    seed by :class:`numpy.random.SeedSequence` so that the streams of different ranks and epochs are independent and a
    resumed run reseeds exactly as the uninterrupted one did."""
    return int(np.random.SeedSequence([int(seed), int(epoch), int(rank)]).generate_state(1, np.uint64)[0] >> 1)


def _trainable(params: Iterable[nn.Parameter]) -> list[nn.Parameter]:
    return [p for p in params if p.requires_grad]


def reduce_gradients(group: Group, params: Sequence[nn.Parameter], share: float,
                     extra: Sequence[float] = ()) -> list[float]:
    """Replace each gradient by Σ_r share_r · grad_r over the ranks, in one all-reduce of a flat buffer; returns
    Σ_r of each number in ``extra`` (carried in the same buffer and precision: the batch's loss sums, no extra
    message).

    A parameter that got no gradient on any rank keeps ``grad = None`` (so Adam skips it, as in one process); one that
    got a gradient on some rank only is reduced with zeros from the others.
    """
    if not group.active:
        return [float(v) for v in extra]
    dtype = next((p.grad.dtype for p in params if p.grad is not None), torch.float32)
    parts = [(p.grad.detach() * share).reshape(-1).to(dtype) if p.grad is not None
             else torch.zeros(p.numel(), device=group.device, dtype=dtype) for p in params]
    tail = [float(p.grad is not None) for p in params] + [float(v) for v in extra]
    flat = torch.cat([*parts, torch.tensor(tail, dtype=torch.float64).to(device=group.device, dtype=dtype)])
    dist.all_reduce(flat)
    offset = 0
    used = flat[offset + sum(p.numel() for p in params):].tolist()
    for p, flag in zip(params, used[: len(params)], strict=True):
        n = p.numel()
        p.grad = flat[offset : offset + n].view(p.shape).to(p.dtype).clone() if flag > 0 else None
        offset += n
    return used[len(params):]


def sum_across(group: Group, values: Sequence[float]) -> list[float]:
    """Σ over the ranks of each value (float64), the same numbers on every rank."""
    if not group.active:
        return [float(v) for v in values]
    t = torch.tensor(list(values), dtype=torch.float64, device=group.device)
    dist.all_reduce(t)
    dist.broadcast(t, src=0)  # bit-identical on every rank, so every rank takes the same early-stopping decision
    return [float(v) for v in t.cpu()]


def broadcast_module(group: Group, module: nn.Module) -> None:
    """Give every rank rank 0's parameters and buffers (as DDP does when it wraps a model)."""
    if not group.active:
        return
    with torch.no_grad():
        for t in [*module.parameters(), *module.buffers()]:
            dist.broadcast(t.data, src=0)


def average_buffers(group: Group, module: nn.Module) -> None:
    """Average the floating-point buffers (batch-norm running statistics) over the ranks."""
    if not group.active:
        return
    with torch.no_grad():
        for b in module.buffers():
            if b.is_floating_point():
                dist.all_reduce(b.data)
                b.data /= group.world_size


def shared_path(group: Group, path: str | os.PathLike[str] | None) -> str | None:
    """Rank 0's ``path`` on every rank (checkpoints live on a file system all ranks can read)."""
    if not group.active:
        return None if path is None else os.fspath(path)
    raw = b"" if path is None else os.fsencode(os.fspath(path))
    if len(raw) >= _PATH_BYTES:
        raise InputError(f"checkpoint path longer than {_PATH_BYTES - 1} bytes: {path}")
    buf = torch.zeros(_PATH_BYTES + 1, dtype=torch.uint8, device=group.device)
    if group.is_main:
        buf[0] = 0 if path is None else 1
        buf[1 : 1 + len(raw)] = torch.tensor(list(raw), dtype=torch.uint8)
    dist.broadcast(buf, src=0)
    if int(buf[0]) == 0:
        return None
    data = bytes(buf[1:].cpu().tolist()).rstrip(b"\0")
    return os.fsdecode(data)


def barrier(group: Group) -> None:
    """Wait for every rank."""
    if group.active:
        dist.barrier()
