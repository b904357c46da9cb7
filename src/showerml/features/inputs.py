"""Classifier inputs built from showers: voxel level and high level (the two CaloChallenge classifier tests).

- voxel level: ``log(1 + E_v / 1 keV)`` for every voxel (compresses the many decades of deposits while keeping
  zero at zero) plus ``log(E_inc / MeV)``;
- high level: the :func:`~showerml.features.shower_features` table plus ``log(E_inc / MeV)``, with energies in log
  form ``log(1 + E / 1 keV)``.

Standardisation happens in the classifier test (training-set mean and std).
"""

from __future__ import annotations

import numpy as np

from showerml.features.showers import FeatureTable, shower_features
from showerml.io.showers import ShowerData

__all__ = ["KEV", "high_level_inputs", "voxel_inputs"]

KEV = 1e-3  # MeV


def voxel_inputs(data: ShowerData) -> np.ndarray:
    """``(N, n_voxels + 1)`` float32: ``log1p(E_v / 1 keV)`` and ``log(E_inc)``."""
    vox = np.log1p(np.asarray(data.voxels, dtype=np.float32) / np.float32(KEV))
    inc = np.log(np.asarray(data.incident, dtype=np.float64)).astype(np.float32)[:, None]
    return np.concatenate([vox, inc], axis=1)


def high_level_inputs(
    data: ShowerData, table: FeatureTable | None = None, names: list[str] | None = None
) -> np.ndarray:
    """``(N, F + 1)`` float64: the feature columns ``names`` (default all; MeV columns as ``log1p(E / 1 keV)``) and
    ``log(E_inc)``."""
    table = table if table is not None else shower_features(data)
    cols = [
        np.log1p(table[name] / KEV) if table.units.get(name) == "MeV" else table[name] for name in names or table.names
    ]
    cols.append(np.log(np.asarray(data.incident, dtype=np.float64)))
    return np.stack(cols, axis=1)
