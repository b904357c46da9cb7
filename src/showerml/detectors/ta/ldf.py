"""Lateral distribution of the signal: TA's LDF for the total and separate EM and muon shapes.

TA's LDF (AGASA form, TA SD energy papers; Ivanov et al., arXiv:2005.07117):
f(r) = (r/R_m)^−1.2 (1 + r/R_m)^−(η−1.2) (1 + r²/R_1²)^−0.6, R_m = 90 m, R_1 = 1,000 m, η = 3.97 − 1.79 (sec θ − 1);
S(r) = S800 f(r)/f(800 m).

The simulator draws the components separately. Muons follow Greisen's muon lateral distribution,
f_μ(r) ∝ r^−0.75 (1 + r/320 m)^−2.5 (Greisen, Ann. Rev. Nucl. Sci. 10 (1960) 63), much flatter than the electrons';
the EM density follows f with a slightly steeper slope, η_em = η + 0.25 − 2 (s − s_ref) (the shower's age, see
:func:`component_ldf`), chosen so that the sum with a muon fraction
of 5–15 % at 800 m gives back f within ≈ 10 % between 400 and 2,000 m (a test checks it). Muon-rich (iron) showers
are therefore flatter than proton showers, as the composition observables S_b of TA's BDT assume.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

__all__ = ["ta_ldf", "eta", "component_ldf", "muon_density_at_800", "ETA_EM_SHIFT", "greisen_muon_ldf"]

R_M, R_1 = 90.0, 1000.0
ETA_EM_SHIFT = 0.25
R_MU = 320.0


def eta(theta: np.ndarray) -> np.ndarray:
    return 3.97 - 1.79 * (1.0 / np.cos(theta) - 1.0)


def ta_ldf(r: float | np.ndarray, eta_value: float | np.ndarray) -> np.ndarray:
    """f(r) with slope parameter η (not normalised)."""
    r = np.asarray(r, dtype=float)
    return (r / R_M) ** -1.2 * (1 + r / R_M) ** -(np.asarray(eta_value) - 1.2) * (1 + (r / R_1) ** 2) ** -0.6


def greisen_muon_ldf(r: np.ndarray) -> np.ndarray:
    """Greisen's muon shape r^−0.75 (1 + r/320 m)^−2.5 normalised to 1 at 800 m."""
    r = np.asarray(r, dtype=float)
    return (r / 800.0) ** -0.75 * ((1 + r / R_MU) / (1 + 800.0 / R_MU)) ** -2.5


def component_ldf(r: np.ndarray, theta: np.ndarray, muon: bool, age_shift: np.ndarray | float = 0.0) -> np.ndarray:
    """Shape of the muon or EM density normalised to 1 at 800 m (muons: no θ dependence).

    ``age_shift`` = s − s_ref, the shower's age at the ground minus that of a shower with X_max = 750 g/cm² at the same
    θ: far from the axis the NKG density falls as r^(2s − 6.5), so the EM slope parameter becomes η − 2 (s − s_ref)
    (older showers — heavier primaries, shallower X_max — are flatter)."""
    if muon:
        return greisen_muon_ldf(np.broadcast_to(r, np.broadcast_shapes(np.shape(r), np.shape(theta))))
    e = eta(np.asarray(theta)) + ETA_EM_SHIFT - 2.0 * np.asarray(age_shift)
    return ta_ldf(r, e) / ta_ldf(800.0, e)


#: ∫ 2π r f_μ(r) dr = 2π 320^1.25 B(1.25, 1.25) / (800^−0.75 (1 + 800/320)^−2.5)  (m²; a Beta integral)
MUON_AREA = float(2 * np.pi * R_MU**2 * (R_MU / 800.0) ** -0.75 * (1 + 800.0 / R_MU) ** 2.5
                  * np.exp(2 * gammaln(1.25) - gammaln(2.5)))


def muon_density_at_800(n_mu: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Muon density (m⁻² in the shower plane) at 800 m: N_μ / ∫ 2π r f_μ(r)/f_μ(800) dr."""
    return np.asarray(n_mu) / MUON_AREA + 0.0 * np.asarray(theta)
