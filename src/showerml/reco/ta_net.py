"""The TA SD network (issue 21, Sec. 3; after Ivanov et al., arXiv:2005.07117, and Kalashev et al.,
arXiv:2112.02072): it reads the (N, N, T, 2) traces around the largest-signal station, the per-station features and
the standard reconstruction, and predicts the standard reconstruction's error and the primary's mass.

Architecture (:class:`TaNet`, ≈ 0.1 M parameters, sized for CPU training): per station, 1-D convolutions along
time (stride 2, kernel 8 → 32 bins of 80 ns, then 16 → 24 channels) on log(1 + VEM per bin) of the two layers
(shared weights, pooled by mean and max over time; stations without a trace get zeros, not computed) →
per-station vector, joined with the station features
[x, y relative to the centre station / 1.2 km, one-hot state (ok, saturated, off, working-quiet), log(1 + signal),
time minus the standard reconstruction's plane front / 1 µs] → 2-D convolutions across the N × N stations → joined
with the standardised standard-reconstruction parameters and the 14 + 2 observables → MLP with 11 outputs:

- 0–1: (n̂_true − n̂_std)_{x,y} × 100 (axis error; 1 unit = 0.57° near the zenith), 2–3: core error / 100 m,
  4: (log10 E_true − log10 E_std) × 10 — the standard reconstruction's errors, with a Huber loss;
- 5–8: p, He, N, Fe logits (cross-entropy, hadrons only), 9: ln A (squared error, hadrons only),
- 10: photon logit (binary cross-entropy).

Training goes through :func:`showerml.nn.training.train` with the traces streamed from HDF5
(:class:`showerml.reco.ta_data.TraceStore`) and everything else in memory; the checkpoint after every epoch makes it
resumable. Saved as ``config.json`` + ``weights.safetensors`` (:mod:`showerml.nn.serialization`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from showerml.errors import DataFileError
from showerml.io.ta import check_network_input
from showerml.nn.serialization import load_state, save_state
from showerml.nn.training import TrainConfig, train
from showerml.reco.data import RecoSample
from showerml.reco.ta_data import TraceStore
from showerml.reco.ta_energy import EnergyTable
from showerml.reco.ta_shower import C_M_PER_NS

__all__ = ["SPECIES_A", "TaNet", "station_inputs", "scalar_inputs", "targets", "TaNetModel", "fit_ta_net",
           "N_OUT", "AXIS_SCALE", "CORE_SCALE_M", "LOGE_SCALE"]

#: the four hadron classes and their mass numbers
SPECIES_A = (1, 4, 14, 56)
AXIS_SCALE, CORE_SCALE_M, LOGE_SCALE = 100.0, 100.0, 10.0
N_OUT = 11
N_STATION_FEATURES = 9
_REG = slice(0, 5)


class TaNet(nn.Module):
    """(B, N, N, T, 2) traces + (B, N, N, 9) station features + (B, S) scalars → (B, 11)."""

    def __init__(self, window: int = 6, t_bins: int = 128, n_scalars: int = 30, width: int = 24,
                 hidden: int = 192) -> None:
        super().__init__()
        self.window, self.t_bins, self.width = window, t_bins, width
        act = nn.SiLU
        self.time = nn.Sequential(
            nn.Conv1d(2, 16, 8, stride=2, padding=3), act(), nn.MaxPool1d(2),
            nn.Conv1d(16, width, 5, padding=2), act(), nn.MaxPool1d(2),
            nn.Conv1d(width, width, 3, padding=1), act())
        self.space = nn.Sequential(
            nn.Conv2d(2 * width + N_STATION_FEATURES, 48, 3, padding=1), act(),
            nn.Conv2d(48, 48, 3, padding=1), act(),
            nn.Conv2d(48, width, 3, padding=1), act())
        self.head = nn.Sequential(
            nn.Linear(width * window * window + n_scalars, hidden), act(),
            nn.Linear(hidden, hidden), act(), nn.Linear(hidden, N_OUT))

    def forward(self, traces: torch.Tensor, stations: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        b, n, _, t, c = traces.shape
        x = torch.log1p(traces.clamp(min=0.0)).reshape(b * n * n, t, c)
        read = x.abs().sum(dim=(1, 2)) > 0  # only stations that were read out have a trace (most of the window not)
        width = self.width
        h = x.new_zeros(b * n * n, 2 * width)
        if bool(read.any()):
            z = self.time(x[read].transpose(1, 2))
            h = h.index_put((read,), torch.cat([z.mean(-1), z.amax(-1)], dim=1))
        h = h.reshape(b, n, n, -1)
        h = torch.cat([h, stations], dim=-1).permute(0, 3, 1, 2)
        h = self.space(h).flatten(1)
        return self.head(torch.cat([h, scalars], dim=1))


def station_inputs(s: RecoSample) -> np.ndarray:
    """(B, N, N, 9) per-station features from the window features and the standard reconstruction's front."""
    f = np.asarray(s["net_features"], np.float64)
    state = f[..., 2].astype(int)
    out = np.zeros((*f.shape[:3], N_STATION_FEATURES), np.float32)
    out[..., 0:2] = f[..., 0:2] / 1200.0
    for k, code in enumerate((1, 2, 3, 4)):
        out[..., 2 + k] = state == code
    out[..., 6] = np.log1p(np.maximum(f[..., 3], 0.0))
    hit = (state == 1) | (state == 2)
    th, ph = np.asarray(s["std_theta"], np.float64), np.asarray(s["std_phi"], np.float64)
    nx, ny = np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph)
    x = np.asarray(s["centre_xy"])[:, None, None, 0] + f[..., 0] - np.asarray(s["std_core"])[:, None, None, 0]
    y = np.asarray(s["centre_xy"])[:, None, None, 1] + f[..., 1] - np.asarray(s["std_core"])[:, None, None, 1]
    plane = np.asarray(s["std_t0"])[:, None, None] - (x * nx[:, None, None] + y * ny[:, None, None]) / C_M_PER_NS
    with np.errstate(invalid="ignore"):
        out[..., 7] = np.where(hit, np.clip((f[..., 4] - plane) / 1000.0, -5.0, 5.0), 0.0)
    out[..., 8] = hit
    return np.nan_to_num(out)


