"""The HERD event layout: dataset names, per-event shapes and units of what ``showerml simulate herd`` writes.

Pure data (no file access): reading and validating files is :mod:`showerml.io.herd`. Files carry
``detector = "herd"``; M is the padded number of stored cubes (attribute ``max_hits``). The calorimeter is stored
sparse: per event the flat indices (k · 21 + j) · 21 + i of the cubes above threshold (:mod:`.geometry`), sorted by
decreasing energy, padded with −1 / 0.

=========================  ===============  =======  ==========================================================
name                       shape            unit     meaning
=========================  ===============  =======  ==========================================================
calo_index                 (N, M)           —        flat cube index of a hit cube, −1 for padding
calo_energy                (N, M)           MeV      its deposit (0 for padding)
calo_n_hits                (N,)             —        valid entries of ``calo_index``
calo_lost_mev              (N,)             MeV      above-threshold deposit of cubes beyond M (not stored)
deposit_true               (N,)             MeV      all deposits in the cubes (no threshold)
tracker_hits               (N, 2, 3)        mm       crossing points of the two charge layers (inner, outer)
tracker_signal             (N, 2)           MIP      charge-layer signal, ∝ Z² / |cos| (0: no hit)
tracker_face               (N, 2)           —        face crossed: 0 top, 1 +x, 2 −x, 3 +y, 4 −y; −1 none
energy                     (N,)             MeV      primary kinetic energy
charge / pdg               (N,)             —        |Z| (0 for γ) and a PDG-style code
direction                  (N, 3)           1        unit direction of flight
entry                      (N, 3)           mm       where the track enters the calorimeter
theta, phi                 (N,)             rad      angle to the downward vertical, azimuth of flight
path_length                (N,)             mm       track length inside the calorimeter
first_interaction_depth    (N,)             mm       hadrons: depth along the track from the entry (1e4: none)
n_trials                   (N,)             —        isotropic trials consumed per accepted event
=========================  ===============  =======  ==========================================================
"""

from __future__ import annotations

from showerml.detectors.dampe.layout import DampeLayout, DatasetInfo

__all__ = ["HERD_LAYOUT"]

HERD_LAYOUT = DampeLayout({
    "calo_index": DatasetInfo((None,), "flat cube index"),
    "calo_energy": DatasetInfo((None,), "MeV", True),
    "calo_n_hits": DatasetInfo((), "count", True),
    "calo_lost_mev": DatasetInfo((), "MeV", True),
    "deposit_true": DatasetInfo((), "MeV", True),
    "tracker_hits": DatasetInfo((2, 3), "mm"),
    "tracker_signal": DatasetInfo((2,), "MIP", True),
    "tracker_face": DatasetInfo((2,), "code"),
    "energy": DatasetInfo((), "MeV", True),
    "charge": DatasetInfo((), "e", True),
    "pdg": DatasetInfo((), "code"),
    "direction": DatasetInfo((3,), "1"),
    "entry": DatasetInfo((3,), "mm"),
    "theta": DatasetInfo((), "rad", True),
    "phi": DatasetInfo((), "rad", True),
    "path_length": DatasetInfo((), "mm", True),
    "first_interaction_depth": DatasetInfo((), "mm", True),
    "n_trials": DatasetInfo((), "count", True),
})
