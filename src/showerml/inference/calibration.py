"""Calibration checks of posterior samples against the true parameters.

For event i with truth θᵢ and posterior draws θᵢ⁽¹…ᴸ⁾ (per parameter, marginally):

- rank statistic uᵢ = #{l : θᵢ⁽ˡ⁾ < θᵢ} / L; for a calibrated posterior u ~ U(0, 1) (simulation-based calibration,
  Talts et al., arXiv:1804.06788); its histogram is the SBC rank histogram;
- coverage of the central credible interval of level α: c(α) = mean over events of [|uᵢ − ½| ≤ α/2]; calibrated
  means c(α) = α (Hermans et al., arXiv:2110.06581); the calibration error is median_α |c(α) − α| over 20 levels
  α = 0.025, 0.075, …, 0.975 (the metric of the BayesFlow papers, Radev et al., arXiv:2003.06281);
- posterior contraction 1 − Var_post/Var_prior and z-score (E_post[θ] − θᵢ)/SD_post (Schad et al.,
  arXiv:1904.12765); a calibrated posterior has z-scores of unit width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = ["LEVELS", "Calibration", "calibrate", "coverage", "ranks", "rank_histogram"]

#: the 20 credibility levels of the calibration error
LEVELS = np.arange(20) * 0.05 + 0.025


def _check(samples: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s, t = np.asarray(samples, dtype=float), np.asarray(truth, dtype=float)
    if t.ndim == 1:
        t = t[:, None]
    if s.ndim == 2:
        s = s[..., None]
    if s.ndim != 3 or s.shape[1:] != t.shape:
        raise InputError(f"posterior samples of shape {s.shape} do not match truths of shape {t.shape} "
                         "(need (L, N, D) and (N, D))")
    if s.shape[0] < 2:
        raise InputError("calibration needs at least 2 posterior draws per event")
    return s, t


def ranks(samples: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """u = fraction of draws below the truth, shape (N, D); ties count one half."""
    s, t = _check(samples, truth)
    return ((s < t[None]).sum(axis=0) + 0.5 * (s == t[None]).sum(axis=0)) / s.shape[0]


def coverage(u: np.ndarray, levels: np.ndarray = LEVELS) -> np.ndarray:
    """c(α) per level and parameter, shape (len(levels), D), from rank statistics u (N, D)."""
    dev = np.abs(np.asarray(u) - 0.5)
    return np.stack([(dev <= a / 2 + 1e-12).mean(axis=0) for a in levels])


def rank_histogram(u: np.ndarray, bins: int = 20) -> tuple[np.ndarray, float]:
    """Counts (bins, D) of the SBC ranks and the χ²/ndf of their flatness (ndf = bins − 1)."""
    u = np.asarray(u)
    counts = np.stack([np.histogram(u[:, d], bins=bins, range=(0.0, 1.0))[0] for d in range(u.shape[1])], axis=1)
    expected = len(u) / bins
    chi2 = float(((counts - expected) ** 2 / expected).sum() / ((bins - 1) * u.shape[1]))
    return counts, chi2


@dataclass
class Calibration:
    """Per parameter: calibration error, coverage curve, z-score mean/width, contraction, SBC flatness."""

    names: list[str]
    levels: np.ndarray
    coverage: np.ndarray  # (levels, D)
    calibration_error: np.ndarray  # (D,)
    z_mean: np.ndarray
    z_sd: np.ndarray
    contraction: np.ndarray
    posterior_sd: np.ndarray  # median over events
    rank_counts: np.ndarray
    rank_chi2_ndf: float
    n_events: int
    n_draws: int

    def as_dict(self) -> dict[str, object]:
        per = {
            name: {
                "calibration_error": float(self.calibration_error[d]),
                "z_mean": float(self.z_mean[d]),
                "z_sd": float(self.z_sd[d]),
                "contraction": float(self.contraction[d]),
                "median_posterior_sd": float(self.posterior_sd[d]),
                "coverage": self.coverage[:, d].tolist(),
            }
            for d, name in enumerate(self.names)
        }
        return {"levels": self.levels.tolist(), "parameters": per, "sbc_rank_chi2_ndf": self.rank_chi2_ndf,
                "n_events": self.n_events, "n_draws": self.n_draws}


def calibrate(samples: np.ndarray, truth: np.ndarray, prior_sd: np.ndarray | None = None,
              names: list[str] | None = None, levels: np.ndarray = LEVELS) -> Calibration:
    """All checks of the module docstring from draws (L, N, D) and truths (N, D). ``prior_sd`` defaults to the spread
    of the truths (the test sample is drawn from the prior)."""
    s, t = _check(samples, truth)
    u = ranks(s, t)
    cov = coverage(u, levels)
    mean, sd = s.mean(axis=0), s.std(axis=0, ddof=1)
    z = (mean - t) / np.maximum(sd, 1e-300)
    psd = np.asarray(prior_sd, dtype=float) if prior_sd is not None else t.std(axis=0, ddof=1)
    counts, chi2 = rank_histogram(u)
    return Calibration(
        names=names or [f"theta{d}" for d in range(t.shape[1])],
        levels=np.asarray(levels),
        coverage=cov,
        calibration_error=np.median(np.abs(cov - np.asarray(levels)[:, None]), axis=0),
        z_mean=z.mean(axis=0),
        z_sd=z.std(axis=0, ddof=1),
        contraction=1.0 - np.mean(sd**2, axis=0) / psd**2,
        posterior_sd=np.median(sd, axis=0),
        rank_counts=counts,
        rank_chi2_ndf=chi2,
        n_events=t.shape[0],
        n_draws=s.shape[0],
    )
