"""The network input of Ivanov et al. (arXiv:2005.07117): an N × N window of the grid, traces (T, 2) per station.

The window is centred on the station with the largest signal; for even N the centre station sits at index N/2 − 1 or
N/2 on each axis, whichever leaves more of the window on the side of the signal-weighted centroid of the triggered
stations. Per grid position the features are (x − x_c, y − y_c) in m (the station's exact position relative to the
centre station; the nominal grid position where there is no station), the state (0 no station, 1 triggered, 2
triggered and saturated, 3 off, 4 working but not triggered), the integral signal of both layers (VEM) and the time
(ns, relative to the event's earliest triggered station; 0 where not triggered). Traces of stations that did not
trigger are not read out and stay zero.
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.ta.grid import ArrayLayout

__all__ = ["network_window", "N_FEATURES", "STATE_NONE", "STATE_OK", "STATE_SATURATED", "STATE_OFF", "STATE_QUIET"]

N_FEATURES = 5
STATE_NONE, STATE_OK, STATE_SATURATED, STATE_OFF, STATE_QUIET = 0, 1, 2, 3, 4


def network_window(layout: ArrayLayout, stations: np.ndarray, state: np.ndarray, signal: np.ndarray,
                   time: np.ndarray, traces: np.ndarray, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """(traces (n, n, T, 2), features (n, n, 5)) of one event.

    ``stations`` are layout indices of the event's listed stations with their ``state`` (codes above), total
    ``signal``, ``time`` and ``traces`` (k, 2, T); stations not listed count as working and quiet.
    """
    t_bins = traces.shape[-1]
    out = np.zeros((n, n, t_bins, 2), np.float32)
    feat = np.zeros((n, n, N_FEATURES), np.float32)
    hit = (state == STATE_OK) | (state == STATE_SATURATED)
    c = int(np.argmax(np.where(hit, signal, -np.inf)))
    ic = layout.indices[stations[c]]
    w = np.where(hit, signal, 0.0)
    centroid = (layout.indices[stations] * w[:, None]).sum(axis=0) / max(float(w.sum()), 1e-12)
    pos = np.where(centroid >= ic, (n - 1) // 2, n // 2) if n % 2 == 0 else np.full(2, n // 2)
    ga = ic[0] - pos[0] + np.arange(n)
    gb = ic[1] - pos[1] + np.arange(n)
    table = layout.lookup
    ids = table[np.clip(ga + 6, 0, table.shape[0] - 1)[:, None], np.clip(gb + 6, 0, table.shape[1] - 1)[None, :]]
    rowmap = np.full(len(layout.xy), -1, dtype=np.int64)
    rowmap[stations] = np.arange(len(stations))
    present = ids >= 0
    rows = np.where(present, rowmap[np.maximum(ids, 0)], -1)
    nominal = np.stack(np.meshgrid((ga - ic[0]) * layout.spacing, (gb - ic[1]) * layout.spacing, indexing="ij"), -1)
    feat[..., :2] = np.where(present[..., None], layout.xy[np.maximum(ids, 0)] - layout.xy[stations[c]], nominal)
    feat[..., 2] = np.where(present, STATE_QUIET, STATE_NONE)
    listed = rows >= 0
    k = rows[listed]
    feat[listed, 2] = state[k]
    feat[listed, 3] = signal[k]
    feat[listed, 4] = time[k]
    out[listed] = traces[k].transpose(0, 2, 1)
    return out, feat
