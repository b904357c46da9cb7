"""DAMPE-like simulator: speed (p and e−), acceptance, back-scatter vs energy, e/p shower depth and width, the
electron energy resolution of contained showers (JSON lines).

Run: ``MPLBACKEND=Agg .venv/bin/python benchmarks/bench_dampe.py`` (≈ 2 min on 2 idle cores).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from showerml.detectors.dampe import DampeSimulator
from showerml.detectors.dampe import geometry as geo
from showerml.io.dampe import read_dampe
from showerml.pipelines.simulate import simulate_to_file
from showerml.reco.features import layer_stats, zeta
from showerml.spectra import parse_spectrum

TARGET_EVENTS_PER_S = 500.0
GEANT4_MS_PER_GEV = 7.0  # EM shower in BGO, one core (PHYSICS.md)
#: DAMPE's electron energy resolution (Chang et al., Astropart. Phys. 95 (2017) 6): ≈ 1.5 % at 100 GeV, ≈ 1 % above
DAMPE_E_RESOLUTION = {100.0: 0.015, 1000.0: 0.010}


def emit(benchmark: str, value: float, unit: str, anchor: float, anchor_name: str, **extra) -> None:
    print(json.dumps({"benchmark": benchmark, "value": round(float(value), 5), "unit": unit,
                      "anchor": round(float(anchor), 5), "anchor_name": anchor_name,
                      "ratio": round(float(value) / float(anchor), 4) if anchor else None, **extra}), flush=True)


def simulate(tmp: Path, particle: str, energy: str, n: int, workers: int = 2, seed: int = 1, **kw):
    path = tmp / f"{particle}_{energy.replace(':', '_')}_{n}.h5"
    sim = DampeSimulator(particle, chunk_size=250, **kw)
    t0 = time.perf_counter()
    simulate_to_file(sim, n, parse_spectrum(energy), seed, path, workers=workers, overwrite=True, progress=False)
    return read_dampe(path), time.perf_counter() - t0


def shower_shape(bgo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per event: energy-weighted mean depth (mm of BGO), Σ over layers of the lateral RMS (mm), the RMS in the
    layer of maximum energy (mm) and DAMPE's ζ (:func:`showerml.reco.features.zeta`, RMS as DAMPE computes it)."""
    e = bgo.astype(float)
    layer_e, _, rms = layer_stats(e)
    depth = (layer_e * (np.arange(geo.BGO_N_LAYERS) + 0.5) * geo.BGO_BAR).sum(axis=1) / layer_e.sum(axis=1)
    at_max = rms[np.arange(len(e)), layer_e.argmax(axis=1)]
    total = rms.sum(axis=1)
    return depth, total, at_max, zeta(e)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        # speed, 2 workers, including process start, writing and compression
        ev, sec = simulate(tmp, "p", "fixed:1000", 4000)
        emit("dampe_events_per_s_p_1TeV_2workers", len(ev) / sec, "events/s", TARGET_EVENTS_PER_S,
             "target 500 events/s")
        ev100, sec = simulate(tmp, "p", "fixed:100000", 400)
        dep = float(ev100["deposit_bgo"].mean()) / 1e3
        emit("dampe_events_per_s_p_100TeV_2workers", len(ev100) / sec, "events/s",
             2.0 / (GEANT4_MS_PER_GEV * 1e-3 * dep), "Geant4 estimate: 7 ms per deposited GeV, 2 cores")

        # e− speed (homogeneous GFlash showers deposited per bar), 2 workers, the same way; load reported
        for label, energy, n in (("1TeV", "fixed:1000", 5000), ("10TeV", "fixed:10000", 5000),
                                 ("100TeV", "fixed:100000", 2000)):
            events, sec = simulate(tmp, "e-", energy, n)
            emit(f"dampe_events_per_s_e_{label}_2workers", len(events) / sec, "events/s", TARGET_EVENTS_PER_S,
                 "target 500 events/s", load_1min=round(os.getloadavg()[0], 2))

        # electron energy resolution of contained showers: vertical, central 200 × 200 mm², read-out sum
        for e_gev, anchor in DAMPE_E_RESOLUTION.items():
            events, _ = simulate(tmp, "e-", f"fixed:{e_gev:g}", 2000, seed=3, incidence="vertical")
            central = np.abs(events["impact"][:, :2]).max(axis=1) < 100.0
            reading = np.asarray(events["bgo"], dtype=float)[central].sum(axis=(1, 2))
            emit(f"dampe_e_resolution_{e_gev:g}GeV", reading.std() / reading.mean(), "sigma/mean", anchor,
                 "DAMPE (Chang et al. 2017)", mean_fraction=round(float(reading.mean() / (e_gev * 1e3)), 5),
                 n=int(central.sum()))

        # acceptance (geometry factor of the PSD-top × BGO-bottom selection)
        attrs = ev.attrs
        emit("dampe_acceptance", attrs["acceptance_m2sr"], "m2 sr", attrs["acceptance_analytic_m2sr"],
             "analytic (Sullivan 1971)", err=round(float(attrs["acceptance_err_m2sr"]), 5))
        g, err = ev.acceptance_from_trials()
        emit("dampe_acceptance_from_event_trials", g, "m2 sr", attrs["acceptance_analytic_m2sr"],
             "analytic (Sullivan 1971)", err=round(err, 5))

        # back-scatter multiplicity vs energy (protons, isotropic)
        samples = {"100GeV": ("fixed:100", 1000), "1TeV": (None, None), "10TeV": ("fixed:10000", 400),
                   "100TeV": (None, None)}
        base = None
        for label, (energy, n) in samples.items():
            events = ev if label == "1TeV" else ev100 if label == "100TeV" else simulate(tmp, "p", energy, n)[0]
            n_back = float(events["n_backscatter"].mean())
            albedo_clusters = float((events["stk_cluster_origin"] == 2).sum(axis=1).mean())
            psd_bars = float((events["psd"] > 0).sum(axis=(1, 2)).mean())
            base = base or n_back
            emit(f"dampe_backscatter_p_{label}", n_back, "secondaries/event", base, "p at 100 GeV",
                 stk_albedo_clusters=round(albedo_clusters, 2), stk_clusters=round(float(
                     events["stk_n_clusters"].mean()), 2), psd_bars_fired=round(psd_bars, 2))

        # e/p shower depth and width at 1 TeV (isotropic; protons interacting in the BGO, deposit > 50 GeV)
        el, _ = simulate(tmp, "e-", "fixed:1000", 1000)
        prot = ev["deposit_bgo"] > 5e4
        d_e, w_e, m_e, z_e = shower_shape(el["bgo"])
        d_p, w_p, m_p, z_p = shower_shape(ev["bgo"][prot])
        emit("dampe_mean_depth_e_1TeV", d_e.mean(), "mm BGO", d_p.mean(), "p at 1 TeV",
             depth_layers_e=round(float(d_e.mean() / geo.BGO_BAR), 3),
             depth_layers_p=round(float(d_p.mean() / geo.BGO_BAR), 3))
        emit("dampe_rms_at_max_layer_e_1TeV", m_e.mean(), "mm", m_p.mean(), "p at 1 TeV")
        emit("dampe_sum_lateral_rms_e_1TeV", w_e.mean(), "mm", w_p.mean(), "p at 1 TeV",
             note="sum over all 14 layers: e tails broaden deep, p layers before the interaction are MIP-narrow")
        emit("dampe_median_zeta_e_1TeV", np.median(z_e), "1", np.median(z_p), "p at 1 TeV",
             e_below_8p5=round(float((z_e < 8.5).mean()), 4), p_below_8p5=round(float((z_p < 8.5).mean()), 4))
        emit("dampe_containment_e_1TeV", float((el["deposit_bgo"] / el["energy"]).mean()), "fraction",
             float((ev["deposit_bgo"] / ev["energy"]).mean()), "p at 1 TeV")


if __name__ == "__main__":
    main()
