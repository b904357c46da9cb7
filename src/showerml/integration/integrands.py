"""Test integrands on the unit hypercube with known integrals (numpy, vectorised over points).

The i-flow suite (Gao, Isaacson, Krause, arXiv:2001.05486, Sec. 4): a Gaussian and a "camel" (two Gaussians on the
diagonal) of width α, and two entangled circles; plus an annulus with hard cuts, a correlated Gaussian (a thin ridge
along the diagonal that a factorised VEGAS grid cannot follow) and a Gaussian shell. Exact values are closed forms
(erf products, an area) or one-dimensional quadratures done to ~1e-10 (circles, shell), stated per integrand.

Every integrand is f: (n, d) array in [0, 1]^d → (n,) array ≥ 0; ``exact`` is ∫_{[0,1]^d} f dx.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import integrate, special

__all__ = ["Integrand", "gauss", "camel", "circles", "annulus", "correlated_gauss", "gauss_shell", "Fn"]

Fn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Integrand:
    """A named integrand on [0, 1]^dim with its exact integral (None when unknown, e.g. a user's function).

    ``factorisable`` says whether f is a product of one-dimensional functions up to a rotation-free sum of such
    products (the case VEGAS's separable grid is built for); the benchmark compares unweighting efficiencies on the
    others.
    """

    name: str
    dim: int
    fn: Fn = field(repr=False, compare=False)
    exact: float | None
    description: str
    factorisable: bool = False

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.fn(x)


def _norm(alpha: float, dim: int) -> float:
    return float((alpha * math.sqrt(math.pi)) ** (-dim))


def gauss(dim: int, alpha: float = 0.2) -> Integrand:
    """f = (α√π)^-d exp(−Σ(x_i − ½)²/α²); I = erf(1/(2α))^d (arXiv:2001.05486, eq. 4.1)."""
    c = _norm(alpha, dim)

    def fn(x: np.ndarray) -> np.ndarray:
        return c * np.exp(-np.sum((x - 0.5) ** 2, axis=1) / alpha**2)

    exact = float(special.erf(1 / (2 * alpha)) ** dim)
    return Integrand(f"gauss{dim}" + _alpha_tag(alpha), dim, fn, exact,
                     f"Gaussian at the centre, width α = {alpha} (i-flow)", factorisable=True)


def camel(dim: int, alpha: float = 0.2) -> Integrand:
    """f = ½(α√π)^-d [exp(−Σ(x_i − ⅓)²/α²) + exp(−Σ(x_i − ⅔)²/α²)];
    I = (½[erf(2/(3α)) + erf(1/(3α))])^d (arXiv:2001.05486, eq. 4.2)."""
    c = 0.5 * _norm(alpha, dim)

    def fn(x: np.ndarray) -> np.ndarray:
        a = np.sum((x - 1 / 3) ** 2, axis=1)
        b = np.sum((x - 2 / 3) ** 2, axis=1)
        return c * (np.exp(-a / alpha**2) + np.exp(-b / alpha**2))

    exact = float((0.5 * (special.erf(2 / (3 * alpha)) + special.erf(1 / (3 * alpha)))) ** dim)
    return Integrand(f"camel{dim}" + _alpha_tag(alpha), dim, fn, exact,
                     f"two Gaussians at x_i = 1/3 and 2/3, width α = {alpha} (i-flow)")


def _alpha_tag(alpha: float) -> str:
    return "" if alpha == 0.2 else f"_a{alpha:g}"


#: entangled circles after arXiv:2001.05486 (form of its eq. 4.3; parameters as recalled, the exact value below is
#: this module's own quadrature): exponent a, sharpness w, radius r, centre (p1, p2)
_CIRCLE = {"a": 3.0, "w": 1 / 0.004, "r": 0.3, "p1": 0.4, "p2": 0.6}


def _circles_fn(x: np.ndarray) -> np.ndarray:
    a, w, r, p1, p2 = (_CIRCLE[k] for k in ("a", "w", "r", "p1", "p2"))
    x1, x2 = x[:, 0], x[:, 1]
    one = x2**a * np.exp(-w * np.abs((x2 - p2) ** 2 + (x1 - p1) ** 2 - r**2))
    two = (1 - x2) ** a * np.exp(-w * np.abs((x2 - 1 + p2) ** 2 + (x1 - 1 + p1) ** 2 - r**2))
    return np.asarray(one + two)


@lru_cache(maxsize=1)
def circles_exact() -> float:
    """∫ of the entangled circles by quadrature in polar coordinates about each centre (the kink at ρ = r and the
    square's corners are quadrature break points); the two circles are mirror images under x → 1 − x, so I = 2 I₁."""
    a, w, r, p1, p2 = (_CIRCLE[k] for k in ("a", "w", "r", "p1", "p2"))
    corners = sorted(math.atan2(cy - p2, cx - p1) % (2 * math.pi) for cx in (0, 1) for cy in (0, 1))

    def rho_max(phi: float) -> float:
        c, s = math.cos(phi), math.sin(phi)
        limits = []
        if c > 1e-15:
            limits.append((1 - p1) / c)
        elif c < -1e-15:
            limits.append(-p1 / c)
        if s > 1e-15:
            limits.append((1 - p2) / s)
        elif s < -1e-15:
            limits.append(-p2 / s)
        return min(limits)

    def radial(phi: float) -> float:
        s = math.sin(phi)
        top = rho_max(phi)

        def g(rho: float) -> float:
            return rho * (p2 + rho * s) ** a * math.exp(-w * abs(rho * rho - r * r))

        pts = [r] if r < top else None
        return float(integrate.quad(g, 0.0, top, points=pts, epsabs=1e-13, epsrel=1e-11, limit=200)[0])

    edges = [0.0, *corners, 2 * math.pi]
    total = sum(integrate.quad(radial, lo, hi, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
                for lo, hi in zip(edges[:-1], edges[1:], strict=True) if hi > lo)
    return 2.0 * float(total)


#: circles_exact() evaluated once (a slow test recomputes it; a 4·10⁶-point plain Monte Carlo gives 0.014918(30))
CIRCLES_EXACT = 0.014928848254628606


def circles() -> Integrand:
    """Two entangled thin rings weighted by x₂³ and (1 − x₂)³ (arXiv:2001.05486, eq. 4.3)."""
    return Integrand("circles", 2, _circles_fn, CIRCLES_EXACT, "entangled circles (i-flow), thin rings of width ~0.004")


def annulus(r_in: float = 0.2, r_out: float = 0.45) -> Integrand:
    """f = 1 for r_in < |x − (½, ½)| < r_out, else 0 (hard cuts); I = π(r_out² − r_in²)."""

    def fn(x: np.ndarray) -> np.ndarray:
        rho2 = np.sum((x - 0.5) ** 2, axis=1)
        return ((rho2 > r_in**2) & (rho2 < r_out**2)).astype(np.float64)

    return Integrand("annulus", 2, fn, math.pi * (r_out**2 - r_in**2),
                     f"indicator of the annulus {r_in} < |x − ½| < {r_out} (cuts)")


def correlated_gauss(dim: int, rho: float, sigma: float = 0.08) -> Integrand:
    """Normalised Gaussian at (½,…,½) with covariance σ²[(1−ρ)𝟙 + ρ J] (J all ones): a ridge along the diagonal.

    I is the Gaussian's mass inside the cube; each marginal is N(½, σ²), so 1 − I ≤ 2d Φ(−1/(2σ)) = 4e-10 d for
    σ = 0.08, i.e. I = 1 to better than 1e-8."""
    cov = sigma**2 * ((1 - rho) * np.eye(dim) + rho * np.ones((dim, dim)))
    prec = np.linalg.inv(cov)
    norm = 1.0 / math.sqrt((2 * math.pi) ** dim * float(np.linalg.det(cov)))

    def fn(x: np.ndarray) -> np.ndarray:
        y = x - 0.5
        return norm * np.exp(-0.5 * np.einsum("ni,ij,nj->n", y, prec, y))

    outside = 2 * dim * float(special.ndtr(-0.5 / sigma))
    exact = 1.0 - outside / 2  # within ±outside/2 of the truth; far below any Monte Carlo error here
    return Integrand(f"corr{dim}_rho{rho:g}", dim, fn, exact, f"correlated Gaussian, ρ = {rho}, σ = {sigma}")


def gauss_shell(dim: int, radius: float = 0.3, width: float = 0.02) -> Integrand:
    """f = exp(−(|x − ½| − r)²/(2w²)) / (w√(2π)); I = S_{d−1} ∫₀^∞ ρ^{d−1} f(ρ) dρ with S_{d−1} = 2π^{d/2}/Γ(d/2)
    (the shell lies inside the cube: r + 10w < ½)."""
    norm = 1.0 / (width * math.sqrt(2 * math.pi))

    def fn(x: np.ndarray) -> np.ndarray:
        rho = np.sqrt(np.sum((x - 0.5) ** 2, axis=1))
        return norm * np.exp(-0.5 * ((rho - radius) / width) ** 2)

    area = 2 * math.pi ** (dim / 2) / math.gamma(dim / 2)
    radial = integrate.quad(lambda p: p ** (dim - 1) * norm * math.exp(-0.5 * ((p - radius) / width) ** 2),
                            0.0, 0.5, points=[radius], epsabs=1e-14, epsrel=1e-12)[0]
    return Integrand(f"shell{dim}", dim, fn, float(area * radial), f"Gaussian shell r = {radius}, w = {width}")
