"""A Telescope-Array-like surface detector: parametric air showers on a grid of two-layer scintillator stations.

Files are read with :func:`showerml.io.ta.read_ta`; the layout is :mod:`.layout`.
"""

from showerml.detectors.ta.grid import ArrayLayout, default_layout, load_layout
from showerml.detectors.ta.layout import M_MAX, ta_layout
from showerml.detectors.ta.primaries import Composition, parse_composition
from showerml.detectors.ta.simulator import TaSimulator

__all__ = ["ArrayLayout", "Composition", "M_MAX", "TaSimulator", "default_layout", "load_layout",
           "parse_composition", "ta_layout"]
