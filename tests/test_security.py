"""No code runs from data: a crafted LHCO table whose PyTables attribute holds a pickled ``os.system`` call is refused
(one line, exit 2, no marker file, no run folder), pandas "table" files are read with h5py alone, and no reader in
``src/`` goes through an unpickling loader."""

from __future__ import annotations

import importlib.util
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.errors import DataFileError
from showerml.io.lhco import read_dijet
from showerml.io.pickled_attrs import PickleRefused, calls_code, literal

SRC = Path(__file__).resolve().parents[1] / "src"
HAS_PANDAS = importlib.util.find_spec("pandas") is not None and importlib.util.find_spec("tables") is not None


class _Payload:
    """Pickles as ``os.system("touch <marker>")``: what ``pickle.loads`` (and so PyTables) would execute."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def _columns(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    p = rng.uniform(1600.0, 1800.0, n)
    zero = np.zeros(n)
    return {"pxj1": p, "pyj1": zero, "pzj1": zero, "mj1": np.full(n, 500.0), "tau1j1": np.ones(n),
            "tau2j1": np.full(n, 0.3), "tau3j1": np.full(n, 0.2), "pxj2": -p, "pyj2": zero, "pzj2": zero,
            "mj2": np.full(n, 100.0), "tau1j2": np.ones(n), "tau2j2": np.full(n, 0.6), "tau3j2": np.full(n, 0.4),
            "label": (np.arange(n) % 2).astype(np.float64)}


def write_pandas_table(path: Path, columns: dict[str, np.ndarray], payload: bytes | None = None) -> None:
    """The HDF5 layout of ``DataFrame.to_hdf(format="table")`` written with h5py, attribute for attribute as PyTables
    stores them (Python objects as protocol-0 pickles in fixed-length byte strings). ``payload`` replaces the
    group's ``non_index_axes`` pickle, the first one pandas reads."""
    names = list(columns)
    b = np.bytes_
    with h5py.File(path, "w") as f:
        f.attrs.update(CLASS=b(b"GROUP"), VERSION=b(b"1.0"), PYTABLES_FORMAT_VERSION=b(b"2.1"), TITLE=b(b""))
        g = f.create_group("df")
        g.attrs.update(
            CLASS=b(b"GROUP"), VERSION=b(b"1.0"), TITLE=b(b""), pandas_type=b(b"frame_table"),
            pandas_version=b(b"0.15.2"), table_type=b(b"appendable_frame"), encoding=b(b"UTF-8"),
            errors=b(b"strict"), levels=np.int64(1), nan_rep=b(b"N."), data_columns=b(pickle.dumps([], 0)),
            index_cols=b(pickle.dumps([(0, "index")], 0)), values_cols=b(pickle.dumps(["values_block_0"], 0)),
            info=b(pickle.dumps({1: {"names": [None], "type": "Index"}, "index": {}, "values_block_0": {}}, 0)),
            non_index_axes=b(payload if payload is not None else pickle.dumps([(1, names)], 0)),
        )
        n = len(columns[names[0]])
        dtype = np.dtype([("index", "<i8"), ("values_block_0", "<f8", (len(names),))])
        rows = np.zeros(n, dtype)
        rows["index"] = np.arange(n)
        rows["values_block_0"] = np.stack([columns[c] for c in names], axis=1)
        t = g.create_dataset("table", data=rows, maxshape=(None,), chunks=True)
        t.attrs.update(
            CLASS=b(b"TABLE"), VERSION=b(b"2.7"), TITLE=b(b""), NROWS=np.int64(n), FIELD_0_NAME=b(b"index"),
            FIELD_0_FILL=np.int64(0), FIELD_1_NAME=b(b"values_block_0"), FIELD_1_FILL=np.float64(0.0),
            index_kind=b(b"integer"), values_block_0_dtype=b(b"float64"),
            values_block_0_kind=b(pickle.dumps(names, 0)), values_block_0_meta=b(b"N."),
        )


