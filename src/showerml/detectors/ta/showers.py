"""Thrown showers: primaries, energies, directions, cores, X_max, N_μ and the expected S800 of each component.

Isotropic flux on a flat array with θ < 45°: dN ∝ sin θ cos θ dθ, i.e. cos²θ uniform in [cos²45°, 1]; azimuth
uniform; cores uniform over the array (:mod:`.grid`). Energies from the CLI spectrum (E^−1 by default, as TA's
simulation libraries, TA Collaboration PRD 99 (2019) 022002).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.detectors.ta.grid import ArrayLayout
from showerml.detectors.ta.ldf import muon_density_at_800
from showerml.detectors.ta.longitudinal import em_density, shower_age, slant_depth
from showerml.detectors.ta.muons import sample_muon_number
from showerml.detectors.ta.primaries import Composition
from showerml.detectors.ta.xmax import sample_xmax
from showerml.spectra import Spectrum

__all__ = ["Showers", "throw_showers", "THETA_MAX", "MEV_PER_EEV"]

THETA_MAX = np.radians(45.0)
MEV_PER_EEV = 1e12
XMAX_REF = 750.0  # g/cm², the reference shower of the EM LDF slope


@dataclass
class Showers:
    mass_number: np.ndarray
    energy_eev: np.ndarray
    theta: np.ndarray
    phi: np.ndarray
    core: np.ndarray
    xmax: np.ndarray
    n_mu: np.ndarray
    s800_em: np.ndarray  # VEM/m², shower plane
    s800_mu: np.ndarray
    age_shift: np.ndarray  # s − s_ref at the ground (EM LDF slope, see ldf.component_ldf)


def throw_showers(rng: np.random.Generator, n: int, spectrum: Spectrum, composition: Composition,
                  layout: ArrayLayout) -> Showers:
    """``n`` showers with their truth and expected S800 components."""
    a = composition.sample(rng, n)
    e = spectrum.sample(rng, n) / MEV_PER_EEV
    cos_theta = np.sqrt(rng.uniform(np.cos(THETA_MAX) ** 2, 1.0, n))
    theta = np.arccos(cos_theta)
    phi = rng.uniform(0.0, 2 * np.pi, n)
    core = layout.sample_cores(rng, n)
    xmax = sample_xmax(rng, e, a)
    n_mu = sample_muon_number(rng, e, a)
    depth = slant_depth(theta)
    age_shift = shower_age(depth, xmax) - shower_age(depth, np.full(n, XMAX_REF))
    return Showers(a, e, theta, phi, core, xmax, n_mu, em_density(800.0, e, a, xmax, theta),
                   muon_density_at_800(n_mu, theta), age_shift)
