"""``showerml reco``: train and evaluate through the CLI, seeded reproducibility, one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import yaml

from showerml.detectors.calogan import CaloGANSimulator
from showerml.detectors.dampe.simulator import DampeSimulator
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import parse_spectrum


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("reco")
    out = {}
    for name, particle, n, spec in (("e", "e-", 150, "loguniform:200,2000"), ("p", "p", 250, "loguniform:400,5000"),
                                    ("he", "He", 60, "loguniform:400,5000")):
        out[name] = simulate_to_file(DampeSimulator(particle, max_clusters=128, chunk_size=100), n,
                                     parse_spectrum(spec), 5, d / f"{name}.h5", progress=False)
    out["calogan"] = simulate_to_file(CaloGANSimulator("e+"), 5, parse_spectrum("fixed:10"), 1, d / "calo.h5",
                                      progress=False)
    notruth = d / "notruth.h5"
    notruth.write_bytes(out["p"].read_bytes())
    with h5py.File(notruth, "a") as f:
        del f["first_interaction_z"]
    out["notruth"] = notruth
    return out


def _reco(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", "reco", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, check=False, timeout=600)


def test_bdt_trains_and_evaluates_next_to_the_zeta_baseline(files: dict[str, Path], tmp_path: Path) -> None:
    model = tmp_path / "ep_bdt"
    (tmp_path / "ep.yaml").write_text("method: bdt\nseed: 2\n")
    r = _reco("train", "ep", "--data", files["e"], "--data", files["p"], "--config", tmp_path / "ep.yaml",
              "--seed", "0", "--out", model, "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (model / "reco.json").is_file() and (model / "bdt" / "weights.safetensors").is_file()
    saved = yaml.safe_load((model / "config.yaml").read_text())  # the file's method, the command line's seed
    assert (saved["method"], saved["seed"], saved["epochs"]) == ("bdt", 0, 20) and "out" not in saved
    r = _reco("evaluate", "ep", "--model", model, "--data", files["e"], "--data", files["p"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["method"] == "bdt"
    for method in ("bdt", "zeta"):
        rows = result["metrics"]["methods"][method]["rejection_at_90"]
        assert [row["low"] for row in rows] == [100.0, 1000.0, 10000.0]  # DAMPE's deposited-energy bins
        assert all(row["n_signal"] == 0 or row["rejection"] is None or row["rejection"] >= 1.0 for row in rows)
    # the BDT separates electrons from protons on its own training events far better than chance
    populated = [row for row in result["metrics"]["methods"]["bdt"]["rejection_at_90"] if row["n_background"] > 20]
    assert populated and max(row["rejection"] for row in populated) > 3.0


def test_cnn_training_is_reproducible_with_a_seed(files: dict[str, Path], tmp_path: Path) -> None:
    weights = []
    for i in range(2):
        out = tmp_path / f"cnn{i}"
        r = _reco("train", "ep", "--data", files["e"], "--data", files["p"], "--epochs", "1", "--seed", "3",
                  "--out", out, "-q", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        weights.append((out / "cnn" / "weights.safetensors").read_bytes())
        assert not (out / "checkpoints").exists()
    assert weights[0] == weights[1]


def test_interaction_and_classical_direction_models_evaluate(files: dict[str, Path], tmp_path: Path) -> None:
    r = _reco("train", "interaction", "--data", files["p"], "--max-events", "150", "--out", tmp_path / "ia", "-q",
              cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _reco("evaluate", "interaction", "--model", tmp_path / "ia", "--data", files["p"], cwd=tmp_path)
    m = json.loads(r.stdout)["metrics"]["methods"]
    assert len(m["bdt"]["confusion"]) == 16 and 0.0 <= m["classical"]["accuracy"] <= 1.0
    assert m["bdt"]["accuracy"] > m["classical"]["accuracy"]  # on its own training events
    r = _reco("train", "direction", "--method", "classical", "--data", files["e"], "--out", tmp_path / "d", "-q",
              cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _reco("evaluate", "direction", "--model", tmp_path / "d", "--data", files["e"], cwd=tmp_path)
    psf = json.loads(r.stdout)["metrics"]["methods"]["classical"]["psf68_deg"]
    assert any(row["n"] > 0 and 0.0 < row["value"] < 20.0 for row in psf)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "ep", "--data", "{calogan}", "--out", "{out}"], "not a DAMPE one"),
        (["train", "ep", "--data", "{p}", "--out", "{out}"], "needs electrons"),
        (["train", "interaction", "--data", "{notruth}", "--out", "{out}"], "missing dataset 'first_interaction_z'"),
        (["train", "muons", "--data", "{p}", "--out", "{out}"], "unknown task"),
        (["train", "ep", "--method", "svm", "--data", "{p}", "--out", "{out}"], "unknown method"),
        (["evaluate", "ep", "--model", "{ia}", "--data", "{p}"], "trained for task 'interaction'"),
        (["evaluate", "ep", "--model", "{missing}", "--data", "{p}"], "not a showerml reco model folder"),
        (["bench", "--data", "{calogan}", "--out", "{out}"], "not a DAMPE file"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(files: dict[str, Path], tmp_path: Path,
                                                         args: list[str], message: str) -> None:
    ia = tmp_path / "ia"
    ok = _reco("train", "interaction", "--method", "classical", "--data", files["p"], "--out", ia, "-q",
               cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    out = tmp_path / "out"
    subs = {**{k: str(v) for k, v in files.items()}, "out": str(out), "ia": str(ia),
            "missing": str(tmp_path / "nothing")}
    r = _reco(*(a.format(**subs) for a in args), cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("error:") and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ia"]


@pytest.mark.slow
def test_quick_demo_bench_writes_metrics_and_report(tmp_path: Path) -> None:
    from showerml.io.runfolder import json_safe
    from showerml.pipelines.reco import quick_reco_demo
    from showerml.reco.runs import BenchResult

    result = quick_reco_demo(tmp_path / "run")
    assert (tmp_path / "run" / "report.html").stat().st_size > 10_000
    saved = BenchResult.from_json(json.loads((tmp_path / "run" / "metrics.json").read_text()))
    assert "ep_1_10TeV" in saved.targets or saved.tasks["ep"].runs["cnn"].methods["cnn"].rejection_at_90
    assert result.tasks["direction"].runs["cnn"].methods["cnn"].psf68_deg
    # metrics.json is the typed result, and reads back as it
    assert json_safe(result) == json_safe(saved) == json.loads((tmp_path / "run" / "metrics.json").read_text())


def test_saturation_trains_calibrates_and_reduces_the_bias(tmp_path: Path) -> None:
    """Electrons with a lowered bar cap: the CNN + response calibration trains through the CLI, the calibration is
    stored with the model, and the recovered deposits are far less biased than the saturated readings."""
    data = simulate_to_file(DampeSimulator("e-", saturation_mev=5e5, max_clusters=64, chunk_size=100), 200,
                            parse_spectrum("loguniform:3000,15000"), 9, tmp_path / "sat.h5", progress=False)
    model = tmp_path / "sat_cnn"
    r = _reco("train", "saturation", "--data", data, "--epochs", "6", "--out", model, "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    config = json.loads((model / "cnn" / "config.json").read_text())
    assert len(config["response"]["share"]) == len(config["response"]["factor"]) >= 2
    r = _reco("evaluate", "saturation", "--model", model, "--data", data, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    metrics = json.loads(r.stdout)["metrics"]
    before, after = metrics["before"]["all"][0], metrics["after"]["all"][0]
    assert before < -0.1 and abs(after) < 0.5 * abs(before)
