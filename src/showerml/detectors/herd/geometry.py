"""Geometry of a HERD-like calorimeter: ≈ 7,500 LYSO cubes of 3 cm in an octagonal prism, and its five-sided
charge layers; isotropic primaries over the five instrumented faces.

HERD's CALO (S. N. Zhang et al., Proc. SPIE 9144 (2014) 91440X; HEASARC mission page "HERD"; Berti et al.,
arXiv:2208.04133 and arXiv:2410.03274: "about 7500 LYSO cubic crystals"): LYSO cubes of 3 cm side in an array of
63 × 63 × 63 cm (55 X0, 3 λ_I), an octagonal column with the octagon facing up, accepting particles through its top
and four lateral faces. Here: 21 × 21 × 21 cubes at 30 mm pitch with no gaps (21 × 30 mm = 63 cm = 55.3 X0 =
3.0 λ_I of LYSO), the four vertical corner columns cut as right triangles of 6 cubes a side (21 cubes per layer and
corner), leaving 357 cubes per layer, 7,497 in all. Coordinates in mm, origin at the centre, z up; a cube (i, j, k)
spans x ∈ [−315 + 30 i, −285 + 30 i] (likewise y with j, z with k; k = 20 is the top layer); its flat index is
(k · 21 + j) · 21 + i.

The material is treated as one convex body, the octagonal prism |x|, |y|, |z| ≤ 315 mm, |x ± y| ≤ 450 mm (the hull
of the kept cubes): showers develop along their axis in LYSO from where the track enters it; energy that lands in
the half-cubes of the cut staircase, or outside, leaks.

Charge layers (simplified, after HERD's five-sided FIT/PSD/SCD): two boxes 50 and 100 mm outside the top and the four
lateral faces (bottom open). Generation: isotropic flux on the outer box's five faces (points uniform on a face chosen
∝ its area, directions cos-law inward); a trial is kept when its line meets the calorimeter prism.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = ["N_SIDE", "PITCH", "HALF", "N_CELLS", "CORNER_CUT", "CHAMFER", "LAYER_GAPS", "active_mask", "N_CUBES",
           "cube_index", "cube_centres", "check_cube_indices", "prism_segment", "box_entry", "Tracks",
           "generate_tracks", "GEN_HALF", "FACE_NAMES"]

N_SIDE = 21
PITCH = 30.0
HALF = 0.5 * N_SIDE * PITCH  # 315 mm
N_CELLS = N_SIDE**3
#: legs (in cubes) of the right-triangle corner columns removed to make the octagon
CORNER_CUT = 6
#: the chamfer planes |x ± y| ≤ CHAMFER through the outer corners of the kept staircase
CHAMFER = 2.0 * HALF - CORNER_CUT * PITCH  # 450 mm
#: distances of the two charge layers outside the calorimeter faces (mm)
LAYER_GAPS = (50.0, 100.0)
GEN_HALF = HALF + LAYER_GAPS[-1]
#: faces of a box, in the order used for the charge-layer hits: top, +x, −x, +y, −y
FACE_NAMES = ("top", "+x", "-x", "+y", "-y")


def active_mask() -> np.ndarray:
    """(21, 21, 21) bool indexed [k, j, i]: the cubes that exist (the octagonal prism)."""
    i = np.arange(N_SIDE)
    ii, jj = np.meshgrid(i, i, indexing="xy")  # [j, i]
    m = N_SIDE - 1
    keep = ((ii + jj >= CORNER_CUT) & ((m - ii) + jj >= CORNER_CUT) & (ii + (m - jj) >= CORNER_CUT)
            & ((m - ii) + (m - jj) >= CORNER_CUT))
    return np.broadcast_to(keep, (N_SIDE, N_SIDE, N_SIDE)).copy()


_ACTIVE_FLAT = active_mask().ravel()
N_CUBES = int(_ACTIVE_FLAT.sum())


def cube_index(points: np.ndarray) -> np.ndarray:
    """Flat cube index of (…, 3) points in mm, −1 outside the 21³ grid or in a cut corner."""
    p = np.asarray(points, dtype=float)
    cell = np.floor((p + HALF) * (1.0 / PITCH)).astype(np.int64)
    inside = ((cell >= 0) & (cell < N_SIDE)).all(axis=-1)
    cell = np.clip(cell, 0, N_SIDE - 1)
    flat = (cell[..., 2] * N_SIDE + cell[..., 1]) * N_SIDE + cell[..., 0]
    return np.where(inside & _ACTIVE_FLAT[flat], flat, -1)


def cube_centres(flat: np.ndarray) -> np.ndarray:
    """(…, 3) centres (mm) of flat cube indices."""
    f = np.asarray(flat, dtype=np.int64)
    i, j, k = f % N_SIDE, (f // N_SIDE) % N_SIDE, f // (N_SIDE * N_SIDE)
    return np.stack([i, j, k], axis=-1) * PITCH - HALF + 0.5 * PITCH


def check_cube_indices(flat: np.ndarray, what: str = "cube indices") -> None:
    """One-line :class:`InputError` if any index lies outside the calorimeter (the grid or a cut corner)."""
    f = np.asarray(flat)
    if f.size == 0:
        return
    if f.dtype.kind not in "iu":
        raise InputError(f"{what} must be integers, got {f.dtype}")
    out = (f < 0) | (f >= N_CELLS)
    if not out.any():
        out = ~_ACTIVE_FLAT[f]
    if out.any():
        bad = int(f.ravel()[np.argmax(out.ravel())])
        raise InputError(f"{what}: index {bad} lies outside the calorimeter (valid: the {N_CUBES} cubes of the "
                         f"{N_SIDE}³ grid outside its cut corners)")


# the prism as half-spaces n·x ≤ d
_PLANES_N = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1],
                      [1, 1, 0], [-1, -1, 0], [1, -1, 0], [-1, 1, 0]], dtype=float)
_PLANES_D = np.array([HALF] * 6 + [CHAMFER] * 4)


def _convex_segment(p: np.ndarray, d: np.ndarray, normals: np.ndarray, dist: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(t_in, t_out) of the lines p + t d in the convex body {n·x ≤ dist}; t_in > t_out where they miss it."""
    nd = d @ normals.T  # (n, planes)
    num = dist[None, :] - p @ normals.T
    with np.errstate(divide="ignore", invalid="ignore"):
        t = num / nd
    t_in = np.where(nd < 0, t, -np.inf).max(axis=1)
    t_out = np.where(nd > 0, t, np.inf).min(axis=1)
    parallel_out = ((nd == 0) & (num < 0)).any(axis=1)
    t_in = np.where(parallel_out, np.inf, t_in)
    return t_in, t_out


