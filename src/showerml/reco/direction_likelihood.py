"""The bar likelihood fit: the shower axis that maximises the likelihood of the BGO bar energies under the DAMPE-like
simulator's own electromagnetic shower model (GFlash's homogeneous-medium tuning, Grindhammer & Peters, hep-ex/0001020,
:mod:`showerml.detectors.physics.em_homogeneous`: the Gamma longitudinal profile with the mean α and the
two-component core + tail radial profile, projected across the bars).

Trained on nothing, it reads the bars as the direction CNN does; near the vertical the two meet
(``benchmarks/bench_direction_oracle.py --bar-ml``). Its model treats the shower as axially symmetric about the axis,
layer by layer: right near the vertical, it misses for tilted showers that a transverse offset u also moves a
deposit u sin θ in depth, into another layer.
"""

from __future__ import annotations

import numpy as np
import torch

from showerml.detectors.dampe import geometry as geo
from showerml.detectors.dampe.tracks import X0_BEFORE_BGO
from showerml.detectors.physics.em import gflash_mean_alpha
from showerml.detectors.physics.em_homogeneous import HomogeneousEMConfig, radial_parameters
from showerml.detectors.physics.materials import BGO, Material

__all__ = ["bar_likelihood_fit", "radial_profile"]


def radial_profile(tau: np.ndarray, energy_gev: np.ndarray | float,
                   material: Material = BGO) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(R_C mm, R_T mm, p_C) of the simulator's GFlash radial profile at relative depths ``tau`` (energies broadcast
    against ``tau``)."""
    e_gev = np.broadcast_to(np.asarray(energy_gev, dtype=np.float64), np.shape(tau))
    r_core, r_tail, p_core = radial_parameters(tau, e_gev, material.z)
    rm = material.moliere_radius
    return torch.as_tensor(r_core * rm), torch.as_tensor(r_tail * rm), torch.as_tensor(p_core)


def _projected_cdf(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """CDF across one transverse axis of the GFlash component R² / (π (r² + R²)²): ½ + x / (2 √(x² + R²))."""
    return 0.5 + x / (2.0 * torch.sqrt(x * x + scale * scale))


def bar_likelihood_fit(bgo: np.ndarray, start: np.ndarray, em: HomogeneousEMConfig, sub_depths: int = 5,
                       iterations: int = 40) -> np.ndarray:
    """Axis (N, 4) = (x0, y0, k_x, k_y) maximising the likelihood of the bar energies under the simulator's own
    shower model, from ``start`` (the classical fit).

    With N_l independent, identically distributed spots in layer l, the bar shares are multinomial:
    ln L = Σ_l (N_l / E_l) Σ_b E_lb ln P_lb(axis), and as N_l ∝ E_l this is Σ_lb E_lb ln P_lb up to a constant.
    P_lb is bar b's share of layer l: the GFlash core and tail components (R_C, R_T, p at the relative depth
    τ = t / T̂ of five sub-depths per layer, the axis moving with depth) projected across the bars (the transverse
    plane of a tilted shower foreshortened along the tilt), weighted over the sub-depths by the Gamma longitudinal
    profile. T̂ = 0.85 × the energy-weighted mean depth
    (in X0 from the shower start at the PSD top), α the GFlash mean; maximised per event by damped Newton steps
    (Levenberg–Marquardt) with the exact 4 × 4 Hessian from autograd. What it leaves out — the per-shower T and α
    spread, the spot-count fluctuations, noise, the readout — makes it an approximate likelihood, not a bound.
    """
    n_layers = bgo.shape[1]
    lo = geo.BGO_BAR_CENTRES - 0.5 * geo.BGO_PITCH
    hi = lo + geo.BGO_PITCH
    lo[0], hi[-1] = -geo.BGO_HALF, geo.BGO_HALF
    crystal = geo.BGO_BAR * (np.arange(n_layers)[:, None] + (np.arange(sub_depths)[None, :] + 0.5) / sub_depths)
    z = torch.as_tensor(geo.BGO_TOP_Z + (geo.BGO_LAYER_PITCH - geo.BGO_BAR) * np.arange(n_layers)[:, None] + crystal)
    cos_t = 1.0 / np.sqrt(1.0 + (start[:, 2:] ** 2).sum(axis=1))
    depth = (X0_BEFORE_BGO + crystal[None] / em.material.x0) / cos_t[:, None, None]  # X0 along the axis (N, L, J)
    e_layer = bgo.sum(axis=2)
    e_tot = np.maximum(e_layer.sum(axis=1), 1e-9)
    t_hat = 0.85 * (e_layer * depth.mean(axis=2)).sum(axis=1) / e_tot
    mat = em.material
    alpha = gflash_mean_alpha(e_tot, mat)
    log_w = (alpha[:, None, None] - 1.0) * np.log(depth) - ((alpha - 1.0) / t_hat)[:, None, None] * depth
    w = np.exp(log_w - log_w.max(axis=2, keepdims=True))
    w = torch.as_tensor(w / w.sum(axis=2, keepdims=True))[..., None]
    tau = depth / t_hat[:, None, None]
    tilt = np.hypot(start[:, 2], start[:, 3])
    cos_phi = np.where(tilt > 0, start[:, 2] / np.maximum(tilt, 1e-12), 1.0)
    sin_phi = np.where(tilt > 0, start[:, 3] / np.maximum(tilt, 1e-12), 0.0)
    stretch_x = np.sqrt((cos_t * cos_phi) ** 2 + sin_phi**2)  # the transverse plane seen along x and along y
    stretch_y = np.sqrt((cos_t * sin_phi) ** 2 + cos_phi**2)
    stretch = np.where(np.arange(n_layers)[None, :] % 2 == 1, stretch_y[:, None], stretch_x[:, None])
    r_core, r_tail, p_core = radial_profile(tau, (e_tot / 1000.0)[:, None, None], mat)
    stretch_t = torch.as_tensor(stretch)[:, :, None, None]
    r_core, r_tail, p_core = r_core[..., None] * stretch_t, r_tail[..., None] * stretch_t, p_core[..., None]
    lo_t, hi_t = torch.as_tensor(lo), torch.as_tensor(hi)
    measures_y = torch.as_tensor(np.arange(n_layers) % 2 == 1)[None, :, None]
    energy = torch.as_tensor(bgo / 1000.0)

    def nll(axis: torch.Tensor) -> torch.Tensor:
        b = torch.where(measures_y, axis[:, 1, None, None], axis[:, 0, None, None])
        k = torch.where(measures_y, axis[:, 3, None, None], axis[:, 2, None, None])
        centre = (b + k * z[None])[..., None]  # axis position at each sub-depth (N, L, J, 1)
        d_hi, d_lo = hi_t - centre, lo_t - centre
        share = (p_core * (_projected_cdf(d_hi, r_core) - _projected_cdf(d_lo, r_core))
                 + (1.0 - p_core) * (_projected_cdf(d_hi, r_tail) - _projected_cdf(d_lo, r_tail)))
        share = (w * share).sum(dim=2)
        share = share / share.sum(dim=-1, keepdim=True).clamp_min(1e-12)
        return -(energy * torch.log(share + 1e-9)).sum(dim=(1, 2))

    unit = torch.tensor([1.0, 1.0, 0.01, 0.01], dtype=torch.float64)  # mm and 10 mrad: a well-scaled Hessian
    eye = torch.eye(4, dtype=torch.float64)
    axis = torch.as_tensor(np.asarray(start, dtype=np.float64)).clone()
    damping = torch.full((len(axis),), 1e-3, dtype=torch.float64)
    for _ in range(iterations):
        x = (axis / unit).requires_grad_(True)
        f = nll(x * unit)
        (g,) = torch.autograd.grad(f.sum(), x, create_graph=True)
        hess = torch.stack([torch.autograd.grad(g[:, j].sum(), x, retain_graph=True)[0] for j in range(4)], dim=2)
        g, hess, f = g.detach(), hess.detach(), f.detach()
        diag = torch.abs(torch.diagonal(hess, dim1=1, dim2=2)).clamp_min(1e-6)
        step = -torch.linalg.solve(hess + damping[:, None, None] * (diag[:, :, None] * eye + eye), g)
        with torch.no_grad():
            trial = (x.detach() + step.clamp(-5.0, 5.0)) * unit
            better = nll(trial) < f
        axis = torch.where(better[:, None], trial, axis)
        damping = torch.where(better, damping * 0.3, damping * 10.0).clamp(1e-6, 1e8)
    return axis.numpy()
