"""Shared helpers of the fastsim tests: small simulated samples, a tiny user geometry, one torch thread."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from showerml.geometry import CartesianLayer, CylindricalLayer, Geometry
from showerml.io.showers import ShowerData

#: a user geometry with one Cartesian and one cylindrical layer: 2×2 + 2×2 = 8 voxels
TINY = Geometry(
    "tiny",
    (
        CartesianLayer(nx=2, ny=2, cell_x=10.0, cell_y=10.0, z0=0.0, z1=10.0),
        CylindricalLayer(r_edges=(0.0, 5.0, 10.0), n_alpha=2, z0=10.0, z1=20.0),
    ),
)

#: hyper-parameters small enough for 1-epoch tests on any geometry
SMALL = {
    "caloflow": {"layer_transforms": 2, "layer_hidden": [8], "voxel_transforms": 2, "voxel_hidden": [16]},
    "cfm": {"width": 32, "blocks": 1, "steps": 3},
    "ddpm": {"width": 32, "blocks": 1, "steps": 3, "timesteps": 100},
    "edm": {"width": 32, "blocks": 1, "steps": 3},
    "vae": {"width": 32, "blocks": 1, "latent": 4},
    "gan": {"width": 32, "blocks": 1, "latent": 4},
}
SMALL["student"] = dict(SMALL["caloflow"])


def tiny_showers(n: int = 400, seed: int = 0) -> ShowerData:
    """Synthetic showers in :data:`TINY`: a log-normal total ∝ E_inc shared between layers and voxels by Dirichlet
    fractions whose first component grows with log E_inc; about 20 % of voxels empty."""
    rng = np.random.default_rng(seed)
    incident = rng.uniform(1e3, 1e5, n)
    t = np.log(incident / 1e3) / np.log(100.0)
    total = incident * np.exp(rng.normal(-0.05, 0.05, n))
    layer_frac = rng.beta(2 + 4 * t, 3, n)
    voxels = np.zeros((n, TINY.n_voxels))
    for k, s in enumerate(TINY.layer_slices):
        w = rng.dirichlet(np.array([4.0, 2.0, 1.0, 1.0]), n) * (rng.random((n, 4)) > 0.2)
        w = np.where(w.sum(1, keepdims=True) > 0, w, np.eye(4)[0])
        w /= w.sum(1, keepdims=True)
        e_layer = total * (layer_frac if k == 0 else 1 - layer_frac)
        voxels[:, s] = w * e_layer[:, None]
    voxels[voxels < 1e-3] = 0.0
    return ShowerData(incident, voxels.astype(np.float32), TINY)


@lru_cache(maxsize=4)
def simulated(geometry: str, n: int, seed: int = 0) -> ShowerData:
    """CaloGAN e+ or CaloChallenge-2 showers from showerml's simulators (cached per process)."""
    from showerml.detectors.calochallenge import CaloChallenge2Simulator
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.pipelines.simulate import simulate_showers
    from showerml.spectra import parse_spectrum

    sim = CaloGANSimulator("e+") if geometry == "calogan" else CaloChallenge2Simulator()
    return simulate_showers(sim, n, parse_spectrum("uniform:1,100"), seed)
