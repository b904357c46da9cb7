"""Train and evaluate the tracker tasks: track finding (Hough + CNN vs combinatorial χ²) and charge along tracks.

The ML chain: the direction CNN gives the axis (:func:`~showerml.reco.tasks.train_direction`, trained on the same
events); a coarse Hough grid around it covering the classical finder's window (±150 mm, ±0.5 in slope) goes to a
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
from showerml.metrics import reco as M
from showerml.reco import charge as C
from showerml.reco import tracking as T
from showerml.reco.data import RecoSample
from showerml.reco.direction import PSD_Z
from showerml.reco.estimators import TorchModel, train_config
from showerml.reco.manifest import write_manifest
from showerml.reco.tasks import predict_direction, train_direction

__all__ = ["train_track", "find_tracks", "hough_lines", "evaluate_track", "train_charge", "evaluate_charge",
           "ENERGY_BINS_GEV"]

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


def _charged(s: RecoSample, task: str) -> RecoSample:
    keep = np.flatnonzero(np.asarray(s["charge"]) >= 1)
    if len(keep) < 10:
        raise InputError(f"{task}: needs charged primaries (p, He, …, e±) in --data")
    return s.take(keep)


def train_track(train: RecoSample, val: RecoSample, out: Path, seed: int, epochs: int, progress: bool = False,
                task: str = "track") -> dict[str, Any]:
    train, val = _charged(train, task), _charged(val, task)
    axis_info = train_direction(train, val, out / "axis", seed, epochs, progress, task="axis")
    data = []
    for s in (train, val):
        b, k, _ = predict_direction(out / "axis", s)
        data.append((torch.from_numpy(T.hough_images(s.arrays, b, k, GRID)),
                     torch.from_numpy(T.true_cells(s.arrays, b, k, GRID))))
    model = _fit_heatmap(data, GRID, seed, epochs, progress, "hough cnn (coarse)", out / "checkpoints")
    model.save(out / "hough")
    rng = np.random.default_rng(seed + 1)
    fine = []
    for s in (train, val):
        b, k = _jittered_truth(s, rng)
        fine.append((torch.from_numpy(T.hough_images(s.arrays, b, k, FINE_GRID)),
                     torch.from_numpy(T.true_cells(s.arrays, b, k, FINE_GRID))))
    fine_model = _fit_heatmap(fine, FINE_GRID, seed, epochs, progress, "hough cnn (fine)",
                              out / "hough_fine" / "checkpoints")
    fine_model.save(out / "hough_fine")
    info = {"task": task, "method": "hough", "seed": seed, "n_train": len(train),
            "train_seconds": (model.meta["train_seconds"] + fine_model.meta["train_seconds"]
                              + axis_info["train_seconds"]),
            "axis_train_seconds": axis_info["train_seconds"], "hough_train_seconds": model.meta["train_seconds"],
            "hough_fine_train_seconds": fine_model.meta["train_seconds"],
            "roi_fraction_train": float((data[0][1].numpy() >= 0).all(axis=1).mean())}
    if task == "track":
        write_manifest(out, info)
    return info


def _fit_heatmap(data: list[tuple[torch.Tensor, torch.Tensor]], grid: T.HoughGrid, seed: int, epochs: int,
                 progress: bool, description: str, checkpoints: Path) -> TorchModel:
    model = TorchModel("HeatmapCNN", {"in_channels": 5, "width": 16, "depth": 4}, {"grid": grid.to_dict()})
    model.fit(T.make_hough_loss(grid), [d.numpy() for d in data[0]], [d.numpy() for d in data[1]],
              train_config(epochs, seed, description=description, progress=progress, batch_size=64), checkpoints)
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


def evaluate_track(model_dir: Path, info: dict[str, Any], test: RecoSample) -> tuple[dict[str, Any], dict[str, Any]]:
    s = _charged(test, "track")
    e_gev = s["energy"] / 1000.0
    out: dict[str, Any] = {"n_events": len(s), "z_psd_mm": PSD_Z}
    arrays: dict[str, Any] = {"energy_gev": e_gev}
    for m in ([info["method"], "classical"] if info["method"] != "classical" else ["classical"]):
        b, k, found, rate = find_tracks(model_dir if m == "hough" else None, s)
        d = np.where(found, T.track_distance(s.arrays, b, k, PSD_Z), np.nan)
        out[m] = {f"efficiency_{name}": M.binned(lambda x, t=tol: M.track_efficiency(x, t), e_gev,
                                                 ENERGY_BINS_GEV, d)
                  for name, tol in (("1mm", 1.0), ("100um", 0.1))}
        out[m]["found_fraction"] = float(found.mean())
        out[m]["inference_events_per_s"] = rate
        out[m]["train_seconds"] = info.get("train_seconds", 0.0) if m == info["method"] else 0.0
        arrays[m] = d
    return out, arrays


def train_charge(train: RecoSample, val: RecoSample, out: Path, seed: int, epochs: int, progress: bool = False,
                 track_model: Path | None = None) -> dict[str, Any]:
    """Calibrate the MIP scales; train the ML track chain into ``out/track`` unless ``track_model`` is given."""
    psd_mip, stk_mip = C.calibrate_mip(train.arrays)
    info: dict[str, Any] = {"task": "charge", "method": "ml", "seed": seed, "psd_mip_mev": psd_mip,
                            "stk_mip_mev": stk_mip, "n_train": len(train)}
    if track_model is None:
        tinfo = train_track(train, val, out / "track", seed, epochs, progress, task="charge-track")
        info["train_seconds"] = tinfo["train_seconds"]
        info["track_model"] = "track"
    else:
        info["train_seconds"] = 0.0
        info["track_model"] = str(Path(track_model).resolve())
    write_manifest(out, info)
    return info


def evaluate_charge(model_dir: Path, info: dict[str, Any], test: RecoSample,
                    tracks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """p/He peak separation and misidentification vs energy along the classical and the ML tracks.

    Where a finder gives no track, the charge is read along its calorimeter axis instead.
    """
    s = _charged(test, "charge")
    z_true = np.asarray(s["charge"])
    if not ((z_true == 1).any() and (z_true == 2).any()):
        raise InputError("charge: the evaluation needs both protons and helium in --data")
    track_dir = Path(info["track_model"])
    track_dir = track_dir if track_dir.is_absolute() else model_dir / track_dir
    e_gev = s["energy"] / 1000.0
    out: dict[str, Any] = {"n_events": len(s)}
    arrays: dict[str, Any] = {"charge": z_true, "energy_gev": e_gev}
    for m in ("ml", "classical"):
        if tracks is not None and m in tracks:
            b, k, found = tracks[m]
        else:
            b, k, found, _ = find_tracks(track_dir if m == "ml" else None, s)
        ab, ak, _ = predict_direction(track_dir / "axis" if m == "ml" else None, s)
        b = np.where(found[:, None], b, ab)
        k = np.where(found[:, None], k, ak)
        z = C.estimate_charge(*C.charge_signals(s.arrays, b, k), info["psd_mip_mev"], info["stk_mip_mev"])
        rows = []
        for lo, hi in zip(ENERGY_BINS_GEV[:-1], ENERGY_BINS_GEV[1:], strict=True):
            sel = (e_gev >= lo) & (e_gev < hi)
            zp, zh = z[sel & (z_true == 1)], z[sel & (z_true == 2)]
            ok = len(zp) >= 5 and len(zh) >= 5
            rows.append({"low": lo, "high": hi, "n_p": len(zp), "n_he": len(zh),
                         "separation": M.peak_separation(zp, zh) if ok else float("nan"),
                         "p_misid": M.misidentification(zp, 0.5, 1.5) if len(zp) else float("nan"),
                         "he_misid": M.misidentification(zh, 1.5, 2.5) if len(zh) else float("nan")})
        out[m] = {"per_energy": rows, "separation_all": M.peak_separation(z[z_true == 1], z[z_true == 2]),
                  "p_misid_all": M.misidentification(z[z_true == 1], 0.5, 1.5),
                  "he_misid_all": M.misidentification(z[z_true == 2], 1.5, 2.5)}
        arrays[m] = z
    return out, arrays
