"""Every integrand call counted against the budget, and every returned value checked.

A :class:`CountedIntegrand` wraps f: it refuses to evaluate past the budget (:class:`BudgetExhausted`, an internal
signal, not a user error), and turns an integrand that returns the wrong shape, NaN/inf or (where the method needs
f ≥ 0: importance sampling and unweighting) negative values into a one-line :class:`~showerml.errors.InputError`.
"""

from __future__ import annotations

import numpy as np

from showerml.errors import InputError
from showerml.integration.integrands import Integrand

__all__ = ["BudgetExhausted", "CountedIntegrand"]


class BudgetExhausted(RuntimeError):
    """Raised when an evaluation would exceed the call budget (caught by the integrators)."""


class CountedIntegrand:
    """f with a call counter and a hard budget; ``calls`` is the number of points evaluated so far."""

    def __init__(self, integrand: Integrand, budget: int) -> None:
        self.integrand = integrand
        self.budget = int(budget)
        self.calls = 0

    @property
    def remaining(self) -> int:
        return self.budget - self.calls

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        if self.calls + n > self.budget:
            raise BudgetExhausted(f"{self.calls} + {n} calls exceed the budget of {self.budget}")
        self.calls += n
        return check_values(self.integrand, x, self.integrand.fn(x))


def check_values(integrand: Integrand, x: np.ndarray, f: object) -> np.ndarray:
    """f(x) as a float64 (n,) array ≥ 0, or a one-line InputError naming the integrand and the first bad point."""
    name = integrand.name
    try:
        values = np.asarray(f, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"integrand {name} returned {type(f).__name__}, not an array of numbers") from None
    n = len(x)
    if values.shape != (n,):
        raise InputError(f"integrand {name} returned shape {values.shape} for {n} points of dimension "
                         f"{x.shape[1]}; it must return one value per point, shape ({n},)")
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"integrand {name} returned {values[i]} at {bad.sum()} of {n} points (first x = "
                         f"{np.array2string(x[i], precision=4)}); it must be finite everywhere on [0, 1]^{x.shape[1]}")
    neg = values < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise InputError(f"integrand {name} is negative ({values[i]:.4g}) at {neg.sum()} of {n} points (first x = "
                         f"{np.array2string(x[i], precision=4)}); importance sampling and unweighting need f ≥ 0 "
                         "(integrate f⁺ and f⁻ separately)")
    return values
