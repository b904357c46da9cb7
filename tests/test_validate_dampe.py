"""``showerml validate dampe``: the table end to end (--quick and --data), its columns and sources, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from showerml.detectors.dampe.simulator import DampeSimulator
from showerml.pipelines.dampe_validation import ValidationPlan, _rejection, _weighted_rejection
from showerml.pipelines.simulate import simulate_to_file
from showerml.report.dampe_validation import COLUMNS, markdown_table
from showerml.spectra import parse_spectrum


def _validate(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", "validate", "dampe", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, check=False, timeout=600)


def _check_table(folder: Path) -> list[dict[str, object]]:
    table = json.loads((folder / "table.json").read_text())
    rows = table["rows"]
    assert (folder / "report.html").stat().st_size > 10_000  # holds the embedded figure
    for row in rows:
        assert set(COLUMNS) <= set(row) and all(str(row[c]) for c in COLUMNS)
        assert row["source"] != "—" or row["published"].startswith("not published")
    return rows


def test_quick_run_writes_the_table_with_every_row(tmp_path: Path) -> None:
    r = _validate("--quick", "--out", tmp_path / "v", "--seed", 3, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = _check_table(tmp_path / "v")
    names = " ".join(str(row["quantity"]) for row in rows)
    for needle in ("electron efficiency after preselection, deposit 100 GeV–1 TeV",
                   "proton rejection after preselection, deposit 1–10 TeV", "electron energy resolution",
                   "proton deposited fraction", "proton energy resolution", "acceptance", "back-scatter",
                   "saturated"):
        assert needle in names
    assert "showerml:" in r.stdout and "published:" in r.stdout
    eff = next(row for row in rows if "electron efficiency" in str(row["quantity"]))
    assert 0.0 <= eff["numbers"]["value"] <= 1.0  # type: ignore[index]
    assert markdown_table(rows).count("\n") == len(rows) + 1


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("validate")
    return {name: simulate_to_file(DampeSimulator(particle, max_clusters=64, chunk_size=100), n,
                                   parse_spectrum(spec), 7, d / f"{name}.h5", progress=False)
            for name, particle, n, spec in (("e", "e-", 60, "loguniform:150,3000"),
                                            ("p", "p", 120, "loguniform:300,20000"))}


def test_data_files_give_the_ep_rows(files: dict[str, Path], tmp_path: Path) -> None:
    r = _validate("--data", files["e"], "--data", files["p"], "--out", tmp_path / "d", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = _check_table(tmp_path / "d")
    assert any("the --data spectrum" in str(row["quantity"]) for row in rows)


@pytest.mark.parametrize("args", [
    ("--n", 0), ("--workers", 0), ("--seed", -1), ("--quick", "--n", 10), ("--data", "missing.h5"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(args: tuple[object, ...], tmp_path: Path) -> None:
    r = _validate(*args, "--out", tmp_path / "bad", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_only_electrons_in_data_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    r = _validate("--data", files["e"], "--out", tmp_path / "e_only", cwd=tmp_path)
    assert r.returncode == 2 and "protons" in r.stderr and not (tmp_path / "e_only").exists()


def test_rejections_are_measured_with_clopper_pearson_and_weights_reduce_the_count() -> None:
    r = _rejection(4, 1000)
    assert r.rejection == 250.0 and r.rejection_low < 250.0 < r.rejection_high and not r.lower_limit
    assert _rejection(0, 1000).lower_limit
    passed = np.array([True, False, False, False])
    rw, eps, n_eff = _weighted_rejection(passed, np.array([1.0, 1.0, 1.0, 1.0]))
    assert eps == 0.25 and n_eff == pytest.approx(4.0) and rw.rejection == 4.0
    rw, eps, n_eff = _weighted_rejection(passed, np.array([3.0, 1.0, 1.0, 1.0]))
    assert eps == 0.5 and n_eff == pytest.approx(36.0 / 12.0)
    assert ValidationPlan.from_n(250_000).electrons_per_bin == 10_000
