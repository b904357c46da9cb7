"""Train and evaluate the calorimeter tasks (ep, gp, direction, saturation, interaction) on in-memory samples.

Each ``train_*`` writes a model folder (sub-folders of ``config.json`` + ``weights.safetensors`` and a ``reco.json``
manifest written last); each ``evaluate_*`` returns (metrics, arrays for plots), always with the classical baseline
computed on the same events.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.metrics import reco as M
from showerml.reco import direction as D
from showerml.reco import identify as ID
from showerml.reco import interaction as IA
from showerml.reco import saturation as S
from showerml.reco.bdt import BDT
from showerml.reco.data import DEPOSIT_BINS_GEV, RecoSample
from showerml.reco.estimators import TorchModel, train_config
from showerml.reco.features import high_level_features
from showerml.reco.manifest import write_manifest

__all__ = ["train_identification", "evaluate_identification", "train_direction", "predict_direction",
           "evaluate_direction", "train_saturation", "evaluate_saturation", "train_interaction",
           "evaluate_interaction", "DIRECTION_BINS_GEV"]

DIRECTION_BINS_GEV = (100.0, 300.0, 700.0, 1400.0, 3000.0, 10000.0, np.inf)
_GEV = 1000.0


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


# --- e/p and γ/p ------------------------------------------------------------------------------------------------
def _id_select(task: str, s: RecoSample) -> tuple[RecoSample, np.ndarray]:
    y = ID.labels(s["pdg"], task)
    keep = (y >= 0) & (s.deposit >= ID.MIN_DEPOSIT_MEV)
    if keep.sum() < 10:
        raise InputError(f"task '{task}': fewer than 10 usable events (deposit ≥ 50 GeV)")
    return s.take(np.flatnonzero(keep)), y[keep]


def train_identification(task: str, train: RecoSample, val: RecoSample, method: str, out: Path, seed: int,
                         epochs: int, progress: bool = False) -> dict[str, Any]:
    tr, ytr = _id_select(task, train)
    info: dict[str, Any] = {"task": task, "method": method, "seed": seed, "n_train": len(tr)}
    if method == "zeta":
        info["train_seconds"] = 0.0
    elif method == "bdt":
        x, names = high_level_features(tr.arrays)
        bdt = BDT(seed=seed).fit(x, ytr)
        bdt.save(out / "bdt", {"features": names})
        info["train_seconds"] = bdt.fit_seconds
    elif method == "cnn":
        va, yva = _id_select(task, val)
        model = TorchModel("ImageResNet", {"in_channels": 2, "n_scalars": 6, "n_out": 1})
        model.fit(ID.bce_loss, (*ID.image_inputs(tr.arrays), ytr.astype(np.float32)),
                  (*ID.image_inputs(va.arrays), yva.astype(np.float32)),
                  train_config(epochs, seed, description=f"{task} cnn", progress=progress), out / "checkpoints")
        model.save(out / "cnn")
        info.update(train_seconds=model.meta["train_seconds"], epochs_run=model.meta["epochs_run"])
    else:
        raise InputError(f"unknown method '{method}' for {task}: choose cnn, bdt or zeta")
    write_manifest(out, info)
    return info


def identification_scores(model_dir: Path, method: str, s: RecoSample) -> tuple[np.ndarray, float]:
    """(scores, events/s) of a trained identification model."""
    if method == "zeta":
        score, dt = _timed(ID.zeta_score, s["bgo"])
    elif method == "bdt":
        bdt, _ = BDT.load(model_dir / "bdt")
        score, dt = _timed(lambda: bdt.decision_function(high_level_features(s.arrays)[0])[:, 0])
    else:
        model = TorchModel.load(model_dir / "cnn")
        score, dt = _timed(lambda: model.apply(*ID.image_inputs(s.arrays))[:, 0])
    return score, len(s) / max(dt, 1e-9)


def _background_scores(model_dir: Path, methods: list[str], files: list[Path], chunk: int = 4000
                       ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Deposits (GeV) and scores of hadron events from extra files, read ``chunk`` events at a time."""
    from showerml.detectors.dampe.layout import read_dampe
    from showerml.io.hdf5 import read_attrs

    deps: list[np.ndarray] = []
    scores: dict[str, list[np.ndarray]] = {m: [] for m in methods}
    for path in files:
        n = int(read_attrs(path).get("n_events", 0))
        for start in range(0, n, chunk):
            arrays = read_dampe(path, slice(start, start + chunk)).arrays
            s = RecoSample(arrays, [str(path)])
            keep = (np.abs(s["pdg"]) != 11) & (np.abs(s["pdg"]) != 22) & (s.deposit >= ID.MIN_DEPOSIT_MEV)
            s = s.take(np.flatnonzero(keep))
            deps.append(s.deposit / _GEV)
            for m in methods:
                scores[m].append(identification_scores(model_dir, m, s)[0])
    return np.concatenate(deps), {m: np.concatenate(v) for m, v in scores.items()}


