"""File formats: HDF5 event files written atomically, the CaloGAN and CaloChallenge layouts, streaming reads."""

from showerml.io.hdf5 import EventWriter, check_output_path, read_attrs
from showerml.io.layouts import CALOCHALLENGE, CALOGAN, Layout, detect_layout
from showerml.io.showers import ShowerData, ShowerFile, load_showers, write_showers

__all__ = [
    "CALOCHALLENGE",
    "CALOGAN",
    "EventWriter",
    "Layout",
    "ShowerData",
    "ShowerFile",
    "check_output_path",
    "detect_layout",
    "load_showers",
    "read_attrs",
    "write_showers",
]
