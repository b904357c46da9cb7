"""Fréchet and kernel physics distances (FPD, KPD) between two samples of high-level features.

Following Kansal, Li, Duarte et al., "Evaluating generative models in high energy physics", Phys. Rev. D 107,
076017 (2023), arXiv:2211.10295:

- Fréchet distance of Gaussians fitted to the samples,
  ``FD = |μ₁ − μ₂|² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})``. Its estimate on N showers is biased by a term ∝ 1/N, so FPD
  is FD averaged over random batches at several N, fitted linearly in 1/N and extrapolated to 1/N = 0 (the
  FID_∞ idea of Chong & Forsyth, arXiv:1911.07023). Its error is the intercept's standard error from the fit.
- KPD is the unbiased estimator of the squared maximum mean discrepancy (Gretton et al., JMLR 13 (2012) 723)
  with the cubic polynomial kernel ``k(x, y) = (x·y / d + 1)³`` (d features),
  ``MMD²_u = Σ_{i≠j} k(x_i, x_j)/(m(m−1)) + Σ_{i≠j} k(y_i, y_j)/(n(n−1)) − 2 Σ_{i,j} k(x_i, y_j)/(mn)``,
  computed on several batches; the value is the median, the error half the 16–84 % inter-quantile range.

Features are standardised with the reference sample's mean and standard deviation before either distance
(the paper scales by the reference's maximum; centring as well keeps the cubic kernel from being dominated by
feature offsets, and FD does not depend on it).

:func:`challenge_fpd` and :func:`challenge_kpd` are the CaloChallenge 2022 evaluation's settings instead
(``code/evaluate.py``: ``jetnet.evaluation.fpd(..., min_samples=10000)`` and ``kpd(..., batch_size=10000)``, jetnet
0.2.5 defaults otherwise): features divided by the reference's per-feature max |x|; FPD on 10 batch sizes from
10,000 to 50,000 (even in 1/N), 20 batches each drawn *with* replacement, the line fitted with intercept and slope
bounded at ≥ 0 (so FPD is never negative); KPD with the quartic kernel ``(x·y/d + 1)⁴`` on 10 batches of 10,000
drawn with replacement, each from its own generator seeded ``seed + 1000 i``; median and half the 16.275–83.725 %
inter-quantile range. With the same seed (42 by default) the batches are the ones jetnet draws.

Every distance takes its samples as arrays in memory or as :class:`~showerml.metrics.scratch.MatrixFile` (a
streaming evaluation's features on disk): then the normalisation comes from the file's column statistics and each
batch's rows are gathered from the file, several batches per pass, at most ``max_bytes`` of them at a time; the
batches drawn are the same for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from showerml.errors import InputError
from showerml.metrics.scratch import MatrixFile

__all__ = [
    "DistanceResult",
    "challenge_fpd",
    "challenge_kpd",
    "frechet_distance",
    "fpd",
    "kpd",
    "mmd2_unbiased",
    "standardise_pair",
]


@dataclass(frozen=True)
class DistanceResult:
    """A distance with its error; ``values`` are the per-point / per-batch values it came from."""

    value: float
    error: float
    values: tuple[float, ...] = ()
    batch_sizes: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "error": self.error}


def _check(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    y = y[:, None] if y.ndim == 1 else y
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise InputError(f"feature arrays must be (N, d) with the same d, got {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError("features hold NaN or inf")
    return x, y


#: a sample of features: ``(N, d)`` in memory, or a matrix on disk
Sample = np.ndarray | MatrixFile
MAX_BYTES = 1 << 30


@dataclass
class _Rows:
    """A sample to draw batches from; a matrix file's rows (or an array's, when the other sample is a file) are
    normalised as they are gathered, ``(x − shift) / scale``."""

    data: Sample
    shift: np.ndarray | None = None
    scale: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.data)

    @property
    def d(self) -> int:
        return int(self.data.shape[1])

    def take(self, indices: list[np.ndarray]) -> list[np.ndarray]:
        if self.shift is None and self.scale is None and isinstance(self.data, np.ndarray):
            return [self.data[i] for i in indices]
        got = self.data.take_many(indices) if isinstance(self.data, MatrixFile) else [self.data[i] for i in indices]
        out = []
        for g in got:
            g = np.asarray(g, dtype=np.float64)
            if self.shift is not None:
                g = g - self.shift
            if self.scale is not None:
                g = g / self.scale
            out.append(g)
        return out


def _streamed(*samples: Sample) -> bool:
    return any(isinstance(a, MatrixFile) for a in samples)


def _stats(a: Sample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column mean, standard deviation and max |x| of a sample."""
    if isinstance(a, MatrixFile):
        return a.mean, a.std, a.abs_max
    x = np.asarray(a, dtype=np.float64)
    return x.mean(axis=0), x.std(axis=0), np.max(np.abs(x), axis=0)


