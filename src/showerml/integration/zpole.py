"""e⁺e⁻ → γ/Z → μ⁺μ⁻ at leading order near the Z pole: a physics integrand with a closed-form integral.

Massless fermions, fixed-width Breit–Wigner (Ellis, Stirling, Webber, *QCD and Collider Physics*, ch. 1)::

    dσ/dcosθ = (πα²/2s) [A₀ (1 + cos²θ) + A₁ cosθ]
    A₀ = Q² − 2Q v_e v_μ χ₁ + (a_e² + v_e²)(a_μ² + v_μ²) χ₂,   A₁ = −4Q a_e a_μ χ₁ + 8 a_e v_e a_μ v_μ χ₂
    χ₁ = κ s (s − M²)/D,  χ₂ = κ² s²/D,  D = (s − M²)² + M²Γ²,  κ = 1/(4 sin²θ_W cos²θ_W)
    v_f = T₃ − 2Q sin²θ_W,  a_f = T₃ (T₃ = −½, Q = −1 for e and μ)

so σ(s) = (4πα²/3) [Q²/s − 2Q v_e v_μ κ (s − M²)/D + (a_e² + v_e²)(a_μ² + v_μ²) κ² s/D]. The integrand is this over
x₁ → s ∈ [s₁, s₂] (a flat beam-energy spread) and x₂ → cosθ ∈ [−1, 1], divided by s₂ − s₁, so its integral is the
s-averaged cross-section in pb. With ``mapped=True`` s follows the Breit–Wigner through s = M² + MΓ tan t (t flat),
the usual mapping; without it, the peak of relative width Γ/M = 2.7 % is left to the integrator.

Closed form: ∫ds/s = ln s, ∫ds (s − M²)/D = ½ ln D, ∫ds s/D = ½ ln D + (M/Γ) arctan((s − M²)/(MΓ)).
Constants (recalled, PDG Review of Particle Physics 2022): M_Z = 91.1876 GeV, Γ_Z = 2.4952 GeV, sin²θ_eff^lept =
0.23153 (LEP/SLD, Phys. Rept. 427 (2006) 257), α̂(M_Z)⁻¹ = 127.951; (ħc)² = 0.3893794 GeV² mb = 3.893794e8 GeV² pb.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from showerml.integration.integrands import Integrand
from showerml.integration.multichannel import Channel

__all__ = ["ZPole", "zpole_channels", "zpole_integrand", "GEV2_PB"]

GEV2_PB = 3.893794e8


@dataclass(frozen=True)
class ZPole:
    """Couplings and window of the e⁺e⁻ → μ⁺μ⁻ cross-section (PDG 2022 values, see the module docstring)."""

    mz: float = 91.1876
    gz: float = 2.4952
    sin2w: float = 0.23153
    alpha: float = 1 / 127.951
    sqrt_s_min: float = 60.0
    sqrt_s_max: float = 120.0

    @property
    def _couplings(self) -> tuple[float, float, float, float]:
        q, t3 = -1.0, -0.5
        v, a = t3 - 2 * q * self.sin2w, t3
        kappa = 1 / (4 * self.sin2w * (1 - self.sin2w))
        return q, v, a, kappa

    def _d(self, s: np.ndarray | float) -> np.ndarray | float:
        return (s - self.mz**2) ** 2 + self.mz**2 * self.gz**2

    def dsigma_dcos(self, s: np.ndarray, c: np.ndarray) -> np.ndarray:
        """dσ/dcosθ in pb."""
        q, v, a, kappa = self._couplings
        d = self._d(s)
        chi1 = kappa * s * (s - self.mz**2) / d
        chi2 = kappa**2 * s**2 / d
        a0 = q**2 - 2 * q * v * v * chi1 + (a * a + v * v) ** 2 * chi2
        a1 = -4 * q * a * a * chi1 + 8 * (a * v) ** 2 * chi2
        return np.asarray(math.pi * self.alpha**2 / (2 * s) * (a0 * (1 + c**2) + a1 * c) * GEV2_PB)

    def sigma(self, s: np.ndarray | float) -> np.ndarray | float:
        """σ(s) in pb (dσ/dcosθ integrated over cosθ)."""
        q, v, a, kappa = self._couplings
        d = self._d(s)
        pre = 4 * math.pi * self.alpha**2 / 3 * GEV2_PB
        return pre * (q**2 / s - 2 * q * v * v * kappa * (s - self.mz**2) / d + (a * a + v * v) ** 2 * kappa**2 * s / d)

    def mean_sigma(self) -> float:
        """(1/(s₂ − s₁)) ∫ σ(s) ds in closed form, pb."""
        q, v, a, kappa = self._couplings
        s1, s2 = self.sqrt_s_min**2, self.sqrt_s_max**2
        m2, mg = self.mz**2, self.mz * self.gz
        log_d = 0.5 * math.log(float(self._d(s2)) / float(self._d(s1)))
        atan = (self.mz / self.gz) * (math.atan((s2 - m2) / mg) - math.atan((s1 - m2) / mg))
        pre = 4 * math.pi * self.alpha**2 / 3 * GEV2_PB
        z_term = (a * a + v * v) ** 2 * kappa**2 * (log_d + atan)
        total = q**2 * math.log(s2 / s1) - 2 * q * v * v * kappa * log_d + z_term
        return pre * total / (s2 - s1)

    def integrand(self, x: np.ndarray, mapped: bool) -> np.ndarray:
        """The integrand on [0, 1]²: x₁ → s (flat or Breit–Wigner mapped), x₂ → cosθ."""
        s1, s2 = self.sqrt_s_min**2, self.sqrt_s_max**2
        if mapped:
            m2, mg = self.mz**2, self.mz * self.gz
            t1, t2 = math.atan((s1 - m2) / mg), math.atan((s2 - m2) / mg)
            s = m2 + mg * np.tan(t1 + (t2 - t1) * x[:, 0])
            jac = self._d(s) / mg * (t2 - t1)
        else:
            s = s1 + (s2 - s1) * x[:, 0]
            jac = s2 - s1
        c = 2 * x[:, 1] - 1
        return np.asarray(self.dsigma_dcos(s, c) * 2 * jac / (s2 - s1))


def zpole_integrand(mapped: bool, process: ZPole | None = None) -> Integrand:
    """The e⁺e⁻ → μ⁺μ⁻ integrand (``zpole`` flat in s, ``zpole_bw`` with the Breit–Wigner mapping)."""
    p = process or ZPole()

    def fn(x: np.ndarray) -> np.ndarray:
        return p.integrand(x, mapped)

    how = "Breit–Wigner mapped" if mapped else "flat in s"
    return Integrand("zpole_bw" if mapped else "zpole", 2, fn, p.mean_sigma(),
                     f"e+e- → γ/Z → μ+μ-, √s {p.sqrt_s_min:g}–{p.sqrt_s_max:g} GeV, {how} [pb]",
                     factorisable=False)


def zpole_channels(process: ZPole | None = None) -> list[Channel]:
    """Two channels for the flat-in-s integrand ``zpole``: the Breit–Wigner mapping of x₁ and the identity."""
    p = process or ZPole()
    s1, s2 = p.sqrt_s_min**2, p.sqrt_s_max**2
    m2, mg = p.mz**2, p.mz * p.gz
    t1, t2 = math.atan((s1 - m2) / mg), math.atan((s2 - m2) / mg)

    def bw_forward(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = m2 + mg * np.tan(t1 + (t2 - t1) * u[:, 0])
        x = u.copy()
        x[:, 0] = np.clip((s - s1) / (s2 - s1), 0.0, 1.0)
        return x, np.asarray(p._d(s) / mg * (t2 - t1) / (s2 - s1))

    def bw_density(x: np.ndarray) -> np.ndarray:
        s = s1 + (s2 - s1) * x[:, 0]
        return np.asarray((s2 - s1) * mg / (p._d(s) * (t2 - t1)))

    def flat_forward(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return u, np.ones(len(u))

    return [Channel("breit-wigner", bw_forward, bw_density), Channel("flat", flat_forward, lambda x: np.ones(len(x)))]
