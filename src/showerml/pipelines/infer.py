"""``showerml infer``: train a per-event posterior q(θ | x) and check its calibration on held-out events.

Inputs: a detector file with truth and observation datasets (:class:`~showerml.inference.pairs.PairSpec`), or the
Gaussian-smearing toy (exact posterior known). The file is checked before anything is written. Outputs in one run
folder: ``model/`` (config.json + safetensors), ``metrics.json`` (calibration error, coverage curve, z-scores,
contraction, SBC flatness per parameter; for the toy the width against the exact 0.424; the sbi peer's figures side by
side when asked), ``posteriors.h5`` (per test event: truth, posterior mean, sd, 16/50/84 % quantiles) and figures.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.inference.calibration import Calibration, calibrate
from showerml.inference.pairs import Pairs, PairSpec, read_pairs
from showerml.inference.posterior import PosteriorConfig, fit_posterior, save_posterior
from showerml.inference.toy import GaussianToy
from showerml.io.hdf5 import EventWriter
from showerml.io.runfolder import RunFolder

__all__ = ["InferResult", "load_inputs", "run_infer"]


@dataclass
class InferResult:
    source: str
    names: list[str]
    n_train: int
    n_test: int
    n_draws: int
    train_seconds: float
    epochs: int
    calibration: dict[str, Any]
    peer: dict[str, Any] = field(default_factory=dict)
    toy: dict[str, float] = field(default_factory=dict)
    cal: dict[str, Calibration] = field(default_factory=dict, repr=False)


def load_inputs(data: Path | None, spec: PairSpec | None, n_toy: int, n_test: int, seed: int
                ) -> tuple[Pairs, Pairs, str]:
    """(training pairs, test pairs, source text): the toy when ``data`` is None, else a seeded split of the file."""
    if n_test < 10:
        raise InputError(f"--n-test must be at least 10, got {n_test}")
    if data is None:
        toy = GaussianToy()
        th, x = toy.simulate(n_toy, np.random.default_rng([seed, 1]))
        tt, xt = toy.simulate(n_test, np.random.default_rng([seed, 2]))
        return Pairs(th, x, ["theta"]), Pairs(tt, xt, ["theta"]), "toy: θ ~ N(0.2, 0.8²), x = θ + N(0, 0.5²)"
    assert spec is not None
    pairs = read_pairs(data, spec)
    if len(pairs) < n_test + 20:
        raise InputError(f"{data} holds {len(pairs)} events; --n-test {n_test} leaves fewer than 20 for training")
    order = np.random.default_rng([seed, 3]).permutation(len(pairs))
    return pairs.subset(order[n_test:]), pairs.subset(order[:n_test]), str(data)


def _write_posteriors(path: Path, test: Pairs, draws: np.ndarray) -> None:
    q = np.quantile(draws, [0.16, 0.5, 0.84], axis=0)
    with EventWriter(path, attrs={"content": "per-event posteriors of showerml infer",
                                  "parameters": ",".join(test.names)}) as w:
        w.append({"truth": test.theta, "posterior_mean": draws.mean(axis=0), "posterior_sd": draws.std(axis=0),
                  "q16": q[0], "q50": q[1], "q84": q[2]})


def run_infer(out: Path, data: Path | None, spec: PairSpec | None, config: PosteriorConfig, n_toy: int = 20_000,
              n_test: int = 1000, n_draws: int = 1000, peer: bool = False, overwrite: bool = False,
              progress: bool = False) -> InferResult:
    """Train, sample the test events, calibrate, write the run folder (see the module docstring)."""
    if n_draws < 20:
        raise InputError(f"--draws must be at least 20, got {n_draws}")
    train, test, source = load_inputs(data, spec, n_toy, n_test, config.seed)
    with RunFolder(out, overwrite=overwrite) as run:
        t0 = time.perf_counter()
        model, hist = fit_posterior(train.theta, train.x, config, progress=progress)
        seconds = time.perf_counter() - t0
        save_posterior(model, run.path / "model", {"spec": spec.to_json() if spec else "toy", "names": train.names})
        draws = model.sample(test.x, n_draws, seed=config.seed)
        prior_sd = train.theta.std(axis=0, ddof=1)
        cals = {"showerml": calibrate(draws, test.theta, prior_sd, train.names)}
        result = InferResult(source, train.names, len(train), len(test), n_draws, seconds, hist.epochs_run,
                             cals["showerml"].as_dict())
        if data is None:
            toy = GaussianToy()
            width = float(np.median(draws.std(axis=0)))
            result.toy = {"exact_width": toy.posterior_sd, "median_width": width,
                          "width_rel_deviation": width / toy.posterior_sd - 1.0,
                          "mean_abs_error_of_mean": float(np.mean(np.abs(draws.mean(axis=0)
                                                                         - toy.posterior_mean(test.x))))}
        if peer:
            from showerml.inference.sbi_peer import sbi_posterior_draws

            gp = (GaussianToy().prior_mean, GaussianToy().prior_sd) if data is None else None
            pdraws, psec = sbi_posterior_draws(train.theta, train.x, test.x, n_draws, config.seed, config.epochs, gp)
            cals["sbi NPE"] = calibrate(pdraws, test.theta, prior_sd, train.names)
            result.peer = {"name": "sbi 0.27 NPE (nsf)", "seconds": psec, **cals["sbi NPE"].as_dict()}
            if data is None:
                result.peer["median_width"] = float(np.median(pdraws.std(axis=0)))
        result.cal = cals
        _write_posteriors(run.path / "posteriors.h5", test, draws)
        from showerml.inference.plots import draw_coverage, draw_ranks

        (run.path / "figures").mkdir()
        for name, fig in (("coverage", draw_coverage(cals)), ("sbc_ranks", draw_ranks(cals))):
            fig.savefig(run.path / "figures" / f"{name}.png", dpi=90, bbox_inches="tight")
            import matplotlib.pyplot as plt

            plt.close(fig)
        run.write_json("metrics.json", {k: v for k, v in asdict(result).items() if k != "cal"}
                       | {"config": asdict(config), "spec": spec.to_json() if spec else "toy"})
    return result
