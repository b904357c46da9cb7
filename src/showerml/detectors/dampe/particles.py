"""Primary particles of the DAMPE-like simulator: e−, e+, γ, protons and nuclei Z = 1…28 (``He``, ``Fe``, ``Z=N``)."""

from __future__ import annotations

from dataclasses import dataclass

from showerml.detectors.physics.nuclear import ELEMENT, MASS_NUMBER
from showerml.errors import InputError

__all__ = ["Particle", "parse_particle", "PARTICLE_HELP", "MAX_Z"]

MAX_Z = 28
PARTICLE_HELP = "e-, e+, gamma, p, He, C, O, Fe or Z=N with 1 <= N <= 28"


@dataclass(frozen=True)
class Particle:
    """A primary: name, |charge| Z (0 for γ), mass number A (0 for e±/γ), whether it showers electromagnetically."""

    name: str
    z: int
    a: int
    electromagnetic: bool

    @property
    def photon(self) -> bool:
        return self.name == "gamma"

    @property
    def pdg_like(self) -> int:
        """11/−11/22 for e−/e+/γ, 2212 for protons, 1000ZZZAAA0 for nuclei (PDG numbering scheme)."""
        return {"e-": 11, "e+": -11, "gamma": 22}.get(self.name) or (
            2212 if self.z == 1 else 1_000_000_000 + 10_000 * self.z + 10 * self.a
        )


def parse_particle(text: str) -> Particle:
    """``e-``, ``e+``, ``gamma``, ``p``, an element symbol (H…Ni) or ``Z=N``; raise :class:`InputError` otherwise."""
    t = text.strip()
    low = t.lower()
    if low in ("e-", "electron"):
        return Particle("e-", 1, 0, True)
    if low in ("e+", "positron"):
        return Particle("e+", 1, 0, True)
    if low in ("gamma", "photon", "g"):
        return Particle("gamma", 0, 0, True)
    if low in ("p", "proton"):
        return Particle("p", 1, 1, False)
    if low.startswith("z="):
        try:
            z = int(t[2:])
        except ValueError:
            raise InputError(f"cannot read the charge in particle '{text}': use Z=N with 1 <= N <= {MAX_Z}") from None
        if not 1 <= z <= MAX_Z:
            raise InputError(f"charge Z={z} is outside 1..{MAX_Z}: the simulator covers H to Ni")
        return Particle("p" if z == 1 else ELEMENT[z], z, MASS_NUMBER[z], False)
    symbols = {s.lower(): z for z, s in enumerate(ELEMENT) if s}
    if low in symbols:
        z = symbols[low]
        return Particle("p" if z == 1 else ELEMENT[z], z, MASS_NUMBER[z], False)
    raise InputError(f"unknown particle '{text}': choose {PARTICLE_HELP}")
