"""Geometry of a DAMPE-like detector: PSD, silicon–tungsten tracker (STK) and BGO calorimeter; acceptance.

Layout after the DAMPE instrument paper (J. Chang et al., Astropart. Phys. 95 (2017) 6, arXiv:1706.08453), the PSD
paper (Y. Yu et al., Astropart. Phys. 94 (2017) 1, arXiv:1703.00098) and the STK paper (P. Azzarello et al., NIM A 831
(2016) 378). Coordinates in mm, z grows downward (particles come from z < 0), origin between STK and BGO; z positions
follow the public DAMPE analysis geometry (BGO layer centres 58.5 + 29 k mm, BGO from z = 46 to 448 mm).

- PSD: two layers, the upper with bars along x (measures y), the lower with bars along y (measures x). Each layer is
  41 bars of 884 × 28 × 10 mm³ in two staggered sub-layers (21 + 20 bars at 40 mm pitch, offset by 20 mm), so
  neighbouring bars overlap by 8 mm and the layer spans 828 mm. Top surface at z = −331.7 mm.
- STK: 6 planes between z = −210 and −42 mm, each an x- and a y-measuring layer of 320 µm silicon (active ±380 mm),
  strips at 121 µm pitch with every other strip read out (242 µm readout pitch); 1 mm tungsten plates below planes
  1–3 (≈ 0.86 X0 in all).
- BGO: 14 layers × 22 bars of 25 × 25 × 600 mm³ at 27.5 mm pitch (2.5 mm carbon-fibre walls), layers 29 mm apart;
  even layers have bars along y (measure x, the x–z view), odd layers measure y. 14 × 25 mm = 31.3 X0, 1.54 λ_I.

Acceptance: isotropic particles crossing the PSD top (820 × 820 mm², the generation surface) and the BGO bottom
(602.5 × 602.5 mm²). The geometry factor of two parallel coaxial rectangles separated by l is (J. D. Sullivan,
NIM 95 (1971) 5)  G = ∫∫ T₁(Δx) T₂(Δy) l² / (l² + Δx² + Δy²)² dΔx dΔy,  with T the overlap length of the two
sides shifted by Δ; a Monte Carlo estimate is G = A_gen π · N_pass / N_gen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "PSD_TOP_Z", "PSD_HALF", "PSD_SUBLAYER_Z", "PSD_BAR_THICKNESS", "PSD_N_BARS", "psd_bar",
    "STK_PLANE_Z", "STK_LAYER_Z", "STK_HALF", "STK_SI_THICKNESS", "STK_W_Z", "STK_W_THICKNESS",
    "STK_READOUT_PITCH", "STK_N_LAYERS",
    "BGO_LAYER_Z", "BGO_TOP_Z", "BGO_BOTTOM_Z", "BGO_HALF", "BGO_BAR", "BGO_PITCH", "BGO_N_LAYERS", "BGO_N_BARS",
    "bgo_bar", "measures_x", "Tracks", "generate_tracks", "geometric_factor_analytic", "geometric_factor_mc",
]

# --- PSD -------------------------------------------------------------------------------------------------------
PSD_TOP_Z = -331.7
PSD_HALF = 410.0  # half-width of the generation surface (82 × 82 cm)
PSD_BAR_THICKNESS = 10.0
PSD_BAR_WIDTH = 28.0
PSD_N_BARS = 41
#: centres of the four sub-layers: layer 0 (measures y) sub-layers A, B; layer 1 (measures x) A, B
PSD_SUBLAYER_Z = np.array([-326.7, -314.7, -297.7, -285.7])

# --- STK -------------------------------------------------------------------------------------------------------
STK_PLANE_Z = np.linspace(-210.0, -42.0, 6)
STK_N_LAYERS = 12
#: layer 2p measures x, layer 2p + 1 measures y, 3 mm apart around the plane centre
STK_LAYER_Z = np.repeat(STK_PLANE_Z, 2) + np.tile([-1.5, 1.5], 6)
STK_HALF = 380.0
STK_SI_THICKNESS = 0.32
STK_W_THICKNESS = 1.0
STK_W_Z = STK_PLANE_Z[:3] + 8.0
STK_READOUT_PITCH = 0.242

# --- BGO -------------------------------------------------------------------------------------------------------
BGO_N_LAYERS = 14
BGO_N_BARS = 22
BGO_BAR = 25.0
BGO_PITCH = 27.5
BGO_LAYER_PITCH = 29.0
BGO_LAYER_Z = 58.5 + BGO_LAYER_PITCH * np.arange(BGO_N_LAYERS)
BGO_TOP_Z = 46.0
BGO_BOTTOM_Z = 448.0
BGO_HALF = 10.5 * BGO_PITCH + 0.5 * BGO_BAR  # 301.25 mm
BGO_BAR_CENTRES = (np.arange(BGO_N_BARS) - 10.5) * BGO_PITCH


def measures_x(bgo_layer: np.ndarray | int) -> np.ndarray:
    """True where a BGO layer's bars run along y, i.e. the layer measures x (even layers)."""
    return np.asarray(bgo_layer) % 2 == 0


