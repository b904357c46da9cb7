"""High-level shower observables and classifier inputs on :class:`~showerml.io.ShowerData`, any geometry (numpy).

:mod:`showerml.features.calochallenge` holds the CaloChallenge 2022 evaluation's own feature definitions.
"""

from showerml.features.calochallenge import ChallengeFeatures, challenge_features, challenge_fpd_inputs
from showerml.features.inputs import high_level_inputs, voxel_inputs
from showerml.features.showers import FeatureTable, informative_features, shower_features

__all__ = [
    "ChallengeFeatures",
    "FeatureTable",
    "challenge_features",
    "challenge_fpd_inputs",
    "high_level_inputs",
    "informative_features",
    "shower_features",
    "voxel_inputs",
]