def _check_files(x: Sample, y: Sample) -> None:
    for a in (x, y):
        if not isinstance(a, MatrixFile):
            _check(np.asarray(a), np.asarray(a))  # finite, 2-D
    if x.shape[1] != y.shape[1]:
        raise InputError(f"feature arrays must be (N, d) with the same d, got {x.shape} and {y.shape}")


def _standardised(reference: Sample, generated: Sample, normalise: bool) -> tuple[_Rows, _Rows]:
    """Both samples standardised by the reference's column mean and std (as :func:`standardise_pair`)."""
    if not (isinstance(reference, MatrixFile) or isinstance(generated, MatrixFile)):
        x, y = standardise_pair(reference, generated) if normalise else _check(reference, generated)
        return _Rows(x), _Rows(y)
    _check_files(reference, generated)
    if not normalise:
        return _Rows(reference, np.zeros(reference.shape[1])), _Rows(generated, np.zeros(reference.shape[1]))
    mu, sd, _ = _stats(reference)
    sd = np.where(sd > 0, sd, 1.0)
    return _Rows(reference, mu, sd), _Rows(generated, mu, sd)


def _max_normalised(reference: Sample, generated: Sample) -> tuple[_Rows, _Rows]:
    """Both samples divided by the reference's per-column max |x| (as the challenge's jetnet settings)."""
    if not (isinstance(reference, MatrixFile) or isinstance(generated, MatrixFile)):
        x, y = _max_normalise(reference, generated)
        return _Rows(x), _Rows(y)
    _check_files(reference, generated)
    m = _stats(reference)[2].copy()
    m[m == 0] = 1.0
    return _Rows(reference, None, m), _Rows(generated, None, m)


def _batches(
    x: _Rows, y: _Rows, draws: list[tuple[np.ndarray, np.ndarray]], max_bytes: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The rows of each drawn pair of index arrays, gathered a few pairs at a time (at most ``max_bytes``)."""
    if not draws:
        return
    per = 8 * x.d * (len(draws[0][0]) + len(draws[0][1]))
    group = max(1, max_bytes // max(per, 1)) if _streamed(x.data, y.data) else 1
    for start in range(0, len(draws), group):
        part = draws[start : start + group]
        xs, ys = x.take([i for i, _ in part]), y.take([j for _, j in part])
        yield from zip(xs, ys, strict=True)


def standardise_pair(reference: np.ndarray, generated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both samples shifted and scaled by the reference's per-feature mean and std (constant features kept at 0)."""
    x, y = _check(reference, generated)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (x - mu) / sd, (y - mu) / sd


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(0.5 * (a + a.T))
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(x: np.ndarray, y: np.ndarray) -> float:
    """FD between Gaussians fitted to samples ``x`` (N, d) and ``y`` (M, d).

    ``Tr (Σ₁Σ₂)^{1/2}`` is computed as ``Σ √λ`` of the symmetric ``Σ₁^{1/2} Σ₂ Σ₁^{1/2}`` (same eigenvalues).
    """
    x, y = _check(x, y)
    mu1, mu2 = x.mean(axis=0), y.mean(axis=0)
    s1 = np.atleast_2d(np.cov(x, rowvar=False))
    s2 = np.atleast_2d(np.cov(y, rowvar=False))
    r1 = _sqrtm_psd(s1)
    lam = np.linalg.eigvalsh(r1 @ s2 @ r1)
    tr_sqrt = float(np.sum(np.sqrt(np.clip(lam, 0.0, None))))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * tr_sqrt)


