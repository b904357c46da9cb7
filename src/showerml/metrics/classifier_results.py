"""What a classifier test returns, as frozen records (no torch here: the report and ``metrics.json`` readers use them).

:class:`ClassifierResult` is one binary test (reference vs generated): the AUC, the calibrated binary cross-entropy
on the balanced test set and ``JSD = ln 2 − BCE`` (Goodfellow et al. 2014), in nats and in bits (``JSD / ln 2 ∈
[0, 1]``). :class:`MulticlassResult` is the K+1-class ranking (CaloChallenge 2022 report, arXiv:2410.21611, sec. 4).
Both are :class:`~showerml.io.records.Record`: ``to_json()`` / ``from_json()`` round trips, attributes not keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from showerml.io.records import Record

__all__ = ["ClassifierResult", "MulticlassResult"]


@dataclass(frozen=True, kw_only=True)
class ClassifierResult(Record):
    """AUC (per the config's ``auc_from``; both kinds also given), calibrated BCE and JSD on the test set, sizes,
    epochs run, best epoch (1-based), the stored inputs' size (MiB) and the wall time (s)."""

    auc: float
    bce: float
    jsd_nats: float
    jsd_bits: float
    n_train: int
    n_test: int
    epochs: int
    seconds: float
    auc_raw: float = math.nan
    auc_calibrated: float = math.nan
    best_epoch: int = 0
    input_mb: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values (:meth:`to_json`)."""
        return self.to_json()


@dataclass(frozen=True, kw_only=True)
class MulticlassResult(Record):
    """Per-generator mean probability on reference test showers (ideal 1/(K+1)), accuracy on its own showers, the
    ranking (best first), the test log-loss and the wall time."""

    labels: list[str]
    reference_share: dict[str, float]
    accuracy: dict[str, float]
    ranking: list[str]
    log_loss: float
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values (:meth:`to_json`)."""
        return self.to_json()
