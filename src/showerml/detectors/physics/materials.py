"""Materials and their shower constants; effective values for sampling mixtures.

Values from the PDG tables of atomic and nuclear properties (pdg.lbl.gov/AtomicNuclearProperties) and, for BGO, from
Geant4's ``G4_BGO`` (X0 = 11.18 mm). Lengths in mm, energies in MeV, density in g/cm³, the minimum ionisation
dE/dx in MeV cm²/g.

Mixtures (e.g. CaloGAN's 2 mm Pb + 4 mm LAr) follow the GFlash sampling-calorimeter rules (Grindhammer & Peters,
hep-ex/0001020, sec. 4), with thickness fractions wᵢ and mass fractions uᵢ = wᵢρᵢ/Σwⱼρⱼ:

    1/X0 = Σ wᵢ/X0ᵢ,   E_c = X0 Σ wᵢ E_cᵢ/X0ᵢ,   R_M = 21.2 MeV · X0/E_c,
    1/λ_I = Σ wᵢ/λ_Iᵢ, ρ = Σ wᵢρᵢ,                Z_eff = Σ uᵢ Zᵢ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Material", "mixture", "PB", "LAR", "BGO", "LYSO", "SI", "W", "PLASTIC_SCINTILLATOR", "ES_MEV"]

#: scale energy of multiple scattering, m_e c² √(4π/α) (MeV), in R_M = E_s X0 / E_c
ES_MEV = 21.2052


@dataclass(frozen=True)
class Material:
    """A homogeneous (or effective) medium."""

    name: str
    x0: float  # radiation length, mm
    ec: float  # critical energy (Rossi definition, electrons), MeV
    lambda_i: float  # nuclear interaction length, mm
    density: float  # g/cm³
    z: float  # (effective) atomic number
    z_over_a: float  # <Z/A>
    dedx_min: float  # minimum ionisation, MeV cm²/g
    mean_excitation_ev: float  # I, eV

    @property
    def moliere_radius(self) -> float:
        """R_M = E_s X0 / E_c (mm)."""
        return ES_MEV * self.x0 / self.ec

    @property
    def mip_dedx(self) -> float:
        """Minimum-ionising energy loss per mm (MeV/mm)."""
        return self.dedx_min * self.density / 10.0


PB = Material("Pb", 5.612, 7.43, 175.9, 11.35, 82.0, 0.3958, 1.122, 823.0)
LAR = Material("LAr", 140.0, 32.84, 857.7, 1.396, 18.0, 0.4509, 1.519, 188.0)
BGO = Material("BGO", 11.18, 10.50, 227.3, 7.13, 62.5, 0.4207, 1.251, 534.1)
#: Lu1.8Y0.2SiO5 (the HERD-like calorimeter): X0 = 11.4 mm, R_M = 20.7 mm (so E_c = E_s X0/R_M = 11.68 MeV),
#: λ_I = 209 mm, dE/dx_min 9.55 MeV/cm at 7.40 g/cm³ (PDG Review "Particle detectors at accelerators", inorganic
#: scintillator table, LSO(Ce) row); ρ = 7.1 g/cm³ for LYSO; Z (mass-weighted, as for BGO), Z/A from the formula;
#: I from Bragg additivity of the PDG elemental values (Lu 694, Y 379, Si 173, O 95 eV)
LYSO = Material("LYSO", 11.4, 11.68, 209.0, 7.1, 54.6, 0.4300, 1.290, 401.0)
SI = Material("Si", 93.70, 40.19, 465.2, 2.329, 14.0, 0.4985, 1.664, 173.0)
W = Material("W", 3.504, 7.97, 99.46, 19.30, 74.0, 0.4025, 1.145, 727.0)
#: polyvinyltoluene-based plastic scintillator
PLASTIC_SCINTILLATOR = Material("plastic", 425.4, 94.11, 770.0, 1.032, 3.4, 0.5414, 1.956, 64.7)


def mixture(name: str, layers: Sequence[tuple[Material, float]]) -> Material:
    """Effective material of a repeated stack ``[(material, thickness_mm), …]`` (GFlash sampling rules)."""
    total = sum(t for _, t in layers)
    w = [t / total for _, t in layers]
    mats = [m for m, _ in layers]
    inv_x0 = sum(wi / m.x0 for wi, m in zip(w, mats, strict=True))
    x0 = 1.0 / inv_x0
    ec = x0 * sum(wi * m.ec / m.x0 for wi, m in zip(w, mats, strict=True))
    lambda_i = 1.0 / sum(wi / m.lambda_i for wi, m in zip(w, mats, strict=True))
    density = sum(wi * m.density for wi, m in zip(w, mats, strict=True))
    u = [wi * m.density / density for wi, m in zip(w, mats, strict=True)]
    z = sum(ui * m.z for ui, m in zip(u, mats, strict=True))
    z_over_a = sum(ui * m.z_over_a for ui, m in zip(u, mats, strict=True))
    dedx = sum(ui * m.dedx_min for ui, m in zip(u, mats, strict=True))
    excitation = sum(ui * m.mean_excitation_ev for ui, m in zip(u, mats, strict=True))
    return Material(name, x0, ec, lambda_i, density, z, z_over_a, dedx, excitation)
