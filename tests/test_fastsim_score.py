"""EDM score diffusion: the preconditioning (Karras et al., arXiv:2206.00364, Table 1), the noise grid, the samplers
against the exact probability-flow ODE of a Gaussian (whose denoiser is known in closed form), the few-step sampler
differing from the full one, and bad sampler settings as one-line errors."""

import math

import pytest
import torch

from showerml.errors import DataFileError, InputError
from showerml.generative import EDMDiffusion, build_model, load_model
from showerml.generative.score import edm_sigmas
from showerml.nn.training import TrainConfig
from tests.fastsim_helpers import SMALL, TINY, tiny_showers

MU, S = 0.7, 0.5  # data y ~ N(MU, S²) in every coordinate


def gaussian_model(steps: int, sampler: str) -> EDMDiffusion:
    """An EDM model whose denoiser is the exact one of N(MU, S²): D(x; σ) = MU + S²/(S² + σ²) (x − MU)."""
    model = EDMDiffusion(TINY, steps=steps, sampler=sampler, width=8, blocks=1)
    model.denoise = lambda net, x, sigma, c: MU + S**2 / (S**2 + sigma[:, None] ** 2) * (x - MU)  # type: ignore
    return model


def exact_flow(model: EDMDiffusion, c: torch.Tensor, seed: int) -> torch.Tensor:
    """The probability-flow ODE of N(MU, S²) solved exactly: x(0) = MU + (x(σ_max) − MU) S/√(S² + σ_max²)."""
    x = model.hparams["sigma_max"] * torch.randn(len(c), model.dim, generator=torch.Generator().manual_seed(seed))
    return MU + (x - MU) * S / math.sqrt(S**2 + model.hparams["sigma_max"] ** 2)


def test_noise_grid_follows_edm():
    sig = edm_sigmas(10, 0.002, 80.0, 7.0)
    assert len(sig) == 11 and sig[0] == pytest.approx(80.0) and sig[9] == pytest.approx(0.002) and sig[10] == 0
    assert torch.all(sig[1:] < sig[:-1])
    mid = ((80.0 ** (1 / 7) + 0.5 * (0.002 ** (1 / 7) - 80.0 ** (1 / 7))) ** 7)  # i/(N−1) = 1/2 at N = 3
    assert edm_sigmas(3, 0.002, 80.0, 7.0)[1] == pytest.approx(mid)
    with pytest.raises(InputError, match="at least one step"):
        edm_sigmas(0, 0.002, 80.0, 7.0)


@torch.no_grad()
def test_preconditioning_weights_the_loss_as_unit_weighted_f_regression():
    torch.manual_seed(0)
    model = EDMDiffusion(TINY, width=16, blocks=1)
    y, c = torch.randn(64, model.dim), torch.randn(64, 1)
    sigma = torch.exp(torch.randn(64))
    x = y + sigma[:, None] * torch.randn_like(y)
    d = model.denoise(model.net, x, sigma, c)
    sd, s = 1.0, sigma[:, None]
    var = s**2 + sd**2
    f = model.net(x / var.sqrt(), sigma.log() / 4, c)
    torch.testing.assert_close(d, sd**2 / var * x + s * sd / var.sqrt() * f, rtol=1e-5, atol=1e-5)
    # λ(σ)‖D − y‖² with λ = (σ² + σ_d²)/(σ σ_d)² equals ‖F − (y − c_skip x)/c_out‖² (EDM eq. 8)
    target = (y - sd**2 / var * x) / (s * sd / var.sqrt())
    lam = (s**2 + sd**2) / (s * sd) ** 2
    torch.testing.assert_close((lam * (d - y) ** 2).mean(), ((f - target) ** 2).mean(), rtol=1e-4, atol=1e-5)
    # as σ → 0 the denoiser passes x through; as σ → ∞ it forgets x
    tiny, huge = torch.full((64,), 1e-4), torch.full((64,), 1e4)
    torch.testing.assert_close(model.denoise(model.net, x, tiny, c), x, rtol=1e-3, atol=1e-3)
    assert model.denoise(model.net, x * 1e3, huge, c).abs().max() < 10


def _error(sampler: str, steps: int, seed: int = 3) -> float:
    model = gaussian_model(steps, sampler)
    c = torch.zeros(500, 1)
    return (model._generate(c, torch.Generator().manual_seed(seed)) - exact_flow(model, c, seed)).abs().max().item()


@pytest.mark.parametrize(("sampler", "order"), [("euler", 1), ("heun", 2), ("dpmpp2m", 2)])
def test_samplers_converge_to_the_probability_flow_ode_at_their_order(sampler, order):
    coarse, fine = _error(sampler, 64), _error(sampler, 128)
    assert fine < (3e-3 if order == 2 else 5e-2)
    assert coarse / fine == pytest.approx(2.0**order, rel=0.25)  # halving the step: error / 2^order
    model = gaussian_model(128, sampler)
    got = model._generate(torch.zeros(4000, 1), torch.Generator().manual_seed(1))
    assert got.mean().item() == pytest.approx(MU, abs=0.02) and got.std().item() == pytest.approx(S, rel=0.03)


def test_the_few_step_samplers_differ_from_the_full_one():
    full = _error("heun", 200)
    assert full < 1e-3
    for sampler in ("euler", "heun", "dpmpp2m"):  # 8 steps: measurably off the exact solution, unlike 200
        assert _error(sampler, 8) > 0.1 > 100 * full


def test_stochastic_churn_changes_the_samples_but_not_the_distribution():
    c = torch.zeros(4000, 1)
    model = gaussian_model(64, "heun")
    model.set_sampling(s_churn=20.0)
    got = model._generate(c, torch.Generator().manual_seed(1))
    assert got.mean().item() == pytest.approx(MU, abs=0.02) and got.std().item() == pytest.approx(S, rel=0.05)
    det = gaussian_model(64, "heun")._generate(c, torch.Generator().manual_seed(1))
    assert (got - det).abs().mean() > 0.05


def test_bad_sampler_settings_are_one_line_errors(tmp_path):
    model = build_model("edm", TINY, SMALL["edm"])
    for options, match in (({"steps": 0}, "positive number of steps"), ({"sampler": "rk45"}, "unknown sampler"),
                           ({"timesteps": 3}, "no sampling option")):
        with pytest.raises(InputError, match=match) as err:
            model.set_sampling(**options)
        assert "\n" not in str(err.value)
    assert model.hparams["steps"] == SMALL["edm"]["steps"]  # a refused setting changes nothing
    with pytest.raises(InputError, match="sigma_min < sigma_max"):
        build_model("edm", TINY, {"sigma_min": 5.0, "sigma_max": 1.0})
    data = tiny_showers(200)
    trained = build_model("edm", TINY, SMALL["edm"])
    trained.fit(data, TrainConfig(epochs=1, batch_size=64, progress=False))
    folder = trained.save(tmp_path / "edm")
    cfg = (folder / "config.json").read_text().replace('"sampler": "heun"', '"sampler": "rk45"')
    (folder / "config.json").write_text(cfg)
    with pytest.raises(DataFileError, match="unknown sampler"):
        load_model(folder)
