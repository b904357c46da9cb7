"""``showerml unfold``: detector-level to truth-level spectra with IBU, OmniFold and cINN unfolding.

*DAMPE study* (:func:`run_unfold_dampe`): the response of the DAMPE-like BGO to electrons is simulated on a grid of
fixed energies and parametrised (:class:`~showerml.inference.response.QuantileResponse`); the simulation for the
unfolding follows a plain power law (index ``train_gamma``, no break), the "data" the DAMPE 2017 smoothly broken power
law (γ₁ = 3.09, E_b = 914 GeV, γ₂ = 3.92; Nature 552 (2017) 63), so the prior dependence of each method shows. The
unfolded spectra are scored bin by bin against the data's truth and fitted for γ₁, γ₂ and E_b.

*Files* (:func:`run_unfold_files`): a simulation file with truth and measured datasets and a data file with the
measured dataset (and the truth, if known, for the scores), e.g. two ``showerml simulate dampe`` files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from showerml.errors import DataFileError, InputError
from showerml.inference.pairs import Column, PairSpec, read_pairs
from showerml.inference.response import QuantileResponse, simulate_response_grid
from showerml.inference.spectra import DAMPE_2017, BrokenPowerLaw
from showerml.inference.spectral_fit import fit_broken_power_law
from showerml.inference.unfolding import METHODS, MethodResult, unfold_all
from showerml.io.hdf5 import EventWriter
from showerml.io.runfolder import RunFolder

__all__ = ["DampeUnfoldConfig", "run_unfold_dampe", "run_unfold_files"]


def _write(run: RunFolder, edges_log10: np.ndarray, truth: np.ndarray | None, measured: np.ndarray,
           results: dict[str, MethodResult], extra: dict[str, np.ndarray] | None = None) -> None:
    arrays = {"bin_low": edges_log10[:-1], "bin_high": edges_log10[1:], "measured_in_true_bins": measured}
    if truth is not None:
        arrays["truth"] = truth
    for name, r in results.items():
        arrays[f"{name}"] = r.values
        arrays[f"{name}_error"] = r.errors
    with EventWriter(run.path / "unfolded.h5", attrs={"content": "unfolded spectra per true bin (counts)",
                                                     "binning": "log10 of the unfolded variable"}) as w:
        w.append(arrays)
    if extra:
        with EventWriter(run.path / "response.h5", attrs={"content": "quantiles of E_meas/E_true at log10 E nodes"
                                                          }) as w:
            w.append(extra)


def _figure(run: RunFolder, edges_log10: np.ndarray, truth: np.ndarray, measured: np.ndarray,
            results: dict[str, MethodResult], power: float, xlabel: str) -> None:
    import matplotlib.pyplot as plt

    from showerml.inference.plots import draw_unfolded

    (run.path / "figures").mkdir(exist_ok=True)
    fig = draw_unfolded(10**edges_log10, truth, {k: (r.values, r.errors) for k, r in results.items()}, measured,
                        xlabel=xlabel, power=power)
    fig.savefig(run.path / "figures" / "unfolded.png", dpi=90, bbox_inches="tight")
    plt.close(fig)


@dataclass(frozen=True)
class DampeUnfoldConfig:
    """Sizes and settings of the DAMPE unfolding study."""

    n_data: int = 100_000
    n_sim: int = 200_000
    response_events: int = 600
    train_gamma: float = 2.7
    e_min: float = 50.0
    e_max: float = 8000.0
    bins: int = 16
    iterations: int = 4
    n_boot: int = 20
    omnifold_boot: int = 5
    methods: tuple[str, ...] = METHODS
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_data < 100 or self.n_sim < 100 or self.response_events < 50:
            raise InputError("--n-data and --n-sim need ≥ 100 events, --response-events ≥ 50")
        if not 10.0 <= self.e_min < self.e_max <= 10_000.0:
            raise InputError("the energy range must lie within the response's 10 GeV – 10 TeV")
        if self.bins < 5:
            raise InputError(f"--bins must be at least 5, got {self.bins}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_unfold_dampe(out: Path, cfg: DampeUnfoldConfig, overwrite: bool = False, progress: bool = False
                     ) -> dict[str, Any]:
    """The DAMPE electron-spectrum study (module docstring); returns the metrics written to metrics.json."""
    with RunFolder(out, overwrite=overwrite) as run:
        nodes = np.geomspace(10.0, 10_000.0, 16)
        e_true, e_meas = simulate_response_grid(nodes, cfg.response_events, cfg.seed)
        response = QuantileResponse.from_events(e_true, e_meas)
        rng = np.random.default_rng([cfg.seed, 7])
        train = BrokenPowerLaw(cfg.train_gamma, cfg.train_gamma, e_min=cfg.e_min, e_max=cfg.e_max)
        law = replace(DAMPE_2017, e_min=cfg.e_min, e_max=cfg.e_max)
        gen = train.sample(cfg.n_sim, rng)
        sim = response.sample(gen, rng)
        truth = law.sample(cfg.n_data, rng)
        data = response.sample(truth, rng)
        te = np.linspace(np.log10(cfg.e_min), np.log10(cfg.e_max), cfg.bins + 1)
        step = te[1] - te[0]
        me = np.arange(np.log10(cfg.e_min) - 4 * step, np.log10(cfg.e_max) + 0.5 * step, step / 2)
        results = unfold_all(np.log10(gen), np.log10(sim), np.log10(data), te, me, cfg.methods, cfg.iterations,
                             cfg.n_boot, cfg.seed, data_truth=np.log10(truth), omnifold_boot=cfg.omnifold_boot,
                             progress=progress)
        t_hist = np.histogram(np.log10(truth), te)[0].astype(float)
        m_hist = np.histogram(np.log10(data), te)[0].astype(float)
        edges = 10**te
        fits = {"truth": fit_broken_power_law(edges, t_hist, np.sqrt(np.maximum(t_hist, 1)), law).as_dict()}
        for name, r in results.items():
            fits[name] = fit_broken_power_law(edges, r.values, np.maximum(r.errors, 1e-9), law).as_dict()
        for f in fits.values():
            f["pull_gamma1"] = (f["gamma1"] - law.gamma1) / f["gamma1_err"]
            f["pull_gamma2"] = (f["gamma2"] - law.gamma2) / f["gamma2_err"]
            f["pull_e_break"] = (f["e_break"] - law.e_break) / f["e_break_err"]
        metrics = {
            "config": cfg.to_json(),
            "data_spectrum": asdict(law) | {"source": "DAMPE Collaboration, Nature 552 (2017) 63"},
            "training_spectrum": asdict(train),
            "response": {"nodes_gev": nodes.tolist(), "events_per_node": cfg.response_events,
                         "median_ratio": np.median(response.quantiles[:, 100]).item(),
                         "note": "fast parametrisation (quantiles of E_meas/E_true) of DAMPE-like simulated electrons"},
            "methods": {k: r.as_dict() for k, r in results.items()},
            "fits": fits,
        }
        _write(run, te, t_hist, m_hist, results, response.to_arrays() | {})
        _figure(run, te, t_hist, m_hist, results, 3.0, "incident energy E [GeV]")
        run.write_json("metrics.json", metrics)
    return metrics


def run_unfold_files(out: Path, sim_path: Path, data_path: Path, truth: Column, measured: Column, bins: int,
                     methods: tuple[str, ...], iterations: int, n_boot: int, seed: int, overwrite: bool = False,
                     progress: bool = False) -> dict[str, Any]:
    """Unfold the measured column of ``data_path`` with the (truth, measured) pairs of ``sim_path``; the data's truth
    column, when present, scores the result."""
    if bins < 3:
        raise InputError(f"--bins must be at least 3, got {bins}")
    spec = PairSpec((truth,), (measured,))
    sim = read_pairs(sim_path, spec)
    if sim.theta.shape[1] != 1 or sim.x.shape[1] != 1:
        raise InputError("unfolding takes one truth and one measured column (use a sum transform for images)")
    try:
        data = read_pairs(data_path, spec)
        data_truth: np.ndarray | None = data.theta[:, 0]
        data_x = data.x[:, 0]
    except DataFileError as exc:
        if "truth dataset" not in str(exc):
            raise
        data_truth = None
        data_x = read_pairs(data_path, PairSpec((measured,), (measured,))).x[:, 0]
    lo, hi = np.quantile(sim.theta[:, 0], [0.001, 0.999])
    te = np.linspace(lo, hi, bins + 1)
    step = te[1] - te[0]
    mlo, mhi = np.quantile(sim.x[:, 0], [0.001, 0.999])
    me = np.arange(mlo - step, mhi + 1.5 * step, step / 2)
    with RunFolder(out, overwrite=overwrite) as run:
        results = unfold_all(sim.theta[:, 0], sim.x[:, 0].astype(float), data_x.astype(float), te, me, methods,
                             iterations, n_boot, seed, data_truth=data_truth, progress=progress)
        t_hist = np.histogram(data_truth, te)[0].astype(float) if data_truth is not None else None
        m_hist = np.histogram(data_x, te)[0].astype(float)
        _write(run, te, t_hist, m_hist, results)
        if t_hist is not None and truth.transform in ("log10", "log10sum"):  # the figure's axis is 10^edges
            _figure(run, te, t_hist, m_hist, results, 0.0, truth.dataset)
        metrics = {"simulation": str(sim_path), "data": str(data_path), "truth": truth.label,
                   "measured": measured.label, "bins": te.tolist(),
                   "methods": {k: r.as_dict() for k, r in results.items()}}
        run.write_json("metrics.json", metrics)
    return metrics
