"""The DAMPE event layout: dataset names, per-event shapes and units of what the simulator produces.

Pure data (no file access): reading and validating files is :mod:`showerml.io.dampe`.

Files written by ``showerml simulate dampe`` carry ``detector = "dampe"`` and these datasets (N events; M = the
padded number of STK clusters, attribute ``max_clusters``):

=========================  ===============  =======  ==========================================================
name                       shape            unit     meaning
=========================  ===============  =======  ==========================================================
bgo                        (N, 14, 22)      MeV      BGO bar reading: noise, zero suppression, saturation
bgo_true                   (N, 14, 22)      MeV      true bar deposits (no noise, no saturation)
bgo_n_saturated            (N,)             —        bars at the saturation cap
psd                        (N, 2, 41)       MeV      PSD bar energies; layer 0 measures y, layer 1 measures x
stk_clusters               (N, M, 4)        mixed    plane 0–5, projection (0 = x, 1 = y), position mm, charge MeV
stk_n_clusters             (N,)             —        valid rows of ``stk_clusters``
stk_cluster_origin         (N, M)           —        truth: 0 primary, 1 secondary, 2 back-scatter, 3 noise, −1 pad
energy                     (N,)             MeV      primary kinetic energy
charge / pdg               (N,)             —        |Z| (0 for γ) and a PDG-style code
theta, phi                 (N,)             rad      direction (θ from the downward z axis)
intercept, slope           (N, 2)           mm, —    x(z) = x0 + kx z, y(z) = y0 + ky z (z = 0 between STK and BGO)
impact                     (N, 3)           mm       track at the BGO top (z = 46 mm)
first_interaction_z        (N,)             mm       z of the first interaction / conversion (1e4: none)
first_interaction_depth    (N,)             mm       BGO path before it (−1: in the tracker, 1e4: none)
deposit_bgo                (N,)             MeV      Σ ``bgo_true``
n_backscatter              (N,)             —        truth multiplicity of back-scattered secondaries
n_trials                   (N,)             —        isotropic trials consumed per accepted event
=========================  ===============  =======  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DatasetInfo", "DampeLayout", "DAMPE_LAYOUT"]


@dataclass(frozen=True)
class DatasetInfo:
    shape: tuple[int | None, ...]  # per event; None = free (the padded cluster axis)
    unit: str
    nonnegative: bool = False


@dataclass(frozen=True)
class DampeLayout:
    datasets: dict[str, DatasetInfo]

    def describe(self) -> str:
        """One line per dataset, stored as a file attribute."""
        return "; ".join(
            f"{k} (N{''.join(', ' + ('M' if s is None else str(s)) for s in v.shape)}) {v.unit}"
            for k, v in self.datasets.items()
        )


DAMPE_LAYOUT = DampeLayout({
    "bgo": DatasetInfo((14, 22), "MeV", True),
    "bgo_true": DatasetInfo((14, 22), "MeV", True),
    "bgo_n_saturated": DatasetInfo((), "count", True),
    "psd": DatasetInfo((2, 41), "MeV", True),
    "stk_clusters": DatasetInfo((None, 4), "plane, projection, mm, MeV"),
    "stk_n_clusters": DatasetInfo((), "count", True),
    "stk_cluster_origin": DatasetInfo((None,), "code"),
    "energy": DatasetInfo((), "MeV", True),
    "charge": DatasetInfo((), "e", True),
    "pdg": DatasetInfo((), "code"),
    "theta": DatasetInfo((), "rad", True),
    "phi": DatasetInfo((), "rad", True),
    "intercept": DatasetInfo((2,), "mm"),
    "slope": DatasetInfo((2,), "1"),
    "impact": DatasetInfo((3,), "mm"),
    "first_interaction_z": DatasetInfo((), "mm"),
    "first_interaction_depth": DatasetInfo((), "mm"),
    "deposit_bgo": DatasetInfo((), "MeV", True),
    "n_backscatter": DatasetInfo((), "count", True),
    "n_trials": DatasetInfo((), "count", True),
})
