"""The classifier test: a neural network trained to tell reference from generated showers.

By the Neyman–Pearson lemma the optimal classifier output is a monotone function of the likelihood ratio
p_gen/p_ref, so it sees every difference, including correlations (Krause & Shih, CaloFlow, arXiv:2106.05285;
CaloChallenge 2022, arXiv:2410.21611). Protocol here:

1. balance the two samples (same count), split each 60 / 20 / 20 into train / validation / test, and store the
   (standardised) inputs once, in float16 by default (:mod:`showerml.metrics.classifier_data`: bounded memory,
   files read in chunks);
2. train a network (an MLP, or for voxels the layer-projection network) with binary cross-entropy through the
   shared training loop (:func:`showerml.nn.train`), keeping the epoch that is best on the validation set — by its
   loss, or by its accuracy as the CaloChallenge does;
3. calibrate on the validation set with isotonic regression (Zadrozny & Elkan 2002) so that outputs are
   probabilities;
4. on the balanced test set report the AUC (of the raw scores, or of the calibrated ones as the CaloChallenge
   does; both are returned) and ``JSD = ln 2 − BCE_calibrated`` (nats) — the Jensen–Shannon divergence the optimal
   classifier's loss estimates (Goodfellow et al. 2014) — also given in bits, ``JSD / ln 2 ∈ [0, 1]``. On finite
   test sets it can dip slightly below 0 for identical samples.

:func:`voxel_classifier_test` runs the voxel-level test in one of two named modes (:data:`VOXEL_MODES`):

- ``"calochallenge"``: the challenge's low-level classifier (code/evaluate.py of its homepage repository):
  inputs ``[log10 E_inc, E_v/E_inc]`` after its voxel threshold, unstandardised; an MLP of 3 hidden layers of
  2048 LeakyReLU(0.01) units, no dropout; Adam, lr 2·10⁻⁴, batch 1000, 50 epochs, no early stopping; the epoch of
  best validation accuracy is kept; isotonic calibration on the validation set; AUC of the calibrated scores.
  Deliberate differences: 60/20/20 fractions of the smaller sample instead of the fixed 60k/20k/20k showers (the
  official script needs 100k per file), a seeded split, inputs stored in float16 after per-column scaling and
  restored batch by batch (rounding 5·10⁻⁴ of each column's spread; ``storage="float32"`` for the exact inputs),
  float32 arithmetic (the official script sets torch's default dtype to float64, about twice the CPU time), and no
  stop at validation accuracy 1. The official script seeds nothing, so its figures vary from run to run; the
  two tools' AUC and JSD are compared, with that spread, in docs/evaluation.md. ``hidden`` and ``epochs`` in
  :func:`calochallenge_voxel_config` take its ``--cls_n_hidden``/``--cls_n_layer`` (``hidden = (n_hidden,) ×
  (n_layer + 1)``) and ``--cls_n_epochs``.
- ``"showerml"``: :func:`~showerml.features.voxel_inputs` (linear ``E_v/E_inc`` with layer-wise standardisation plus
  the layer energies outright) into a :class:`~showerml.metrics.classifier_nets.LayerProjectionNet` trained with
  :func:`showerml_voxel_config`: the network can form every high-level feature, and the epoch of lowest validation
  loss over all epochs is kept (no early stop before the model has seen a small distortion).

:func:`multiclass_test` is the K+1-class version (softmax over the reference and K generators; CaloChallenge
report, sec. 4): a generator whose showers the classifier cannot tell from the reference's takes a large share of
the probability on reference showers. Generators are ranked by that share.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score
from torch import nn

from showerml.errors import InputError
from showerml.features.inputs import (
    calochallenge_min_energy,
    calochallenge_voxel_inputs,
    voxel_input_groups,
    voxel_inputs,
)
from showerml.io.showers import ShowerData, ShowerFile
from showerml.metrics.classifier_data import CHUNK, ClassifierData, Source, Transform, build_classifier_data
from showerml.metrics.classifier_nets import LayerProjectionNet, leaky_mlp
from showerml.metrics.classifier_results import ClassifierResult, MulticlassResult
from showerml.metrics.scratch import MatrixFile
from showerml.nn.training import TrainConfig, train

__all__ = [
    "CHALLENGE_RECIPES",
    "VOXEL_MODES",
    "ClassifierConfig",
    "ClassifierResult",
    "MulticlassResult",
    "calochallenge_recipe",
    "calochallenge_voxel_config",
    "classifier_test",
    "multiclass_test",
    "showerml_voxel_config",
    "voxel_classifier_test",
]

_EPS = 1e-6
MIN_PER_CLASS = 50
VOXEL_MODES = ("showerml", "calochallenge")


@dataclass
class ClassifierConfig:
    """Network and training settings of the classifier test.

    ``selection``: keep the epoch of lowest validation ``"loss"`` or of highest validation ``"accuracy"``;
    ``auc_from``: AUC of the ``"raw"`` or the isotonic-``"calibrated"`` test scores; ``storage``: dtype of the stored
    inputs; ``standardise``: z-score the inputs with training statistics (see
    :mod:`showerml.metrics.classifier_data`).
    """

    hidden: tuple[int, ...] = (256, 256)
    dropout: float = 0.1
    epochs: int = 40
    batch_size: int = 256
    lr: float = 5e-4
    weight_decay: float = 1e-5
    patience: int = 6
    fractions: tuple[float, float] = (0.6, 0.2)  # train, validation; the rest is the test set
    progress: bool = False
    leaky_slope: float = 0.2
    lr_schedule: str = "constant"
    selection: str = "loss"
    auc_from: str = "raw"
    storage: str = "float16"
    standardise: bool = True
    architecture: str = "mlp"
    projections: int = 8

    def __post_init__(self) -> None:
        if self.selection not in ("loss", "accuracy"):
            raise InputError(f"unknown model selection '{self.selection}': use loss or accuracy")
        if self.auc_from not in ("raw", "calibrated"):
            raise InputError(f"unknown AUC source '{self.auc_from}': use raw or calibrated")
        if self.architecture not in ("mlp", "layer_projection"):
            raise InputError(f"unknown architecture '{self.architecture}': use mlp or layer_projection")
        if self.storage not in ("float16", "float32"):
            raise InputError(f"unknown input storage '{self.storage}': use float16 or float32")


def calochallenge_voxel_config(**changes: object) -> ClassifierConfig:
    """The CaloChallenge low-level classifier's settings (module docstring), with optional ``changes``."""
    cfg = ClassifierConfig(
        hidden=(2048, 2048, 2048),
        dropout=0.0,
        epochs=50,
        batch_size=1000,
        lr=2e-4,
        weight_decay=0.0,
        patience=51,
        leaky_slope=0.01,
        selection="accuracy",
        auc_from="calibrated",
        standardise=False,
    )
    return replace(cfg, **changes)  # type: ignore[arg-type]


