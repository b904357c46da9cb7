"""The common interface of the anomaly-detection methods, the m_jj regions, and the inputs a method may use.

Every method answers ``fit(inputs) -> self`` and ``score(features) -> array`` (higher = more anomalous), where
``features`` is (N, 5) = (m_jj, m_j1, Δm, τ21 j1, τ21 j2) in GeV as read by :mod:`showerml.io.lhco`. Methods use the
four auxiliary features x = (m_j1, Δm, τ21 j1, τ21 j2) and, where the method needs it, m_jj as condition.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError

__all__ = ["MIN_EVENTS", "MIN_SIDEBAND", "AnomalyInputs", "AnomalyMethod", "MethodConfig", "Regions", "aux_features"]

MIN_EVENTS = 10  # fewest events of a sample a classifier may be trained on
MIN_SIDEBAND = 20  # fewest sideband events: the density estimates of ANODE and CATHODE need 20


def aux_features(features: np.ndarray) -> np.ndarray:
    """x = (m_j1, Δm in TeV, τ21 j1, τ21 j2): TeV keeps the network inputs O(1) before standardisation."""
    x = np.asarray(features, dtype=np.float64)[:, 1:5].copy()
    x[:, :2] /= 1000.0
    return x


@dataclass(frozen=True)
class Regions:
    """Signal region [sr_lo, sr_hi) in m_jj (GeV) and sidebands [sb_lo, sr_lo) ∪ [sr_hi, sb_hi).

    ``sb_lo``/``sb_hi`` = None take everything outside the SR (the CATHODE convention).
    """

    sr_lo: float = 3300.0
    sr_hi: float = 3700.0
    sb_lo: float | None = None
    sb_hi: float | None = None

    def __post_init__(self) -> None:
        if not (0 < self.sr_lo < self.sr_hi):
            raise InputError(
                f"signal region must be 0 < low < high, got {self.sr_lo / 1000:g}–{self.sr_hi / 1000:g} TeV"
            )
        if self.sb_lo is not None and self.sb_lo >= self.sr_lo:
            raise InputError("the lower sideband edge must lie below the signal region")
        if self.sb_hi is not None and self.sb_hi <= self.sr_hi:
            raise InputError("the upper sideband edge must lie above the signal region")

    def in_sr(self, mjj: np.ndarray) -> np.ndarray:
        return (mjj >= self.sr_lo) & (mjj < self.sr_hi)

    def in_sb(self, mjj: np.ndarray) -> np.ndarray:
        lo = -np.inf if self.sb_lo is None else self.sb_lo
        hi = np.inf if self.sb_hi is None else self.sb_hi
        return ((mjj >= lo) & (mjj < self.sr_lo)) | ((mjj >= self.sr_hi) & (mjj < hi))

    def describe(self) -> str:
        lo = "0" if self.sb_lo is None else f"{self.sb_lo / 1000:g}"
        hi = "∞" if self.sb_hi is None else f"{self.sb_hi / 1000:g}"
        return f"SR {self.sr_lo / 1000:g}–{self.sr_hi / 1000:g} TeV, sidebands {lo}–{hi} TeV outside it"


@dataclass
class AnomalyInputs:
    """What a method may see at training time.

    ``data``: the observed events (N, 5) — background plus any injected signal, labels hidden.
    ``reference``: an independent, perfectly modelled background sample (N_ref, 5) — idealized AD and supervised.
    ``signal``: a labelled signal sample (N_sig, 5) — supervised only.
    ``validation``: observed events of the same kind as ``data`` kept apart for early stopping (the official
    ``innerdata_val``/``outerdata_val`` split); without it each network stops on a random 20 % of its own inputs.
    """

    data: np.ndarray
    regions: Regions
    reference: np.ndarray | None = None
    signal: np.ndarray | None = None
    validation: np.ndarray | None = None

    def sr(self, array: np.ndarray) -> np.ndarray:
        return array[self.regions.in_sr(array[:, 0])]

    def sb(self, array: np.ndarray) -> np.ndarray:
        return array[self.regions.in_sb(array[:, 0])]

    def need(self, what: str, method: str) -> np.ndarray:
        array = getattr(self, what)
        if array is None or len(self.sr(array)) < MIN_EVENTS:
            raise InputError(f"{method} needs a {what} sample with events in the signal region")
        return array

    def missing(self, needs: tuple[str, ...]) -> tuple[str, str] | None:
        """The first of ``needs`` ("reference", "signal", "sidebands") these inputs lack and what it takes, in words;
        None if nothing is missing."""
        for what in needs:
            if what == "sidebands":
                n_sb = int(np.sum(self.regions.in_sb(self.data[:, 0])))
                if n_sb < MIN_SIDEBAND:
                    return what, (f"sideband data (events outside the SR {self.regions.sr_lo / 1000:g}–"
                                  f"{self.regions.sr_hi / 1000:g} TeV; the data hold {n_sb}, at least {MIN_SIDEBAND} "
                                  "needed)")
            else:
                array = getattr(self, what)
                n = 0 if array is None else len(self.sr(array))
                if n < MIN_EVENTS:
                    return what, f"a {what} sample with at least {MIN_EVENTS} events in the SR (has {n})"
        return None

    def validation_part(self, region: str, minimum: int = MIN_EVENTS) -> np.ndarray | None:
        """The SR or SB ("sr"/"sb") part of ``validation``, or None without enough events there."""
        if self.validation is None:
            return None
        part = self.sr(self.validation) if region == "sr" else self.sb(self.validation)
        return part if len(part) >= minimum else None


@dataclass
class MethodConfig:
    """Knobs shared by the methods; defaults follow CATHODE's scale, shrunk for a laptop CPU."""

    classifier: str = "mlp"  # "mlp" or "bdt" (sklearn HistGradientBoosting)
    n_models: int = 5  # classifier ensemble size
    hidden: tuple[int, ...] = (64, 64, 64)
    epochs: int = 100
    patience: int = 10
    batch_size: int = 256
    lr: float = 1e-3
    flow_transforms: int = 4
    flow_hidden: tuple[int, ...] = (64, 64)
    flow_epochs: int = 100
    flow_batch_size: int = 512
    oversample: int = 4  # CATHODE: samples per SR data event
    seed: int = 0
    progress: bool = False

    def __post_init__(self) -> None:
        if self.classifier not in ("mlp", "bdt"):
            raise InputError(f"unknown classifier '{self.classifier}': use mlp or bdt")
        for name in ("n_models", "epochs", "patience", "batch_size", "flow_transforms", "flow_epochs", "oversample"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")


class AnomalyMethod(ABC):
    """One anomaly-detection method: ``fit(inputs)`` then ``score(features)``."""

    name: str = ""
    needs: tuple[str, ...] = ()  # what the method needs beyond the data: "reference", "signal", "sidebands"

    def __init__(self, config: MethodConfig | None = None) -> None:
        self.config = config or MethodConfig()

    @abstractmethod
    def fit(self, inputs: AnomalyInputs) -> AnomalyMethod:
        """Train on what the method may see (see :class:`AnomalyInputs`)."""

    @abstractmethod
    def score(self, features: np.ndarray) -> np.ndarray:
        """Anomaly score per event (N, 5) → (N,), higher = more signal-like."""
