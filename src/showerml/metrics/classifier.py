"""The classifier test: a neural network trained to tell reference from generated showers.

By the Neyman–Pearson lemma the optimal classifier output is a monotone function of the likelihood ratio
p_gen/p_ref, so it sees every difference, including correlations (Krause & Shih, CaloFlow, arXiv:2106.05285;
CaloChallenge 2022, arXiv:2410.21611). Protocol here:

1. balance the two samples (same count), split each 60 / 20 / 20 into train / validation / test;
2. standardise inputs with the training mean and std; train an MLP with binary cross-entropy through the shared
   training loop (:func:`showerml.nn.train`, early stopping on the validation loss);
3. calibrate on the validation set with isotonic regression (Zadrozny & Elkan 2002) so that outputs are
   probabilities;
4. on the balanced test set report the AUC of the raw scores and
   ``JSD = ln 2 − BCE_calibrated`` (nats) — the Jensen–Shannon divergence the optimal classifier's loss estimates
   (Goodfellow et al. 2014) — also given in bits, ``JSD / ln 2 ∈ [0, 1]``. On finite test sets it can dip slightly
   below 0 for identical samples.

:func:`multiclass_test` is the K+1-class version (softmax over the reference and K generators; CaloChallenge
report, sec. 4): a generator whose showers the classifier cannot tell from the reference's takes a large share of
the probability on reference showers. Generators are ranked by that share.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score
from torch import nn

from showerml.errors import InputError
from showerml.nn.training import TrainConfig, train

__all__ = ["ClassifierConfig", "ClassifierResult", "MulticlassResult", "classifier_test", "multiclass_test", "mlp"]

_EPS = 1e-6
MIN_PER_CLASS = 50


@dataclass
class ClassifierConfig:
    """Network and training settings of the classifier test."""

    hidden: tuple[int, ...] = (256, 256)
    dropout: float = 0.1
    epochs: int = 40
    batch_size: int = 256
    lr: float = 5e-4
    weight_decay: float = 1e-5
    patience: int = 6
    fractions: tuple[float, float] = (0.6, 0.2)  # train, validation; the rest is the test set
    progress: bool = False


@dataclass
class ClassifierResult:
    """AUC (raw scores), calibrated BCE and JSD on the test set, plus sizes and timing."""

    auc: float
    bce: float
    jsd_nats: float
    jsd_bits: float
    n_train: int
    n_test: int
    epochs: int
    seconds: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass
class MulticlassResult:
    """Per-generator mean probability on reference test showers (ideal 1/(K+1)) and the ranking (best first)."""

    labels: list[str]
    reference_share: dict[str, float]
    accuracy: dict[str, float]
    ranking: list[str]
    log_loss: float
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def mlp(n_in: int, n_out: int, hidden: Sequence[int], dropout: float) -> nn.Sequential:
    """A plain fully connected network with LeakyReLU activations."""
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def _split(n: int, fractions: tuple[float, float], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    order = rng.permutation(n)
    a = int(round(fractions[0] * n))
    b = a + int(round(fractions[1] * n))
    return order[:a], order[a:b], order[b:]


def _prepare(
    samples: Sequence[np.ndarray], fractions: tuple[float, float], rng: np.random.Generator
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Balanced, standardised (train statistics) splits: ``[x_train, x_val, x_test]``, ``[y_train, y_val, y_test]``."""
    arrays = [np.asarray(s, dtype=np.float64) for s in samples]
    if any(a.ndim != 2 for a in arrays) or len({a.shape[1] for a in arrays}) != 1:
        raise InputError(f"classifier inputs must be (N, d) arrays of equal d, got {[a.shape for a in arrays]}")
    n = min(len(a) for a in arrays)
    if n < MIN_PER_CLASS:
        raise InputError(f"the classifier test needs at least {MIN_PER_CLASS} showers per sample, got {n}")
    xs: list[list[np.ndarray]] = [[], [], []]
    ys: list[list[np.ndarray]] = [[], [], []]
    for label, a in enumerate(arrays):
        a = a[rng.permutation(len(a))[:n]]
        for part, idx in enumerate(_split(n, fractions, rng)):
            xs[part].append(a[idx])
            ys[part].append(np.full(len(idx), label, dtype=np.int64))
    x = [np.concatenate(p) for p in xs]
    y = [np.concatenate(p) for p in ys]
    mu, sd = x[0].mean(axis=0), x[0].std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    x = [np.clip((p - mu) / sd, -50.0, 50.0) for p in x]
    return x, y


