"""Station and array triggers of the TA SD (AbuZayyad et al., NIM A 689 (2012) 87).

- Level-0 (the station is read out): the sum over 8 consecutive bins (160 ns) exceeds 0.3 VEM in both layers.
- Level-1: the same sum exceeds 3 VEM in both layers.
- Array trigger: three adjacent Level-1 stations (grid neighbours, diagonals included) within 8 µs.
Station time: the leading edge, where the cumulative signal of the two layers (negative noise clipped) reaches 10 % of
its total, interpolated within the bin.
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.ta.response import BIN_NS

__all__ = ["sliding_max", "station_levels", "leading_edge", "array_trigger", "L0_VEM", "L1_VEM", "WINDOW_NS"]

L0_VEM, L1_VEM = 0.3, 3.0
WINDOW_NS = 8000.0
_SUM_BINS = 8


def sliding_max(traces: np.ndarray) -> np.ndarray:
    """(P, 2) maximum over the trace of the 8-bin running sum per layer."""
    c = np.cumsum(traces, axis=-1, dtype=np.float64)
    c = np.concatenate([np.zeros(c.shape[:-1] + (1,)), c], axis=-1)
    return (c[..., _SUM_BINS:] - c[..., :-_SUM_BINS]).max(axis=-1)


def station_levels(traces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(level-0, level-1) flags per station."""
    m = sliding_max(traces).min(axis=1)
    return m >= L0_VEM, m >= L1_VEM


def leading_edge(traces: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    """Time (ns from the window start) where the cumulative signal of both layers reaches ``fraction`` of it."""
    s = np.maximum(traces.sum(axis=1), 0.0)
    c = np.cumsum(s, axis=-1)
    target = fraction * c[:, -1:]
    k = np.minimum((c < target).sum(axis=-1), s.shape[-1] - 1)
    rows = np.arange(len(s))
    before = np.where(k > 0, c[rows, np.maximum(k - 1, 0)], 0.0)
    inside = np.where(s[rows, k] > 0, (target[:, 0] - before) / np.maximum(s[rows, k], 1e-12), 0.0)
    return (k + np.clip(inside, 0.0, 1.0)) * BIN_NS


def array_trigger(indices: np.ndarray, times: np.ndarray) -> bool:
    """Three adjacent level-1 stations (grid indices (k, 2)) with times (k,) within 8 µs."""
    if len(times) < 3:
        return False
    d = np.abs(indices[:, None, :] - indices[None, :, :]).max(axis=-1)
    close = np.abs(times[:, None] - times[None, :]) <= WINDOW_NS
    np.fill_diagonal(close, False)
    adj = ((d == 1) & close).astype(np.int32)
    return bool((np.einsum("ij,jl,il->i", adj, close.astype(np.int32), adj) > 0).any())
