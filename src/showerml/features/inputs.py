"""Classifier inputs built from showers: voxel level (showerml's and the CaloChallenge's) and high level.

- :func:`voxel_inputs` (showerml): every voxel as ``E_v / E_inc`` on a linear scale, then per layer
  ``E_l / E_inc`` and ``log10(E_l / E_inc + 10⁻⁷)``, then ``E_tot / E_inc`` and ``log10(E_inc / MeV)``. Layer
  energies are sums of the voxel columns, so a network can form them linearly, and they are also given outright
  (an MLP fed standardised ``log(1 + E_v/keV)`` alone was blind to a 5 % layer-energy scale that the high-level
  features show plainly). :func:`voxel_input_groups` makes the voxels of one layer share one standardisation
  scale (their relative sizes, hence layer sums, survive standardisation); every other column is z-scored alone.
  Dividing by ``E_inc`` makes the inputs independent of the file's overall energy scale up to that scale's
  standardisation.
- :func:`calochallenge_voxel_inputs`: the CaloChallenge 2022 low-level classifier's inputs
  (``prepare_low_data_for_classifier`` in code/evaluate.py of the challenge's homepage repository,
  arXiv:2410.21611): ``[log10(E_inc / MeV), E_v / E_inc]`` with voxels below the read-out threshold set to 0 and no
  standardisation.
- :func:`high_level_inputs`: the :func:`~showerml.features.shower_features` table plus ``log(E_inc / MeV)``, with
  energies as ``log(1 + E / 1 keV)``.
"""

from __future__ import annotations

import numpy as np

from showerml.detectors.calochallenge import THRESHOLD_MEV
from showerml.features.calochallenge import challenge_dataset
from showerml.features.showers import FeatureTable, shower_features
from showerml.geometry import Geometry
from showerml.io.showers import ShowerData

__all__ = [
    "CALOCHALLENGE_MIN_ENERGY",
    "KEV",
    "LAYER_FRACTION_FLOOR",
    "calochallenge_min_energy",
    "calochallenge_voxel_inputs",
    "high_level_inputs",
    "voxel_input_groups",
    "voxel_inputs",
]

KEV = 1e-3  # MeV
#: floor of ``E_l / E_inc`` under the logarithm (below any non-empty layer of 1 keV at 10 TeV)
LAYER_FRACTION_FLOOR = 1e-7
#: the CaloChallenge's voxel read-out threshold in MeV for datasets 2 and 3 (the dataset-2 simulator's threshold:
#: 0.5 keV in silicon divided by the sampling fraction 0.033 by which the files are scaled)
CALOCHALLENGE_MIN_ENERGY = THRESHOLD_MEV


def calochallenge_min_energy(geometry: Geometry) -> float:
    """The challenge's voxel threshold (MeV) for its datasets 2 and 3 (recognised by their voxel structure), else 0
    (no threshold: the challenge defines none for geometries it does not have)."""
    return CALOCHALLENGE_MIN_ENERGY if challenge_dataset(geometry) is not None else 0.0


def voxel_inputs(data: ShowerData) -> np.ndarray:
    """``(N, V + 2L + 2)`` float32: ``E_v/E_inc``, ``E_l/E_inc``, ``log10(E_l/E_inc + 10⁻⁷)``, ``E_tot/E_inc``,
    ``log10(E_inc)`` (see the module docstring)."""
    inc = np.asarray(data.incident, dtype=np.float64)
    vox = np.asarray(data.voxels, dtype=np.float32) / inc.astype(np.float32)[:, None]
    layers = data.geometry.layer_energies(np.asarray(data.voxels, dtype=np.float64)) / inc[:, None]
    extra = np.concatenate(
        [
            layers,
            np.log10(layers + LAYER_FRACTION_FLOOR),
            layers.sum(axis=1, keepdims=True),
            np.log10(inc)[:, None],
        ],
        axis=1,
    )
    return np.concatenate([vox, extra.astype(np.float32)], axis=1)


def voxel_input_groups(geometry: Geometry) -> np.ndarray:
    """Standardisation groups of the :func:`voxel_inputs` columns: the layer index for a voxel, a unique id
    (≥ L) for every other column."""
    per_voxel = np.repeat(np.arange(geometry.n_layers), geometry.layer_sizes)
    n_extra = 2 * geometry.n_layers + 2
    return np.concatenate([per_voxel, geometry.n_layers + np.arange(n_extra)])


def calochallenge_voxel_inputs(data: ShowerData, threshold: float = 0.0) -> np.ndarray:
    """``(N, 1 + V)`` float32: ``log10(E_inc / MeV)`` and ``E_v / E_inc`` with ``E_v < threshold`` (MeV) set to 0."""
    inc = np.asarray(data.incident, dtype=np.float64)
    vox = np.asarray(data.voxels, dtype=np.float32)
    if threshold > 0:
        vox = np.where(vox < np.float32(threshold), np.float32(0.0), vox)
    vox = vox / inc.astype(np.float32)[:, None]
    return np.concatenate([np.log10(inc).astype(np.float32)[:, None], vox], axis=1)


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