def _fit(
    x: list[np.ndarray], y: list[np.ndarray], n_out: int, cfg: ClassifierConfig, seed: int, description: str
) -> tuple[nn.Module, int, float]:
    torch.manual_seed(seed)
    model = mlp(x[0].shape[1], n_out, cfg.hidden, cfg.dropout)
    tensors = [(torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b)) for a, b in zip(x, y, strict=True)]
    if n_out == 1:

        def loss_fn(m: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            return nn.functional.binary_cross_entropy_with_logits(m(batch[0]).squeeze(-1), batch[1].float())
    else:

        def loss_fn(m: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            return nn.functional.cross_entropy(m(batch[0]), batch[1])

    tcfg = TrainConfig(
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        patience=cfg.patience,
        seed=seed,
        progress=cfg.progress,
        description=description,
    )
    result = train(model, loss_fn, tensors[0], tensors[1], tcfg)
    return model, result.epochs_run, result.seconds


@torch.no_grad()
def _predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    out = [model(torch.as_tensor(c, dtype=torch.float32)) for c in np.array_split(x, max(1, len(x) // 8192))]
    return torch.cat(out).numpy().astype(np.float64)


def classifier_test(
    reference: np.ndarray,
    generated: np.ndarray,
    config: ClassifierConfig | None = None,
    seed: int = 0,
    description: str = "classifier",
) -> ClassifierResult:
    """Train reference (label 0) vs generated (label 1) on ``(N, d)`` inputs; AUC and JSD on the test split."""
    cfg = config or ClassifierConfig()
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    x, y = _prepare([reference, generated], cfg.fractions, rng)
    model, epochs, _ = _fit(x, y, 1, cfg, seed, description)
    score_val = _predict(model, x[1])[:, 0]
    score_test = _predict(model, x[2])[:, 0]
    iso = IsotonicRegression(y_min=_EPS, y_max=1 - _EPS, out_of_bounds="clip").fit(score_val, y[1])
    p = np.clip(iso.predict(score_test), _EPS, 1 - _EPS)
    bce = float(-np.mean(y[2] * np.log(p) + (1 - y[2]) * np.log1p(-p)))
    jsd = float(np.log(2.0) - bce)
    return ClassifierResult(
        auc=float(roc_auc_score(y[2], score_test)),
        bce=bce,
        jsd_nats=jsd,
        jsd_bits=jsd / float(np.log(2.0)),
        n_train=len(y[0]),
        n_test=len(y[2]),
        epochs=epochs,
        seconds=time.perf_counter() - t0,
    )


def multiclass_test(
    reference: np.ndarray,
    generated: Sequence[np.ndarray],
    labels: Sequence[str],
    config: ClassifierConfig | None = None,
    seed: int = 0,
    description: str = "multiclass",
) -> MulticlassResult:
    """Softmax classifier over the reference (class 0) and K generators; ranks generators by how much probability
    they take on reference test showers (their "reference share"; 1/(K+1) each if all are perfect)."""
    cfg = config or ClassifierConfig()
    if len(generated) != len(labels) or len(generated) < 1:
        raise InputError("give one label per generated sample, and at least one generated sample")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    x, y = _prepare([reference, *generated], cfg.fractions, rng)
    model, _, _ = _fit(x, y, len(generated) + 1, cfg, seed, description)
    logits = _predict(model, x[2])
    logp = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    prob = np.exp(logp)
    on_ref = prob[y[2] == 0]
    share = {lab: float(on_ref[:, k + 1].mean()) for k, lab in enumerate(labels)}
    pred = prob.argmax(axis=1)
    accuracy = {lab: float(np.mean(pred[y[2] == k + 1] == k + 1)) for k, lab in enumerate(labels)}
    ranking = sorted(labels, key=lambda lab: -share[lab])
    return MulticlassResult(
        labels=list(labels),
        reference_share=share,
        accuracy=accuracy,
        ranking=ranking,
        log_loss=float(-np.mean(logp[np.arange(len(y[2])), y[2]])),
        seconds=time.perf_counter() - t0,
        extra={"reference_kept": float(on_ref[:, 0].mean())},
    )