def _raw_scalars(s: RecoSample, table: EnergyTable) -> np.ndarray:
    th, ph = np.asarray(s["std_theta"], np.float64), np.asarray(s["std_phi"], np.float64)
    s800 = np.maximum(np.asarray(s["std_s800"], np.float64), 1e-3)
    with np.errstate(invalid="ignore", divide="ignore"):
        cols = [np.cos(th), np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph),
                *((np.asarray(s["std_core"]) - np.asarray(s["centre_xy"])) / 1200.0).T,
                np.log10(s800), np.log10(table.energy(s800, th)), np.asarray(s["std_a"]),
                np.log10(np.asarray(s["std_chi2_geom"]) + 1e-2), np.log10(np.asarray(s["std_chi2_ldf"]) + 1e-2),
                np.asarray(s["std_n_used"]), np.degrees(np.asarray(s["std_pointing"])),
                np.asarray(s["std_s800_err"]) / s800]
        obs = np.asarray(s["obs"], np.float64)
        obs = np.where(np.abs(obs) > 0, np.sign(obs) * np.log10(1.0 + np.abs(obs)), obs)
    return np.column_stack([*cols, obs])


def scalar_inputs(s: RecoSample, table: EnergyTable, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(B, S) standardised scalars ((x − centre)/scale; NaN → 0 = the training median)."""
    return np.nan_to_num((_raw_scalars(s, table) - centre) / scale).astype(np.float32)


def std_energy(s: RecoSample, table: EnergyTable) -> np.ndarray:
    return np.asarray(table.energy(np.maximum(np.asarray(s["std_s800"], np.float64), 1e-3), s["std_theta"]))


def targets(s: RecoSample, table: EnergyTable) -> np.ndarray:
    """(B, 8) float32: the 5 scaled errors, the class (−1 photon), ln A (NaN photon), photon flag."""
    th, ph, tt, tp = (np.asarray(s[k], np.float64) for k in ("std_theta", "std_phi", "theta", "phi"))
    dn = np.column_stack([np.sin(tt) * np.cos(tp) - np.sin(th) * np.cos(ph),
                          np.sin(tt) * np.sin(tp) - np.sin(th) * np.sin(ph)]) * AXIS_SCALE
    dc = (np.asarray(s["core"]) - np.asarray(s["std_core"])) / CORE_SCALE_M
    de = (np.log10(np.asarray(s["energy"])) - np.log10(std_energy(s, table))) * LOGE_SCALE
    a = np.asarray(s["mass_number"])
    cls = np.select([a == v for v in SPECIES_A], list(range(4)), -1)
    with np.errstate(divide="ignore"):
        ln_a = np.where(a > 0, np.log(np.maximum(a, 1)), np.nan)
    out = np.column_stack([np.clip(dn, -30, 30), np.clip(dc, -30, 30), np.clip(de, -30, 30), cls, ln_a, a == 0])
    return out.astype(np.float32)


def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    traces, stations, scalars, y = batch
    out = model(traces, stations, scalars)
    reg = nn.functional.huber_loss(out[:, _REG], y[:, _REG], delta=3.0)
    cls = y[:, 5].long()
    had = cls >= 0
    comp = nn.functional.cross_entropy(out[had, 5:9], cls[had]) if had.any() else out.sum() * 0.0
    lna = nn.functional.mse_loss(out[had, 9], y[had, 6]) if had.any() else out.sum() * 0.0
    gam = nn.functional.binary_cross_entropy_with_logits(out[:, 10], y[:, 7])
    return reg + comp + 0.5 * lna + gam


class TaNetModel:
    """A trained :class:`TaNet` with its energy table and input scaling; ``predict`` → per-event estimates."""

    def __init__(self, net: TaNet, table: EnergyTable, centre: np.ndarray, scale: np.ndarray,
                 meta: dict[str, Any]) -> None:
        self.net, self.table, self.centre, self.scale, self.meta = net, table, centre, scale, meta

    def inputs(self, s: RecoSample) -> tuple[np.ndarray, np.ndarray]:
        return station_inputs(s), scalar_inputs(s, self.table, self.centre, self.scale)

    @torch.no_grad()
    def raw(self, s: RecoSample, batch_size: int = 512) -> tuple[np.ndarray, float]:
        """(B, 11) outputs and the inference rate (events/s, reading the traces included)."""
        store = TraceStore(s)
        try:
            shape = store.shape
            check_network_input(shape, self.net.window, self.net.t_bins, "TA network input (net_traces)")
            self.net.eval()
            t0 = time.perf_counter()
            stations, scalars = self.inputs(s)
            outs = []
            for a in range(0, len(s), batch_size):
                idx = np.arange(a, min(a + batch_size, len(s)))
                outs.append(self.net(torch.from_numpy(store.read(idx)), torch.from_numpy(stations[idx]),
                                     torch.from_numpy(scalars[idx])).numpy())
            dt = time.perf_counter() - t0
        finally:
            store.close()
        out = np.concatenate(outs) if outs else np.zeros((0, N_OUT), np.float32)
        return out, len(s) / max(dt, 1e-9)

    def predict(self, s: RecoSample) -> tuple[dict[str, np.ndarray], float]:
        """Corrected direction, core and energy, class probabilities, ln A and photon score; and events/s."""
        out, rate = self.raw(s)
        th, ph = np.asarray(s["std_theta"], np.float64), np.asarray(s["std_phi"], np.float64)
        nx = np.sin(th) * np.cos(ph) + out[:, 0] / AXIS_SCALE
        ny = np.sin(th) * np.sin(ph) + out[:, 1] / AXIS_SCALE
        sn = np.minimum(np.hypot(nx, ny), 0.999)
        logits = out[:, 5:9].astype(np.float64)
        prob = np.exp(logits - logits.max(1, keepdims=True))
        prob /= prob.sum(1, keepdims=True)
        return {"theta": np.arcsin(sn), "phi": np.arctan2(ny, nx) % (2 * np.pi),
                "core": np.asarray(s["std_core"]) + out[:, 2:4] * CORE_SCALE_M,
                "energy": std_energy(s, self.table) * 10 ** (out[:, 4] / LOGE_SCALE),
                "d_theta": np.arcsin(sn) - th,
                "prob": prob, "ln_a": out[:, 9].astype(np.float64), "photon": out[:, 10].astype(np.float64)}, rate

    def save(self, directory: str | os.PathLike[str]) -> None:
        config = {"model": "ta_net", "window": self.net.window, "t_bins": self.net.t_bins,
                  "n_scalars": len(self.centre), "table": self.table.to_json(),
                  "centre": [float(v) for v in self.centre], "scale": [float(v) for v in self.scale], **self.meta}
        save_state(directory, config, dict(self.net.state_dict()))

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TaNetModel:
        config, state = load_state(directory)
        if config.get("model") != "ta_net":
            raise DataFileError(directory, f"holds a '{config.get('model')}' model, not the TA network")
        try:
            net = TaNet(int(config["window"]), int(config["t_bins"]), int(config["n_scalars"]))
            net.load_state_dict(state)
            table = EnergyTable.from_json(config["table"])
            centre, scale = np.asarray(config["centre"], np.float64), np.asarray(config["scale"], np.float64)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise DataFileError(directory, f"not a valid TA network folder ({str(exc).splitlines()[0]})") from None
        meta = {k: v for k, v in config.items() if k not in ("model", "table", "centre", "scale")}
        net.eval()
        return cls(net, table, centre, scale, meta)


def fit_ta_net(train_s: RecoSample, val_s: RecoSample, table: EnergyTable, out: Path, epochs: int, seed: int,
               progress: bool = False, batch_size: int = 128, lr: float = 1e-3, resume: bool = False
               ) -> TaNetModel:
    """Train the network (traces streamed from per-run uncompressed HDF5 copies in ``out/checkpoints``)."""
    raw = _raw_scalars(train_s, table)
    centre = np.nanmedian(raw, axis=0)
    q = np.nanquantile(raw, [0.16, 0.84], axis=0)
    scale = np.where(np.isfinite(q[1] - q[0]) & (q[1] - q[0] > 0), 0.5 * (q[1] - q[0]), 1.0)
    centre = np.where(np.isfinite(centre), centre, 0.0)
    ckpt = out / "checkpoints"
    tr_store = TraceStore(train_s, scratch=ckpt / "train_traces.h5")
    va_store = TraceStore(val_s, scratch=ckpt / "val_traces.h5")
    window, t_bins = tr_store.shape[1], tr_store.shape[3]
    torch.manual_seed(seed)
    net = TaNet(window, t_bins, raw.shape[1])
    model = TaNetModel(net, table, centre, scale, {})

    def tensors(s: RecoSample, store: TraceStore) -> list[Any]:
        st, sc = model.inputs(s)
        return [store, torch.from_numpy(st), torch.from_numpy(sc), torch.from_numpy(targets(s, table))]

    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, patience=4, seed=seed, progress=progress,
                      description="ta net", grad_clip=5.0, lr_schedule="cosine")
    try:
        hist = train(net, loss_fn, tensors(train_s, tr_store), tensors(val_s, va_store), cfg, ckpt, resume)
    finally:
        tr_store.close()
        va_store.close()
    model.meta.update({"train_seconds": hist.seconds, "epochs_run": hist.epochs_run, "best_val_loss": hist.best_val,
                       "n_train": len(train_s)})
    return model
