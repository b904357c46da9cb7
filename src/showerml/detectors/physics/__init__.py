"""Shower physics (numpy/scipy only): materials, electromagnetic and hadronic showers, ionisation."""

from showerml.detectors.physics.materials import (
    BGO,
    LAR,
    PB,
    PLASTIC_SCINTILLATOR,
    SI,
    Material,
    W,
    mixture,
)

__all__ = ["BGO", "LAR", "PB", "PLASTIC_SCINTILLATOR", "SI", "W", "Material", "mixture"]
