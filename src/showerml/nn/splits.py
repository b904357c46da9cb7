"""Seeded splits of a sample into training / validation (/ test) indices, shared by every model family."""

from __future__ import annotations

import numpy as np

from showerml.errors import InputError

__all__ = ["split_train_val"]


def split_train_val(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded permutation split into (train, validation) indices; at least one of each."""
    if n < 2:
        raise InputError(f"training needs at least 2 samples, got {n}")
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(max(int(round(val_fraction * n)), 1), n - 1)
    return order[n_val:], order[:n_val]