def fpd(
    reference: Sample,
    generated: Sample,
    min_samples: int = 20_000,
    max_samples: int = 50_000,
    n_points: int = 10,
    n_batches: int = 20,
    seed: int | np.random.Generator = 0,
    normalise: bool = True,
    max_bytes: int = MAX_BYTES,
) -> DistanceResult:
    """Fréchet physics distance extrapolated to infinite sample size, with the fit's standard error.

    Batch sizes run from ``min_samples`` to ``max_samples`` evenly in 1/N, capped at the smaller sample size;
    each batch is drawn without replacement, ``n_batches`` per size.
    """
    x, y = _standardised(reference, generated, normalise)
    n_max = min(max_samples, len(x), len(y))
    n_min = min(min_samples, n_max // 2)
    if n_min < max(2 * x.d, 20):
        raise InputError(
            f"FPD needs at least {2 * max(2 * x.d, 20)} showers per sample for {x.d} features, "
            f"got {min(len(x), len(y))}"
        )
    rng = np.random.default_rng(seed)
    sizes = np.unique((1.0 / np.linspace(1.0 / n_min, 1.0 / n_max, n_points)).astype(int))
    values = []
    for n in sizes:
        draws = [(_pick(len(x), n, rng), _pick(len(y), n, rng)) for _ in range(n_batches)]
        fds = [frechet_distance(a, b) for a, b in _batches(x, y, draws, max_bytes)]
        values.append(float(np.mean(fds)))
    inv = 1.0 / sizes
    coef, cov = np.polyfit(inv, values, 1, cov=True)
    return DistanceResult(
        float(coef[1]), float(np.sqrt(max(cov[1, 1], 0.0))), tuple(values), tuple(int(n) for n in sizes)
    )


def _pick(length: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct rows of ``length``, in random order (a draw without replacement)."""
    return rng.permutation(length)[:n]


def _kernel_sum(a: np.ndarray, b: np.ndarray, rows: int = 1024) -> float:
    """Σ_{i,j} (a_i·b_j / d + 1)³, in row blocks so memory stays O(rows · len(b))."""
    total = 0.0
    for i in range(0, len(a), rows):
        k = a[i : i + rows] @ b.T
        k *= 1.0 / a.shape[1]
        k += 1.0
        total += float(np.einsum("ij,ij,ij->", k, k, k))
    return total


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² of samples ``x`` (m, d) and ``y`` (n, d) with the cubic kernel ``(x·y/d + 1)³``."""
    x, y = _check(x, y)
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise InputError("MMD needs at least two showers per sample")
    d = x.shape[1]
    diag_x = float(np.sum((np.einsum("ij,ij->i", x, x) / d + 1.0) ** 3))
    diag_y = float(np.sum((np.einsum("ij,ij->i", y, y) / d + 1.0) ** 3))
    term_x = (_kernel_sum(x, x) - diag_x) / (m * (m - 1))
    term_y = (_kernel_sum(y, y) - diag_y) / (n * (n - 1))
    return float(term_x + term_y - 2.0 * _kernel_sum(x, y) / (m * n))


def kpd(
    reference: Sample,
    generated: Sample,
    n_batches: int = 10,
    batch_size: int = 5_000,
    seed: int | np.random.Generator = 0,
    normalise: bool = True,
    max_bytes: int = MAX_BYTES,
) -> DistanceResult:
    """Kernel physics distance: median over ``n_batches`` of the unbiased MMD² on batches drawn without replacement.

    (Drawing with replacement would put repeated showers into the i ≠ j sums and bias MMD² upwards by O(1/N).)
    """
    x, y = _standardised(reference, generated, normalise)
    size = min(batch_size, len(x), len(y))
    if size < 2:
        raise InputError("KPD needs at least two showers per sample")
    rng = np.random.default_rng(seed)
    draws = [(_pick(len(x), size, rng), _pick(len(y), size, rng)) for _ in range(n_batches)]
    values = [mmd2_unbiased(a, b) for a, b in _batches(x, y, draws, max_bytes)]
    lo, hi = np.percentile(values, [16.0, 84.0])
    return DistanceResult(float(np.median(values)), float(0.5 * (hi - lo)), tuple(values), (size,))


def _max_normalise(reference: np.ndarray, generated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = _check(reference, generated)
    m = np.max(np.abs(x), axis=0)
    m[m == 0] = 1.0
    return x / m, y / m


def challenge_fpd(
    reference: Sample,
    generated: Sample,
    min_samples: int = 10_000,
    max_samples: int = 50_000,
    n_points: int = 10,
    n_batches: int = 20,
    seed: int = 42,
    max_bytes: int = MAX_BYTES,
) -> DistanceResult:
    """FPD with the CaloChallenge evaluation's settings (module docstring): value ≥ 0 and its fit error."""
    from scipy.optimize import curve_fit

    x, y = _max_normalised(reference, generated)
    sizes = (1.0 / np.linspace(1.0 / min_samples, 1.0 / max_samples, n_points)).astype(np.int32)
    rng = np.random.default_rng(seed)
    values = []
    for n in sizes:
        draws = [(rng.choice(len(x), size=n), rng.choice(len(y), size=n)) for _ in range(n_batches)]
        fds = [frechet_distance(a, b) for a, b in _batches(x, y, draws, max_bytes)]
        values.append(float(np.mean(fds)))
    params, cov = curve_fit(
        lambda t, a, b: a + b * t, 1.0 / sizes, values, bounds=([0.0, 0.0], [np.inf, np.inf])
    )
    return DistanceResult(
        float(params[0]), float(np.sqrt(max(cov[0, 0], 0.0))), tuple(values), tuple(int(n) for n in sizes)
    )


def _quartic_sum(a: np.ndarray, b: np.ndarray, rows: int = 1024) -> tuple[float, float]:
    """(Σ_{i,j} k, Σ_i k_ii) of ``k = (a_i·b_j / d + 1)⁴`` in row blocks (trace meaningful for ``a is b``)."""
    total, trace = 0.0, 0.0
    for i in range(0, len(a), rows):
        k = a[i : i + rows] @ b.T
        k *= 1.0 / a.shape[1]
        k += 1.0
        k *= k
        total += float(np.einsum("ij,ij->", k, k))
        if a is b:
            diag = np.diagonal(k[:, i : i + rows])
            trace += float(np.sum(diag * diag))
    return total, trace


def challenge_kpd(
    reference: Sample,
    generated: Sample,
    n_batches: int = 10,
    batch_size: int = 10_000,
    seed: int = 42,
    max_bytes: int = MAX_BYTES,
) -> DistanceResult:
    """KPD with the CaloChallenge evaluation's settings (module docstring): median MMD² and its error."""
    x, y = _max_normalised(reference, generated)
    m = batch_size
    values = []
    draws = []
    for b in range(n_batches):
        rng = np.random.default_rng(seed + b * 1000)
        draws.append((rng.choice(len(x), size=m), rng.choice(len(y), size=m)))
    for xs, ys in _batches(x, y, draws, max_bytes):
        sxx, txx = _quartic_sum(xs, xs)
        syy, tyy = _quartic_sum(ys, ys)
        sxy, _ = _quartic_sum(xs, ys)
        values.append((sxx - txx) / (m * (m - 1)) + (syy - tyy) / (m * (m - 1)) - 2.0 * sxy / (m * m))
    lo, hi = np.percentile(values, [16.275, 83.725])
    return DistanceResult(float(np.median(values)), float(0.5 * (hi - lo)), tuple(values), (m,))