@pytest.fixture
def evil(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "MARKER"
    path = tmp_path / "evil.h5"
    write_pandas_table(path, _columns(200), payload=pickle.dumps(_Payload(marker), 0))
    return path, marker


@pytest.mark.skipif(not HAS_PANDAS, reason="pandas + tables not installed: cannot show the file is malicious")
def test_crafted_file_runs_code_under_pandas(evil: tuple[Path, Path]) -> None:
    """The file is a real attack: pandas.read_hdf (PyTables) executes its payload."""
    path, marker = evil
    subprocess.run([sys.executable, "-c", f"import pandas; pandas.read_hdf({str(path)!r})"],
                   capture_output=True, check=False, timeout=120)
    assert marker.exists()


def test_anomaly_run_refuses_malicious_file(evil: tuple[Path, Path], tmp_path: Path) -> None:
    path, marker = evil
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "showerml.cli.main", "anomaly", "run", "--data", str(path), "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert not marker.exists()
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "pickled Python call" in proc.stderr and "df/non_index_axes" in proc.stderr
    assert not out.exists()


def test_reader_refuses_call_hidden_in_any_attribute(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    path = tmp_path / "x.h5"
    write_pandas_table(path, _columns(50))
    with h5py.File(path, "a") as f:  # a call in an attribute pandas never reads, followed by garbage
        f["df/table"].attrs["note"] = np.bytes_(pickle.dumps(_Payload(marker), 0)[:-1] + b"garbage.")
    with pytest.raises(DataFileError, match="df/table/note"):
        read_dijet(path)
    assert not marker.exists()


def test_pandas_table_layout_read_with_h5py(tmp_path: Path) -> None:
    path = tmp_path / "table.h5"
    cols = _columns(40)
    write_pandas_table(path, cols)
    s = read_dijet(path)
    assert s.features.shape == (40, 5)
    assert np.allclose(s.features[:, 1], 100.0) and np.allclose(s.features[:, 2], 400.0)
    assert np.allclose(s.features[:, 3], 0.6) and np.allclose(s.features[:, 4], 0.3)  # τ21 follows the mass order
    e = np.sqrt(cols["pxj1"] ** 2 + 500.0**2) + np.sqrt(cols["pxj1"] ** 2 + 100.0**2)
    assert np.allclose(s.features[:, 0], e)  # back to back: m_jj = E1 + E2
    assert list(s.label[:4]) == [0, 1, 0, 1]


def test_pickle_literal_decoder() -> None:
    assert literal(b"(lp0\nVpxj1\np1\naVmj1\np2\na.") == ["pxj1", "mj1"]  # what pandas writes
    for protocol in range(6):
        value = [("a", 1), {"b": 2.5, "c": None}, True, 10**30]
        assert literal(pickle.dumps(value, protocol)) == value
        assert calls_code(pickle.dumps(_Payload(Path("x")), protocol))
        with pytest.raises(PickleRefused):
            literal(pickle.dumps(_Payload(Path("x")), protocol))
    assert not calls_code(b"A title that ends with a full stop.")


UNSAFE = [
    (r"\.read_hdf\(|HDFStore\(", "pandas/PyTables readers unpickle attributes"),
    (r"allow_pickle\s*=\s*True", "numpy object arrays unpickle"),
    (r"pickle\.loads?\(|joblib\.load|dill\.", "unpickling"),
    (r"yaml\.(load|unsafe_load|full_load)\(", "use yaml.safe_load"),
    (r"torch\.load\((?![^)]*weights_only\s*=\s*True)", "torch.load without weights_only=True unpickles"),
]


@pytest.mark.parametrize(("pattern", "why"), UNSAFE)
def test_no_unpickling_reader_in_src(pattern: str, why: str) -> None:
    hits = [f"{p.relative_to(SRC)}:{i}" for p in SRC.rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if re.search(pattern, line)]
    assert not hits, f"{why}: {hits}"