def prism_segment(p: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t_in, t_out) of lines p + t d (d unit) through the calorimeter prism (t_in ≥ t_out: missed)."""
    return _convex_segment(p, d, _PLANES_N, _PLANES_D)


def box_entry(p: np.ndarray, d: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """(t, face) where lines p + t d enter the charge-layer box ``gap`` mm outside the calorimeter's top and lateral
    faces (|x|, |y| ≤ 315 + gap, −315 ≤ z ≤ 315 + gap); face indexes :data:`FACE_NAMES`, −1 where not through
    one of the five faces."""
    h = HALF + gap
    normals = np.array([[0, 0, 1], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, -1]], dtype=float)
    dist = np.array([h, h, h, h, h, HALF])
    nd = d @ normals.T
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (dist[None, :] - p @ normals.T) / nd
    cand = np.where(nd < 0, t, -np.inf)
    face = np.argmax(cand, axis=1)
    t_in = cand[np.arange(len(p)), face]
    return t_in, np.where(face < 5, face, -1)


@dataclass
class Tracks:
    """Straight primary lines: ``origin`` (n, 3) on the generation box, unit ``direction`` (n, 3), the path through the
    calorimeter prism [t_in, t_out] (mm from the origin) and the isotropic trials consumed per accepted event."""

    origin: np.ndarray
    direction: np.ndarray
    t_in: np.ndarray
    t_out: np.ndarray
    n_trials: np.ndarray

    def __len__(self) -> int:
        return len(self.t_in)

    @property
    def entry(self) -> np.ndarray:
        return self.origin + self.t_in[:, None] * self.direction

    @property
    def path(self) -> np.ndarray:
        """Path length in the calorimeter (mm)."""
        return self.t_out - self.t_in

    @property
    def theta(self) -> np.ndarray:
        """Angle to the downward vertical (rad): 0 for a particle going straight down."""
        return np.arccos(np.clip(-self.direction[:, 2], -1.0, 1.0))

    @property
    def phi(self) -> np.ndarray:
        return np.mod(np.arctan2(self.direction[:, 1], self.direction[:, 0]), 2 * np.pi)


def _face_trials(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points and cos-law inward directions on the five generation faces (chosen ∝ area)."""
    g = GEN_HALF
    height = g + HALF  # lateral faces span z ∈ [−315, g]
    areas = np.array([(2 * g) ** 2] + [2 * g * height] * 4)
    face = rng.choice(5, size=n, p=areas / areas.sum())
    a, b = rng.uniform(-1.0, 1.0, (2, n))
    zc = 0.5 * (g - HALF) + 0.5 * height * b
    cos_t = np.sqrt(rng.random(n))
    sin_t = np.sqrt(1.0 - cos_t**2)
    ph = rng.uniform(0.0, 2 * np.pi, n)
    t1, t2 = sin_t * np.cos(ph), sin_t * np.sin(ph)
    p = np.empty((n, 3))
    d = np.empty((n, 3))
    # top: inward −z; +x face: inward −x; etc.
    top, px, mx, py, my = (face == k for k in range(5))
    p[top] = np.column_stack([g * a[top], g * b[top], np.full(top.sum(), g)])
    d[top] = np.column_stack([t1[top], t2[top], -cos_t[top]])
    for sel, axis, sign in ((px, 0, 1.0), (mx, 0, -1.0), (py, 1, 1.0), (my, 1, -1.0)):
        other = 1 - axis
        p[sel, axis] = sign * g
        p[sel, other] = g * a[sel]
        p[sel, 2] = zc[sel]
        d[sel, axis] = -sign * cos_t[sel]
        d[sel, other] = t1[sel]
        d[sel, 2] = t2[sel]
    return p, d


