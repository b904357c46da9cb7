"""The one training loop of showerml, used by every model.

Mini-batch gradient descent (Adam) on in-memory tensors with: a seeded shuffle, an optional cosine learning-rate
decay per epoch (lr_e = lr · (0.01 + 0.99 · ½(1 + cos(π e / epochs))), Loshchilov & Hutter, ICLR 2017), early
stopping on the validation loss (the best weights are restored at the end), an atomic checkpoint after every epoch,
``resume`` from that checkpoint after a kill (the run continues exactly as if uninterrupted), and a rich progress
bar (one line per epoch when the output is not a terminal). A Ctrl-C or SIGTERM stops it between batches; when a
checkpoint exists it is kept and the interrupt says how to resume (:class:`~showerml.interrupts.Interrupted`).

A model plugs in through ``loss_fn(model, batch) -> scalar tensor``, where ``batch`` is a tuple of tensors sliced
from ``train_data``; so a flow's negative log-likelihood, a classifier's cross-entropy or a diffusion loss all share
this loop. ``train_data`` may also be a streamed HDF5 dataset (:class:`~showerml.nn.streaming.H5Rows`): the same
batches, read by DataLoader workers.

Devices and processes: the loop trains on the current device (:func:`showerml.nn.devices.using`, the CLI's
``--device``) and hands the model back where it came from. Started by ``torchrun`` it trains data-parallel
(:mod:`showerml.nn.distributed`): every rank draws the same global batch order, trains on its slice of every global
batch, the gradients are combined into the global batch's gradient, each rank's torch random stream is reseeded per
epoch from (seed, epoch, rank), and rank 0 alone writes the checkpoint — which holds no per-rank state, so a run
resumes on any number of processes. One process (no ``torchrun``) runs exactly the code path it always did.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from showerml import interrupts
from showerml.errors import DataFileError, InputError
from showerml.io.atomic import make_temp, remove_stale_temp_files
from showerml.nn import distributed as ddp
from showerml.nn.devices import current_device
from showerml.nn.streaming import H5Rows, is_streamed

__all__ = ["TrainConfig", "TrainResult", "train"]

LossFn = Callable[[nn.Module, tuple[torch.Tensor, ...]], torch.Tensor]
Data = Sequence[torch.Tensor] | H5Rows
CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainConfig:
    epochs: int = 50
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 5
    min_delta: float = 0.0
    grad_clip: float | None = None
    lr_schedule: str = "constant"  # or "cosine"
    seed: int = 0
    progress: bool = True
    description: str = "training"


@dataclass
class TrainResult:
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    best_val: float = math.inf
    epochs_run: int = 0
    seconds: float = 0.0
    stopped_early: bool = False


def _batches(n: int, size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    return list(torch.split(order, size))


def _size(data: Data) -> int:
    return len(data) if is_streamed(data) else len(data[0])


def _stream(data: Data, batches: Sequence[torch.Tensor], device: torch.device) -> Iterable[tuple[torch.Tensor, ...]]:
    """The examples of each index batch, on ``device`` (sliced from tensors, or read from a streamed dataset)."""
    if isinstance(data, H5Rows):
        source: Iterable[tuple[torch.Tensor, ...]] = data.loader(batches)
    else:
        source = (tuple(t[idx] for t in data) for idx in batches)
    if device.type == "cpu":
        return source
    return (tuple(t.to(device, non_blocking=True) for t in batch) for batch in source)


@torch.no_grad()
def evaluate_loss(model: nn.Module, loss_fn: LossFn, data: Data, batch_size: int) -> float:
    """Mean loss over ``data``, weighted by batch size."""
    total, count = _loss_sums(model, loss_fn, data, batch_size, torch.arange(_size(data)), torch.device("cpu"))
    return total / max(count, 1)


@torch.no_grad()
def _loss_sums(model: nn.Module, loss_fn: LossFn, data: Data, batch_size: int, index: torch.Tensor,
               device: torch.device) -> tuple[float, int]:
    """(Σ loss · batch size, Σ batch size) over the examples ``index``, in batches of ``batch_size``."""
    model.eval()
    total, count = 0.0, 0
    batches = list(torch.split(index, batch_size))
    for idx, batch in zip(batches, _stream(data, batches, device), strict=True):
        total += float(loss_fn(model, batch)) * len(idx)
        count += len(idx)
    return total, count


def _save_checkpoint(path: Path, payload: dict) -> None:
    remove_stale_temp_files(path)
    tmp = make_temp(path)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _auxiliary_optimizers(model: nn.Module) -> dict[str, torch.optim.Optimizer]:
    """Optimisers a model steps inside its own loss (a GAN's discriminator), checkpointed with the loop's own:
    ``model.auxiliary_optimizers()`` if the model defines it."""
    get = getattr(model, "auxiliary_optimizers", None)
    return dict(get()) if callable(get) else {}


def _home(model: nn.Module) -> torch.device:
    first = next(iter(model.parameters()), None)
    return first.device if first is not None else torch.device("cpu")


def train(
    model: nn.Module,
    loss_fn: LossFn,
    train_data: Data,
    val_data: Data,
    config: TrainConfig | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    device: torch.device | None = None,
) -> TrainResult:
    """Train ``model`` in place; returns the loss history. The model ends with its best validation weights, on the
    device it came on; it trains on ``device`` (default: :func:`~showerml.nn.devices.current_device`)."""
    cfg = config or TrainConfig()
    if cfg.lr_schedule not in ("constant", "cosine"):
        raise InputError(f"unknown learning-rate schedule '{cfg.lr_schedule}': use constant or cosine")
    if _size(train_data) == 0 or _size(val_data) == 0:
        raise InputError("training needs at least one training and one validation example")
    dev = device if device is not None else current_device()
    group = ddp.process_group(dev)
    home = _home(model)
    if dev != home:
        model.to(dev)
    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    auxiliary = _auxiliary_optimizers(model)
    if group.active and auxiliary and 0 < _size(train_data) % cfg.batch_size < group.world_size:
        raise InputError(f"the last batch ({_size(train_data) % cfg.batch_size} examples) is smaller than the "
                         f"{group.world_size} processes; a model stepping its own optimiser needs one example per "
                         "process in every batch: change the batch size")
    result = TrainResult()
    ddp.broadcast_module(group, model)  # every rank starts from rank 0's weights
    best_state = copy.deepcopy(model.state_dict())
    start_epoch, bad_epochs = 0, 0
    ckpt = Path(checkpoint_dir) / CHECKPOINT if checkpoint_dir is not None else None
    if group.active:  # every rank resumes from the checkpoint rank 0 sees (a file system they share)
        shared = ddp.shared_path(group, ckpt)
        ckpt = Path(shared) if shared is not None else None
    if ckpt is not None:
        if group.is_main:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
        found = ddp.sum_across(group, [float(resume and ckpt.exists()) if group.is_main else 0.0])[0] > 0
        if found:
            try:
                state = torch.load(ckpt, weights_only=True, map_location="cpu")
            except Exception as exc:  # a damaged checkpoint is a user-facing file problem
                raise DataFileError(ckpt, f"cannot resume from a damaged checkpoint ({exc})") from None
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            saved = state.get("auxiliary", {})  # absent from checkpoints of earlier versions: fresh moments
            for name, opt in auxiliary.items():
                if name in saved:
                    opt.load_state_dict(saved[name])
            generator.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
            best_state = state["best_model"]
            result = TrainResult(**state["result"])
            start_epoch, bad_epochs = result.epochs_run, int(state["bad_epochs"])
    t0 = time.perf_counter() - result.seconds
    hooks = _reduce_auxiliary(group, auxiliary)
    try:
        with torch.device(dev) if dev.type != "cpu" else contextlib.nullcontext():
            result = _loop(model, loss_fn, train_data, val_data, cfg, optimizer, auxiliary, generator, result,
                           best_state, start_epoch, bad_epochs, ckpt if group.is_main else None, t0, group, hooks)
    except KeyboardInterrupt:
        if ckpt is not None and ckpt.exists():
            done = int(torch.load(ckpt, weights_only=True, map_location="cpu")["result"]["epochs_run"])
            raise interrupts.Interrupted(
                f"interrupted; the checkpoint after epoch {done} is kept in {ckpt.parent}: run the same command "
                f"with --resume to continue from it"
            ) from None
        raise
    finally:
        for handle in hooks.handles:
            handle.remove()
        if dev != home:
            model.to(home)
    model.eval()
    return result


class _Share:
    """This rank's share n_r / N of the current global batch, read by the auxiliary optimisers' reduce hooks."""

    def __init__(self) -> None:
        self.value = 1.0
        self.handles: list[Any] = []


def _reduce_auxiliary(group: ddp.Group, auxiliary: dict[str, torch.optim.Optimizer]) -> _Share:
    """Under torchrun, every auxiliary optimiser combines its gradients across ranks before it steps."""
    share = _Share()
    if not group.active:
        return share
    for opt in auxiliary.values():
        params = [p for g in opt.param_groups for p in g["params"] if p.requires_grad]

        def hook(_opt: torch.optim.Optimizer, _args: Any, _kwargs: Any, params: list[Any] = params) -> None:
            ddp.reduce_gradients(group, params, share.value)

        share.handles.append(opt.register_step_pre_hook(hook))
    return share


def _loop(model: nn.Module, loss_fn: LossFn, train_data: Data, val_data: Data,
          cfg: TrainConfig, optimizer: torch.optim.Optimizer, auxiliary: dict[str, torch.optim.Optimizer],
          generator: torch.Generator, result: TrainResult, best_state: dict, start_epoch: int, bad_epochs: int,
          ckpt: Path | None, t0: float, group: ddp.Group, share: _Share) -> TrainResult:
    """The epochs of :func:`train` (the model ends with its best weights); ``ckpt`` is None on ranks other than 0."""
    progress = _progress(cfg, group)
    log = cfg.progress and not sys.stdout.isatty() and group.is_main
    dev = _home(model)
    params = [p for p in model.parameters() if p.requires_grad]
    n_train, n_val = _size(train_data), _size(val_data)
    val_index = torch.tensor_split(torch.arange(n_val), group.world_size)[group.rank]
    with progress:
        task = progress.add_task(cfg.description, total=cfg.epochs, completed=start_epoch, loss=math.nan)
        for epoch in range(start_epoch, cfg.epochs):
            if bad_epochs >= cfg.patience:
                result.stopped_early = True
                break
            if cfg.lr_schedule == "cosine":  # a function of the epoch alone, so a resumed run follows the same path
                for group_ in optimizer.param_groups:
                    group_["lr"] = cfg.lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * epoch / cfg.epochs)))
            if group.active:  # each rank its own random stream (noise, dropout), a function of (seed, epoch, rank)
                torch.manual_seed(ddp.rank_seed(cfg.seed, group.rank, epoch))
            model.train()
            total, count = 0.0, 0
            batches = _batches(n_train, cfg.batch_size, generator)
            if group.active:
                total, count = _distributed_epoch(model, loss_fn, train_data, batches, optimizer, params, cfg,
                                                  epoch, group, share, dev)
            else:
                for idx, batch in zip(batches, _stream(train_data, batches, dev), strict=True):
                    interrupts.check()
                    loss = loss_fn(model, batch)
                    if not torch.isfinite(loss):
                        raise InputError(f"{cfg.description}: loss became {float(loss)} in epoch {epoch}; "
                                         "lower the lr")
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    if cfg.grad_clip is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                    optimizer.step()
                    total += float(loss.detach()) * len(idx)
                    count += len(idx)
            if group.active:
                ddp.average_buffers(group, model)
                sums = _loss_sums(model, loss_fn, val_data, max(cfg.batch_size, 1024), val_index, dev)
                val_total, val_count = ddp.sum_across(group, [sums[0], float(sums[1])])
                val = val_total / max(val_count, 1.0)
            else:
                val = _val_loss(model, loss_fn, val_data, max(cfg.batch_size, 1024), dev)
            result.train_loss.append(total / count)
            result.val_loss.append(val)
            result.epochs_run = epoch + 1
            if val < result.best_val - cfg.min_delta:
                result.best_val, result.best_epoch, bad_epochs = val, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
            result.seconds = time.perf_counter() - t0
            if ckpt is not None:
                _save_checkpoint(
                    ckpt,
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "auxiliary": {name: opt.state_dict() for name, opt in auxiliary.items()},
                        "generator": generator.get_state(),
                        "torch_rng": torch.get_rng_state(),
                        "best_model": best_state,
                        "result": asdict(result),
                        "bad_epochs": bad_epochs,
                        "config": asdict(cfg),
                    },
                )
            progress.update(task, advance=1, loss=val)
            if log:
                print(f"{cfg.description}: epoch {epoch + 1}/{cfg.epochs}, train loss {total / count:.4g}, "
                      f"val loss {val:.4g}, {result.seconds:.0f} s", flush=True)
        else:
            result.stopped_early = bad_epochs >= cfg.patience
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - t0
    return result


def _val_loss(model: nn.Module, loss_fn: LossFn, data: Data, batch_size: int, device: torch.device) -> float:
    total, count = _loss_sums(model, loss_fn, data, batch_size, torch.arange(_size(data)), device)
    return total / max(count, 1)


def _distributed_epoch(model: nn.Module, loss_fn: LossFn, data: Data, batches: list[torch.Tensor],
                       optimizer: torch.optim.Optimizer, params: list[nn.Parameter], cfg: TrainConfig, epoch: int,
                       group: ddp.Group, share: _Share, device: torch.device) -> tuple[float, int]:
    """One epoch on this rank's slice of every global batch; returns the global (Σ loss · n, Σ n)."""
    local = [torch.tensor_split(idx, group.world_size)[group.rank] for idx in batches]
    nonempty = [idx for idx in local if len(idx)]
    stream = iter(_stream(data, nonempty, device))
    total, count = 0.0, 0
    for idx, global_idx in zip(local, batches, strict=True):
        interrupts.check()
        share.value = len(idx) / len(global_idx)
        local_sum = 0.0
        if len(idx):
            loss = loss_fn(model, next(stream))  # may step an auxiliary optimiser (reduced by its hook)
            optimizer.zero_grad(set_to_none=True)  # after the loss, as in one process: its gradients are not ours
            loss.backward()
            local_sum = float(loss.detach()) * len(idx)
        else:
            optimizer.zero_grad(set_to_none=True)
        batch_sum, = ddp.reduce_gradients(group, params, share.value, [local_sum])
        if not math.isfinite(batch_sum):
            raise InputError(f"{cfg.description}: loss became {batch_sum / len(global_idx)} in epoch {epoch}; "
                             "lower the lr")
        if cfg.grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        total += batch_sum
        count += len(global_idx)
    return total, count


def _progress(cfg: TrainConfig, group: ddp.Group | None = None):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("val loss {task.fields[loss]:.4g}"),
        TimeElapsedColumn(),
        disable=not (cfg.progress and sys.stdout.isatty() and (group is None or group.is_main)),
        transient=True,
    )
