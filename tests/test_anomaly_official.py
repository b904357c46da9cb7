"""The official LHCO R&D signal-region files as a first-class workflow, on small files in that layout built here:
rounding noise, named roles kept as given, duplicates across files, signal-region-only inputs, methods that need
sidebands, statistical floors, and a failed run leaving nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from showerml.anomaly import MethodConfig, Regions
from showerml.anomaly.toy import toy_dijets
from showerml.errors import DataFileError, InputError
from showerml.io.lhco import MASS_TOLERANCE, read_dijet
from showerml.pipelines import anomaly as pipeline
from showerml.pipelines.anomaly import Roles, RunConfig, make_role_split, run_anomaly, scan_anomaly
from tests.anomaly_helpers import FAST, cli, official_files

TINY = MethodConfig(n_models=1, epochs=2, patience=1, flow_epochs=2, flow_transforms=1, oversample=1)


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return official_files(tmp_path_factory.mktemp("lhco") / "official")


def test_layout_matches_the_cathode_preparation(official: dict[str, Path]) -> None:
    inner = np.load(official["innerdata_train"])
    outer = np.load(official["outerdata_train"])
    test = np.load(official["innerdata_test"])
    assert inner.shape[1] == 6 and inner.dtype == np.float64
    assert np.all((inner[:, 0] > 3.3) & (inner[:, 0] < 3.7))  # TeV, open SR as in the preparation script
    assert not np.any((outer[:, 0] > 3.3) & (outer[:, 0] < 3.7))
    assert set(np.unique(test[:, 5])) == {0.0, 1.0}
    assert np.all(np.load(official["innerdata_extrabkg_train"])[:, 5] == 0)
    assert np.all(np.load(official["innerdata_extrasig_train"])[:, 5] == 1)


def test_rounding_noise_tolerated_and_stated(tmp_path: Path, official: dict[str, Path]) -> None:
    rows = np.load(official["innerdata_train"])
    rows[:3, 1] = -2e-8  # what the official innerdata_train.npy holds
    np.save(tmp_path / "noisy.npy", rows)
    s = read_dijet(tmp_path / "noisy.npy")
    assert np.all(s.features[:3, 1] == 0.0) and np.all(s.features[:, 1:3] >= 0)
    assert MASS_TOLERANCE == pytest.approx(1e-3)  # GeV: 1e-6 TeV
    rows[0, 1] = -1e-5  # ten times the tolerance: a real inconsistency
    np.save(tmp_path / "bad.npy", rows)
    with pytest.raises(DataFileError, match="below the rounding tolerance"):
        read_dijet(tmp_path / "bad.npy")


def _roles(official: dict[str, Path], sidebands: bool = True, **extra: object) -> Roles:
    train = [read_dijet(official["innerdata_train"])]
    if sidebands:
        train.append(read_dijet(official["outerdata_train"]))
    from showerml.io.lhco import DijetSample

    parts = {"train": DijetSample.concatenate(train), "val": read_dijet(official["innerdata_val"]),
             "test": read_dijet(official["innerdata_test"]),
             "reference": read_dijet(official["innerdata_extrabkg_train"]),
             "signal": read_dijet(official["innerdata_extrasig_train"])}
    parts.update(extra)  # type: ignore[arg-type]
    return Roles(**parts)  # type: ignore[arg-type]


def test_roles_are_used_as_given(official: dict[str, Path]) -> None:
    roles = _roles(official)
    split = make_role_split(roles, Regions())
    test = np.load(official["innerdata_test"])
    assert len(split.test_x) == len(test)  # the fixed test set, not a re-split of the data
    assert np.allclose(np.sort(split.test_x[:, 0]), np.sort(test[:, 0] * 1000))
    assert split.inputs.validation is not None and len(split.inputs.validation) == len(roles.val)  # type: ignore
    assert np.array_equal(split.inputs.reference, roles.reference.features)  # type: ignore[union-attr]
    assert np.array_equal(split.inputs.data, roles.train.features) and split.notes == []


def test_duplicates_across_files_are_removed_from_the_test_set(official: dict[str, Path]) -> None:
    from showerml.io.lhco import DijetSample

    val, test = read_dijet(official["innerdata_val"]), read_dijet(official["innerdata_test"])
    overlapping = DijetSample.concatenate([test, val.subset(val.label == 0)])  # test holds all val background
    split = make_role_split(_roles(official, test=overlapping), Regions())
    assert len(split.test_x) == len(test)
    assert any("removed from --test" in n and str(int(np.sum(val.label == 0))) in n for n in split.notes)


def test_signal_region_only_supported(tmp_path: Path, official: dict[str, Path]) -> None:
    cfg = RunConfig(methods=["idealized", "autoencoder"], method=TINY)
    summary = run_anomaly(_roles(official, sidebands=False), tmp_path / "sr", cfg)
    assert set(summary.methods) == {"idealized", "autoencoder"}
    assert any(n.startswith("no bump hunt") and "signal-region-only" in n for n in summary.notes)
    assert summary.methods["idealized"].bump_hunt_before is None and summary.n_inject is None
    config = json.loads((tmp_path / "sr" / "config.json").read_text())
    assert "n_inject" not in config and config["inputs"] == "roles"


def test_with_sidebands_every_method_and_the_bump_hunt_run(tmp_path: Path, official: dict[str, Path]) -> None:
    cfg = RunConfig(methods=["cwola", "supervised"], method=TINY)
    summary = run_anomaly(_roles(official), tmp_path / "full", cfg)
    hunt = summary.methods["cwola"].bump_hunt_before
    assert hunt is not None and hunt.n_expected > 0
    assert summary.methods["supervised"].max_sic > 1.5  # labelled signal vs reference: clearly above random


@pytest.mark.parametrize("method", ["cathode", "anode", "cwola"])
def test_sideband_methods_say_so(tmp_path: Path, official: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    out = tmp_path / "run"
    code, _, err = cli(capsys, monkeypatch, "anomaly", "run", "--train", str(official["innerdata_train"]),
                       "--test", str(official["innerdata_test"]), "--method", method, "--out", str(out), *FAST)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"error: {method} needs sideband data" in err and "outside the SR 3.3–3.7 TeV" in err
    assert not out.exists()


def test_all_skips_what_cannot_run(tmp_path: Path, official: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    code, stdout, err = cli(capsys, monkeypatch, "anomaly", "run", "--train", str(official["innerdata_train"]),
                            "--test", str(official["innerdata_test"]), "--method", "all", "--out", str(out), *FAST)
    assert code == 0, err
    for skipped in ("supervised", "idealized", "cwola", "anode", "cathode"):
        assert f"note: skipped {skipped} needs" in stdout
    assert "autoencoder" in json.loads((out / "metrics.json").read_text())["methods"]
    assert "GeV" not in stdout and "2805" not in stdout  # TeV throughout, as --sr takes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "A", "--train", "A", "--test", "A"], "either --data"),
        (["--train", "A"], "--train needs --test"),
        (["--train", "A", "--test", "A", "--inject", "10"], "--inject applies to --data"),
        (["--data", "A", "--val", "A"], "go with --train"),
    ],
)
def test_role_option_errors(tmp_path: Path, official: dict[str, Path], capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    path = str(official["innerdata_train"])
    out = tmp_path / "run"
    code, _, err = cli(capsys, monkeypatch, "anomaly", "run", *[path if a == "A" else a for a in args],
                       "--out", str(out))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_reference_must_be_background(tmp_path: Path, official: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="--reference must hold background only"):
        make_role_split(_roles(official, reference=read_dijet(official["innerdata_test"])), Regions())


def test_failed_run_leaves_no_folder(tmp_path: Path, official: dict[str, Path],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("training crashed")

    monkeypatch.setattr(pipeline, "fit_and_score", boom)
    with pytest.raises(RuntimeError):
        run_anomaly(_roles(official), tmp_path / "run", RunConfig(methods=["autoencoder"], method=TINY))
    assert list(tmp_path.iterdir()) == []


def test_scan_config_records_no_single_injection_or_seed(tmp_path: Path) -> None:
    pool = toy_dijets(4000, 600, seed=2)
    cfg = RunConfig(methods=["supervised"], method=TINY)
    scan_anomaly(pool, tmp_path / "scan", cfg, [50, 100], [0, 1])
    config = json.loads((tmp_path / "scan" / "config.json").read_text())
    assert "n_inject" not in config and "seed" not in config
    assert config["injections"] == [50, 100] and config["seeds"] == [0, 1]
    bands = json.loads((tmp_path / "scan" / "metrics.json").read_text())["bands"]
    assert all("rejection_05_lower_bound" in b for b in bands)


def test_pool_with_an_external_reference(official: dict[str, Path]) -> None:
    pool = toy_dijets(6000, 800, seed=9)
    extra = read_dijet(official["innerdata_extrabkg_train"])
    from showerml.io.lhco import DijetSample

    overlapping = DijetSample.concatenate([extra, pool.subset(np.flatnonzero(pool.label == 0)[:50])])
    split = pipeline.make_split(pool, Regions(), 100, 0, reference=overlapping)
    assert np.array_equal(split.inputs.reference, extra.features)  # the 50 pool events are dropped from it
    assert any("50 of the" in n and "--reference" in n for n in split.notes)
    assert int(np.sum(split.data_label == 0)) == 4500  # 75 % of the background → data, 25 % → test, no reference


def test_toy_command_writes_the_cathode_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "toy.npy"
    code, _, err = cli(capsys, monkeypatch, "anomaly", "toy", "--n-background", "500", "--n-signal", "50",
                       "--out", str(out))
    assert code == 0, err
    s = read_dijet(out)
    assert len(s) == 550 and int(np.sum(s.label == 1)) == 50
    assert np.allclose(s.features, toy_dijets(500, 50, seed=0).features)  # TeV on disk, GeV back
    code, _, err = cli(capsys, monkeypatch, "anomaly", "toy", "--n-background", "5", "--out", str(tmp_path / "t.h5"))
    assert code == 2 and "must name a .npy file" in err
