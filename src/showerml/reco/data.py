"""DAMPE files → one in-memory sample with labels, energy bins and a seeded train/validation/test split.

Files of the TA-like surface detector (attribute ``detector = "ta"``) are read by
:func:`showerml.reco.ta_data.load_ta_arrays` instead (truth, standard reconstruction and observables in memory, the
traces streamed), those of the HERD-like calorimeter (``detector = "herd"``) by
:func:`showerml.reco.herd_data.load_herd_sample`; a sample is of one detector only (:attr:`RecoSample.detector`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from showerml.errors import InputError
from showerml.io.dampe import read_dampe
from showerml.io.hdf5 import read_attrs
from showerml.reco.sample import RecoSample

__all__ = ["RecoSample", "load_sample", "split_indices", "DEPOSIT_BINS_GEV", "PDG_ELECTRON", "PDG_GAMMA"]

#: deposited-energy bins of the e/p and γ/p figures (GeV; the last bin is open)
DEPOSIT_BINS_GEV = (100.0, 300.0, 1000.0, 10000.0, np.inf)
PDG_ELECTRON = 11
PDG_GAMMA = 22


def load_sample(paths: Sequence[str | os.PathLike[str]], max_events: int | None = None) -> RecoSample:
    """Read DAMPE files (one-line :class:`~showerml.errors.DataFileError` for another detector or missing truth).

    ``max_events`` caps the events read from each file (the first ones, so the cap is deterministic).
    """
    if not paths:
        raise InputError("give at least one --data FILE")
    detectors = {read_attrs(p).get("detector") for p in paths}
    if "ta" in detectors:
        if len(detectors) > 1:
            raise InputError("the --data files mix TA-like and other detectors; give files of one detector")
        from showerml.reco.ta_data import load_ta_arrays

        arrays, names = load_ta_arrays(paths, max_events)
        return RecoSample(arrays, names, "ta")
    if "herd" in detectors:
        if len(detectors) > 1:
            raise InputError("the --data files mix HERD-like and other detectors; give files of one detector")
        from showerml.reco.herd_data import load_herd_sample

        return load_herd_sample(paths, max_events)
    parts = []
    for path in paths:
        events = read_dampe(path, slice(0, max_events) if max_events else None)
        arrays = dict(events.arrays)
        width = max(int(arrays["stk_n_clusters"].max()), 1)
        arrays["stk_clusters"] = arrays["stk_clusters"][:, :width]
        arrays["stk_cluster_origin"] = arrays["stk_cluster_origin"][:, :width]
        parts.append(arrays)
    width = max(p["stk_clusters"].shape[1] for p in parts)
    for p in parts:
        pad = width - p["stk_clusters"].shape[1]
        if pad:
            p["stk_clusters"] = np.pad(p["stk_clusters"], ((0, 0), (0, pad), (0, 0)))
            p["stk_cluster_origin"] = np.pad(p["stk_cluster_origin"], ((0, 0), (0, pad)), constant_values=-1)
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return RecoSample(arrays, [str(p) for p in paths])


def split_indices(n: int, seed: int, fractions: tuple[float, float, float] = (0.6, 0.15, 0.25)
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded (train, validation, test) index arrays; the same seed and n give the same split."""
    order = np.random.default_rng(np.random.SeedSequence([seed, 0x5EC0])).permutation(n)
    a = int(round(fractions[0] * n))
    b = a + int(round(fractions[1] * n))
    return np.sort(order[:a]), np.sort(order[a:b]), np.sort(order[b:])