def generate_tracks(rng: np.random.Generator, n: int, incidence: str = "isotropic") -> Tracks:
    """``n`` accepted primaries: isotropic over the five faces, or ``vertical`` (straight down within ±150 mm of the
    axis, beam-test-like)."""
    if incidence == "vertical":
        xy = rng.uniform(-150.0, 150.0, (n, 2))
        origin = np.column_stack([xy, np.full(n, GEN_HALF)])
        d = np.tile([0.0, 0.0, -1.0], (n, 1))
        t_in, t_out = prism_segment(origin, d)
        return Tracks(origin, d, t_in, t_out, np.ones(n, np.int64))
    parts: list[tuple[np.ndarray, ...]] = []
    got = 0
    trials: list[np.ndarray] = []
    while got < n:
        m = max(2 * (n - got), 64)
        p, d = _face_trials(rng, m)
        t_in, t_out = prism_segment(p, d)
        ok = np.flatnonzero(t_out - t_in > 1e-6)
        ok = ok[: n - got]
        # trials consumed per accepted event: the gaps between accepted trials (the last batch's tail is dropped)
        prev = np.concatenate([[-1], ok[:-1]])
        trials.append(ok - prev)
        parts.append((p[ok], d[ok], t_in[ok], t_out[ok]))
        got += len(ok)
    p, d, t_in, t_out = (np.concatenate([q[k] for q in parts]) for k in range(4))
    return Tracks(p, d, t_in, t_out, np.concatenate(trials).astype(np.int64))


def acceptance_generation_m2sr() -> float:
    """π × the area of the five generation faces (m² sr): the geometry factor if every trial were accepted."""
    g = GEN_HALF
    return float(np.pi * ((2 * g) ** 2 + 4 * 2 * g * (g + HALF)) * 1e-6)
