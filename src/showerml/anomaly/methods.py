"""The six searches behind one interface (see :mod:`showerml.anomaly.base`).

- ``supervised``: labelled signal vs background in the SR — the upper bound (needs a signal model).
- ``idealized``: SR data vs a perfectly modelled background in the SR (the "idealized anomaly detector"; Hallin et
  al., arXiv:2109.00546). Optimal weak supervision: the classifier learns p_data/p_bkg (Metodiev, Nachman, Thaler,
  JHEP 10 (2017) 174).
- ``cwola``: CWoLa hunting, SR data vs sideband data (Collins, Howe, Nachman, PRL 121 (2018) 241803).
- ``anode``: R(x|m) = p_data(x|m) / p_bkg(x|m), a conditional flow on SR data over one on sideband data
  interpolated into the SR (Nachman, Shih, PRD 101 (2020) 075042).
- ``cathode``: a conditional flow on sideband data, sampled in the SR with m_jj drawn from a KDE of the SR data
  (``oversample`` samples per data event); a classifier separates SR data from those samples (Hallin et al. 2021).
- ``autoencoder``: an MLP autoencoder (4 → 32 → 32 → 2 → 32 → 32 → 4) trained on all data, which background
  dominates; the score is the squared reconstruction error of the standardised features (Heimel et al.,
  SciPost Phys. 6 (2019) 030; Farina, Nakai, Shih, PRD 101 (2020) 075021).

Each method declares what it ``needs`` beyond the data (a reference, a signal sample, sidebands), so a pipeline can
say in one line why it cannot run before any training. With ``inputs.validation`` the data side of every network
stops early on the validation events (the SR part for SR data, the SB part for SB data); the other side (reference,
flow samples) gives a fixed 20 % of its events.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import gaussian_kde

from showerml.anomaly.base import MIN_EVENTS, AnomalyInputs, AnomalyMethod, MethodConfig, aux_features
from showerml.anomaly.classifier import ClassifierEnsemble, Standardizer
from showerml.anomaly.flows import ConditionalFlow
from showerml.errors import InputError
from showerml.nn.blocks import mlp
from showerml.nn.training import TrainConfig, train

__all__ = [
    "ANODE",
    "CATHODE",
    "CWoLa",
    "METHODS",
    "Autoencoder",
    "Idealized",
    "Supervised",
    "make_method",
    "unmet",
]


class _ClassifierMethod(AnomalyMethod):
    """Shared by the methods whose score is a classifier output: label-1 vs label-0 samples of x."""

    def _classifier(self) -> ClassifierEnsemble:
        c = self.config
        return ClassifierEnsemble(
            c.classifier, c.n_models, c.hidden, c.epochs, c.patience, c.batch_size, c.lr, c.seed, c.progress
        )

    def _fit_xy(
        self, x1: np.ndarray, x0: np.ndarray, v1: np.ndarray | None = None, v0: np.ndarray | None = None
    ) -> AnomalyMethod:
        """Classifier of label 1 (x1) against label 0 (x0); v1/v0 are validation events of either side. Given v1
        only, a fixed 20 % of x0 (seeded) validates the other side."""
        validation = None
        if v1 is not None:
            if v0 is None:
                order = np.random.default_rng(self.config.seed).permutation(len(x0))
                n_val = max(int(0.2 * len(x0)), 1)
                x0, v0 = x0[order[n_val:]], x0[order[:n_val]]
            validation = (np.concatenate([v1, v0]), np.r_[np.ones(len(v1)), np.zeros(len(v0))])
        x, y = np.concatenate([x1, x0]), np.r_[np.ones(len(x1)), np.zeros(len(x0))]
        self.model = self._classifier().fit(x, y, validation)
        return self

    def score(self, features: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(aux_features(features))


def _aux(array: np.ndarray | None) -> np.ndarray | None:
    return None if array is None else aux_features(array)


class Supervised(_ClassifierMethod):
    name = "supervised"
    needs = ("signal", "reference")

    def fit(self, inputs: AnomalyInputs) -> AnomalyMethod:
        _require(inputs, self)
        sig = inputs.sr(inputs.need("signal", self.name))
        bkg = inputs.sr(inputs.need("reference", self.name))
        return self._fit_xy(aux_features(sig), aux_features(bkg))


class Idealized(_ClassifierMethod):
    name = "idealized"
    needs = ("reference",)

    def fit(self, inputs: AnomalyInputs) -> AnomalyMethod:
        _require(inputs, self)
        bkg = inputs.sr(inputs.need("reference", self.name))
        return self._fit_xy(aux_features(inputs.sr(inputs.data)), aux_features(bkg), _aux(inputs.validation_part("sr")))


HINTS = {
    "sidebands": "it learns the background from the sidebands; add them (e.g. outerdata_*.npy) or choose supervised, "
    "idealized or autoencoder",
    "reference": "give background-only events in the SR with --reference (e.g. innerdata_extrabkg_train.npy)",
    "signal": "give labelled signal events in the SR with --signal (e.g. innerdata_extrasig_train.npy)",
}


def unmet(name: str, inputs: AnomalyInputs) -> str | None:
    """Why method ``name`` cannot run on ``inputs``, in one line; None if it can."""
    missing = inputs.missing(METHODS[name].needs)
    return None if missing is None else f"{name} needs {missing[1]}: {HINTS[missing[0]]}"


def _require(inputs: AnomalyInputs, method: AnomalyMethod) -> None:
    message = unmet(method.name, inputs)
    if message:
        raise InputError(message)


class CWoLa(_ClassifierMethod):
    name = "cwola"
    needs = ("sidebands",)

    def fit(self, inputs: AnomalyInputs) -> AnomalyMethod:
        _require(inputs, self)
        sr, sb = inputs.sr(inputs.data), inputs.sb(inputs.data)
        v1, v0 = _aux(inputs.validation_part("sr")), _aux(inputs.validation_part("sb"))
        return self._fit_xy(aux_features(sr), aux_features(sb), v1, v0 if v1 is not None else None)


def _flow(config: MethodConfig, seed_offset: int = 0) -> ConditionalFlow:
    return ConditionalFlow(
        config.flow_transforms, config.flow_hidden, config.flow_epochs, config.patience, config.flow_batch_size,
        config.lr, config.seed + seed_offset, config.progress,
    )


def _flow_validation(inputs: AnomalyInputs, region: str) -> tuple[np.ndarray, np.ndarray] | None:
    part = inputs.validation_part(region, minimum=20)
    return None if part is None else (aux_features(part), part[:, 0])


class ANODE(AnomalyMethod):
    name = "anode"
    needs = ("sidebands",)

    def fit(self, inputs: AnomalyInputs) -> AnomalyMethod:
        _require(inputs, self)
        sr, sb = inputs.sr(inputs.data), inputs.sb(inputs.data)
        self.bkg = _flow(self.config).fit(aux_features(sb), sb[:, 0], _flow_validation(inputs, "sb"))
        self.data = _flow(self.config, 1).fit(aux_features(sr), sr[:, 0], _flow_validation(inputs, "sr"))
        return self

    def score(self, features: np.ndarray) -> np.ndarray:
        x, m = aux_features(features), features[:, 0]
        return self.data.log_prob(x, m) - self.bkg.log_prob(x, m)


class CATHODE(_ClassifierMethod):
    name = "cathode"
    needs = ("sidebands",)

    def fit(self, inputs: AnomalyInputs) -> AnomalyMethod:
        _require(inputs, self)
        sr, sb = inputs.sr(inputs.data), inputs.sb(inputs.data)
        if len(sr) < 10:
            raise InputError("CATHODE needs data in the signal region; check --sr against the data range")
        self.flow = _flow(self.config).fit(aux_features(sb), sb[:, 0], _flow_validation(inputs, "sb"))
        kde = gaussian_kde(sr[:, 0])
        rng = np.random.default_rng(self.config.seed)
        m = kde.resample(self.config.oversample * len(sr), seed=rng)[0]
        m = np.clip(m, inputs.regions.sr_lo, np.nextafter(inputs.regions.sr_hi, 0))
        self.samples = self.flow.sample(m, seed=self.config.seed)
        return self._fit_xy(aux_features(sr), self.samples, _aux(inputs.validation_part("sr")))


def _mse(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    return ((model(batch[0]) - batch[0]) ** 2).mean()


class Autoencoder(AnomalyMethod):
    name = "autoencoder"

    def fit(self, inputs: AnomalyInputs) -> AnomalyMethod:
        x = aux_features(inputs.data)
        self.scaler = Standardizer(x)
        z = torch.as_tensor(self.scaler(x), dtype=torch.float32)
        c = self.config
        torch.manual_seed(c.seed)
        encoder, decoder = mlp(z.shape[1], 2, (32, 32)), mlp(2, z.shape[1], (32, 32))
        self.model = torch.nn.Sequential(encoder, decoder)
        cfg = TrainConfig(
            epochs=c.epochs, batch_size=c.batch_size, lr=c.lr, patience=c.patience, seed=c.seed,
            progress=c.progress, description="autoencoder",
        )
        if inputs.validation is not None and len(inputs.validation) >= MIN_EVENTS:
            zv = torch.as_tensor(self.scaler(aux_features(inputs.validation)), dtype=torch.float32)
            train(self.model, _mse, (z,), (zv,), cfg)
            return self
        order = torch.as_tensor(np.random.default_rng(c.seed).permutation(len(z)))
        n_val = max(int(0.2 * len(z)), 1)
        train(self.model, _mse, (z[order[n_val:]],), (z[order[:n_val]],), cfg)
        return self

    @torch.no_grad()
    def score(self, features: np.ndarray) -> np.ndarray:
        z = torch.as_tensor(self.scaler(aux_features(features)), dtype=torch.float32)
        return ((self.model(z) - z) ** 2).mean(dim=1).numpy().astype(np.float64)


METHODS: dict[str, type[AnomalyMethod]] = {
    m.name: m for m in (Supervised, Idealized, CWoLa, ANODE, CATHODE, Autoencoder)
}


def make_method(name: str, config: MethodConfig | None = None) -> AnomalyMethod:
    """The method called ``name`` (one of :data:`METHODS`)."""
    if name not in METHODS:
        raise InputError(f"unknown anomaly method '{name}': use one of {', '.join(METHODS)}")
    return METHODS[name](config)
