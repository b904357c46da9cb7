"""LHC Olympics R&D dijet high-level features, in the layouts people hold them, as one :class:`DijetSample`.

Inside showerml the five features are in **GeV** (τ21 dimensionless), column order :data:`FEATURES`:
m_jj, m_j1 (lighter jet), Δm = m_j2 − m_j1, τ21 of j1, τ21 of j2. Layouts read:

- ``showerml-dijet`` HDF5 (``showerml simulate dijet``): ``features`` (N, 5) GeV and ``label``.
- CATHODE ``.npy`` (Hallin et al., arXiv:2109.00546): (N, 6) = the five features with masses in **TeV**, then label.
- Official LHCO R&D features HDF5 (Kasieczka et al., arXiv:2101.08320; ``events_anomalydetection_v2.features.h5``):
  a pandas DataFrame with ``pxj1 pyj1 pzj1 mj1 tau1j1 tau2j1 tau3j1`` and the same for ``j2`` (GeV; j1/j2 are the
  two leading jets), plus ``label``. Both pandas formats are read with h5py alone, never with pandas/PyTables:
  "fixed" (``block<i>_items`` / ``block<i>_values`` datasets) and "table" (a compound dataset ``table`` whose
  ``values_block_<i>`` fields hold the columns named by the pickled list ``values_block_<i>_kind``, decoded as a
  literal by :mod:`showerml.io.pickled_attrs`, or one field per data column). A file with any attribute that
  PyTables would unpickle into a code call is refused before anything is read. Features: E_j = √(p_j² + m_j²),
  m_jj² = (E_1 + E_2)² − |p_1 + p_2|², τ21 = τ2/τ1, jets re-ordered by mass.

Rounding noise: masses m_j1 and Δm down to −:data:`MASS_TOLERANCE` (10⁻⁶ TeV = 1 MeV; the official R&D signal-region
files hold m_j1 = −2 × 10⁻⁸ TeV) are set to 0; anything more negative is an error. Wrong columns or units (masses
obviously in the other unit) raise a one-line :class:`DataFileError`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from showerml.errors import DataFileError
from showerml.io.hdf5 import open_h5
from showerml.io.pickled_attrs import PickleRefused, code_attributes, literal, looks_pickled

__all__ = [
    "FEATURES",
    "MASS_TOLERANCE",
    "DijetSample",
    "duplicates",
    "features_from_jets",
    "read_dijet",
    "read_dijet_files",
]

FEATURES = ("mjj", "mj1", "delta_mj", "tau21j1", "tau21j2")
JET_COLUMNS = tuple(f"{v}j{j}" for j in (1, 2) for v in ("px", "py", "pz", "m", "tau1", "tau2"))
TEV = 1000.0
MASS_TOLERANCE = 1e-3  # GeV (10⁻⁶ TeV): negative masses down to this are rounding noise, set to 0


@dataclass
class DijetSample:
    """Features (N, 5) in GeV and truth labels (1 signal, 0 background, −1 unknown)."""

    features: np.ndarray
    label: np.ndarray

    def __post_init__(self) -> None:
        self.features = np.asarray(self.features, dtype=np.float64)
        self.label = np.asarray(self.label, dtype=np.int8)

    def __len__(self) -> int:
        return len(self.label)

    @property
    def mjj(self) -> np.ndarray:
        return self.features[:, 0]

    def subset(self, mask: np.ndarray) -> DijetSample:
        return DijetSample(self.features[mask], self.label[mask])

    @staticmethod
    def concatenate(samples: Sequence[DijetSample]) -> DijetSample:
        return DijetSample(np.concatenate([s.features for s in samples]), np.concatenate([s.label for s in samples]))


def features_from_jets(columns: dict[str, np.ndarray]) -> np.ndarray:
    """The five features (GeV) from per-jet columns pxj1 … tau2j2 (GeV), as in the LHCO features file."""
    p1 = np.stack([columns[f"{c}j1"] for c in ("px", "py", "pz")], axis=1)
    p2 = np.stack([columns[f"{c}j2"] for c in ("px", "py", "pz")], axis=1)
    m = np.stack([columns["mj1"], columns["mj2"]], axis=1)
    e1 = np.sqrt(np.sum(p1**2, 1) + m[:, 0] ** 2)
    e2 = np.sqrt(np.sum(p2**2, 1) + m[:, 1] ** 2)
    mjj = np.sqrt(np.maximum((e1 + e2) ** 2 - np.sum((p1 + p2) ** 2, 1), 0.0))
    tau1 = np.stack([columns["tau1j1"], columns["tau1j2"]], axis=1)
    tau2 = np.stack([columns["tau2j1"], columns["tau2j2"]], axis=1)
    tau21 = np.divide(tau2, tau1, out=np.zeros_like(tau2, dtype=np.float64), where=tau1 > 0)
    light = np.argmin(m, axis=1)
    rows = np.arange(len(m))
    mj1, mj2 = m[rows, light], m[rows, 1 - light]
    return np.stack([mjj, mj1, mj2 - mj1, tau21[rows, light], tau21[rows, 1 - light]], axis=1)


def _check(path: Path, sample: DijetSample, layout: str, unit: str) -> DijetSample:
    """Sanity checks that catch wrong columns and wrong units in one line."""
    f = sample.features
    if len(f) == 0:
        raise DataFileError(path, f"{layout} file holds no events")
    if not np.all(np.isfinite(f)):
        raise DataFileError(path, f"{layout} file has NaN or infinite feature values; remove those events")
    median_mjj = float(np.median(f[:, 0]))
    if not 300.0 <= median_mjj <= 30000.0:
        other = "GeV" if unit == "TeV" else "TeV"
        raise DataFileError(
            path,
            f"median m_jj is {median_mjj:g} GeV after reading masses as {unit}: the masses look like {other}; "
            f"the {layout} layout stores them in {unit}",
        )
    noise = (f[:, 1:3] < 0) & (f[:, 1:3] >= -MASS_TOLERANCE)
    if np.any(noise):
        f[:, 1:3][noise] = 0.0  # rounding noise of the files (see the module docstring)
    if np.any(f[:, 1] < 0) or np.any(f[:, 2] < 0) or np.any(f[:, 1] > f[:, 0]):
        worst = float(np.min(f[:, 1:3]))
        detail = (f"a mass of {worst / TEV:.3g} TeV, below the rounding tolerance −{MASS_TOLERANCE / TEV:g} TeV"
                  if worst < 0 else "m_j1 > m_jj")
        raise DataFileError(
            path, f"{layout} columns are not (m_jj, m_j1, Δm = m_j2 − m_j1, …): masses inconsistent ({detail})"
        )
    tau = f[:, 3:5]
    if np.any(tau < 0) or np.median(tau) > 1.5:
        raise DataFileError(path, f"{layout} τ21 columns are outside [0, ~1]: columns are in the wrong order")
    if not np.all(np.isin(sample.label, (-1, 0, 1))):
        raise DataFileError(path, f"{layout} label column must hold 0 (background) or 1 (signal)")
    return sample


def _read_npy(path: Path) -> DijetSample:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataFileError(path, f"not a readable .npy array ({exc})") from None
    if array.ndim != 2 or array.shape[1] not in (5, 6):
        raise DataFileError(
            path, f"CATHODE .npy layout is (N, 6) = (m_jj, m_j1, Δm, τ21 j1, τ21 j2, label) in TeV, got {array.shape}"
        )
    features = array[:, :5].astype(np.float64) * np.array([TEV, TEV, TEV, 1.0, 1.0])
    label = array[:, 5] if array.shape[1] == 6 else np.full(len(array), -1)
    if not np.all(np.isin(label, (0, 1, -1))):
        raise DataFileError(path, "CATHODE .npy column 6 must be the label (0 or 1)")
    return _check(path, DijetSample(features, label.astype(np.int8)), "CATHODE .npy", "TeV")


def _pandas_fixed_columns(group: object) -> dict[str, np.ndarray]:
    """Columns of a DataFrame written by pandas ``to_hdf`` in the default "fixed" format."""
    columns: dict[str, np.ndarray] = {}
    for i in range(int(group.attrs.get("nblocks", 0))):  # type: ignore[attr-defined]
        items = [x.decode() if isinstance(x, bytes) else str(x) for x in group[f"block{i}_items"][:]]  # type: ignore[index]
        values = group[f"block{i}_values"][:]  # type: ignore[index]
        for j, name in enumerate(items):
            columns[name] = values[:, j]
    return columns


def _pandas_table_columns(path: Path, group: object) -> dict[str, np.ndarray]:
    """Columns of a DataFrame written by pandas ``to_hdf(format="table")``, read with h5py (no unpickling)."""
    table = group.get("table") if hasattr(group, "get") else None
    if table is None or table.dtype.names is None:
        raise DataFileError(path, "pandas 'table' layout without its compound 'table' dataset")
    rows = table[:]
    columns: dict[str, np.ndarray] = {}
    for field in table.dtype.names:
        if field == "index":
            continue
        values = rows[field]
        if values.ndim == 1:  # a data column stored under its own name
            columns[field] = values
            continue
        kind = table.attrs.get(f"{field}_kind")
        try:
            names = literal(bytes(kind)) if looks_pickled(kind) else None
        except PickleRefused:
            names = None
        if not isinstance(names, list) or len(names) != values.shape[1]:
            raise DataFileError(path, f"pandas table field '{field}' has no readable list of column names")
        for j, name in enumerate(names):
            columns[str(name)] = values[:, j]
    return columns


def _read_lhco_h5(path: Path) -> DijetSample:
    with open_h5(path) as f:
        hostile = code_attributes(f)
        if hostile:
            raise DataFileError(
                path,
                f"attribute {hostile[0]} holds a pickled Python call that pandas/PyTables would execute on reading; "
                "refusing the file (re-export it with plain datasets, or ask its author)",
            )
        if f.attrs.get("layout") == "showerml-dijet" or "features" in f:
            if "features" not in f or f["features"].ndim != 2 or f["features"].shape[1] != 5:
                raise DataFileError(path, "showerml dijet files need a 'features' dataset of shape (N, 5)")
            features = f["features"][:].astype(np.float64)
            label = f["label"][:] if "label" in f else np.full(len(features), -1)
            return _check(path, DijetSample(features, label), "showerml dijet", "GeV")
        groups = [k for k in f if "pandas_type" in f[k].attrs]
        if not groups:
            raise DataFileError(
                path, "not a dijet feature file: expected a showerml 'features' dataset or an LHCO pandas table"
            )
        group = f[groups[0]]
        kind = group.attrs["pandas_type"]
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        if kind == "frame":
            columns = _pandas_fixed_columns(group)
        elif kind == "frame_table":
            columns = _pandas_table_columns(path, group)
        else:
            raise DataFileError(path, f"pandas layout '{kind}' is not a DataFrame; expected 'frame' or 'frame_table'")
    missing = [c for c in JET_COLUMNS if c not in columns]
    if missing:
        raise DataFileError(
            path,
            f"LHCO features table lacks columns {', '.join(missing)} (has {', '.join(sorted(columns)[:16])}); "
            "expected pxj1 pyj1 pzj1 mj1 tau1j1 tau2j1 … j2, label",
        )
    arrays = {c: np.asarray(columns[c], dtype=np.float64) for c in JET_COLUMNS}
    label = np.asarray(columns["label"]).astype(np.int8) if "label" in columns else np.full(len(arrays["mj1"]), -1)
    return _check(path, DijetSample(features_from_jets(arrays), label), "LHCO features HDF5", "GeV")


def duplicates(reference: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mask over ``rows`` (N, D): True where the row occurs, bit for bit, in ``reference`` (M, D)."""
    if len(reference) == 0 or len(rows) == 0:
        return np.zeros(len(rows), dtype=bool)
    width = np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))
    a = np.ascontiguousarray(reference, dtype=rows.dtype).view(width).ravel()
    b = np.ascontiguousarray(rows).view(width).ravel()
    return np.isin(b, a)


def read_dijet(path: str | os.PathLike[str]) -> DijetSample:
    """Read one feature file (layout chosen by suffix and content); features in GeV."""
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "no such file")
    if p.suffix == ".npy":
        return _read_npy(p)
    return _read_lhco_h5(p)


def read_dijet_files(paths: Sequence[str | os.PathLike[str]]) -> DijetSample:
    """Read and concatenate several files (e.g. a QCD file and a signal file)."""
    if not paths:
        raise DataFileError("--data", "give at least one feature file")
    return DijetSample.concatenate([read_dijet(p) for p in paths])
