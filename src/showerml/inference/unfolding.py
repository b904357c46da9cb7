"""Run the three unfolding methods on one (simulation, data) pair with bootstrap errors, and score them.

- IBU (:mod:`.ibu`), bootstrap: data redrawn with Poisson(1) weights per event, simulation resampled with
  replacement, the response rebuilt and the unfolding repeated;
- OmniFold (:mod:`.omnifold`), bootstrap as IBU (every replica retrains its classifiers);
- cINN (:mod:`.cinn_unfold`), trained once; its replicas redraw the data (Poisson weights) and the truth draws —
  the training's own spread is *not* included (stated in the results).

Scores per method against the data's true histogram t (when known), over the bins with ≥ 10 true events: χ²/ndf =
Σ (u − t)²/σ_u² / n_bins, and the fraction of bins whose ±1σ and ±2σ intervals contain t (68 % and 95 % if the errors
are right).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from showerml.errors import InputError
from showerml.inference.cinn_unfold import cinn_unfold
from showerml.inference.ibu import bootstrap, ibu, response_matrix
from showerml.inference.omnifold import omnifold
from showerml.inference.posterior import PosteriorConfig

__all__ = ["METHODS", "MethodResult", "score", "unfold_all"]

METHODS = ("ibu", "omnifold", "cinn")


@dataclass
class MethodResult:
    values: np.ndarray
    errors: np.ndarray
    seconds: float
    scores: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"values": self.values.tolist(), "errors": self.errors.tolist(), "seconds": self.seconds,
                "note": self.note, **self.scores}


def score(values: np.ndarray, errors: np.ndarray, truth: np.ndarray, min_count: float = 10.0) -> dict[str, float]:
    """χ²/ndf to the truth histogram and the per-bin interval coverage at 1σ and 2σ, over the bins holding at least
    ``min_count`` true events (where Gaussian errors mean something; a bin with no error counts as a miss)."""
    use = np.asarray(truth) >= min_count
    if not use.any():
        raise InputError(f"no bin holds {min_count:g} or more true events to score against")
    v, e, t = values[use], errors[use], truth[use]
    pull = np.where(e > 0, (v - t) / np.where(e > 0, e, 1.0), np.where(v == t, 0.0, np.inf))
    return {"chi2_ndf": float(np.sum(pull**2) / len(pull)), "coverage_1sigma": float(np.mean(np.abs(pull) <= 1)),
            "coverage_2sigma": float(np.mean(np.abs(pull) <= 2)), "scored_bins": int(use.sum())}


def unfold_all(gen: np.ndarray, sim: np.ndarray, data: np.ndarray, true_edges: np.ndarray, meas_edges: np.ndarray,
               methods: tuple[str, ...] = METHODS, iterations: int = 4, n_boot: int = 20, seed: int = 0,
               data_truth: np.ndarray | None = None, cinn_config: PosteriorConfig | None = None,
               omnifold_boot: int | None = None, progress: bool = False) -> dict[str, MethodResult]:
    """Unfold the 1-D measured ``data`` with simulated pairs (``gen`` truth, ``sim`` measured), all in the same
    variable as the edges (e.g. log10 E). Returns per method the unfolded counts per true bin with errors."""
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise InputError(f"unknown unfolding method(s) {', '.join(bad) or '(none)'}: choose from {', '.join(METHODS)}")
    gen, sim, data = (np.asarray(a, dtype=float).ravel() for a in (gen, sim, data))
    if len(gen) != len(sim):
        raise InputError(f"the simulation holds {len(gen)} truth values but {len(sim)} measured ones")
    out: dict[str, MethodResult] = {}
    hist = lambda a, w=None: np.histogram(a, bins=true_edges, weights=w)[0].astype(float)  # noqa: E731

    def resample(rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
        if rng is None:
            return np.ones(len(data)), np.arange(len(gen))
        return rng.poisson(1.0, len(data)).astype(float), rng.integers(0, len(gen), len(gen))

    if "ibu" in methods:
        t0 = time.perf_counter()

        def run_ibu(rng: np.random.Generator | None) -> np.ndarray:
            wd, idx = resample(rng)
            r, prior = response_matrix(gen[idx], sim[idx], true_edges, meas_edges)
            d = np.histogram(data, bins=meas_edges, weights=wd)[0]
            return ibu(d, r, prior, iterations)

        v, e = bootstrap(run_ibu, n_boot, seed)
        out["ibu"] = MethodResult(v, e, time.perf_counter() - t0, note=f"{iterations} iterations, prior = simulation")
    if "omnifold" in methods:
        t0 = time.perf_counter()

        def run_of(rng: np.random.Generator | None) -> np.ndarray:
            wd, idx = resample(rng)
            nu = omnifold(gen[idx], sim[idx], data, iterations, seed=seed, data_weights=wd)
            return hist(gen[idx], nu)

        v, e = bootstrap(run_of, omnifold_boot or n_boot, seed)
        out["omnifold"] = MethodResult(v, e, time.perf_counter() - t0,
                                       note=f"{iterations} iterations, gradient-boosted classifiers")
    if "cinn" in methods:
        t0 = time.perf_counter()
        model, _ = cinn_unfold(gen, sim, data, iterations=2, config=cinn_config, seed=seed, progress=progress)

        def run_cinn(rng: np.random.Generator | None) -> np.ndarray:
            wd = np.ones(len(data)) if rng is None else rng.poisson(1.0, len(data)).astype(float)
            draws = model.sample(data[:, None], 1, seed=seed if rng is None else int(rng.integers(1 << 30)))[0, :, 0]
            return hist(draws, wd)

        v, e = bootstrap(run_cinn, n_boot, seed)
        out["cinn"] = MethodResult(v, e, time.perf_counter() - t0,
                                   note="2 iterations; errors from data and sampling only (one trained network)")
    if data_truth is not None:
        t = hist(np.asarray(data_truth, dtype=float).ravel())
        for r in out.values():
            r.scores = score(r.values, r.errors, t)
    return out
