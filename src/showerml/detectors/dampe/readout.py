"""Read-out of the DAMPE-like detector: STK strips and clusters, PSD bars, BGO bars, electronics noise, saturation.

- STK (Azzarello et al., NIM A 831 (2016) 378): implant strips at 121 µm, every other one read out (242 µm). Charge
  of a hit between two read-out strips is shared linearly with the floating strip between them; a floating strip
  passes a fraction T ≈ 0.85 of its charge, half to each neighbour (capacitive coupling), and each read-out strip
  leaks a cross-talk fraction c to its outer neighbour. Strips get Gaussian noise σ; clusters are runs of adjacent
  strips above 1.5 σ holding a seed above 4 σ; position = charge-weighted centroid, charge = Σ strips (MeV). Noise
  clusters appear at a Poisson rate per layer. Events with more clusters than the padded size keep the largest.
- PSD: bar energies (MeV) plus Gaussian noise, zero-suppressed below a threshold.
- BGO: bar energies plus Gaussian noise, zero-suppressed; the reading saturates at a configurable deposit (default
  4 TeV per bar, an assumed value of the order of the ≈ 2×10⁵ dynamic range of the BGO read-out above the MIP
  scale); the unsaturated truth is kept alongside (cf. the saturation correction of arXiv:2507.06626).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.detectors.dampe.geometry import (
    BGO_N_BARS,
    BGO_N_LAYERS,
    PSD_N_BARS,
    STK_HALF,
    STK_N_LAYERS,
    STK_READOUT_PITCH,
)

__all__ = ["ReadoutConfig", "StkHits", "stk_clusters", "psd_readout", "bgo_readout", "ORIGIN"]

#: cluster truth codes
ORIGIN = {"primary": 0, "secondary": 1, "backscatter": 2, "noise": 3}
_STRIPS = 4096  # > 760 mm / 0.242 mm + margins


@dataclass(frozen=True)
class ReadoutConfig:
    """Electronics constants (MeV)."""

    bgo_noise: float = 0.5
    bgo_threshold: float = 2.0
    saturation: float = 4.0e6
    psd_noise: float = 0.05
    psd_threshold: float = 0.3
    stk_noise: float = 0.009  # ≈ MPV(0.32 mm Si, 0.088 MeV) / 10
    stk_seed_sigma: float = 4.0
    stk_neighbour_sigma: float = 1.5
    stk_floating_transfer: float = 0.85
    stk_crosstalk: float = 0.03
    stk_noise_clusters_per_layer: float = 0.05
    max_clusters: int = 1024


@dataclass
class StkHits:
    """Energy deposits in STK layers: event, layer (0…11, even = x), measured coordinate (mm), MeV, origin code."""

    event: np.ndarray
    layer: np.ndarray
    position: np.ndarray
    energy: np.ndarray
    origin: np.ndarray

    @classmethod
    def concat(cls, parts: list[StkHits]) -> StkHits:
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("event", "layer", "position", "energy", "origin")))


def _strip_charges(hits: StkHits, cfg: ReadoutConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(key, charge, origin) of the read-out strips touched by the hits (four strips per hit)."""
    u = (hits.position + STK_HALF) / STK_READOUT_PITCH + 2.0
    j = np.floor(u).astype(np.int64)
    f = u - j
    floating = (1.0 - np.abs(2.0 * f - 1.0)) * 0.5 * cfg.stk_floating_transfer
    q_j = hits.energy * (np.maximum(1.0 - 2.0 * f, 0.0) + floating)
    q_k = hits.energy * (np.maximum(2.0 * f - 1.0, 0.0) + floating)
    base = (hits.event * STK_N_LAYERS + hits.layer) * _STRIPS
    keys = np.concatenate([base + j - 1, base + j, base + j + 1, base + j + 2])
    charge = np.concatenate([cfg.stk_crosstalk * q_j, q_j, q_k, cfg.stk_crosstalk * q_k])
    origin = np.tile(hits.origin, 4)
    return keys, charge, origin


