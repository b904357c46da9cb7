"""``showerml evaluate`` and :func:`evaluate_files`: outputs, bad input (exit 2, nothing written), reproducibility."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.cli.main import run
from showerml.geometry import CylindricalLayer, Geometry
from showerml.io.runfolder import json_safe
from showerml.io.showers import ShowerData, write_showers
from showerml.metrics import ClassifierConfig, distort_showers
from showerml.pipelines.evaluate import EvaluateConfig, EvaluationMetrics, evaluate_files, evaluate_showers
from tests.evaluate_toy import toy_showers

N = 600
TINY_CLF = ClassifierConfig(hidden=(32, 32), epochs=6, patience=2, batch_size=128)
SMALL = EvaluateConfig(classifier=TINY_CLF, voxel_classifier=TINY_CLF)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("evaluate")
    paths = {k: d / f"{k}.h5" for k in ("ref", "gen", "dist", "tiny", "cyl")}
    write_showers(paths["ref"], toy_showers(N, 1))
    write_showers(paths["gen"], toy_showers(N, 2))
    write_showers(paths["dist"], distort_showers(toy_showers(N, 3), {0: 1.05}, width_smear=0.1, seed=0))
    write_showers(paths["tiny"], toy_showers(40, 4))
    geo = Geometry("tiny_cyl", (CylindricalLayer(r_edges=(0.0, 5.0, 10.0), n_alpha=4, z0=0, z1=1),))
    vox = np.random.default_rng(0).exponential(1.0, (N, 8)).astype(np.float32)
    write_showers(paths["cyl"], ShowerData(np.full(N, 100.0), vox, geo))
    return paths


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["showerml", "evaluate", *args])
    with pytest.raises(SystemExit) as exc:
        run()
    return int(exc.value.code or 0)


def test_cli_writes_metrics_and_report(files: dict[str, Path], tmp_path: Path, monkeypatch, capsys) -> None:
    out = tmp_path / "run"
    args = [
        "-r",
        str(files["ref"]),
        "-g",
        str(files["gen"]),
        "-g",
        str(files["dist"]),
        "--labels",
        "same",
        "--labels",
        "distorted",
        "--out",
        str(out),
        "-q",
        "--seed",
        "3",
    ]
    assert _cli(args, monkeypatch) == 0
    text = capsys.readouterr().out
    assert "same" in text and "distorted" in text and "ranking" in text
    metrics = json.loads((out / "metrics.json").read_text())
    for label in ("same", "distorted"):
        entry = metrics["generated"][label]
        assert {"low_level", "high_level"} <= set(entry["classifier"])
        assert {"auc", "jsd_bits", "jsd_nats"} <= set(entry["classifier"]["high_level"])
        assert set(entry["separation_power"]) == set(metrics["features"])
        assert {"value", "error", "consistent_with_zero"} == set(entry["fpd"]) == set(entry["kpd"])
    assert set(metrics["multiclass"]["ranking"]) == {"same", "distorted"}
    assert metrics["generated"]["distorted"]["fpd"]["value"] > metrics["generated"]["same"]["fpd"]["value"]
    html = (out / "report.html").read_text()
    assert html.count("<img") >= 4 and "Separation power" in html and 'src="http' not in html
    # a second run into the same folder needs --overwrite
    assert _cli(args, monkeypatch) == 2
    assert "--overwrite" in capsys.readouterr().err


def _assert_error(args: list[str], match: str, out: Path, monkeypatch, capsys) -> None:
    assert _cli([*args, "--out", str(out), "-q"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_cli_errors_exit_2_and_write_nothing(files: dict[str, Path], tmp_path: Path, monkeypatch, capsys) -> None:
    out = tmp_path / "never"
    ref = ["-r", str(files["ref"])]
    _assert_error([*ref, "-g", str(files["cyl"])], "same detector binning", out, monkeypatch, capsys)
    _assert_error([*ref, "-g", str(files["tiny"])], "needs at least 500", out, monkeypatch, capsys)
    _assert_error([*ref, "-g", str(files["gen"]), "-l", "a", "-l", "b"], "one label per", out, monkeypatch, capsys)
    _assert_error([*ref, "-g", str(tmp_path / "missing.h5")], "no such file", out, monkeypatch, capsys)
    bad = tmp_path / "nan.h5"
    with h5py.File(bad, "w") as f:
        f["energy"] = np.full((N, 1), 50.0)
        for i, shape in enumerate([(3, 96), (12, 12), (12, 6)]):
            f[f"layer_{i}"] = np.zeros((N, *shape), dtype=np.float32)
        f["layer_1"][5, 0, 0] = np.nan
    _assert_error([*ref, "-g", str(bad)], "NaN", out, monkeypatch, capsys)


def test_cli_rejects_the_real_51_shower_sample(geant4_calogan: Path, files, tmp_path, monkeypatch, capsys) -> None:
    _assert_error(
        ["-r", str(files["ref"]), "-g", str(geant4_calogan)], "holds 51 showers", tmp_path / "x", monkeypatch, capsys
    )


def test_same_seed_same_metrics_and_overwrite(files: dict[str, Path], tmp_path: Path) -> None:
    a = evaluate_files(files["ref"], [files["dist"]], tmp_path / "a", seed=7, config=SMALL, report=False)
    b = evaluate_files(
        files["ref"], [files["dist"]], tmp_path / "a", seed=7, config=SMALL, report=False, overwrite=True
    )

    def strip(m: EvaluationMetrics) -> dict:
        d = json_safe(m.to_json())
        for entry in d["generated"].values():
            for clf in entry["classifier"].values():
                clf.pop("seconds")
        return d

    assert strip(a) == strip(b)
    written = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert json_safe(EvaluationMetrics.from_json(written).to_json()) == written == json_safe(b.to_json())
    assert json.loads((tmp_path / "a" / "metrics.json").read_text())["seed"] == 7


def test_evaluate_showers_in_memory_sees_the_distortion() -> None:
    n = 3_000
    ref, same = toy_showers(n, 11), toy_showers(n, 12)
    dist = distort_showers(toy_showers(n, 13), {0: 1.05}, width_smear=0.1, seed=1)
    clf = ClassifierConfig(hidden=(64, 64), dropout=0.0, epochs=20, patience=3, batch_size=256, lr=2e-3)
    cfg = EvaluateConfig(voxel_level=False, classifier=clf)
    m = evaluate_showers(ref, {"same": same, "dist": dist}, cfg, seed=0).metrics
    same_e, dist_e = m.generated["same"], m.generated["dist"]
    assert dist_e.separation_power["x_width_1"] > 5 * same_e.separation_power["x_width_1"]
    assert dist_e.classifier.high_level is not None and same_e.classifier.high_level is not None
    assert dist_e.classifier.high_level.auc > 0.7 > same_e.classifier.high_level.auc
    assert dist_e.classifier.low_level is None  # switched off
    assert dist_e.fpd.value > 10 * abs(same_e.fpd.value) + 5 * dist_e.fpd.error
    assert m.multiclass is not None and m.multiclass.ranking == ["same", "dist"]


def test_calochallenge_protocol_is_the_default_for_dataset_2(files, tmp_path: Path, monkeypatch, capsys) -> None:
    """Dataset-2 files get the challenge's features, histograms (incl. voxel energies) and FPD/KPD; showerml's
    separation powers are reported beside them; the terminal marks distances consistent with 0."""
    from showerml.detectors.calochallenge import CaloChallenge2Simulator
    from showerml.pipelines.simulate import simulate_showers
    from showerml.spectra import parse_spectrum

    spec = parse_spectrum("loguniform:1,1000")
    ref, gen = (simulate_showers(CaloChallenge2Simulator(), N, spec, s) for s in (21, 22))
    write_showers(tmp_path / "ref.h5", ref)
    write_showers(tmp_path / "gen.h5", gen)
    write_showers(tmp_path / "dist.h5", distort_showers(gen, {k: 1.05 for k in range(10)}))
    cfg = EvaluateConfig(
        classifier=TINY_CLF,
        voxel_classifier=TINY_CLF,
        challenge_fpd_min_samples=300,
        challenge_fpd_max_samples=600,
        fpd_batches=4,
        kpd_batches=4,
        challenge_kpd_batch_size=300,
        chunk_size=250,
    )
    m = evaluate_files(tmp_path / "ref.h5", [tmp_path / "gen.h5", tmp_path / "dist.h5"], tmp_path / "run", config=cfg)
    assert m.protocol == "calochallenge" and m.threshold_mev == pytest.approx(0.5e-3 / 0.033)
    same, dist = m.generated["gen"], m.generated["dist"]
    assert {"E_tot/E_inc", "E_layer_0", "EC_eta_44", "width_phi_3", "voxel"} <= set(same.separation_power)
    assert {"sparsity_0", "EC_r_0", "width_r_0"} <= set(same.separation_power_extra)
    assert "E_0" in same.separation_power_showerml
    assert same.fpd.value is not None and same.fpd.value >= 0 and same.kpd.error is not None
    early = [f"E_layer_{i}" for i in range(10)]
    assert sum(dist.separation_power[n] for n in early) > sum(same.separation_power[n] for n in early)
    html = (tmp_path / "run" / "report.html").read_text()
    assert "CaloChallenge ranges" in html and "features and binning" in html
    # the command line: showerml's protocol on request (CaloGAN toy files), the challenge's refused where undefined
    out = tmp_path / "cli"
    args = ["-r", str(files["ref"]), "-g", str(files["gen"]), "--out", str(out), "-q"]
    assert _cli([*args, "--protocol", "calochallenge"], monkeypatch) == 2
    assert "datasets 2 and 3" in capsys.readouterr().err and not out.exists()
    assert _cli([*args, "--protocol", "showerml", "--max-events", "550"], monkeypatch) == 0
    text = capsys.readouterr().out
    assert "showerml protocol" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["protocol"] == "showerml" and metrics["reference"]["n_showers"] == 550
    if metrics["generated"]["gen"]["kpd"]["consistent_with_zero"]:
        assert "consistent with 0" in text
    assert _cli([*args, "--protocol", "nope", "--overwrite"], monkeypatch) == 2
    assert "unknown protocol" in capsys.readouterr().err


def test_classifier_recipe_options_reach_the_evaluation(files, tmp_path: Path, monkeypatch, capsys) -> None:
    """--classifier-recipe/-hidden/-layers/-epochs set both CaloChallenge classifiers; no option: the official
    recipe (the pipeline's default); bad values: one line, exit 2, nothing written."""
    import showerml.pipelines.evaluate as pipeline
    from showerml.errors import InputError
    from showerml.metrics.classifier import calochallenge_voxel_config

    seen: list[EvaluateConfig] = []

    def fake(*args: object) -> None:  # records the config the CLI built (its 9th argument), then stops
        assert isinstance(args[8], EvaluateConfig)
        seen.append(args[8])
        raise InputError("stopped by the test")

    monkeypatch.setattr(pipeline, "evaluate_files", fake)
    out = tmp_path / "never"
    base = ["-r", str(files["ref"]), "-g", str(files["gen"]), "--protocol", "calochallenge"]
    _assert_error(base, "stopped by the test", out, monkeypatch, capsys)
    assert seen[-1].classifier is None and seen[-1].voxel_classifier is None and seen[-1].classifier_recipe is None
    _assert_error([*base, "--classifier-recipe", "reduced"], "stopped", out, monkeypatch, capsys)
    reduced = calochallenge_voxel_config(hidden=(256,) * 3, epochs=20, patience=21)
    assert seen[-1].classifier == seen[-1].voxel_classifier == reduced
    assert seen[-1].classifier_recipe == "reduced: 3 × 256, 20 epochs"
    _assert_error([*base, "--classifier-hidden", "64", "--classifier-layers", "0", "--classifier-epochs", "3"],
                  "stopped", out, monkeypatch, capsys)
    assert seen[-1].classifier == calochallenge_voxel_config(hidden=(64,), epochs=3, patience=4)
    assert seen[-1].classifier_recipe == "official (modified): 1 × 64, 3 epochs"
    n_calls = len(seen)
    for bad, match in (
        (["--classifier-recipe", "huge"], "unknown classifier recipe 'huge'"),
        (["--classifier-hidden", "0"], "--classifier-hidden must be an integer from 1"),
        (["--classifier-layers", "-1"], "--classifier-layers must be"),
        (["--classifier-epochs", "0"], "--classifier-epochs must be"),
        (["--classifier-epochs", "abc"], "--classifier-epochs"),
    ):
        _assert_error([*base, *bad], match, out, monkeypatch, capsys)
    # showerml's protocol (the default for CaloGAN files) has its own classifiers: the options are refused
    _assert_error(["-r", str(files["ref"]), "-g", str(files["gen"]), "--classifier-recipe", "reduced"],
                  "apply with --protocol calochallenge", out, monkeypatch, capsys)
    assert len(seen) == n_calls  # none of the bad ones got as far as the evaluation
