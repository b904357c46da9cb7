"""The array: station positions, grid indices, and the area the cores are thrown over.

Default: 507 stations on a 1.2 km square grid (TA SD, AbuZayyad et al., NIM A 689 (2012) 87), taken as the 507 grid
points nearest the array centre (≈ 730 km², the size of TA's array; TA's real outline is not circular). A layout
file lists one station per line, ``x y`` in metres (commas or blanks; ``#`` comments); stations closer than 10 m to
each other are refused, and so are two stations rounding to the same grid point (spacing = the median
nearest-neighbour distance). Every station owns one grid cell (spacing²); cores are thrown uniformly over the union
of the cells (a random station, then uniform in its cell).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from showerml.errors import InputError

__all__ = ["ArrayLayout", "default_layout", "load_layout", "N_DEFAULT", "SPACING_M"]

N_DEFAULT = 507
SPACING_M = 1200.0
MIN_SEPARATION_M = 10.0


@dataclass(frozen=True)
class ArrayLayout:
    """Station positions ``xy`` (S, 2) in m and the grid spacing."""

    xy: np.ndarray = field(repr=False)
    spacing: float = SPACING_M
    name: str = "ta507"

    def __post_init__(self) -> None:
        check_layout(self.xy, self.name)
        if not (np.isfinite(self.spacing) and self.spacing > 0):
            raise InputError(f"{self.name}: the grid spacing must be positive, got {self.spacing}")
        idx = self.indices
        _, first, counts = np.unique(idx[:, 0].astype(np.int64) * (1 << 32) + idx[:, 1], return_index=True,
                                     return_counts=True)
        if (counts > 1).any():
            k = int(first[np.argmax(counts > 1)])
            same = np.flatnonzero((idx == idx[k]).all(axis=1))
            a, b = self.xy[same[0]], self.xy[same[1]]
            raise InputError(f"{self.name}: stations at ({a[0]:g}, {a[1]:g}) and ({b[0]:g}, {b[1]:g}) m fall on the "
                             f"same cell of the {self.spacing:g} m grid (one station per grid point is needed)")

    def __len__(self) -> int:
        return len(self.xy)

    @cached_property
    def indices(self) -> np.ndarray:
        """Integer grid indices (S, 2) of every station (its position rounded to the grid)."""
        return np.rint((self.xy - self.xy.min(axis=0)) / self.spacing).astype(np.int32)

    @cached_property
    def lookup(self) -> np.ndarray:
        """(nx + 12, ny + 12) table: station index at grid index + 6, −1 where there is none (padded by 6)."""
        idx = self.indices
        table = np.full(tuple(idx.max(axis=0) + 13), -1, dtype=np.int32)
        table[idx[:, 0] + 6, idx[:, 1] + 6] = np.arange(len(idx))
        return table

    def sample_cores(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Cores uniform over the stations' cells."""
        k = rng.integers(0, len(self.xy), n)
        return self.xy[k] + rng.uniform(-0.5, 0.5, (n, 2)) * self.spacing


def check_layout(xy: np.ndarray, source: object) -> None:
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) < 3:
        raise InputError(f"{source}: a station layout needs at least 3 stations given as 'x y' in metres")
    if not np.isfinite(xy).all():
        raise InputError(f"{source}: station positions must be finite numbers")
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    s = xy[order]
    for k in range(1, len(s)):  # sorted by x: only neighbours within MIN_SEPARATION in x can overlap
        j = k - 1
        while j >= 0 and s[k, 0] - s[j, 0] < MIN_SEPARATION_M:
            if np.hypot(*(s[k] - s[j])) < MIN_SEPARATION_M:
                a, b = s[j], s[k]
                raise InputError(f"{source}: stations at ({a[0]:g}, {a[1]:g}) and ({b[0]:g}, {b[1]:g}) m overlap "
                                 f"(closer than {MIN_SEPARATION_M:g} m); remove one")
            j -= 1


def default_layout(n: int = N_DEFAULT, spacing: float = SPACING_M) -> ArrayLayout:
    """The ``n`` grid points nearest the centre (ties broken by azimuth), centred on (0, 0)."""
    k = int(np.ceil(np.sqrt(n))) + 4
    gi, gj = np.meshgrid(np.arange(-k, k + 1), np.arange(-k, k + 1), indexing="ij")
    i, j = gi.ravel(), gj.ravel()
    order = np.lexsort((np.arctan2(j, i), i**2 + j**2))[:n]
    return ArrayLayout(np.column_stack([i[order], j[order]]).astype(float) * spacing, spacing,
                       "ta507" if n == N_DEFAULT and spacing == SPACING_M else f"grid{n}")


def load_layout(path: str | os.PathLike[str]) -> ArrayLayout:
    """Read a layout file (``x y`` per line, m); the spacing is the median nearest-neighbour distance."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"--grid {p}: no such file")
    rows = []
    for number, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
        text = line.split("#", 1)[0].replace(",", " ").split()
        if not text:
            continue
        if len(text) != 2:
            raise InputError(f"--grid {p}: line {number} must hold two numbers 'x y' (m), got '{line.strip()}'")
        try:
            rows.append([float(text[0]), float(text[1])])
        except ValueError:
            raise InputError(f"--grid {p}: line {number} is not two numbers: '{line.strip()}'") from None
    xy = np.array(rows, dtype=float).reshape(-1, 2)
    check_layout(xy, f"--grid {p}")
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) if len(xy) <= 4000 else None
    if d is None:
        raise InputError(f"--grid {p}: more than 4000 stations are not supported")
    np.fill_diagonal(d, np.inf)
    return ArrayLayout(xy, float(np.median(d.min(axis=1))), p.stem)
