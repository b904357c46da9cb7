"""The Gaussian-smearing toy with an exact posterior.

θ ~ N(μ₀, σ₀²), x = θ + N(0, σ²). The posterior is Gaussian (conjugate prior) with
variance s² = (1/σ₀² + 1/σ²)⁻¹ and mean m = s² (μ₀/σ₀² + x/σ²) (e.g. Gelman et al., *Bayesian Data Analysis*, 3rd
ed., sec. 2.5). With μ₀ = 0.2, σ₀ = 0.8, σ = 0.5: s = 0.4240 for every event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GaussianToy"]


@dataclass(frozen=True)
class GaussianToy:
    prior_mean: float = 0.2
    prior_sd: float = 0.8
    noise_sd: float = 0.5

    @property
    def posterior_sd(self) -> float:
        """s = (1/σ₀² + 1/σ²)^(−1/2), the same for every event."""
        return float((self.prior_sd**-2 + self.noise_sd**-2) ** -0.5)

    def simulate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(θ, x), each of shape (n, 1)."""
        theta = rng.normal(self.prior_mean, self.prior_sd, size=(n, 1))
        return theta, theta + rng.normal(0.0, self.noise_sd, size=(n, 1))

    def posterior_mean(self, x: np.ndarray) -> np.ndarray:
        """m(x) = s² (μ₀/σ₀² + x/σ²)."""
        return self.posterior_sd**2 * (self.prior_mean / self.prior_sd**2 + np.asarray(x) / self.noise_sd**2)

    def sample_posterior(self, x: np.ndarray, n_samples: int, rng: np.random.Generator,
                         width_scale: float = 1.0) -> np.ndarray:
        """Exact posterior draws, shape (n_samples, N, 1); ``width_scale`` ≠ 1 makes a miscalibrated posterior."""
        m = self.posterior_mean(x)
        return m[None] + width_scale * self.posterior_sd * rng.standard_normal((n_samples, *m.shape))
