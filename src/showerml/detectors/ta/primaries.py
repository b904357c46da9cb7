"""Primary species of the TA-like simulator and the ``--composition`` mixture (``p:1,He:1,N:1,Fe:1``).

Nuclei are named by their symbol (mass number A: p 1, He 4, N 14, Fe 56, as in TA's simulation libraries, TA
Collaboration, PRD 99 (2019) 022002, arXiv:1808.03680); ``photon`` (alias ``gamma``) is stored with A = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = ["Species", "SPECIES", "Composition", "parse_composition"]


@dataclass(frozen=True)
class Species:
    name: str
    mass_number: int  # 0 for a photon

    @property
    def is_photon(self) -> bool:
        return self.mass_number == 0


SPECIES = {s.name: s for s in (Species("p", 1), Species("He", 4), Species("N", 14), Species("Fe", 56),
                               Species("photon", 0))}
_ALIASES = {"p": "p", "proton": "p", "h": "p", "he": "He", "helium": "He", "n": "N", "nitrogen": "N",
            "fe": "Fe", "iron": "Fe", "photon": "photon", "gamma": "photon"}


@dataclass(frozen=True)
class Composition:
    """Species and their (normalised) fractions."""

    species: tuple[Species, ...]
    fractions: tuple[float, ...]

    @property
    def spec(self) -> str:
        return ",".join(f"{s.name}:{f:g}" for s, f in zip(self.species, self.fractions, strict=True))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Mass numbers (photon: 0) of ``n`` primaries."""
        a = np.array([s.mass_number for s in self.species], dtype=np.int16)
        return a[rng.choice(len(a), size=n, p=np.asarray(self.fractions))]


def parse_composition(text: str) -> Composition:
    """``p:1,He:1,N:1,Fe:1`` or one species (``Fe``) → :class:`Composition`; one-line :class:`InputError` otherwise."""
    usage = "use e.g. p:1,He:1,N:1,Fe:1 or one of p, He, N, Fe, photon"
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise InputError(f"--composition is empty: {usage}")
    weights: dict[str, float] = {}
    for part in parts:
        name, sep, value = part.partition(":")
        key = _ALIASES.get(name.strip().lower())
        if key is None:
            raise InputError(f"--composition: unknown primary '{name.strip()}': {usage}")
        try:
            w = float(value) if sep else 1.0
        except ValueError:
            raise InputError(f"--composition: '{value}' is not a number in '{part}': {usage}") from None
        if not np.isfinite(w) or w < 0:
            raise InputError(f"--composition: weight of {key} must be finite and non-negative, got '{value}'")
        if key in weights:
            raise InputError(f"--composition names {key} twice")
        weights[key] = w
    total = sum(weights.values())
    if total <= 0:
        raise InputError(f"--composition weights add up to zero in '{text}': give at least one positive weight")
    kept = [(SPECIES[k], w / total) for k, w in weights.items() if w > 0]
    return Composition(tuple(s for s, _ in kept), tuple(f for _, f in kept))
