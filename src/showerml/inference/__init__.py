"""Inference with conditional flows: per-event posteriors, unfolding and classifier reweighting.

- :mod:`.posterior` — a conditional normalizing flow p(θ | x) with a summary network (neural posterior estimation;
  BayesFlow, Radev et al., arXiv:2003.06281), trained through :func:`showerml.nn.training.train`;
- :mod:`.pairs` — which datasets of a detector file are the truth θ and which the observation x;
- :mod:`.calibration` — coverage curves, calibration error, SBC ranks, contraction and z-scores;
- :mod:`.toy` — the Gaussian-smearing toy with its exact posterior;
- :mod:`.ibu`, :mod:`.omnifold`, :mod:`.cinn_unfold` — unfolding; :mod:`.response` — the DAMPE-like response;
- :mod:`.dctr` — classifier reweighting w = D/(1 − D).
"""
