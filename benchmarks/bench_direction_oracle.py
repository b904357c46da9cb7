"""Line fits through per-layer shower positions computed from the exact (unbinned) deposits, at 1 TeV.

The classical BGO direction fits a line through the energy-weighted bar centroids of the layers. Two things limit it:
the 27.5 mm bars (the centroid of a narrow core is pulled towards the hit bar's centre — the S-curve) and the
shower-to-shower scatter of each layer's energy distribution around the axis. A network can learn to undo the first
but not the second. This bench builds "oracle" estimators that see the showers *before* the bars — every energy
spot of the simulation at its exact position — on isotropic 1 TeV electrons in the DAMPE-like BGO:

- ``bars (classical)``: the classical fit on the same showers binned into the bars (spots only: no tracker,
  back-scatter, noise or saturation);
- ``exact centroids``: the same fit through the unbinned energy-weighted centroid of each layer (no S-curve);
- ``exact centroids, optimal weights``: weights 1/σ_l², σ_l the robust scatter of layer l's centroid around the true
  axis (measured on the other half of the events);
- ``exact core, optimal weights``: per layer the energy-weighted mean of the spots within half a Molière radius
  (11.3 mm) of the layer's position, iterated three times from the centroid (robust against off-axis sub-showers and
  the halo).

These are not bounds (a method can use more than one position per layer), but they show how much of the classical
fit's error is the bars and how much the showers themselves, at the default spot sampling (60 · E^0.6 spots per
shower, E in GeV) and denser ones. Compare with the direction CNN of ``bench_reco.py`` at 1 TeV.

``MPLBACKEND=Agg .venv/bin/python benchmarks/bench_direction_oracle.py [--n 2000] [--powers 0.6,0.8,1.0]``
(≈ 2.5 min on one core).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.dampe.simulator import DAMPE_EM, DampeSimulator, bin_bgo, spot_bars
from showerml.detectors.physics.materials import BGO
from showerml.metrics.reco import psf68
from showerml.reco.features import fit_layer_positions, line_fit

N_LAYERS = geo.BGO_N_LAYERS


def _layer_means(event: np.ndarray, layer: np.ndarray, coord: np.ndarray, energy: np.ndarray,
                 n: int) -> tuple[np.ndarray, np.ndarray]:
    """(energy (n, 14), energy-weighted mean coordinate (n, 14)) of the spots of each event and layer."""
    cell = event * N_LAYERS + layer
    e = np.bincount(cell, weights=energy, minlength=n * N_LAYERS).reshape(n, N_LAYERS)
    ec = np.bincount(cell, weights=energy * coord, minlength=n * N_LAYERS).reshape(n, N_LAYERS)
    return e, np.where(e > 0, ec / np.maximum(e, 1e-12), 0.0)


def _core_means(event: np.ndarray, layer: np.ndarray, coord: np.ndarray, energy: np.ndarray, n: int,
                centroid: np.ndarray, radius: float, iterations: int = 3) -> np.ndarray:
    """Per event and layer, the energy-weighted mean of the spots within ``radius`` of the current position."""
    pos = centroid
    for _ in range(iterations):
        near = np.abs(coord - pos[event, layer]) < radius
        e, c = _layer_means(event[near], layer[near], coord[near], energy[near], n)
        pos = np.where(e > 0, c, pos)
    return pos


def simulate_chunk(sim: DampeSimulator, n: int, energy_mev: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Truth, bar image and unbinned per-layer positions of ``n`` isotropic showers."""
    tracks = geo.generate_tracks(rng, n)
    spots = sim.shower_spots(np.full(n, energy_mev), tracks, rng)
    image = bin_bgo(spots, tracks, n)
    layer, coord, inside = spot_bars(spots, tracks)
    ev, ly, co, en = spots.event[inside], layer[inside], coord[inside], spots.energy[inside]
    e_layer, centroid = _layer_means(ev, ly, co, en, n)
    core = _core_means(ev, ly, co, en, n, centroid, 0.5 * BGO.moliere_radius)
    axis_x, axis_y = tracks.at(geo.BGO_LAYER_Z[None, :].repeat(n, axis=0))
    axis = np.where(np.arange(N_LAYERS) % 2 == 0, axis_x, axis_y)
    return {"slope": tracks.slope, "image": image, "e_layer": e_layer, "centroid": centroid, "core": core,
            "axis": axis}


def _optimal_weights(position: np.ndarray, axis: np.ndarray, e_layer: np.ndarray) -> np.ndarray:
    """1/σ_l² per layer from the robust (MAD) scatter of position − axis over events with energy in the layer."""
    sigma = np.empty(N_LAYERS)
    for k in range(N_LAYERS):
        d = (position[:, k] - axis[:, k])[e_layer[:, k] > 0]
        sigma[k] = 1.4826 * np.median(np.abs(d - np.median(d))) if len(d) > 10 else np.inf
    return 1.0 / np.maximum(sigma, 1e-3) ** 2


def measure(sim: DampeSimulator, n: int, energy_mev: float, seed: int, chunk: int = 250) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    parts = [simulate_chunk(sim, min(chunk, n - i), energy_mev, rng) for i in range(0, n, chunk)]
    d = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    half = np.arange(len(d["slope"])) < len(d["slope"]) // 2
    test = ~half
    out = {"bars (classical)": psf68(line_fit(d["image"][test])[1], d["slope"][test])}
    out["exact centroids"] = psf68(fit_layer_positions(d["centroid"][test], d["e_layer"][test])[1], d["slope"][test])
    for name, key in (("exact centroids, optimal weights", "centroid"), ("exact core, optimal weights", "core")):
        w = _optimal_weights(d[key][half], d["axis"][half], d["e_layer"][half])
        weights = np.where(d["e_layer"][test] > 0, w[None, :], 0.0)
        out[name] = psf68(fit_layer_positions(d[key][test], weights)[1], d["slope"][test])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="isotropic electrons per sampling (half fix the weights)")
    ap.add_argument("--energy", type=float, default=1000.0, help="primary energy, GeV")
    ap.add_argument("--powers", default="0.6,0.8,1.0", help="spot-count exponents: 60 · E^p spots per shower")
    args = ap.parse_args()
    for power in (float(p) for p in args.powers.split(",")):
        em = dataclasses.replace(DAMPE_EM, spots_power=power)
        t0 = time.perf_counter()
        psf = measure(DampeSimulator("e-", em=em), args.n, 1000.0 * args.energy, seed=41)
        classical = psf["bars (classical)"]
        best = min(v for k, v in psf.items() if k != "bars (classical)")
        print(json.dumps({"benchmark": "direction_psf68_exact_deposit_oracles", "energy_gev": args.energy,
                          "spots_power": power, "spots_per_shower": round(em.spots_per_gev * args.energy ** power),
                          "psf68_deg": {k: round(v, 4) for k, v in psf.items()},
                          "value": round(classical / best, 3), "unit": "classical / best oracle PSF68",
                          "anchor": 6.0, "anchor_name": "issue target for the CNN (DAMPE ≈ 6×)",
                          "n_test": args.n - args.n // 2, "seconds": round(time.perf_counter() - t0, 1)}),
              flush=True)


if __name__ == "__main__":
    main()
