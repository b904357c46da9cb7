"""High-level shower observables and classifier inputs on :class:`~showerml.io.ShowerData`, any geometry (numpy)."""

from showerml.features.inputs import high_level_inputs, voxel_inputs
from showerml.features.showers import FeatureTable, informative_features, shower_features

__all__ = ["FeatureTable", "high_level_inputs", "informative_features", "shower_features", "voxel_inputs"]