def bgo_bar(coord: np.ndarray) -> np.ndarray:
    """Bar index 0…21 for a measured coordinate (the 2.5 mm walls go to the nearer bar); −1 outside."""
    k = np.floor((np.asarray(coord) + 11 * BGO_PITCH) / BGO_PITCH).astype(np.int64)
    inside = np.abs(coord) < BGO_HALF
    return np.where(inside, np.clip(k, 0, BGO_N_BARS - 1), -1)


def psd_bar(coord: np.ndarray, sublayer: int) -> np.ndarray:
    """Bar index 0…40 within a PSD layer hit at ``coord`` in sub-layer 0 (A: even bars) or 1 (B: odd bars); −1 if none.

    Bar 2k (A) is centred at −400 + 40k, bar 2k + 1 (B) at −380 + 40k mm; bars are 28 mm wide.
    """
    offset = -400.0 + 20.0 * sublayer
    n = 21 - sublayer
    k = np.rint((np.asarray(coord) - offset) / 40.0).astype(np.int64)
    centre = offset + 40.0 * k
    ok = (k >= 0) & (k < n) & (np.abs(coord - centre) < 0.5 * PSD_BAR_WIDTH)
    return np.where(ok, 2 * k + sublayer, -1)


@dataclass
class Tracks:
    """Straight primary tracks x(z) = x0 + kx z, y(z) = y0 + ky z, travelling towards +z."""

    intercept: np.ndarray  # (n, 2) x0, y0 at z = 0
    slope: np.ndarray  # (n, 2) kx = dx/dz, ky = dy/dz
    n_trials: np.ndarray  # (n,) generated trials consumed per accepted track

    def __len__(self) -> int:
        return len(self.intercept)

    def take(self, index: np.ndarray) -> Tracks:
        return Tracks(self.intercept[index], self.slope[index], self.n_trials[index])

    def at(self, z: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) at depth z (broadcast: z may be (n,) or (n, k) or a scalar)."""
        z = np.asarray(z, dtype=float)
        if z.ndim == 2:
            return (self.intercept[:, :1] + self.slope[:, :1] * z, self.intercept[:, 1:] + self.slope[:, 1:] * z)
        return self.intercept[:, 0] + self.slope[:, 0] * z, self.intercept[:, 1] + self.slope[:, 1] * z

    @property
    def cos_theta(self) -> np.ndarray:
        return 1.0 / np.sqrt(1.0 + (self.slope**2).sum(axis=1))

    @property
    def direction(self) -> np.ndarray:
        """Unit vectors (n, 3)."""
        d = np.column_stack([self.slope, np.ones(len(self))])
        return d * self.cos_theta[:, None]

    @property
    def theta(self) -> np.ndarray:
        return np.arccos(self.cos_theta)

    @property
    def phi(self) -> np.ndarray:
        return np.mod(np.arctan2(self.slope[:, 1], self.slope[:, 0]), 2 * np.pi)


def _isotropic_trials(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n trials uniform on the PSD top with a cos θ-weighted (isotropic-flux) direction: (x, y, slopes)."""
    x, y = rng.uniform(-PSD_HALF, PSD_HALF, (2, n))
    cos_t = np.sqrt(1.0 - rng.random(n))  # p(cos θ) ∝ cos θ, cos θ ∈ (0, 1]
    phi = rng.uniform(0.0, 2 * np.pi, n)
    tan_t = np.sqrt(1.0 - cos_t**2) / cos_t
    return x, y, np.column_stack([tan_t * np.cos(phi), tan_t * np.sin(phi)])