#: named recipes of the CaloChallenge classifier as the official script's ``(--cls_n_hidden, --cls_n_layer,
#: --cls_n_epochs)``: its defaults, and the cut-down recipe of the side-by-side comparison in docs/evaluation.md
CHALLENGE_RECIPES: dict[str, tuple[int, int, int]] = {"official": (2048, 2, 50), "reduced": (256, 2, 20)}
#: accepted ranges of a recipe's hidden units, ``n_layer`` and epochs (inclusive)
RECIPE_LIMITS: dict[str, tuple[int, int]] = {"hidden": (1, 16_384), "layers": (0, 32), "epochs": (1, 10_000)}


def calochallenge_recipe(
    recipe: str = "official",
    n_hidden: int | None = None,
    n_layer: int | None = None,
    epochs: int | None = None,
) -> ClassifierConfig:
    """The challenge's classifier (:func:`calochallenge_voxel_config`) at a named size (:data:`CHALLENGE_RECIPES`),
    each of ``n_hidden``, ``n_layer``, ``epochs`` replacing the recipe's value when given.

    As in the official script, ``n_layer`` counts the hidden layers after the first: the network has ``n_layer + 1``
    hidden layers of ``n_hidden`` units; every epoch is run (no early stop) and the best one by validation accuracy
    kept. A bad name or an out-of-range value (:data:`RECIPE_LIMITS`) is an :class:`InputError`.
    """
    if recipe not in CHALLENGE_RECIPES:
        raise InputError(f"unknown classifier recipe '{recipe}': use {' or '.join(CHALLENGE_RECIPES)}")
    base = dict(zip(("hidden", "layers", "epochs"), CHALLENGE_RECIPES[recipe], strict=True))
    given = {"hidden": n_hidden, "layers": n_layer, "epochs": epochs}
    for key, value in given.items():
        if value is None:
            continue
        lo, hi = RECIPE_LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise InputError(f"--classifier-{key} must be an integer from {lo} to {hi}, got {value!r}")
        base[key] = value
    return calochallenge_voxel_config(
        hidden=(base["hidden"],) * (base["layers"] + 1), epochs=base["epochs"], patience=base["epochs"] + 1
    )


