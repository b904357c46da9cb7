"""The two track finders: a two-pass Hough transform with heat-map CNNs around the direction CNN's axis, and the
combinatorial χ² finder around the calorimeter line fit.

The ML chain: the direction CNN gives the axis (:func:`~showerml.reco.direction.fit_direction_net`, trained on the
same events); a coarse Hough grid around it covering the classical finder's window (±150 mm, ±0.5 in slope) goes to a
heat-map CNN; fine grids around the coarse CNN's best cells go to a second heat-map CNN (the two-step scheme of
DAMPE's track CNN, arXiv:2206.04532), which also arbitrates between them; the fine cell is refined by a fit. The
fine CNN is trained on grids centred on the true track shifted by up to one coarse cell, so it does not depend on
the coarse CNN's picks. The classical chain: the calorimeter line fit seeds
:func:`~showerml.reco.tracking.classical_tracks`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from showerml.errors import InputError
from showerml.reco import tracking as T
from showerml.reco.data import RecoSample
from showerml.reco.direction import fit_direction_net, predict_direction
from showerml.reco.estimators import TorchModel, train_config
from showerml.reco.task import RunContext

__all__ = ["charged", "TRACKER_MAX_EVENTS", "fit_track_finder", "find_tracks", "hough_lines", "ENERGY_BINS_GEV", "GRID",
           "FINE_GRID", "N_CANDIDATES", "CLASSICAL_WINDOW_MM", "CLASSICAL_MAX_DK"]

#: the bench reads at most this many events per file for the tracker tasks (per-event loops, two-pass Hough images)
TRACKER_MAX_EVENTS = 2500
#: incident-energy bins (GeV) of the tracking and charge figures
ENERGY_BINS_GEV = (100.0, 1000.0, 10000.0, 100000.0, np.inf)
CLASSICAL_WINDOW_MM = 150.0
CLASSICAL_MAX_DK = 0.5
#: coarse pass: the classical finder's window in 6.25 mm × 0.042 cells
GRID = T.HoughGrid(n_k=24, n_b=48, half_k=CLASSICAL_MAX_DK, half_b=CLASSICAL_WINDOW_MM)
#: fine pass around the coarse pick: ±1.5 coarse cells in 0.5 mm × 0.0052 cells
FINE_GRID = T.HoughGrid(n_k=24, n_b=40, half_k=0.0625, half_b=10.0)
#: coarse cells the fine pass looks around
N_CANDIDATES = 3


def charged(s: RecoSample, task: str) -> RecoSample:
    """The events with a charged primary (p, He, …, e±); a one-line error naming ``task`` when fewer than 10."""
    keep = np.flatnonzero(np.asarray(s["charge"]) >= 1)
    if len(keep) < 10:
        raise InputError(f"{task}: needs charged primaries (p, He, …, e±) in --data")
    return s.take(keep)


def fit_track_finder(train: RecoSample, val: RecoSample, ctx: RunContext) -> dict[str, Any]:
    """Train the axis CNN (``ctx.out/axis``), the coarse (``hough``) and the fine (``hough_fine``) heat-map CNNs;
    return their training times and the share of training events whose true track lies in the coarse grid."""
    axis = fit_direction_net(train, val, ctx.sub("axis"))
    data = []
    for s in (train, val):
        b, k, _ = predict_direction(ctx.out / "axis", s)
        data.append((torch.from_numpy(T.hough_images(s.arrays, b, k, GRID)),
                     torch.from_numpy(T.true_cells(s.arrays, b, k, GRID))))
    model = _fit_heatmap(data, GRID, ctx, "hough cnn (coarse)", ctx.out / "checkpoints")
    model.save(ctx.out / "hough")
    rng = np.random.default_rng(ctx.seed + 1)
    fine = []
    for s in (train, val):
        b, k = _jittered_truth(s, rng)
        fine.append((torch.from_numpy(T.hough_images(s.arrays, b, k, FINE_GRID)),
                     torch.from_numpy(T.true_cells(s.arrays, b, k, FINE_GRID))))
    fine_model = _fit_heatmap(fine, FINE_GRID, ctx, "hough cnn (fine)", ctx.out / "hough_fine" / "checkpoints")
    fine_model.save(ctx.out / "hough_fine")
    seconds = (axis.meta["train_seconds"], model.meta["train_seconds"], fine_model.meta["train_seconds"])
    return {"train_seconds": seconds[1] + seconds[2] + seconds[0], "axis_train_seconds": seconds[0],
            "hough_train_seconds": seconds[1], "hough_fine_train_seconds": seconds[2],
            "roi_fraction_train": float((data[0][1].numpy() >= 0).all(axis=1).mean())}


def _fit_heatmap(data: list[tuple[torch.Tensor, torch.Tensor]], grid: T.HoughGrid, ctx: RunContext, description: str,
                 checkpoints: Path) -> TorchModel:
    model = TorchModel("HeatmapCNN", {"in_channels": 5, "width": 16, "depth": 4}, {"grid": grid.to_dict()})
    model.fit(T.make_hough_loss(grid), [d.numpy() for d in data[0]], [d.numpy() for d in data[1]],
              train_config(ctx.epochs, ctx.seed, description=description, progress=ctx.progress,
                           batch_size=64), checkpoints)
    return model


def _jittered_truth(s: RecoSample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fine-grid centres for training: the true line shifted uniformly by up to one coarse cell (in Δk, Δb)."""
    n = len(s)
    dk = rng.uniform(-1, 1, (n, 2)) * 2 * GRID.half_k / GRID.n_k
    db = rng.uniform(-1, 1, (n, 2)) * 2 * GRID.half_b / GRID.n_b
    k = s["slope"] + dk
    b_ref = s["intercept"] + s["slope"] * T.Z_REF + db
    return b_ref - k * T.Z_REF, k