def evaluate_identification(task: str, model_dir: Path, info: dict[str, Any], test: RecoSample,
                            extra_background: list[Path] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Rejection per deposit bin of the model and of the ζ cut; ``extra_background`` files (hadrons only, never
    trained on) enlarge the background of the test so that large rejections are measured, not bounded."""
    s, y = _id_select(task, test)
    dep = s.deposit / _GEV
    methods = [info["method"]] + (["zeta"] if info["method"] != "zeta" else [])
    extra_dep, extra = (_background_scores(model_dir, methods, extra_background) if extra_background
                        else (np.zeros(0), {m: np.zeros(0) for m in methods}))
    out: dict[str, Any] = {"n_signal": int((y == 1).sum()), "n_background": int((y == 0).sum()) + len(extra_dep),
                           "n_extra_background": len(extra_dep)}
    dep = np.concatenate([dep, extra_dep])
    y = np.concatenate([y, np.zeros(len(extra_dep), y.dtype)])
    arrays: dict[str, Any] = {"deposit_gev": dep, "label": y}
    for m in methods:
        score, rate = identification_scores(model_dir, m, s)
        score = np.concatenate([score, extra[m]])
        out[m] = {"rejection_at_90": M.rejection_per_bin(score, y == 1, dep, DEPOSIT_BINS_GEV, 0.9),
                  "inference_events_per_s": rate,
                  "train_seconds": info.get("train_seconds", 0.0) if m == info["method"] else 0.0}
        arrays[m] = score
    return out, arrays


# --- direction --------------------------------------------------------------------------------------------------
def train_direction(train: RecoSample, val: RecoSample, out: Path, seed: int, epochs: int,
                    progress: bool = False, task: str = "direction") -> dict[str, Any]:
    img, sc, fit = D.direction_inputs(train.arrays)
    target = D.direction_targets(train.arrays, fit)
    med = np.median(target, axis=0)
    scale = 1.4826 * np.median(np.abs(target - med), axis=0) + 1e-6
    vi, vs, vf = D.direction_inputs(val.arrays)
    vt = D.direction_targets(val.arrays, vf)
    model = TorchModel("AxisFitCNN", D.direction_net_args(scale, len(train)), {"scale": scale.tolist()})
    model.fit(D.huber_loss, (img, sc, (target / scale).astype(np.float32)),
              (vi, vs, (vt / scale).astype(np.float32)),
              train_config(epochs, seed, description="direction cnn", progress=progress, lr_schedule="cosine"),
              out / "checkpoints")
    model.save(out / "cnn")
    info = {"task": task, "method": "cnn", "seed": seed, "n_train": len(train),
            "train_seconds": model.meta["train_seconds"], "epochs_run": model.meta["epochs_run"]}
    if task == "direction":
        write_manifest(out, info)
    return info


def predict_direction(model_dir: Path | None, s: RecoSample) -> tuple[np.ndarray, np.ndarray, float]:
    """(intercept, slope, events/s): the CNN axis, or the classical fit when ``model_dir`` is None."""
    t0 = time.perf_counter()
    img, sc, fit = D.direction_inputs(s.arrays)
    if model_dir is None:
        return fit[:, :2], fit[:, 2:], len(s) / max(time.perf_counter() - t0, 1e-9)
    model = TorchModel.load(model_dir / "cnn")
    b, k = D.apply_correction(fit, D.mirror_averaged(model.apply, img, sc), np.asarray(model.meta["scale"]))
    return b, k, len(s) / max(time.perf_counter() - t0, 1e-9)


def evaluate_direction(model_dir: Path, info: dict[str, Any], test: RecoSample,
                       bins: tuple[float, ...] = DIRECTION_BINS_GEV) -> tuple[dict[str, Any], dict[str, Any]]:
    dep = test.deposit / _GEV
    b_true, k_true = test["intercept"].astype(float), test["slope"].astype(float)
    out: dict[str, Any] = {}
    arrays: dict[str, Any] = {"deposit_gev": dep}
    for m in ([info["method"], "classical"] if info["method"] != "classical" else ["classical"]):
        b, k, rate = predict_direction(model_dir if m == "cnn" else None, test)
        out[m] = {
            "psf68_deg": M.binned(M.psf68, dep, bins, k, k_true),
            "impact68_mm_stk_top": M.binned(lambda bb, kk, bt, kt: M.impact_resolution(bb, kk, bt, kt, D.STK_TOP_Z),
                                            dep, bins, b, k, b_true, k_true),
            "inference_events_per_s": rate,
            "train_seconds": info.get("train_seconds", 0.0) if m == info["method"] else 0.0,
        }
        arrays[m] = np.degrees(M.space_angle(k, k_true))
    return out, arrays


# --- saturation -------------------------------------------------------------------------------------------------
def _sat_arrays(s: RecoSample):
    mask = S.saturated_mask(s["bgo"], s["bgo_n_saturated"])
    img, cap = S.saturation_inputs(s["bgo"], mask)
    return mask, img, cap


def train_saturation(train: RecoSample, val: RecoSample, out: Path, seed: int, epochs: int,
                     progress: bool = False) -> dict[str, Any]:
    data, saturated = [], []
    for s in (train, val):
        s = s.take(np.flatnonzero(s["bgo_n_saturated"] > 0))
        if len(s) < 2:
            raise InputError("saturation: the data hold (almost) no saturated events; simulate with a lower "
                             "--saturation or higher energies")
        mask, img, cap = _sat_arrays(s)
        data.append((img, S.saturation_targets(s["bgo_true"], cap, mask)))
        saturated.append((s, mask, img, cap))
    model = TorchModel("HeatmapCNN", {"in_channels": 3, "width": 32, "depth": 5})
    model.fit(S.saturation_loss, data[0], data[1],
              train_config(epochs, seed, description="saturation cnn", progress=progress), out / "checkpoints")
    model.meta["response"] = _fit_saturation_response(model, *saturated[1])
    model.save(out / "cnn")
    info = {"task": "saturation", "method": "cnn", "seed": seed, "n_train": len(data[0][0]),
            "train_seconds": model.meta["train_seconds"], "epochs_run": model.meta["epochs_run"]}
    write_manifest(out, info)
    return info


def _fit_saturation_response(model: TorchModel, s: RecoSample, mask: np.ndarray, img: np.ndarray, cap: np.ndarray
                             ) -> dict[str, list[float]]:
    """Median response E_true / E_rec vs the recovered share, on the saturated validation events ``s``."""
    rec = S.recover(s["bgo"], mask, cap, model.apply(img))
    ratio = s["bgo_true"].sum(axis=(1, 2)).astype(float) / np.maximum(rec.sum(axis=(1, 2)), 1e-9)
    return S.fit_response(S.recovered_share(s["bgo"], rec), ratio)


def evaluate_saturation(model_dir: Path, info: dict[str, Any], test: RecoSample
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    s = test.take(np.flatnonzero(test["bgo_n_saturated"] > 0))
    if len(s) == 0:
        raise InputError("saturation: no saturated events in --data")
    mask, img, cap = _sat_arrays(s)
    model = TorchModel.load(model_dir / "cnn")
    t0 = time.perf_counter()
    fixed = S.recover(s["bgo"], mask, cap, model.apply(img))
    if "response" in model.meta:  # models of before the response calibration have none
        fixed = S.apply_response(s["bgo"], fixed, mask, model.meta["response"])
    rate = len(s) / max(time.perf_counter() - t0, 1e-9)
    true = s["bgo_true"].sum(axis=(1, 2)).astype(float)
    before = s["bgo"].sum(axis=(1, 2)).astype(float)
    after = fixed.sum(axis=(1, 2))
    lost = 1.0 - before / true
    e_gev = true / _GEV
    lost_bins = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    e_bins = (1000.0, 2000.0, 4000.0, 8000.0, np.inf)
    out = {"n_events": len(s), "inference_events_per_s": rate, "train_seconds": info.get("train_seconds", 0.0),
           "max_lost_fraction": float(lost.max())}
    for name, pred in (("before", before), ("after", after)):
        out[name] = {"vs_lost_fraction": M.binned(M.bias_resolution, lost, lost_bins, pred, true),
                     "vs_deposit_gev": M.binned(M.bias_resolution, e_gev, e_bins, pred, true),
                     "all": M.bias_resolution(pred, true)}
    return out, {"lost": lost, "before": before / true - 1, "after": after / true - 1, "deposit_gev": e_gev}


# --- first interaction ------------------------------------------------------------------------------------------
def _hadrons(s: RecoSample) -> RecoSample:
    keep = np.flatnonzero((np.asarray(s["charge"]) >= 1) & (np.abs(s["pdg"]) != 11))
    had = s.take(keep)
    if len(had) < 10:
        raise InputError("interaction: needs proton or nucleus events in --data")
    return had


def train_interaction(train: RecoSample, out: Path, seed: int, method: str = "bdt") -> dict[str, Any]:
    tr = _hadrons(train)
    info: dict[str, Any] = {"task": "interaction", "method": method, "seed": seed, "n_train": len(tr),
                            "train_seconds": 0.0}
    if method == "bdt":
        bdt = BDT(max_iter=150, seed=seed).fit(IA.interaction_features(tr.arrays),
                                               IA.interaction_class(tr["first_interaction_z"]))
        bdt.save(out / "bdt")
        info["train_seconds"] = bdt.fit_seconds
    elif method != "classical":
        raise InputError(f"unknown method '{method}' for interaction: choose bdt or classical")
    write_manifest(out, info)
    return info


def evaluate_interaction(model_dir: Path, info: dict[str, Any], test: RecoSample
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
    s = _hadrons(test)
    y = IA.interaction_class(s["first_interaction_z"])
    out: dict[str, Any] = {"n_events": len(s), "classes": "0 tracker, 1-14 BGO layer 0-13, 15 none"}
    arrays: dict[str, Any] = {"true": y}
    for m in ([info["method"], "classical"] if info["method"] != "classical" else ["classical"]):
        if m == "bdt":
            bdt, _ = BDT.load(model_dir / "bdt")
            pred, dt = _timed(lambda b=bdt: b.predict(IA.interaction_features(s.arrays)))
        else:
            pred, dt = _timed(IA.classical_layer, s.arrays)
        out[m] = {"accuracy": M.accuracy(y, pred), "accuracy_within_1": M.accuracy(y, pred, 1),
                  "confusion": M.confusion_matrix(y, pred, IA.N_CLASSES).tolist(),
                  "inference_events_per_s": len(s) / max(dt, 1e-9),
                  "train_seconds": info.get("train_seconds", 0.0) if m == info["method"] else 0.0}
        arrays[m] = pred
    return out, arrays
