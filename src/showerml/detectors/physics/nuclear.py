"""Nuclei as projectiles: mass numbers and inelastic interaction lengths (Bradt–Peters scaling).

The inelastic cross-section of a nucleus A_p on a target nucleus A_t follows the geometric Bradt–Peters form
(H. L. Bradt and B. Peters, Phys. Rev. 77 (1950) 54; energy-independent parameters of Westfall et al.,
Phys. Rev. C 19 (1979) 1309):

    σ(A_p, A_t) = π r0² (A_p^{1/3} + A_t^{1/3} − δ)²,   δ = 0.83,

so in a compound with nᵢ atoms of mass number Aᵢ per formula unit the interaction length of the nucleus is the
proton's, λ_I(p), scaled by Σ nᵢ σ(1, Aᵢ) / Σ nᵢ σ(A_p, Aᵢ) (r0 drops out). For BGO this gives λ_I ≈ 227, 175,
132 and 79 mm for p, He, C and Fe.

Mass numbers of the nuclei Z = 1…28 are the standard atomic weights (IUPAC 2021) rounded to the nearest integer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "MASS_NUMBER",
    "ELEMENT",
    "bradt_peters_sigma",
    "interaction_length_scale",
    "BGO_NUCLEI",
    "SI_NUCLEI",
    "W_NUCLEI",
    "PLASTIC_NUCLEI",
]

#: rounded standard atomic weight, index Z (index 0 unused)
MASS_NUMBER = (
    0,
    1,
    4,
    7,
    9,
    11,
    12,
    14,
    16,
    19,
    20,
    23,
    24,
    27,
    28,
    31,
    32,
    35,
    40,
    39,
    40,
    45,
    48,
    51,
    52,
    55,
    56,
    59,
    59,
)
#: element symbols, index Z
ELEMENT = (
    "",
    "H",
    "He",
    "Li",
    "Be",
    "B",
    "C",
    "N",
    "O",
    "F",
    "Ne",
    "Na",
    "Mg",
    "Al",
    "Si",
    "P",
    "S",
    "Cl",
    "Ar",
    "K",
    "Ca",
    "Sc",
    "Ti",
    "V",
    "Cr",
    "Mn",
    "Fe",
    "Co",
    "Ni",
)

#: (A, atoms per formula unit) of the target nuclei
BGO_NUCLEI: tuple[tuple[float, float], ...] = ((209.0, 4.0), (72.6, 3.0), (16.0, 12.0))  # Bi4Ge3O12
SI_NUCLEI: tuple[tuple[float, float], ...] = ((28.1, 1.0),)
W_NUCLEI: tuple[tuple[float, float], ...] = ((183.8, 1.0),)
PLASTIC_NUCLEI: tuple[tuple[float, float], ...] = ((12.0, 9.0), (1.0, 10.0))  # polyvinyltoluene C9H10

BRADT_PETERS_DELTA = 0.83


def bradt_peters_sigma(a_projectile: float | np.ndarray, a_target: float | np.ndarray) -> np.ndarray:
    """σ / (π r0²) = (A_p^{1/3} + A_t^{1/3} − δ)²."""
    return (np.cbrt(a_projectile) + np.cbrt(a_target) - BRADT_PETERS_DELTA) ** 2


def interaction_length_scale(a_projectile: float | np.ndarray, nuclei: Sequence[tuple[float, float]]) -> np.ndarray:
    """λ_I(A_p) / λ_I(proton) in a medium of the given (A, count) nuclei."""
    a_p = np.asarray(a_projectile, dtype=float)
    proton = sum(n * bradt_peters_sigma(1.0, a) for a, n in nuclei)
    nucleus = sum(n * bradt_peters_sigma(a_p, a) for a, n in nuclei)
    return np.asarray(proton / nucleus)
