"""Write dijet samples in the file layout of the LHC Olympics R&D signal-region protocol (CATHODE's data preparation).

Layout of every file: a float64 ``.npy`` array (N, 6) = m_jj, m_j1, Δm, τ21 j1, τ21 j2 in TeV, then the label (1
signal, 0 background), as written by ``run_data_preparation_LHCORD.py`` of the CATHODE repository (Hallin et al.,
arXiv:2109.00546). The SR is the open interval SR_lo < m_jj < SR_hi there, as here.

Recipe (same steps as that script; the proportions are ours where it uses fixed counts of the 1 M-event LHCO file):

- data = all background of ``pool`` + ``n_inject`` of its signal, shuffled; SR events → ``innerdata_train`` /
  ``innerdata_val`` (halves; the script: 60 k / 60 k), the rest → ``outerdata_train`` / ``outerdata_test``
  (halves; the script: 500 k / the rest, used as validation);
- the signal not injected, SR only: half → test, a quarter each → ``innerdata_extrasig_train`` / ``_val`` (the
  script: 20 k → test, the rest halved);
- ``extra`` (an independent background sample; the script's 312,858-event extra QCD sample), SR only: thirds →
  test, ``innerdata_extrabkg_train``, ``innerdata_extrabkg_val`` (the script: 40 k → test, the rest halved);
- ``innerdata_test`` = the test background and test signal.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from showerml.anomaly.base import Regions
from showerml.errors import InputError
from showerml.io.lhco import TEV, DijetSample
from showerml.io.runfolder import RunFolder

__all__ = ["OFFICIAL_FILES", "cathode_array", "prepare_official"]

OFFICIAL_FILES = (
    "innerdata_train.npy", "innerdata_val.npy", "innerdata_test.npy", "outerdata_train.npy", "outerdata_test.npy",
    "innerdata_extrabkg_train.npy", "innerdata_extrabkg_val.npy", "innerdata_extrasig_train.npy",
    "innerdata_extrasig_val.npy",
)


def cathode_array(sample: DijetSample) -> np.ndarray:
    """(N, 6) float64: the five features with masses in TeV, then the label."""
    return np.column_stack([sample.features / np.array([TEV, TEV, TEV, 1.0, 1.0]), sample.label.astype(np.float64)])


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _open_sr(mjj: np.ndarray, regions: Regions) -> np.ndarray:
    return (mjj > regions.sr_lo) & (mjj < regions.sr_hi)


def prepare_official(
    pool: DijetSample, extra: DijetSample, out: str | Path, n_inject: int, regions: Regions, seed: int = 1,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the files of :data:`OFFICIAL_FILES` into the folder ``out``; returns their event counts."""
    folder = RunFolder(out, overwrite=overwrite)
    if np.any(pool.label < 0) or np.any(extra.label < 0):
        raise InputError("preparing the official layout needs truth labels (0/1) in every input")
    if np.any(extra.label != 0):
        raise InputError(f"--extra-background must hold background only; it holds {int(np.sum(extra.label != 0))} "
                         "signal events")
    bkg, sig = pool.subset(pool.label == 0), pool.subset(pool.label == 1)
    if n_inject < 0 or n_inject > len(sig):
        raise InputError(f"--inject must be between 0 and the {len(sig)} signal events of the data, got {n_inject}")
    rng = np.random.default_rng(seed)
    sig = sig.subset(rng.permutation(len(sig)))
    data = DijetSample.concatenate([bkg, sig.subset(np.arange(n_inject))])
    data = data.subset(rng.permutation(len(data)))
    inner, outer = data.subset(_open_sr(data.mjj, regions)), data.subset(~_open_sr(data.mjj, regions))
    rest = sig.subset(np.arange(n_inject, len(sig)))
    rest = rest.subset(_open_sr(rest.mjj, regions))
    ex = extra.subset(_open_sr(extra.mjj, regions))
    ex = ex.subset(rng.permutation(len(ex)))
    n_in, n_out, n_sig, n_ex = len(inner), len(outer), len(rest), len(ex)
    if min(n_in, n_sig, n_ex) < 20:
        raise InputError(f"too few SR events to prepare the layout (data {n_in}, spare signal {n_sig}, extra "
                         f"background {n_ex}); at least 20 each, give larger samples")
    sel = np.arange
    files = {
        "innerdata_train.npy": inner.subset(sel(n_in // 2)),
        "innerdata_val.npy": inner.subset(sel(n_in // 2, n_in)),
        "outerdata_train.npy": outer.subset(sel(n_out // 2)),
        "outerdata_test.npy": outer.subset(sel(n_out // 2, n_out)),
        "innerdata_extrasig_train.npy": rest.subset(sel(n_sig // 2, n_sig // 2 + n_sig // 4)),
        "innerdata_extrasig_val.npy": rest.subset(sel(n_sig // 2 + n_sig // 4, n_sig)),
        "innerdata_extrabkg_train.npy": ex.subset(sel(n_ex // 3, 2 * (n_ex // 3))),
        "innerdata_extrabkg_val.npy": ex.subset(sel(2 * (n_ex // 3), n_ex)),
        "innerdata_test.npy": DijetSample.concatenate([ex.subset(sel(n_ex // 3)), rest.subset(sel(n_sig // 2))]),
    }
    with folder as run:
        for name, sample in files.items():
            (run.path / name).write_bytes(_npy_bytes(cathode_array(sample)))
    return {name: len(sample) for name, sample in files.items()}
