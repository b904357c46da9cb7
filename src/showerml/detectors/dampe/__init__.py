"""A DAMPE-like space-borne detector: plastic scintillator (PSD), silicon–tungsten tracker (STK), BGO calorimeter.

Files are read with :func:`showerml.io.dampe.read_dampe`.
"""

from showerml.detectors.dampe.layout import DAMPE_LAYOUT
from showerml.detectors.dampe.particles import Particle, parse_particle
from showerml.detectors.dampe.simulator import DampeSimulator

__all__ = ["DAMPE_LAYOUT", "DampeSimulator", "Particle", "parse_particle"]