def stk_clusters(
    hits: StkHits, n_events: int, rng: np.random.Generator, cfg: ReadoutConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Digitise and cluster: clusters (n, M, 4) [plane, projection, position mm, charge MeV], count (n,), origin (n, M).

    Padding rows are zero with origin −1.
    """
    inside = np.abs(hits.position) < STK_HALF
    hits = StkHits(*(a[inside] for a in (hits.event, hits.layer, hits.position, hits.energy, hits.origin)))
    keys, charge, origin = _strip_charges(hits, cfg)
    order = np.lexsort((origin, keys))
    keys, charge, origin = keys[order], charge[order], origin[order]
    first = np.flatnonzero(np.concatenate([[True], np.diff(keys) != 0])) if len(keys) else np.zeros(0, np.int64)
    strip_key = keys[first]
    strip_q = np.add.reduceat(charge, first) if len(first) else np.zeros(0)
    strip_origin = origin[first]  # the smallest code: primary wins
    strip_q = strip_q + rng.normal(0.0, cfg.stk_noise, len(strip_q))
    keep = strip_q > cfg.stk_neighbour_sigma * cfg.stk_noise
    strip_key, strip_q, strip_origin = strip_key[keep], strip_q[keep], strip_origin[keep]

    # clusters: runs of consecutive strip keys
    start = np.flatnonzero(np.concatenate([[True], np.diff(strip_key) != 1])) if len(strip_key) else strip_key
    if len(start):
        q_sum = np.add.reduceat(strip_q, start)
        q_max = np.maximum.reduceat(strip_q, start)
        centroid = np.add.reduceat(strip_q * (strip_key % _STRIPS), start) / q_sum
        c_origin = np.minimum.reduceat(strip_origin, start)
        c_slot = strip_key[start] // _STRIPS
        good = q_max > cfg.stk_seed_sigma * cfg.stk_noise
        c_event, c_layer = c_slot[good] // STK_N_LAYERS, c_slot[good] % STK_N_LAYERS
        c_pos = (centroid[good] - 2.0) * STK_READOUT_PITCH - STK_HALF
        c_q, c_origin = q_sum[good], c_origin[good]
    else:
        c_event = c_layer = c_origin = np.zeros(0, np.int64)
        c_pos = c_q = np.zeros(0)

    # noise clusters: a single strip above the seed threshold somewhere in a layer
    n_noise = rng.poisson(cfg.stk_noise_clusters_per_layer, n_events * STK_N_LAYERS)
    slot = np.repeat(np.arange(n_events * STK_N_LAYERS), n_noise)
    c_event = np.concatenate([c_event, slot // STK_N_LAYERS])
    c_layer = np.concatenate([c_layer, slot % STK_N_LAYERS])
    c_pos = np.concatenate([c_pos, rng.uniform(-STK_HALF, STK_HALF, len(slot))])
    c_q = np.concatenate([c_q, cfg.stk_noise * (cfg.stk_seed_sigma + rng.exponential(0.7, len(slot)))])
    c_origin = np.concatenate([c_origin, np.full(len(slot), ORIGIN["noise"])])
    return _pad(c_event, c_layer, c_pos, c_q, c_origin, n_events, cfg.max_clusters)


def _pad(event, layer, pos, q, origin, n_events: int, m: int):
    """Padded per-event arrays sorted by (layer, position); above ``m`` clusters the largest charges are kept."""
    order = np.lexsort((-q, event))
    counts = np.bincount(event, minlength=n_events)
    rank = np.arange(len(order)) - np.repeat(np.cumsum(counts) - counts, counts)
    kept = order[rank < m]
    event, layer, pos, q, origin = event[kept], layer[kept], pos[kept], q[kept], origin[kept]
    order = np.lexsort((pos, layer, event))
    event, layer, pos, q, origin = event[order], layer[order], pos[order], q[order], origin[order]
    n = np.bincount(event, minlength=n_events)
    slot = np.arange(len(event)) - np.repeat(np.cumsum(n) - n, n)
    clusters = np.zeros((n_events, m, 4), dtype=np.float32)
    clusters[event, slot] = np.column_stack([layer // 2, layer % 2, pos, q])
    truth = np.full((n_events, m), -1, dtype=np.int8)
    truth[event, slot] = origin
    return clusters, n.astype(np.int32), truth


def psd_readout(event: np.ndarray, layer: np.ndarray, bar: np.ndarray, energy: np.ndarray, n_events: int,
                rng: np.random.Generator, cfg: ReadoutConfig) -> np.ndarray:
    """PSD bar energies (n, 2, 41) in MeV: deposits + noise, zero below threshold."""
    ok = bar >= 0
    idx = (event[ok] * 2 + layer[ok]) * PSD_N_BARS + bar[ok]
    e: np.ndarray = np.bincount(idx, weights=energy[ok], minlength=n_events * 2 * PSD_N_BARS)
    e = e + rng.normal(0.0, cfg.psd_noise, e.shape)
    e = np.where(e > cfg.psd_threshold, e, 0.0)
    return e.reshape(n_events, 2, PSD_N_BARS).astype(np.float32)


def bgo_readout(truth: np.ndarray, rng: np.random.Generator, cfg: ReadoutConfig) -> tuple[np.ndarray, np.ndarray]:
    """(reading, n_saturated): truth (n, 14, 22) + noise, zero below threshold, capped at the saturation deposit."""
    assert truth.shape[1:] == (BGO_N_LAYERS, BGO_N_BARS)
    reading = truth + rng.normal(0.0, cfg.bgo_noise, truth.shape)
    reading = np.where(reading > cfg.bgo_threshold, reading, 0.0)
    saturated = reading > cfg.saturation
    reading = np.minimum(reading, cfg.saturation)
    return reading.astype(np.float32), saturated.reshape(len(truth), -1).sum(axis=1).astype(np.int16)