def _passes(x: np.ndarray, y: np.ndarray, slope: np.ndarray) -> np.ndarray:
    dz = BGO_BOTTOM_Z - PSD_TOP_Z
    return (np.abs(x + slope[:, 0] * dz) < BGO_HALF) & (np.abs(y + slope[:, 1] * dz) < BGO_HALF)


def generate_tracks(rng: np.random.Generator, n: int, incidence: str = "isotropic") -> Tracks:
    """``n`` tracks crossing the PSD top and the BGO bottom (isotropic), or vertical within ±100 mm ("vertical")."""
    if incidence == "vertical":
        xy = rng.uniform(-100.0, 100.0, (n, 2))
        return Tracks(xy, np.zeros((n, 2)), np.ones(n, dtype=np.int64))
    xs, ys, ks, trials = [], [], [], []
    got, carry = 0, 0  # carry: rejected trials at the end of the previous batch
    while got < n:
        m = max(64, int(1.3 * (n - got) / 0.12))
        x, y, k = _isotropic_trials(rng, m)
        ok = np.flatnonzero(_passes(x, y, k))[: n - got]
        # trials consumed per accepted track: the gaps between accepted indices (trials after the last needed
        # acceptance are never used)
        gaps = np.diff(np.concatenate([[-1], ok]))
        if len(ok):
            gaps[0] += carry
            carry = m - 1 - ok[-1]
        else:
            carry += m
        trials.append(gaps)
        xs.append(x[ok])
        ys.append(y[ok])
        ks.append(k[ok])
        got += len(ok)
    x, y, k = np.concatenate(xs), np.concatenate(ys), np.concatenate(ks)
    intercept = np.column_stack([x - k[:, 0] * PSD_TOP_Z, y - k[:, 1] * PSD_TOP_Z])
    return Tracks(intercept, k, np.concatenate(trials).astype(np.int64))


def _overlap(d: np.ndarray, a1: float, a2: float) -> np.ndarray:
    """Length of {x ∈ [−a1, a1] : x − d ∈ [−a2, a2]}."""
    return np.clip(np.minimum(a1, a2 + d) - np.maximum(-a1, -a2 + d), 0.0, None)


def geometric_factor_analytic(half1: float = PSD_HALF, half2: float = BGO_HALF,
                              distance: float = BGO_BOTTOM_Z - PSD_TOP_Z, order: int = 96) -> float:
    """Geometry factor (m² sr) of two coaxial parallel squares (Sullivan 1971) by Gauss–Legendre quadrature.

    The overlap T(Δ) is piecewise linear with kinks at |a₁ − a₂| and a₁ + a₂, so each piece is integrated separately.
    """
    nodes, weights = np.polynomial.legendre.leggauss(order)
    edges = [0.0, abs(half1 - half2), half1 + half2]
    pts, wts = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        pts.append(0.5 * (hi - lo) * nodes + 0.5 * (hi + lo))
        wts.append(0.5 * (hi - lo) * weights)
    d, w = np.concatenate(pts), np.concatenate(wts) * _overlap(np.concatenate(pts), half1, half2)
    l2 = distance**2
    kernel = l2 / (l2 + d[:, None] ** 2 + d[None, :] ** 2) ** 2
    return float(4.0 * (w[:, None] * w[None, :] * kernel).sum() * 1e-6)  # 4 quadrants, mm² → m²


def geometric_factor_mc(n: int = 2_000_000, seed: int = 12345) -> tuple[float, float]:
    """(G, σ_G) in m² sr from ``n`` isotropic trials on the PSD top: G = A π N_pass/N, binomial σ."""
    rng = np.random.default_rng(seed)
    passed = 0
    for start in range(0, n, 500_000):
        m = min(500_000, n - start)
        passed += int(_passes(*_isotropic_trials(rng, m)).sum())
    f = passed / n
    g_gen = (2 * PSD_HALF) ** 2 * np.pi * 1e-6
    return g_gen * f, g_gen * np.sqrt(f * (1 - f) / n)
