"""The one training loop of showerml, used by every model.

Mini-batch gradient descent (Adam) on in-memory tensors with: a seeded shuffle, an optional cosine learning-rate
decay per epoch (lr_e = lr · (0.01 + 0.99 · ½(1 + cos(π e / epochs))), Loshchilov & Hutter, ICLR 2017), early
stopping on the validation loss (the best weights are restored at the end), an atomic checkpoint after every epoch,
``resume`` from that checkpoint after a kill (the run continues exactly as if uninterrupted), and a rich progress
bar (one line per epoch when the output is not a terminal). A Ctrl-C or SIGTERM stops it between batches; when a
checkpoint exists it is kept and the interrupt says how to resume (:class:`~showerml.interrupts.Interrupted`).

A model plugs in through ``loss_fn(model, batch) -> scalar tensor``, where ``batch`` is a tuple of tensors sliced
from ``train_data``; so a flow's negative log-likelihood, a classifier's cross-entropy or a diffusion loss all share
this loop.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from showerml import interrupts
from showerml.errors import DataFileError, InputError
from showerml.io.atomic import make_temp, remove_stale_temp_files

__all__ = ["TrainConfig", "TrainResult", "train"]

LossFn = Callable[[nn.Module, tuple[torch.Tensor, ...]], torch.Tensor]
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


@torch.no_grad()
def evaluate_loss(model: nn.Module, loss_fn: LossFn, data: Sequence[torch.Tensor], batch_size: int) -> float:
    """Mean loss over ``data``, weighted by batch size."""
    model.eval()
    total, count = 0.0, 0
    for idx in _batches(len(data[0]), batch_size, None):
        batch = tuple(t[idx] for t in data)
        total += float(loss_fn(model, batch)) * len(idx)
        count += len(idx)
    return total / max(count, 1)


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


def train(
    model: nn.Module,
    loss_fn: LossFn,
    train_data: Sequence[torch.Tensor],
    val_data: Sequence[torch.Tensor],
    config: TrainConfig | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> TrainResult:
    """Train ``model`` in place; returns the loss history. The model ends with its best validation weights."""
    cfg = config or TrainConfig()
    if cfg.lr_schedule not in ("constant", "cosine"):
        raise InputError(f"unknown learning-rate schedule '{cfg.lr_schedule}': use constant or cosine")
    if len(train_data[0]) == 0 or len(val_data[0]) == 0:
        raise InputError("training needs at least one training and one validation example")
    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    auxiliary = _auxiliary_optimizers(model)
    result = TrainResult()
    best_state = copy.deepcopy(model.state_dict())
    start_epoch, bad_epochs = 0, 0
    ckpt = Path(checkpoint_dir) / CHECKPOINT if checkpoint_dir is not None else None
    if ckpt is not None:
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        if resume and ckpt.exists():
            try:
                state = torch.load(ckpt, weights_only=True)
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
    try:
        result = _loop(model, loss_fn, train_data, val_data, cfg, optimizer, auxiliary, generator, result,
                       best_state, start_epoch, bad_epochs, ckpt, t0)
    except KeyboardInterrupt:
        if ckpt is not None and ckpt.exists():
            done = int(torch.load(ckpt, weights_only=True)["result"]["epochs_run"])
            raise interrupts.Interrupted(
                f"interrupted; the checkpoint after epoch {done} is kept in {ckpt.parent}: run the same command "
                f"with --resume to continue from it"
            ) from None
        raise
    model.eval()
    return result


def _loop(model: nn.Module, loss_fn: LossFn, train_data: Sequence[torch.Tensor], val_data: Sequence[torch.Tensor],
          cfg: TrainConfig, optimizer: torch.optim.Optimizer, auxiliary: dict[str, torch.optim.Optimizer],
          generator: torch.Generator, result: TrainResult, best_state: dict, start_epoch: int, bad_epochs: int,
          ckpt: Path | None, t0: float) -> TrainResult:
    """The epochs of :func:`train` (the model ends with its best weights)."""
    progress = _progress(cfg)
    log = cfg.progress and not sys.stdout.isatty()
    with progress:
        task = progress.add_task(cfg.description, total=cfg.epochs, completed=start_epoch, loss=math.nan)
        for epoch in range(start_epoch, cfg.epochs):
            if bad_epochs >= cfg.patience:
                result.stopped_early = True
                break
            if cfg.lr_schedule == "cosine":  # a function of the epoch alone, so a resumed run follows the same path
                for group in optimizer.param_groups:
                    group["lr"] = cfg.lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * epoch / cfg.epochs)))
            model.train()
            total, count = 0.0, 0
            for idx in _batches(len(train_data[0]), cfg.batch_size, generator):
                interrupts.check()
                batch = tuple(t[idx] for t in train_data)
                loss = loss_fn(model, batch)
                if not torch.isfinite(loss):
                    raise InputError(f"{cfg.description}: loss became {float(loss)} in epoch {epoch}; lower the lr")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                optimizer.step()
                total += float(loss.detach()) * len(idx)
                count += len(idx)
            val = evaluate_loss(model, loss_fn, val_data, max(cfg.batch_size, 1024))
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


def _progress(cfg: TrainConfig):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("val loss {task.fields[loss]:.4g}"),
        TimeElapsedColumn(),
        disable=not (cfg.progress and sys.stdout.isatty()),
        transient=True,
    )
