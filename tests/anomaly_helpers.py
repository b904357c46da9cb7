"""Small dijet files in the layouts the anomaly tests read: the official R&D signal-region .npy files (CATHODE layout,
built with showerml's own preparation from toy samples) and showerml dijet HDF5 files."""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.anomaly.base import Regions
from showerml.anomaly.toy import toy_dijets
from showerml.io.lhco import DijetSample
from showerml.pipelines.anomaly_prepare import cathode_array, prepare_official

FAST = ["--ensemble", "1", "--epochs", "2", "-q"]


def official_files(folder: Path, n_background: int = 16000, n_signal: int = 2000, n_extra: int = 12000,
                   n_inject: int = 80, seed: int = 3) -> dict[str, Path]:
    """The nine official files written into ``folder`` (which must not exist yet)."""
    pool = toy_dijets(n_background, n_signal, seed=seed)
    extra = toy_dijets(n_extra, 0, seed=seed + 1)
    counts = prepare_official(pool, extra, folder, n_inject, Regions(), seed=seed)
    return {name.removesuffix(".npy"): folder / name for name in counts}


def save_npy(path: Path, sample: DijetSample) -> Path:
    np.save(path, cathode_array(sample))
    return path


def write_dijet_h5(path: Path, sample: DijetSample) -> Path:
    """The showerml dijet layout: ``features`` (N, 5) GeV and ``label``."""
    with h5py.File(path, "w") as f:
        f.attrs["layout"] = "showerml-dijet"
        f["features"] = sample.features
        f["label"] = sample.label
    return path


def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """Run ``showerml <args>`` in-process; return (exit code, stdout, stderr)."""
    from showerml.cli.main import run

    monkeypatch.setattr(sys, "argv", ["showerml", *args])
    with pytest.raises(SystemExit) as exc:
        run()
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err