def showerml_voxel_config(**changes: object) -> ClassifierConfig:
    """showerml's voxel classifier settings, with optional ``changes``: the layer-projection network (8 projections
    per layer, then 2 × 256 LeakyReLU units, dropout 0.2), Adam lr 10⁻³ with cosine decay, batch 512, weight decay
    10⁻⁴, 20 epochs without early stopping, the epoch of lowest validation loss kept.

    Measured on 20k vs 20k simulated showers with one sample's layer energies × 1.05: a plain 256 × 256 MLP on the
    same inputs overfits dataset 2 from epoch 2 (validation BCE 0.686 → 0.715 at lr 10⁻³), the layer-projection
    network reaches a lower validation BCE (0.677) before it does, and its test AUC is 0.626 on dataset 2 at the
    challenge's energy scale (0.502 on the independent pair); in the CaloGAN geometry both see the scale (AUC 0.93;
    0.93 with 3,000 showers and 8 epochs for the projection network, 0.91 for the MLP)."""
    cfg = ClassifierConfig(
        hidden=(256, 256),
        dropout=0.2,
        epochs=20,
        batch_size=512,
        lr=1e-3,
        weight_decay=1e-4,
        patience=21,
        lr_schedule="cosine",
        selection="loss",
        architecture="layer_projection",
        projections=8,
    )
    return replace(cfg, **changes)  # type: ignore[arg-type]


def _data(
    samples: Sequence[Source],
    cfg: ClassifierConfig,
    rng: np.random.Generator,
    transform: Transform | None = None,
    groups: np.ndarray | None = None,
    scratch: str | os.PathLike[str] | None = None,
    chunk: int = CHUNK,
) -> ClassifierData:
    return build_classifier_data(
        samples,
        cfg.fractions,
        rng,
        transform,
        groups,
        cfg.standardise,
        torch.float16 if cfg.storage == "float16" else torch.float32,
        min_per_class=MIN_PER_CLASS,
        chunk=chunk,
        scratch=scratch,
    )