def _logits(model_dir: Path, name: str, s: RecoSample, b: np.ndarray, k: np.ndarray
            ) -> tuple[np.ndarray, T.HoughGrid]:
    """Cell logits (N, 2, cells) of the heat-map CNN ``model_dir/name`` in the grid around (b, k), and the grid."""
    model = TorchModel.load(model_dir / name)
    grid = T.HoughGrid(**model.meta["grid"])
    images = torch.from_numpy(T.hough_images(s.arrays, b, k, grid))
    logits = np.concatenate([model.apply(T.network_input(images[i:i + 512], grid).numpy())
                             for i in range(0, len(images), 512)])
    return logits.reshape(len(s), 2, -1), grid


def hough_lines(model_dir: Path, s: RecoSample, b: np.ndarray, k: np.ndarray, candidates: int = N_CANDIDATES
                ) -> tuple[np.ndarray, np.ndarray]:
    """Two-pass Hough + CNN lines (N, 2) around the axis (b, k), before the final refit.

    The fine pass runs around each of the coarse CNN's ``candidates`` best cells; per projection the candidate
    whose fine grid has the largest log-sum-exp of the fine logits (the fine net's evidence that a track is there)
    wins, and its best fine cell gives the line.
    """
    coarse, grid = _logits(model_dir, "hough", s, b, k)
    top = np.argsort(-coarse, axis=2)[:, :, :max(candidates, 1)]
    if not (model_dir / "hough_fine").exists():  # models of before the two-pass scheme have one grid only
        return T.cell_lines(top[:, :, 0], b, k, grid)
    best = np.full(b.shape, -np.inf)
    out_b, out_k = np.zeros_like(b), np.zeros_like(k)
    for j in range(top.shape[2]):
        cb, ck = T.cell_lines(top[:, :, j], b, k, grid)
        fine, fgrid = _logits(model_dir, "hough_fine", s, cb, ck)
        score = np.logaddexp.reduce(fine, axis=2)
        fb, fk = T.cell_lines(fine.argmax(axis=2), cb, ck, fgrid)
        better = score > best
        best = np.where(better, score, best)
        out_b, out_k = np.where(better, fb, out_b), np.where(better, fk, out_k)
    return out_b, out_k


def find_tracks(model_dir: Path | None, s: RecoSample) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(intercept, slope, found, events/s): Hough + CNN when ``model_dir`` is given, else the classical finder."""
    t0 = time.perf_counter()
    if model_dir is None:
        b, k, _ = predict_direction(None, s)
        tb, tk, found = T.classical_tracks(s.arrays, b, k, window=CLASSICAL_WINDOW_MM, max_dk=CLASSICAL_MAX_DK)
    else:
        b, k, _ = predict_direction(model_dir / "axis", s)
        tb, tk, found = T.refine(s.arrays, *hough_lines(model_dir, s, b, k))
    return tb, tk, found, len(s) / max(time.perf_counter() - t0, 1e-9)
