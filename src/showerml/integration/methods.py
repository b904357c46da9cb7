"""The integrators by name, all with the same call: (integrand, calls, seed, keep_points) → IntegrationResult."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from showerml.errors import InputError
from showerml.integration.integrands import Integrand
from showerml.integration.madnis_baseline import MadnisConfig, integrate_madnis
from showerml.integration.nis import NISConfig, integrate_nis
from showerml.integration.results import IntegrationResult
from showerml.integration.vegas_baseline import VegasConfig, integrate_vegas

__all__ = ["METHODS", "Runner", "parse_methods", "runners"]

METHODS = ("nis", "vegas", "madnis")

Runner = Callable[[Integrand, int, int, bool], IntegrationResult]


def parse_methods(text: str) -> list[str]:
    names = list(METHODS) if text.strip() == "all" else [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in METHODS]
    if bad or not names:
        raise InputError(f"--method takes nis, vegas, madnis, a comma list or all; got '{text}'")
    return names


def runners(nis: NISConfig, train_fraction: float | None = None) -> dict[str, Runner]:
    """One runner per method sharing the batch size, training fraction and buffered steps of ``nis``."""
    frac = nis.train_fraction if train_fraction is None else train_fraction
    nis = replace(nis, train_fraction=frac)
    vegas_cfg = VegasConfig(train_fraction=frac)
    madnis_cfg = MadnisConfig(batch=nis.batch, train_fraction=frac, buffered_steps=nis.buffered_steps,
                              buffer_batches=nis.buffer_batches, learning_rate=nis.learning_rate,
                              eval_batch=nis.eval_batch)
    return {
        "nis": lambda g, n, s, keep: integrate_nis(g, n, s, nis, keep),
        "vegas": lambda g, n, s, keep: integrate_vegas(g, n, s, vegas_cfg, keep),
        "madnis": lambda g, n, s, keep: integrate_madnis(g, n, s, madnis_cfg, keep),
    }