def _fit(
    data: ClassifierData,
    cfg: ClassifierConfig,
    seed: int,
    description: str,
    layer_sizes: Sequence[int] | None = None,
) -> tuple[nn.Module, int, int]:
    torch.manual_seed(seed)
    n_out = 1 if data.n_classes == 2 else data.n_classes
    model: nn.Module
    if cfg.architecture == "layer_projection":
        if layer_sizes is None:
            raise InputError("the layer-projection network needs voxel inputs of a geometry (voxel_classifier_test)")
        model = LayerProjectionNet(
            layer_sizes, data.n_inputs, n_out, cfg.projections, cfg.hidden, cfg.dropout, cfg.leaky_slope
        )
    else:
        model = leaky_mlp(data.n_inputs, n_out, cfg.hidden, cfg.dropout, cfg.leaky_slope)
    by_accuracy = cfg.selection == "accuracy"

    def loss_fn(m: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        out = m(data.inputs(batch[0]))
        if n_out == 1:
            out = out.squeeze(-1)
            if by_accuracy and not m.training:  # the loop's validation "loss": the error rate
                return ((out > 0).long() != batch[1]).float().mean()
            return nn.functional.binary_cross_entropy_with_logits(out, batch[1].float())
        if by_accuracy and not m.training:
            return (out.argmax(dim=1) != batch[1]).float().mean()
        return nn.functional.cross_entropy(out, batch[1])

    tcfg = TrainConfig(
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        patience=cfg.patience,
        lr_schedule=cfg.lr_schedule,
        seed=seed,
        progress=cfg.progress,
        description=description,
    )
    result = train(model, loss_fn, data.part(0), data.part(1), tcfg)
    return model, result.epochs_run, result.best_epoch + 1


@torch.no_grad()
def _predict(model: nn.Module, data: ClassifierData, k: int, chunk: int = 8192) -> np.ndarray:
    """The network's outputs on split ``k``, ``chunk`` rows at a time."""
    model.eval()
    out = [model(data.inputs(x)) for x in data.stored_chunks(k, chunk)]
    return torch.cat(out).numpy().astype(np.float64)


def _binary(
    samples: Sequence[Source],
    cfg: ClassifierConfig,
    seed: int,
    description: str,
    transform: Transform | None = None,
    groups: np.ndarray | None = None,
    layer_sizes: Sequence[int] | None = None,
    scratch: str | os.PathLike[str] | None = None,
    chunk: int = CHUNK,
) -> ClassifierResult:
    t0 = time.perf_counter()
    data = _data(samples, cfg, np.random.default_rng(seed), transform, groups, scratch, chunk)
    try:
        model, epochs, best = _fit(data, cfg, seed, description, layer_sizes)
        y_val, y_test = data.labels(1), data.labels(2)
        score_val, score_test = _predict(model, data, 1)[:, 0], _predict(model, data, 2)[:, 0]
    finally:
        data.discard()
    iso = IsotonicRegression(y_min=_EPS, y_max=1 - _EPS, out_of_bounds="clip").fit(score_val, y_val)
    p = np.clip(iso.predict(score_test), _EPS, 1 - _EPS)
    bce = float(-np.mean(y_test * np.log(p) + (1 - y_test) * np.log1p(-p)))
    jsd = float(np.log(2.0) - bce)
    auc_raw, auc_cal = float(roc_auc_score(y_test, score_test)), float(roc_auc_score(y_test, p))
    return ClassifierResult(
        auc=auc_raw if cfg.auc_from == "raw" else auc_cal,
        bce=bce,
        jsd_nats=jsd,
        jsd_bits=jsd / float(np.log(2.0)),
        n_train=data.n_classes * data.sizes[0],
        n_test=len(y_test),
        epochs=epochs,
        seconds=time.perf_counter() - t0,
        auc_raw=auc_raw,
        auc_calibrated=auc_cal,
        best_epoch=best,
        input_mb=data.nbytes / 2**20,
    )


def classifier_test(
    reference: np.ndarray | MatrixFile,
    generated: np.ndarray | MatrixFile,
    config: ClassifierConfig | None = None,
    seed: int = 0,
    description: str = "classifier",
    scratch: str | os.PathLike[str] | None = None,
) -> ClassifierResult:
    """Train reference (label 0) vs generated (label 1) on ``(N, d)`` inputs (arrays or scratch matrix files); AUC
    and JSD on the test split. ``scratch``: stream the stored inputs through this folder (bounded memory)."""
    return _binary([reference, generated], config or ClassifierConfig(), seed, description, scratch=scratch)


def voxel_classifier_test(
    reference: ShowerData | ShowerFile,
    generated: ShowerData | ShowerFile,
    mode: str = "showerml",
    config: ClassifierConfig | None = None,
    seed: int = 0,
    description: str = "voxel classifier",
    progress: bool = False,
    scratch: str | os.PathLike[str] | None = None,
    chunk: int = CHUNK,
) -> ClassifierResult:
    """The voxel-level classifier test in ``mode`` (:data:`VOXEL_MODES`, see the module docstring) on showers in
    memory or in files (read in chunks; memory ≈ the stored inputs, 2 bytes × 2n × inputs); ``config`` replaces the
    mode's settings; ``scratch`` streams the stored inputs through that folder, files read ``chunk`` showers at a
    time."""
    if mode not in VOXEL_MODES:
        raise InputError(f"unknown voxel classifier mode '{mode}': use {' or '.join(VOXEL_MODES)}")
    geometry = reference.geometry
    if generated.geometry.n_voxels != geometry.n_voxels:
        raise InputError(
            f"the samples have {geometry.n_voxels} and {generated.geometry.n_voxels} voxels; "
            "compare showers of the same detector binning"
        )
    if mode == "calochallenge":
        threshold = calochallenge_min_energy(geometry)

        def transform(d: ShowerData) -> np.ndarray:
            return calochallenge_voxel_inputs(d, threshold)

        cfg, groups = config or calochallenge_voxel_config(), None
    else:
        transform = voxel_inputs  # type: ignore[assignment]  # same signature, another function
        cfg, groups = config or showerml_voxel_config(), voxel_input_groups(geometry)
    if progress:
        cfg = replace(cfg, progress=True)
    return _binary(
        [reference, generated], cfg, seed, description, transform, groups, geometry.layer_sizes, scratch, chunk
    )


def multiclass_test(
    reference: np.ndarray | MatrixFile,
    generated: Sequence[np.ndarray | MatrixFile],
    labels: Sequence[str],
    config: ClassifierConfig | None = None,
    seed: int = 0,
    description: str = "multiclass",
    scratch: str | os.PathLike[str] | None = None,
) -> MulticlassResult:
    """Softmax classifier over the reference (class 0) and K generators; ranks generators by how much probability
    they take on reference test showers (their "reference share"; 1/(K+1) each if all are perfect)."""
    cfg = config or ClassifierConfig()
    if len(generated) != len(labels) or len(generated) < 1:
        raise InputError("give one label per generated sample, and at least one generated sample")
    t0 = time.perf_counter()
    data = _data([reference, *generated], cfg, np.random.default_rng(seed), scratch=scratch)
    try:
        model, _, _ = _fit(data, cfg, seed, description)
        y_test = data.labels(2)
        logits = _predict(model, data, 2)
    finally:
        data.discard()
    if logits.shape[1] == 1:  # one generator: a binary network; logit of class 1
        logits = np.concatenate([np.zeros_like(logits), logits], axis=1)
    logp = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    prob = np.exp(logp)
    on_ref = prob[y_test == 0]
    share = {lab: float(on_ref[:, k + 1].mean()) for k, lab in enumerate(labels)}
    pred = prob.argmax(axis=1)
    accuracy = {lab: float(np.mean(pred[y_test == k + 1] == k + 1)) for k, lab in enumerate(labels)}
    ranking = sorted(labels, key=lambda lab: -share[lab])
    return MulticlassResult(
        labels=list(labels),
        reference_share=share,
        accuracy=accuracy,
        ranking=ranking,
        log_loss=float(-np.mean(logp[np.arange(len(y_test)), y_test])),
        seconds=time.perf_counter() - t0,
        extra={"reference_kept": float(on_ref[:, 0].mean())},
    )
