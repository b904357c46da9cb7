"""Invertible shower preprocessing shared by every generative model (CaloFlow, arXiv:2106.05285, sec. 3).

A shower (``E_inc``, voxels ``E_v`` in MeV, layers ``l = 0 … L−1`` of any geometry) becomes one real vector
``y ∈ R^{L+V}`` and a context ``c`` (standardised ``log E_inc``):

1. *dequantisation* (training only, fresh noise in every batch): empty voxels get ``E_v = n_v``,
   ``n_v ~ U[0, noise)`` (default ``noise_on = "empty"``, noise 10 keV; ``noise_on = "all"`` adds the noise to every
   voxel) — a continuous density for the many empty voxels, placed just below the real deposits. The distance between
   the two matters for a flow with affine transforms, which cannot put a gap between two modes of one coordinate:
   with 1 keV noise on every voxel the CaloFlow teacher smeared probability between "empty" and the real deposits
   (voxel AUC 0.81 on CaloGAN e+, 45k training / 5k test showers), with 10 keV on the empty voxels only 0.63. On
   generated showers the cuts below remove the noise region again (without calibration the single cut
   ``max(threshold, noise)``, ``threshold`` ≥ the smallest training deposit; a file with a read-out threshold, e.g.
   15 keV in showerml's CaloChallenge-2 simulation, sets its own);
2. *layer energies* ``E_l = Σ_{v∈l} E_v`` as stick-breaking fractions (CaloFlow's u-variables)
   ``u_0 = log(Σ_l E_l / E_inc)``, ``u_l = E_{l−1} / Σ_{k≥l−1} E_k`` for ``l = 1 … L−1``, then
   ``logit(α + (1 − 2α) u_l)``;
3. *per-layer normalisation* ``x_v = E_v / E_{l(v)}`` ∈ [0, 1], then ``logit(α + (1 − 2α) x_v)``. CaloFlow uses
   ``α = 10⁻⁶``; here the default is ``α = 10⁻¹⁰``, far below the noise fraction ``noise / E_l`` (~10⁻⁷), so empty
   voxels keep a spread-out logit region below the threshold instead of piling onto ``logit(α)`` beside real
   deposits of up to ``α E_l`` ≈ 20–70 keV (measured on CaloGAN e+: a flow-matching model's voxel AUC 1.00 → 0.94);
4. every coordinate standardised with the training mean and standard deviation.

The inverse undoes 4 → 2, clips fractions to [0, 1] and renormalises each layer to sum one (exact on real showers),
multiplies by ``E_l`` and applies the threshold.

*Calibrated empty-voxel cut* (:meth:`ShowerPreprocessor.calibrate`, run by every model after training). A model
never produces an exact zero: the empty voxels of the data (≈ 50 % on CaloGAN e+) come out as a cloud of small
deposits, which a classifier spots at once. After training, the model samples ``M`` showers at training incident
energies without any cut. In each bin ``b`` of ``log E_inc`` (``calib_bins`` equal-count bins of the training energies)
and for each voxel ``v``, with ``p_{bv}`` the fraction of training showers of that bin whose voxel ``v`` is exactly
empty, the cut is the ``p_{bv}``-quantile of the generated deposits of that voxel and bin,

    ``t_{bv} = max(threshold, Q_{p_{bv}}(Ê_v | b))``,

so that, voxel by voxel and bin by bin, the generated empty fraction ``P(Ê_v < t_{bv})`` equals the training one
(up to the floor ``threshold``). The cuts are part of the preprocessing state (saved and loaded with the model);
without calibration the single cut ``max(threshold, noise)`` applies.

*Calibrated deposit map* (``calibration = "quantile"``, the default; ``"cut"`` stops after the cuts). The deposits
just above the empty-voxel noise are invisible to the model: real deposits of 1–30 keV (2.8 % of the non-empty
voxels of CaloGAN e+) share their range with the noise, so the model renders them as "empty" and the cut leaves a
gap there, with the model's low tail piled up above the cut (generated: 0.5 % of the deposits below 30 keV, 18 %
below 100 keV; data: 2.8 % and 8.7 %). In each bin and voxel the map sends the model's deposits above the cut onto
the training deposits by matching quantiles of ``r = log(E_v / E_inc)``:

    ``r ↦ Q^{train}_{bv}(F^{model}_{bv}(r))``,

piecewise linear through ``calib_knots`` quantiles of both (levels ``k/(K−1)``), clipped to the training range;
then each layer is rescaled to its modelled energy ``E_l``. The map is monotone per voxel, so it keeps the ranks —
the correlations between voxels the model learned — and corrects only each voxel's marginal spectrum. Measured on
CaloGAN e+ (150k training, 20k held-out showers): voxel AUC teacher 0.691 → 0.612 and 0.624 (two runs), student
0.722 → 0.627 and 0.630.

``y[:, :L]`` are the layer-energy coordinates (CaloFlow flow I), ``y[:, L:]`` the normalised voxels (flow II),
which are conditioned on ``c`` and ``y[:, :L]``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TypeVar

import numpy as np
import torch

from showerml.errors import InputError
from showerml.geometry import Geometry

__all__ = ["PreprocessConfig", "ShowerPreprocessor", "logit", "preprocess_config", "sigmoid"]

_TINY = 1e-30
#: grid points per (bin, voxel) of the tabulated deposit map
_GRID = 1024


ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


def logit(p: ArrayT, alpha: float) -> ArrayT:
    """``log(q / (1 − q))`` with ``q = α + (1 − 2α) p``: finite for p ∈ [0, 1] (numpy arrays or torch tensors)."""
    q = alpha + (1 - 2 * alpha) * p
    if isinstance(q, torch.Tensor):
        return torch.log(q) - torch.log1p(-q)
    return np.log(q) - np.log1p(-q)


def sigmoid(y: np.ndarray, alpha: float) -> np.ndarray:
    """Inverse of :func:`logit`: ``(σ(y) − α) / (1 − 2α)``."""
    return (0.5 * (1.0 + np.tanh(0.5 * y)) - alpha) / (1 - 2 * alpha)


@dataclass
class PreprocessConfig:
    """Dequantisation noise and threshold in MeV, logit α."""

    noise: float = 1e-2
    noise_on: str = "empty"  # "empty" voxels only, or "all" voxels
    threshold: float = 1e-3
    alpha: float = 1e-10
    calib_showers: int = 5000
    calib_bins: int = 4
    calibration: str = "quantile"  # "cut" (empty fraction only) or "quantile" (also the deposit spectrum per voxel)
    calib_knots: int = 32


class ShowerPreprocessor:
    """``forward(incident, voxels) → (y, c)`` and ``inverse(y, incident) → voxels`` for one geometry."""

    def __init__(self, geometry: Geometry, config: PreprocessConfig | None = None) -> None:
        self.geometry = geometry
        self.config = config or PreprocessConfig()
        self.n_layers = geometry.n_layers
        self.dim = geometry.n_layers + geometry.n_voxels
        self.mean = np.zeros(self.dim)
        self.std = np.ones(self.dim)
        self.c_mean, self.c_std = 0.0, 1.0
        #: per-coordinate range of the standardised training vectors (a sampler may clip its predictions to it)
        self.y_lo, self.y_hi = np.full(self.dim, -20.0), np.full(self.dim, 20.0)
        self.energy_range = (0.0, np.inf)
        self.data_threshold = 0.0
        #: calibrated cuts ``t_{bv}`` (n_bins, V) in MeV and the inner ``log E_inc`` bin edges (n_bins − 1,)
        self.cuts = np.zeros((0, geometry.n_voxels))
        self.cut_edges = np.zeros(0)
        #: calibrated deposit maps (n_bins, V, K): quantiles of log(Ê_v/E_inc) of the model → of the training data
        self.map_gen, self.map_train = np.zeros((0, geometry.n_voxels, 0)), np.zeros((0, geometry.n_voxels, 0))
        self._table: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._layer_of_voxel = np.repeat(np.arange(geometry.n_layers), geometry.layer_sizes)

    # -- fitting -------------------------------------------------------------------------------------------------
    def fit(self, incident: np.ndarray, voxels: np.ndarray, seed: int = 0) -> ShowerPreprocessor:
        """Set the standardisation and the training energy range from (dequantised) training showers."""
        self.mean, self.std = np.zeros(self.dim), np.ones(self.dim)
        self.c_mean, self.c_std = 0.0, 1.0
        y, c = self.forward(incident, voxels, np.random.default_rng(seed))
        self.mean = y.mean(axis=0)
        self.std = np.where(y.std(axis=0) > 1e-6, y.std(axis=0), 1.0)
        self.y_lo, self.y_hi = (y.min(axis=0) - self.mean) / self.std, (y.max(axis=0) - self.mean) / self.std
        logs = np.log(np.asarray(incident, dtype=np.float64))
        self.c_mean, self.c_std = float(logs.mean()), float(logs.std() or 1.0)
        self.energy_range = (float(np.min(incident)), float(np.max(incident)))
        positive = np.asarray(voxels)[np.asarray(voxels) > 0]
        self.data_threshold = float(positive.min()) if positive.size else 0.0
        self.reset_calibration()
        return self

    def reset_calibration(self) -> None:
        """Forget the calibrated cuts and deposit maps (the single cut ``max(threshold, noise)`` applies)."""
        v = self.geometry.n_voxels
        self.cuts, self.cut_edges = np.zeros((0, v)), np.zeros(0)
        self.map_gen, self.map_train = np.zeros((0, v, 0)), np.zeros((0, v, 0))
        self._table = None

    @property
    def threshold(self) -> float:
        """Generated deposits below ``max(config.threshold, smallest training deposit)`` are set to zero."""
        return max(self.config.threshold, self.data_threshold * (1 - 1e-6))

    def calibrate(self, incident: np.ndarray, voxels: np.ndarray, generated: np.ndarray,
                  gen_incident: np.ndarray) -> ShowerPreprocessor:
        """Fit the per-bin, per-voxel cuts ``t_{bv} = max(threshold, Q_{p_{bv}}(Ê_v | b))`` (module docstring).

        ``incident``/``voxels`` are training showers, ``generated`` uncut model showers (``inverse(…,
        threshold=False)``) at the incident energies ``gen_incident``.
        """
        log_train, log_gen = np.log(np.asarray(incident, np.float64)), np.log(np.asarray(gen_incident, np.float64))
        n_bins = max(1, min(int(self.config.calib_bins), len(log_gen) // 200 or 1))
        edges = np.quantile(log_train, np.linspace(0, 1, n_bins + 1)[1:-1])
        bin_train, bin_gen = np.searchsorted(edges, log_train), np.searchsorted(edges, log_gen)
        cuts = np.full((n_bins, self.geometry.n_voxels), self.threshold)
        for b in range(n_bins):
            ref, gen = np.asarray(voxels)[bin_train == b], np.asarray(generated, np.float64)[bin_gen == b]
            if len(ref) == 0 or len(gen) == 0:
                continue
            p_empty = (ref == 0).mean(axis=0)
            # column-wise p_v-quantile of the generated deposits (sorted columns, linear interpolation)
            srt = np.sort(gen, axis=0)
            pos = p_empty * (len(gen) - 1)
            lo = np.floor(pos).astype(int)
            hi = np.minimum(lo + 1, len(gen) - 1)
            cols = np.arange(srt.shape[1])
            q = srt[lo, cols] + (pos - lo) * (srt[hi, cols] - srt[lo, cols])
            # a voxel never empty in training keeps the base cut; a voxel always empty is always cut
            q = np.where(p_empty >= 1.0, np.inf, np.where(p_empty <= 0.0, 0.0, np.nextafter(q, np.inf)))
            cuts[b] = np.maximum(self.threshold, q)
        self.reset_calibration()
        self.cuts, self.cut_edges = cuts, edges
        if self.config.calibration == "quantile":
            self.map_gen, self.map_train = self._deposit_maps(
                np.asarray(voxels, np.float64), np.asarray(incident, np.float64), bin_train,
                np.asarray(generated, np.float64), np.asarray(gen_incident, np.float64), bin_gen)
        elif self.config.calibration != "cut":
            raise InputError(f"unknown preprocessing calibration '{self.config.calibration}': use quantile or cut")
        return self

    def _deposit_maps(self, ref: np.ndarray, inc_ref: np.ndarray, bin_ref: np.ndarray, gen: np.ndarray,
                      inc_gen: np.ndarray, bin_gen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per bin and voxel, ``K`` quantiles (levels ``k/(K−1)``) of ``log(E_v/E_inc)`` over the generated deposits
        above the cut and over the non-empty training deposits; identity knots where either has < 2 values."""
        n_bins, n_vox = len(self.cuts), self.geometry.n_voxels
        levels = np.linspace(0.0, 1.0, max(int(self.config.calib_knots), 2))
        identity = np.broadcast_to(np.linspace(-30.0, 0.0, len(levels)), (n_vox, len(levels)))
        map_gen, map_train = np.tile(identity, (n_bins, 1, 1)), np.tile(identity, (n_bins, 1, 1))
        for b in range(n_bins):
            r = ref[bin_ref == b] / inc_ref[bin_ref == b, None]
            g = gen[bin_gen == b]
            kept = (g >= self.cuts[b]) & (g > 0)  # the deposits the cut keeps
            g = g / inc_gen[bin_gen == b, None]
            for v in range(n_vox):
                rv, gv = r[:, v][r[:, v] > 0], g[:, v][kept[:, v]]
                if len(rv) >= 2 and len(gv) >= 2:
                    map_train[b, v] = np.quantile(np.log(rv), levels)
                    map_gen[b, v] = np.quantile(np.log(gv), levels)
        step = 1e-9 * np.arange(len(levels))  # strictly increasing knots: an invertible, monotone map
        return np.maximum.accumulate(map_gen + step, axis=2), np.maximum.accumulate(map_train + step, axis=2)

    def voxel_cuts(self, incident: np.ndarray) -> np.ndarray | float:
        """Cut per shower and voxel ``(N, V)`` from the calibration, or the scalar ``max(threshold, noise)``."""
        if len(self.cuts) == 0:
            return max(self.threshold, self.config.noise)
        return self.cuts[np.searchsorted(self.cut_edges, np.log(np.asarray(incident, np.float64)))]

    # -- maps ----------------------------------------------------------------------------------------------------
    def context(self, incident: np.ndarray) -> np.ndarray:
        """``c = (log E_inc − mean) / std``, shape ``(N, 1)``."""
        return ((np.log(np.asarray(incident, dtype=np.float64)) - self.c_mean) / self.c_std)[:, None]

    def dequantise(self, voxels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        e = np.asarray(voxels, dtype=np.float64)
        return e + self._noise_mask(e) * rng.uniform(0.0, self.config.noise, size=e.shape)

    def _noise_mask(self, e: ArrayT) -> ArrayT | float:
        if self.config.noise_on == "all":
            return 1.0
        if self.config.noise_on == "empty":
            return e == 0
        raise InputError(f"unknown preprocessing noise_on '{self.config.noise_on}': use all or empty")

    def forward(
        self, incident: np.ndarray, voxels: np.ndarray, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Showers → ``(y (N, L+V), c (N, 1))``; with ``rng`` the voxels are dequantised first."""
        self._check_voxels(voxels)
        e = self.dequantise(voxels, rng) if rng is not None else np.asarray(voxels, dtype=np.float64)
        y = self.transform(torch.as_tensor(e, dtype=torch.float64), torch.as_tensor(incident, dtype=torch.float64))
        return y.numpy(), self.context(incident)

    def forward_torch(
        self, incident: torch.Tensor, voxels: torch.Tensor, dequantise: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Training batches → float32 ``(y, c)``, with fresh dequantisation noise from torch's global generator.

        Drawing new noise for every batch (not once per data set) keeps a flow from memorising the noise of the
        empty voxels: with one fixed draw the CaloFlow teacher's validation loss on 50k CaloGAN e+ showers rose
        from its third epoch on while the training loss kept falling."""
        e = voxels.to(torch.float64)
        if dequantise:
            e = e + self._noise_mask(e) * self.config.noise * torch.rand(e.shape, dtype=torch.float64)
        inc = incident.to(torch.float64)
        c = (torch.log(inc) - self.c_mean) / self.c_std
        return self.transform(e, inc).float(), c[:, None].float()

    def transform(self, e: torch.Tensor, incident: torch.Tensor) -> torch.Tensor:
        """Steps 2–4 of the module docstring on (dequantised) voxels ``e`` (float64): the standardised ``y``."""
        layers = torch.stack([e[:, s].sum(dim=1) for s in self.geometry.layer_slices], dim=1)
        a = self.config.alpha
        u = torch.empty((len(e), self.n_layers), dtype=e.dtype)
        u[:, 0] = torch.log(layers.sum(dim=1).clamp_min(_TINY) / incident)
        rest = torch.flip(torch.cumsum(torch.flip(layers, [1]), dim=1), [1])  # Σ_{k≥l} E_k
        if self.n_layers > 1:
            u[:, 1:] = logit((layers[:, :-1] / rest[:, :-1].clamp_min(_TINY)).clamp(0.0, 1.0), a)
        frac = e / layers[:, torch.as_tensor(self._layer_of_voxel)].clamp_min(_TINY)
        y = torch.cat([u, logit(frac.clamp(0.0, 1.0), a)], dim=1)
        return (y - torch.as_tensor(self.mean)) / torch.as_tensor(self.std)

    def raw(self, y: np.ndarray) -> np.ndarray:
        """Inverse of step 4: model coordinates ``y`` → the logit/stick-breaking coordinates of steps 2–3."""
        return np.asarray(y, dtype=np.float64) * self.std + self.mean

    def _check_voxels(self, voxels: np.ndarray) -> None:
        if voxels.ndim != 2 or voxels.shape[1] != self.geometry.n_voxels:
            raise InputError(
                f"showers with {voxels.shape[-1]} voxels do not fit this model's geometry "
                f"'{self.geometry.name}' ({self.geometry.n_voxels} voxels)"
            )

    def layer_energies(self, y: np.ndarray, incident: np.ndarray) -> np.ndarray:
        """Model coordinates ``y`` (N, L+V) → layer energies ``(N, L)`` in MeV."""
        return self._layer_energies(self.raw(y)[:, : self.n_layers], incident)

    def _layer_energies(self, u: np.ndarray, incident: np.ndarray) -> np.ndarray:
        total = np.exp(np.clip(u[:, 0], -30.0, 5.0)) * np.asarray(incident, dtype=np.float64)
        out = np.empty((len(u), self.n_layers))
        remaining = total
        for k in range(self.n_layers - 1):
            f = np.clip(sigmoid(u[:, k + 1], self.config.alpha), 0.0, 1.0)
            out[:, k] = f * remaining
            remaining = remaining - out[:, k]
        out[:, -1] = remaining
        return out

    def inverse(self, y: np.ndarray, incident: np.ndarray, threshold: bool = True) -> np.ndarray:
        """``y`` → voxels (N, V) float32 in MeV; ``threshold`` zeroes deposits below the (calibrated) cuts and
        applies the calibrated deposit map, if any."""
        raw = self.raw(y)
        layers = self._layer_energies(raw[:, : self.n_layers], incident)
        x = raw[:, self.n_layers :]
        frac = np.clip(sigmoid(x, self.config.alpha), 0.0, 1.0)
        voxels = np.empty_like(frac)
        for k, s in enumerate(self.geometry.layer_slices):
            norm = frac[:, s].sum(axis=1, keepdims=True)
            voxels[:, s] = frac[:, s] / np.maximum(norm, _TINY) * layers[:, k : k + 1]
        if threshold:
            incident = np.asarray(incident, np.float64).reshape(-1)
            voxels[voxels < self.voxel_cuts(incident)] = 0.0
            if self.map_gen.size:
                voxels = self.map_deposits(voxels, incident, layers)
                voxels[voxels < self.threshold] = 0.0
        return voxels.astype(np.float32)

    def _deposit_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The deposit maps tabulated on a uniform grid of ``_GRID`` points per (bin, voxel) between the model's
        end knots — ``(lo, (grid − 1)/(hi − lo), table)`` in float32 — so that applying them is two gathers and no
        search (linear interpolation between grid points of a piecewise-linear map: exact at the knots' scale)."""
        if self._table is None:
            gen, train = (m.reshape(-1, m.shape[-1]) for m in (self.map_gen, self.map_train))
            lo, hi = gen[:, 0], gen[:, -1]
            grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, _GRID)[None, :]
            table = np.stack([np.interp(grid[c], gen[c], train[c]) for c in range(len(gen))])
            self._table = (lo.astype(np.float32), ((_GRID - 1) / (hi - lo)).astype(np.float32),
                           table.astype(np.float32))
        return self._table

    def map_deposits(self, voxels: np.ndarray, incident: np.ndarray, layers: np.ndarray) -> np.ndarray:
        """Calibrated deposit map (module docstring): :meth:`map_marginals`, then every layer rescaled to its
        energy ``E_l`` from the layer-energy model."""
        out = self.map_marginals(voxels, incident)
        for k, s in enumerate(self.geometry.layer_slices):
            total = out[:, s].sum(axis=1, keepdims=True)
            out[:, s] *= np.where(total > 0, layers[:, k : k + 1] / np.maximum(total, _TINY), 1.0)
        return out

    def map_marginals(self, voxels: np.ndarray, incident: np.ndarray) -> np.ndarray:
        """Per incident-energy bin and voxel, the monotone piecewise-linear map of ``log(Ê_v/E_inc)`` from the
        model's quantiles onto the training data's (clipped to the training range); empty voxels stay empty."""
        lo, scale, table = self._deposit_table()
        grid = table.shape[1]
        rows, cols = np.nonzero(voxels > 0)
        cell = np.searchsorted(self.cut_edges, np.log(incident))[rows] * self.geometry.n_voxels + cols
        x = np.log(voxels[rows, cols] / incident[rows]).astype(np.float32)
        # beyond the model's end knots the map would leave the training range, where it is clipped: clip x instead
        u = np.clip((x - lo[cell]) * scale[cell], 0.0, grid - 1.001)
        j = u.astype(np.int64)
        frac = u - j
        at = cell * grid + j
        y = table.flat[at] * (1 - frac) + table.flat[at + 1] * frac
        out = np.zeros_like(voxels)
        out[rows, cols] = np.exp(y) * incident[rows]
        return out

    # -- persistence ---------------------------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "std": self.std, "cuts": self.cuts, "cut_edges": self.cut_edges,
                "y_lo": self.y_lo, "y_hi": self.y_hi,
                "map_gen": self.map_gen, "map_train": self.map_train}

    def config_dict(self) -> dict:
        return {**asdict(self.config), "c_mean": self.c_mean, "c_std": self.c_std, "energy_range": self.energy_range,
                "data_threshold": self.data_threshold}

    @classmethod
    def restore(cls, geometry: Geometry, cfg: dict, state: dict[str, np.ndarray]) -> ShowerPreprocessor:
        prep = cls(geometry, preprocess_config(cfg))
        prep.mean, prep.std = np.asarray(state["mean"], np.float64), np.asarray(state["std"], np.float64)
        prep.c_mean, prep.c_std = float(cfg["c_mean"]), float(cfg["c_std"])
        prep.energy_range = (float(cfg["energy_range"][0]), float(cfg["energy_range"][1]))
        prep.data_threshold = float(cfg.get("data_threshold", 0.0))
        if "y_lo" in state:
            prep.y_lo, prep.y_hi = np.asarray(state["y_lo"], np.float64), np.asarray(state["y_hi"], np.float64)
        if "cuts" in state and np.size(state["cuts"]):
            prep.cuts = np.asarray(state["cuts"], np.float64).reshape(-1, geometry.n_voxels)
            prep.cut_edges = np.asarray(state["cut_edges"], np.float64).reshape(-1)
        if "map_gen" in state and np.size(state["map_gen"]):
            shape = (-1, geometry.n_voxels, np.shape(state["map_gen"])[-1])
            prep.map_gen = np.asarray(state["map_gen"], np.float64).reshape(shape)
            prep.map_train = np.asarray(state["map_train"], np.float64).reshape(shape)
        return prep


def preprocess_config(cfg: dict) -> PreprocessConfig:
    """The :class:`PreprocessConfig` fields of a saved ``preprocessing`` dict (older folders lack some)."""
    names = PreprocessConfig.__dataclass_fields__
    return PreprocessConfig(**{k: v for k, v in cfg.items() if k in names})
