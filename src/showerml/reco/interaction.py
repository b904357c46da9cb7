"""The BGO layer of the first hadronic interaction: a classical threshold rule and a multi-class BDT.

Classes: 0 = interaction before the BGO (PSD/STK), 1…14 = BGO layer 0…13, 15 = no interaction in the detector.
Classical rule: the first layer whose deposit exceeds 4 × the expected ionisation Z² · 22.5 MeV / cos θ of a
minimum-ionising particle in 25 mm of BGO (dE/dx ≈ 9 MeV/cm), Z from the PSD; class 15 if none; a non-MIP signal
in the first layer reads as class 1 (the rule cannot see interactions in the tracker). BDT: the high-level features
plus log layer energies in MIP units and consecutive-layer ratios.
"""

from __future__ import annotations

import numpy as np

from showerml.reco.features import bgo_layer_of_z, high_level_features, layer_stats, line_fit

__all__ = ["N_CLASSES", "interaction_class", "interaction_features", "classical_layer", "MIP_BGO_MEV"]

N_CLASSES = 16
MIP_BGO_MEV = 22.5


def interaction_class(first_interaction_z: np.ndarray) -> np.ndarray:
    """Class label from the true first-interaction depth z (mm)."""
    layer = bgo_layer_of_z(first_interaction_z)
    return np.where(layer < 0, 0, np.where(layer >= 14, 15, layer + 1)).astype(np.int64)


def _mip_units(arrays: dict[str, np.ndarray]) -> np.ndarray:
    el, _, _ = layer_stats(arrays["bgo"])
    _, slope = line_fit(arrays["bgo"])
    cos_t = 1.0 / np.sqrt(1.0 + (slope**2).sum(axis=1))
    z2 = np.clip(np.rint(arrays["psd"].max(axis=2).mean(axis=1) / 2.0), 1.0, None)
    return el * cos_t[:, None] / (MIP_BGO_MEV * z2[:, None])


def interaction_features(arrays: dict[str, np.ndarray]) -> np.ndarray:
    x, _ = high_level_features(arrays)
    m = _mip_units(arrays)
    ratio = np.log1p(m[:, 1:]) - np.log1p(m[:, :-1])
    return np.column_stack([x, np.log1p(m), ratio]).astype(np.float32)


def classical_layer(arrays: dict[str, np.ndarray], factor: float = 4.0) -> np.ndarray:
    """Class from the first layer above ``factor`` × the MIP expectation."""
    above = _mip_units(arrays) > factor
    first = np.where(above.any(axis=1), above.argmax(axis=1) + 1, 15)
    return first.astype(np.int64)
