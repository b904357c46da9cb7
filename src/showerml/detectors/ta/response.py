"""Station response: particles per 20 ns bin → energy deposit in the two layers → FADC traces in VEM.

A station (TA SD, AbuZayyad et al., NIM A 689 (2012) 87) is two 1.2 cm plastic scintillator layers of 3 m², separated
by 1 mm of steel, each read out by its own PMT into a 12-bit, 50 MHz FADC (128 bins of 20 ns per trigger).

- Particles: Poisson counts from the expected number through the horizontal counter (density × 3 m² × cos θ), each
  with an arrival time from the distributions of :mod:`.front` (in crowded stations, > 150 particles, the counts per
  bin are drawn at once, multinomial with the bin probabilities of the same distribution). Muons cross both layers
  (the same count in both); an EM particle reaches the lower layer with probability 0.8 (soft electrons stop in the
  upper layer and the steel; assumed), which makes the upper/lower asymmetry grow with the EM fraction; late
  particles hit each layer independently.
- Deposit: a through-going muon leaves 1 VEM × path length (sec θ) on average (1 VEM = the mean deposit of a
  vertical muon) with Landau fluctuations, approximated by the Moyal distribution (X = −ln Z², Z ~ N(0, 1); Moyal,
  Phil. Mag. 46 (1955) 263) scaled by w = 0.1: 1 + w (X − ⟨X⟩). k particles in one bin: k + w √k (X − ⟨X⟩) (exact
  for one, right in mean and variance for any k). EM particles deposit ε_em = 1.2 VEM each (:mod:`.longitudinal`),
  late particles 0.3 VEM.
- Read-out: photo-electron statistics (25 p.e. per VEM, assumed), a PMT/shaping pulse spreading a bin over three
  (0.55, 0.30, 0.15), gain 30 FADC counts per VEM (saturation at ≈ 250 VEM in a bin), pedestal 10 counts,
  Gaussian noise 0.8 counts per bin, clipped to 12 bits (4095 counts: saturation). Traces are returned calibrated,
  (counts − pedestal)/gain, in VEM per bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc

__all__ = ["Arrivals", "Readout", "READOUT", "bin_probabilities", "deposits", "read_out", "N_BINS", "BIN_NS",
           "AREA_M2"]

N_BINS = 128
BIN_NS = 20.0
AREA_M2 = 3.0
_EDGES = np.arange(N_BINS + 1) * BIN_NS
MOYAL_MEAN = float(np.euler_gamma + np.log(2.0))


@dataclass(frozen=True)
class Readout:
    landau_width: float = 0.1
    lower_em_transmission: float = 0.8
    em_vem: float = 1.2
    late_vem: float = 0.3
    npe_per_vem: float = 25.0
    pulse: tuple[float, float, float] = (0.55, 0.30, 0.15)
    gain: float = 30.0
    pedestal: float = 10.0
    noise: float = 0.8
    adc_max: int = 4095


READOUT = Readout()


def bin_probabilities(offset: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """(P, 128) probabilities of a Gamma(mean, sd) delay after ``offset`` ns (from the window start) per bin."""
    k = (mean / sd) ** 2
    scale = sd**2 / mean
    x = np.maximum(_EDGES[None, :] - offset[:, None], 0.0) / scale[:, None]
    return np.diff(gammainc(k[:, None], x), axis=1)


def _landau_sum(k: np.ndarray, rng: np.random.Generator, w: float) -> np.ndarray:
    """Summed deposit of ``k`` particles of mean 1 (drawn only where k > 0): k + w √k (X − ⟨X⟩), X Moyal — exact for
    one particle, right in mean and variance for any k."""
    out = np.zeros(k.shape)
    nz = np.flatnonzero(k)
    kf = k.ravel()[nz].astype(float)
    out.ravel()[nz] = kf + w * np.sqrt(kf) * (_moyal(rng, len(nz)) - MOYAL_MEAN)
    return out


def _moyal(rng: np.random.Generator, n: int | tuple[int, ...]) -> np.ndarray:
    """Moyal variates −ln Z², Z ~ N(0, 1) (mode 0, mean γ + ln 2)."""
    z = rng.standard_normal(n)
    return -np.log(np.maximum(z * z, 1e-30))


@dataclass(frozen=True)
class Arrivals:
    """Expected particles through each counter (P,) and their arrival-time model (ns from the window start)."""

    n_mu: np.ndarray
    n_em: np.ndarray
    n_late: np.ndarray
    offset: np.ndarray  # plane front
    delay: np.ndarray  # EM mean delay T_d
    spread: np.ndarray  # EM spread T_s
    muon_factor: float
    late_delay: float


#: stations with more drawn particles than this are binned from the time distribution, the others particle by particle
_DENSE = 150


def deposits(arr: Arrivals, sec_theta: np.ndarray, rng: np.random.Generator,
             ro: Readout = READOUT) -> tuple[np.ndarray, np.ndarray]:
    """(hit, deposits): the stations crossed by at least one muon or EM particle and their deposits (H, 2, 128) in
    VEM (upper layer 0, lower layer 1) before the read-out."""
    w = ro.landau_width
    n_mu, n_em = rng.poisson(arr.n_mu), rng.poisson(arr.n_em)
    hit = np.flatnonzero(n_mu + n_em)
    arr = Arrivals(arr.n_mu[hit], arr.n_em[hit], arr.n_late[hit], arr.offset[hit], arr.delay[hit], arr.spread[hit],
                   arr.muon_factor, arr.late_delay)
    n_mu, n_em, sec_theta = n_mu[hit], n_em[hit], sec_theta[hit]
    p = len(hit)
    dep = np.zeros((p, 2, N_BINS))
    dense = (n_mu + n_em) > _DENSE
    mf = arr.muon_factor
    # dense stations: multinomial counts per bin (the last category is "outside the window")
    rows = np.flatnonzero(dense)
    if len(rows):
        o, d, s = arr.offset[rows], arr.delay[rows], arr.spread[rows]
        for n_tot, prob, is_mu in ((n_mu[rows], bin_probabilities(o, mf * d, mf * s), True),
                                   (n_em[rows], bin_probabilities(o, d, s), False)):
            prob = np.concatenate([prob, np.clip(1.0 - prob.sum(axis=1, keepdims=True), 0.0, 1.0)], axis=1)
            k = rng.multinomial(n_tot, prob / prob.sum(axis=1, keepdims=True))[:, :N_BINS]
            if is_mu:
                dep[rows, 0] += _landau_sum(k, rng, w)
                dep[rows, 1] += _landau_sum(k, rng, w)
            else:
                dep[rows, 0] += ro.em_vem * _landau_sum(k, rng, w)
                dep[rows, 1] += ro.em_vem * _landau_sum(rng.binomial(k, ro.lower_em_transmission), rng, w)
    # sparse stations: particle by particle
    flat = dep.reshape(-1)
    sparse = ~dense
    for n_tot, factor, is_mu in ((np.where(sparse, n_mu, 0), mf, True), (np.where(sparse, n_em, 0), 1.0, False)):
        idx = np.repeat(np.arange(p), n_tot)
        if not len(idx):
            continue
        mean, sd = factor * arr.delay[idx], factor * arr.spread[idx]
        t = arr.offset[idx] + rng.gamma((mean / sd) ** 2, sd**2 / mean)
        b = (t // BIN_NS).astype(np.int64)
        keep = b < N_BINS
        idx, b = idx[keep], b[keep]
        e = 1.0 + w * (_moyal(rng, (2, len(idx))) - MOYAL_MEAN)
        if is_mu:
            flat += np.bincount(idx * 2 * N_BINS + b, e[0], flat.size)
            flat += np.bincount(idx * 2 * N_BINS + N_BINS + b, e[1], flat.size)
        else:
            lower = rng.random(len(idx)) < ro.lower_em_transmission
            flat += ro.em_vem * np.bincount(idx * 2 * N_BINS + b, e[0], flat.size)
            flat += ro.em_vem * np.bincount((idx * 2 * N_BINS + N_BINS + b)[lower], e[1][lower], flat.size)
    dep *= sec_theta[:, None, None]
    # late particles, each layer on its own
    n_late = rng.poisson(0.5 * np.repeat(arr.n_late, 2))
    idx = np.repeat(np.arange(2 * p), n_late)
    if len(idx):
        t = arr.offset[idx // 2] + arr.delay[idx // 2] + rng.exponential(arr.late_delay, len(idx))
        b = (t // BIN_NS).astype(np.int64)
        keep = b < N_BINS
        e = 1.0 + w * (_moyal(rng, int(keep.sum())) - MOYAL_MEAN)
        flat += ro.late_vem * np.bincount(idx[keep] * N_BINS + b[keep], e, flat.size)
    return hit, dep


def read_out(dep: np.ndarray, rng: np.random.Generator, ro: Readout = READOUT) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated traces (P, 2, 128) in VEM from deposits, and a saturation flag (P,)."""
    dep = np.maximum(dep + np.sqrt(dep / ro.npe_per_vem) * rng.standard_normal(dep.shape), 0.0)
    shaped = ro.pulse[0] * dep
    shaped[..., 1:] += ro.pulse[1] * dep[..., :-1]
    shaped[..., 2:] += ro.pulse[2] * dep[..., :-2]
    counts = np.rint(ro.pedestal + ro.gain * shaped + ro.noise * rng.standard_normal(dep.shape))
    counts = np.clip(counts, 0, ro.adc_max)
    saturated = np.asarray((counts >= ro.adc_max).any(axis=(1, 2)))
    return ((counts - ro.pedestal) / ro.gain).astype(np.float32), saturated
