"""The TA event layout: dataset names, per-event shapes, types and units (pure data; reading is :mod:`showerml.io.ta`).

Written by ``showerml simulate ta`` with ``detector = "ta"`` (the per-event station arrays follow the contract of the
standard reconstruction, padded to M = ``max_stations`` = 64 rows per event; N = the network window, T = 128 bins):

======================  ==================  =======  ===========================================================
name                    shape               unit     meaning
======================  ==================  =======  ===========================================================
station_xy              (N, M, 2) float32   m        station position (x east, y north)
station_state           (N, M) int8         code     0 padding, 1 triggered, 2 triggered + saturated, 3 off
station_signal          (N, M, 2) float32   VEM      integral signal, upper and lower layer
station_time            (N, M) float32      ns       leading edge relative to the earliest triggered station
station_traces          (N, M, 2, T) f16    VEM      calibrated FADC traces per 20 ns bin (float16: 3 digits)
n_stations              (N,) int16          —        rows that are not padding
n_triggered             (N,) int16          —        triggered stations before the cut to M rows
net_traces              (N, 6, 6, T, 2) f16 VEM      network window of traces (:mod:`.network_input`)
net_features            (N, 6, 6, 5) f32    mixed    x − x_c, y − y_c (m), state, signal (VEM), time (ns)
energy_eev              (N,) float64        EeV      primary energy
theta, phi              (N,) float32        rad      arrival direction (shower travels along −u)
core                    (N, 2) float32      m        core position on the ground
mass_number             (N,) int16          —        A (photon 0)
xmax                    (N,) float32        g/cm²    depth of shower maximum
n_mu                    (N,) float32        —        muons at the ground
s800                    (N,) float32        VEM/m²   expected S(800 m) of the mean of the two layers (EM + μ)
s800_mu                 (N,) float32        VEM/m²   its muon part
n_trials                (N,) int32          —        showers thrown per triggered event (trigger efficiency)
======================  ==================  =======  ===========================================================

The whole array is the file attribute ``grid_xy`` ((S, 2) m) with ``grid_spacing_m`` and ``n_stations_grid``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TaDataset", "TaLayout", "ta_layout", "M_MAX", "N_BINS"]

M_MAX = 64
N_BINS = 128


@dataclass(frozen=True)
class TaDataset:
    shape: tuple[int, ...]  # per event
    dtype: str
    unit: str


@dataclass(frozen=True)
class TaLayout:
    datasets: dict[str, TaDataset]

    def describe(self) -> str:
        return "; ".join(f"{k} (N{''.join(', ' + str(s) for s in v.shape)}) {v.unit}" for k, v in self.datasets.items())


def ta_layout(m: int = M_MAX, window: int = 6, t_bins: int = N_BINS) -> TaLayout:
    """The layout for ``m`` station rows, an ``window`` × ``window`` network input and ``t_bins`` bins."""
    return TaLayout({
        "station_xy": TaDataset((m, 2), "float32", "m"),
        "station_state": TaDataset((m,), "int8", "code"),
        "station_signal": TaDataset((m, 2), "float32", "VEM"),
        "station_time": TaDataset((m,), "float32", "ns"),
        "station_traces": TaDataset((m, 2, t_bins), "float16", "VEM per bin"),
        "n_stations": TaDataset((), "int16", "count"),
        "n_triggered": TaDataset((), "int16", "count"),
        "net_traces": TaDataset((window, window, t_bins, 2), "float16", "VEM per bin"),
        "net_features": TaDataset((window, window, 5), "float32", "m, m, code, VEM, ns"),
        "energy_eev": TaDataset((), "float64", "EeV"),
        "theta": TaDataset((), "float32", "rad"),
        "phi": TaDataset((), "float32", "rad"),
        "core": TaDataset((2,), "float32", "m"),
        "mass_number": TaDataset((), "int16", "A"),
        "xmax": TaDataset((), "float32", "g/cm2"),
        "n_mu": TaDataset((), "float32", "count"),
        "s800": TaDataset((), "float32", "VEM/m2"),
        "s800_mu": TaDataset((), "float32", "VEM/m2"),
        "n_trials": TaDataset((), "int32", "count"),
    })
