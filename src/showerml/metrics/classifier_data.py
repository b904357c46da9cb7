"""Bounded-memory inputs of the classifier test: one pre-split, standardised matrix filled chunk by chunk.

The samples (in-memory arrays, :class:`~showerml.io.showers.ShowerData` or :class:`~showerml.io.showers.ShowerFile`,
read in chunks) are balanced to ``n = min_k N_k`` showers each, split per sample into train / validation / test,
and written straight into one ``(K·n, d)`` tensor ordered ``[train | validation | test]``, so the three splits are
views and no full copy of a sample ever exists. Two passes: the first accumulates the training rows' column means
and variances (float64), the second transforms, standardises and stores, by default in float16 — for two
100,000-shower dataset-2 samples (6,480 voxels) that is 2.6 GB instead of 5.2 GB in float32 for the raw voxels
alone. Standardised values are O(1), where float16's 11-bit mantissa keeps 5·10⁻⁴ relative precision.

Standardisation (training rows only): ``z = (x − μ_c) / s_g`` with the column mean ``μ_c`` and one scale per group
of columns, ``s_g = √(mean_{c∈g} Var_c)``: columns of one group keep their relative scale, so sums over them
(layer energies, in the voxel inputs) stay plain weighted sums; a column alone in its group is ordinary z-scoring.
Scales of 0 become 1; ``z`` is clipped to ±``clip``. With ``standardise=False`` the network must see the inputs
as they are: ``z`` is still stored (per-column scaling keeps float16 precise for inputs of any size, where raw
values such as ``E_v/E_inc ~ 10⁻⁸`` would fall below float16's smallest number), clipped only at ±60,000, and
:meth:`ClassifierData.inputs` restores ``x = μ + s·z`` batch by batch.

With a ``scratch`` folder (a streaming evaluation, ``showerml evaluate --memory``) the stored matrix goes to an HDF5
file there instead of memory: its rows are written in the order the samples are read (one row per HDF5 chunk, so a
batch of random rows reads those rows only), and each split is a :class:`~showerml.nn.streaming.H5Rows` over the
file rows of its positions. The training loop draws the same batches from it as from the tensor, so the stored values,
the batches and hence the trained network are the same as in memory; memory is one batch.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from showerml.errors import InputError
from showerml.io.showers import ShowerData, ShowerFile
from showerml.metrics.scratch import MatrixFile
from showerml.nn.streaming import H5Rows

__all__ = ["ClassifierData", "Source", "build_classifier_data", "split_sizes"]

#: a sample: an ``(N, d)`` array of ready inputs (in memory or a scratch matrix file), or showers (in memory or a
#: file) turned into inputs by a transform
Source = np.ndarray | MatrixFile | ShowerData | ShowerFile
Transform = Callable[[ShowerData], np.ndarray]
CHUNK = 5_000


Part = tuple[torch.Tensor, torch.Tensor] | H5Rows


@dataclass
class ClassifierData:
    """``x`` rows ordered train | validation | test, each block holding the K samples' rows; labels ``y`` (int64).

    Streamed (``file`` set): ``x`` and ``y`` are empty and row ``p`` of that order is row ``file_rows[p]`` of the
    file's datasets ``x`` and ``y``."""

    x: torch.Tensor
    y: torch.Tensor
    sizes: tuple[int, int, int]  # rows per sample in train, validation, test
    n_classes: int
    mean: np.ndarray
    scale: np.ndarray
    restore: bool = False
    file: Path | None = None
    file_rows: np.ndarray | None = None
    stored_bytes: int = 0

    def inputs(self, stored: torch.Tensor) -> torch.Tensor:
        """What the network sees for stored rows: float32 ``z``, or ``μ + s·z`` when the inputs are not
        standardised."""
        x = stored.float()
        if self.restore:
            x = x * torch.as_tensor(self.scale, dtype=torch.float32) + torch.as_tensor(self.mean, dtype=torch.float32)
        return x

    def _bounds(self, k: int) -> tuple[int, int]:
        start = self.n_classes * sum(self.sizes[:k])
        return start, start + self.n_classes * self.sizes[k]

    def part(self, k: int) -> Part:
        """Split ``k`` (0 train, 1 validation, 2 test): views ``(x, y)``, or the streamed rows."""
        start, stop = self._bounds(k)
        if self.file is not None and self.file_rows is not None:
            return H5Rows(self.file, ("x", "y"), rows=self.file_rows[start:stop])
        return self.x[start:stop], self.y[start:stop]

    def labels(self, k: int) -> np.ndarray:
        """The labels of split ``k``."""
        part = self.part(k)
        if isinstance(part, H5Rows):
            return np.concatenate([part.fetch(np.arange(i, min(i + 65_536, len(part))))[1].numpy()
                                   for i in range(0, len(part), 65_536)])
        return part[1].numpy()

    def stored_chunks(self, k: int, size: int = 8192) -> Iterator[torch.Tensor]:
        """The stored inputs of split ``k`` in order, ``size`` rows at a time."""
        part = self.part(k)
        if isinstance(part, H5Rows):
            for i in range(0, len(part), size):
                yield part.fetch(np.arange(i, min(i + size, len(part))))[0]
            return
        for i in range(0, len(part[0]), size):
            yield part[0][i : i + size]

    @property
    def n_inputs(self) -> int:
        """Input columns."""
        return len(self.mean)

    def discard(self) -> None:
        """Delete the streamed inputs' file (nothing to do in memory)."""
        if self.file is not None:
            self.file.unlink(missing_ok=True)

    @property
    def nbytes(self) -> int:
        return self.stored_bytes if self.file is not None else self.x.element_size() * self.x.nelement()


