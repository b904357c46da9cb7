"""Resonant anomaly detection on dijets: supervised, idealized, CWoLa, ANODE, CATHODE and autoencoder searches.

Every method follows :class:`~showerml.anomaly.base.AnomalyMethod`: ``fit(AnomalyInputs)`` then ``score(features)``.
"""

from showerml.anomaly.base import AnomalyInputs, AnomalyMethod, MethodConfig, Regions, aux_features
from showerml.anomaly.methods import METHODS, make_method, unmet

__all__ = [
    "METHODS", "AnomalyInputs", "AnomalyMethod", "MethodConfig", "Regions", "aux_features", "make_method", "unmet",
]
