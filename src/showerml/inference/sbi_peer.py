"""The peer: neural posterior estimation with the ``sbi`` package (Tejero-Cantero et al., JOSS 5 (2020) 2505;
Boelts et al., arXiv:2411.17337), run on the same training pairs and test events as :mod:`.posterior`.

sbi's ``NPE`` with its neural spline flow and its own training loop (early stopping on a 10 % validation split); the
prior it needs for leakage correction is the toy's Gaussian when given, else a box over the training truths ±5 %.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from showerml.optional import require

__all__ = ["sbi_posterior_draws"]


def sbi_posterior_draws(theta: np.ndarray, x: np.ndarray, x_test: np.ndarray, n_draws: int, seed: int = 0,
                        max_epochs: int = 60, gaussian_prior: tuple[float, float] | None = None
                        ) -> tuple[np.ndarray, float]:
    """(draws (n_draws, N_test, D), training + sampling seconds)."""
    require("sbi", "inference", "the sbi peer")
    import torch
    from sbi.inference import NPE
    from sbi.utils import BoxUniform

    torch.manual_seed(seed)
    t = torch.as_tensor(np.asarray(theta, dtype=np.float32))
    xx = torch.as_tensor(np.asarray(x, dtype=np.float32))
    prior: object
    if gaussian_prior is not None and t.shape[1] == 1:
        prior = torch.distributions.MultivariateNormal(torch.tensor([gaussian_prior[0]]),
                                                       torch.tensor([[gaussian_prior[1] ** 2]]))
    else:
        lo, hi = t.min(dim=0).values, t.max(dim=0).values
        pad = 0.05 * (hi - lo)
        prior = BoxUniform(lo - pad, hi + pad)
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # sbi's notes (epoch cap reached, sampling batch capped) are not errors here
        warnings.simplefilter("ignore")
        npe = NPE(prior=prior, density_estimator="nsf", show_progress_bars=False)
        npe.append_simulations(t, xx).train(max_num_epochs=max_epochs, training_batch_size=256,
                                            show_train_summary=False)
        draws = npe.build_posterior().sample_batched((n_draws,), x=torch.as_tensor(np.asarray(x_test, np.float32)),
                                                     show_progress_bars=False)
    return draws.numpy().astype(np.float64), time.perf_counter() - t0