def split_sizes(n: int, fractions: tuple[float, float]) -> tuple[int, int, int]:
    """Rows of a sample of ``n`` in train, validation, test (rounded; the test split takes the rest)."""
    a = int(round(fractions[0] * n))
    b = int(round(fractions[1] * n))
    if a < 1 or b < 1 or n - a - b < 1 or fractions[0] <= 0 or fractions[1] <= 0:
        raise InputError(f"split fractions {fractions} leave an empty train, validation or test set of {n} showers")
    return a, b, n - a - b


def _length(src: Source) -> int:
    return src.n_events if isinstance(src, ShowerFile) else len(src)


def _chunks(src: Source, transform: Transform | None, chunk: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, inputs)`` chunk by chunk, inputs as float32 ``(m, d)``."""
    if isinstance(src, MatrixFile):
        first = 0
        for rows in src.iter_chunks(chunk):
            yield first, np.asarray(rows, dtype=np.float32)
            first += len(rows)
        return
    if isinstance(src, np.ndarray):
        if src.ndim != 2:
            raise InputError(f"classifier inputs must be (N, d) arrays, got shape {src.shape}")
        for start in range(0, len(src), chunk):
            yield start, np.asarray(src[start : start + chunk], dtype=np.float32)
        return
    if transform is None:
        raise InputError("showers need an input transform for the classifier (e.g. voxel_inputs)")
    if isinstance(src, ShowerFile):
        start = 0
        for part in src.iter_chunks(chunk):
            yield start, np.asarray(transform(part), dtype=np.float32)
            start += len(part)
        return
    for start in range(0, len(src), chunk):
        yield start, np.asarray(transform(src.subset(slice(start, start + chunk))), dtype=np.float32)


def build_classifier_data(
    sources: Sequence[Source],
    fractions: tuple[float, float],
    rng: np.random.Generator,
    transform: Transform | None = None,
    groups: np.ndarray | None = None,
    standardise: bool = True,
    dtype: torch.dtype = torch.float16,
    clip: float = 100.0,
    min_per_class: int = 50,
    chunk: int = CHUNK,
    scratch: str | os.PathLike[str] | None = None,
) -> ClassifierData:
    """Balanced, split, standardised inputs of ``sources`` (label = position); see the module docstring.

    ``groups`` gives a group id per input column (columns sharing an id share a scale; default: one per column);
    ``scratch``: a folder to stream the stored matrix through (module docstring).
    """
    if dtype not in (torch.float16, torch.float32):
        raise InputError(f"classifier inputs are stored as float16 or float32, not {dtype}")
    n = min(_length(s) for s in sources)
    if n < min_per_class:
        raise InputError(f"the classifier test needs at least {min_per_class} showers per sample, got {n}")
    sizes = split_sizes(n, fractions)
    k_cls = len(sources)
    offsets = np.cumsum([0, *sizes[:2]]) * k_cls
    dest = []  # per source: destination row of each of its rows, −1 if not used
    for k, src in enumerate(sources):
        d = np.full(_length(src), -1, dtype=np.int64)
        chosen = rng.permutation(_length(src))[:n]
        bounds = np.cumsum([0, *sizes])
        for p in range(3):
            rows = chosen[bounds[p] : bounds[p + 1]]
            d[rows] = offsets[p] + k * sizes[p] + np.arange(len(rows))
        dest.append(d)
    n_train = k_cls * sizes[0]
    # pass 1: training-row column moments, shifted by the first chunk's mean for numerical stability
    n_cols: int | None = None
    shift = s1 = s2 = np.zeros(0)
    for k, src in enumerate(sources):
        for start, x in _chunks(src, transform, chunk):
            if n_cols is None:
                n_cols = x.shape[1]
                shift = x.astype(np.float64).mean(axis=0)
                s1, s2 = np.zeros(n_cols), np.zeros(n_cols)
            elif x.shape[1] != n_cols:
                raise InputError(f"sample {k} has {x.shape[1]} input columns, sample 0 has {n_cols}")
            if not np.all(np.isfinite(x)):
                raise InputError(f"sample {k} has non-finite classifier inputs near row {start}")
            keep = (dest[k][start : start + len(x)] >= 0) & (dest[k][start : start + len(x)] < n_train)
            c = x[keep].astype(np.float64) - shift
            s1 += c.sum(axis=0)
            s2 += np.einsum("ij,ij->j", c, c)
    assert n_cols is not None and shift is not None and s1 is not None and s2 is not None
    mean = shift + s1 / n_train
    var = np.maximum(s2 / n_train - (s1 / n_train) ** 2, 0.0)
    g = np.arange(n_cols) if groups is None else np.asarray(groups)
    if g.shape != (n_cols,):
        raise InputError(f"{g.shape[0]} column groups for {n_cols} input columns")
    _, inverse = np.unique(g, return_inverse=True)
    group_var = np.bincount(inverse, weights=var) / np.bincount(inverse)
    scale = np.sqrt(group_var)[inverse]
    scale = np.where(scale > 0, scale, 1.0)
    clip = clip if standardise else 6e4
    # pass 2: fill the pre-split matrix
    mean32, inv32 = mean.astype(np.float32), (1.0 / scale).astype(np.float32)
    if scratch is not None:
        return _stream_to_file(Path(scratch), sources, transform, chunk, dest, n_cols, dtype, mean32, inv32, clip,
                               ClassifierData(torch.empty(0), torch.empty(0), sizes, k_cls, mean, scale,
                                              restore=not standardise))
    x_all = torch.empty((k_cls * n, n_cols), dtype=dtype)
    y_all = torch.empty(k_cls * n, dtype=torch.int64)
    x_np, y_np = x_all.numpy(), y_all.numpy()
    for k, src in enumerate(sources):
        for start, x in _chunks(src, transform, chunk):
            d = dest[k][start : start + len(x)]
            keep = d >= 0
            z = np.clip((x[keep] - mean32) * inv32, -clip, clip)
            x_np[d[keep]] = z
            y_np[d[keep]] = k
    return ClassifierData(x_all, y_all, sizes, k_cls, mean, scale, restore=not standardise)


def _stream_to_file(
    folder: Path,
    sources: Sequence[Source],
    transform: Transform | None,
    chunk: int,
    dest: list[np.ndarray],
    n_cols: int,
    dtype: torch.dtype,
    mean32: np.ndarray,
    inv32: np.ndarray,
    clip: float,
    data: ClassifierData,
) -> ClassifierData:
    """Pass 2 into ``folder``: the kept rows in reading order, and each position's file row (module docstring)."""
    np_dtype = np.float16 if dtype == torch.float16 else np.float32
    total = data.n_classes * sum(data.sizes)
    path = folder / f"classifier_{uuid.uuid4().hex}.h5"
    file_rows = np.full(total, -1, dtype=np.int64)
    row = 0
    with h5py.File(path, "w") as f:
        xs = f.create_dataset("x", shape=(total, n_cols), dtype=np_dtype, chunks=(1, n_cols))
        ys = f.create_dataset("y", shape=(total,), dtype=np.int64, chunks=(min(total, 4096),))
        for k, src in enumerate(sources):
            for start, x in _chunks(src, transform, chunk):
                d = dest[k][start : start + len(x)]
                keep = d >= 0
                m = int(keep.sum())
                xs[row : row + m] = np.clip((x[keep] - mean32) * inv32, -clip, clip).astype(np_dtype)
                ys[row : row + m] = k
                file_rows[d[keep]] = np.arange(row, row + m)
                row += m
    data.file, data.file_rows = path, file_rows
    data.stored_bytes = total * n_cols * np.dtype(np_dtype).itemsize
    return data
