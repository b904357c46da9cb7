"""A model folder's config.json is parsed by a typed schema and its weights checked against the saved digest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from showerml.errors import DataFileError

from .fastsim_helpers import SMALL, TINY, tiny_showers


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    from showerml.generative.preprocessing import PreprocessConfig
    from showerml.generative.registry import build_model
    from showerml.nn.training import TrainConfig

    model = build_model("cfm", TINY, SMALL["cfm"], PreprocessConfig(calib_showers=40))
    model.fit(tiny_showers(120), TrainConfig(epochs=1, batch_size=64, progress=False))
    return model.save(tmp_path_factory.mktemp("m") / "cfm")


def _copy(saved: Path, tmp_path: Path, edit=None) -> Path:
    out = tmp_path / "model"
    out.mkdir()
    for name in ("config.json", "weights.safetensors"):
        (out / name).write_bytes((saved / name).read_bytes())
    if edit is not None:
        config = json.loads((out / "config.json").read_text())
        edit(config)
        (out / "config.json").write_text(json.dumps(config))
    return out


def test_the_saved_config_records_the_weights_digest_and_loads(saved: Path) -> None:
    from showerml.generative.registry import load_model
    from showerml.nn.serialization import file_sha256

    config = json.loads((saved / "config.json").read_text())
    assert config["weights_sha256"] == file_sha256(saved / "weights.safetensors")
    assert load_model(saved).hparams["steps"] == SMALL["cfm"]["steps"]


@pytest.mark.parametrize(
    "edit, field, expected",
    [
        (lambda c: c["preprocessing"].__setitem__("energy_range", "1,100"), "preprocessing.energy_range",
         "a list of numbers"),
        (lambda c: c["hparams"].__setitem__("steps", -3), "hparams.steps", "an integer ≥ 1"),
        (lambda c: c["hparams"].__setitem__("width", "32"), "hparams.width", "an integer"),
        (lambda c: c["hparams"].__setitem__("depth", 3), "hparams.depth", "not a setting"),
        (lambda c: c["preprocessing"].__setitem__("alpha", 0.7), "preprocessing.alpha", "< 0.5"),
        (lambda c: c.__setitem__("hparams", [1, 2]), "hparams", "object"),
    ],
)
def test_a_wrong_field_is_one_line_naming_it(saved: Path, tmp_path: Path, edit, field: str, expected: str) -> None:
    from showerml.generative.registry import load_model

    folder = _copy(saved, tmp_path, edit)
    with pytest.raises(DataFileError) as info:
        load_model(folder)
    msg = str(info.value)
    assert f"'{field}'" in msg and expected in msg and "\n" not in msg


def test_tampered_weights_are_refused(saved: Path, tmp_path: Path) -> None:
    from showerml.generative.registry import load_model

    folder = _copy(saved, tmp_path)
    weights = folder / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-64:] = bytes(64)  # overwrite the end of the tensor data: still a readable safetensors file
    weights.write_bytes(bytes(data))
    with pytest.raises(DataFileError, match="SHA-256 digest"):
        load_model(folder)


def test_cli_reports_a_broken_config_in_one_line(saved: Path, tmp_path: Path) -> None:
    folder = _copy(saved, tmp_path, lambda c: c["preprocessing"].__setitem__("energy_range", "1,100"))
    r = subprocess.run([sys.executable, "-m", "showerml.cli.main", "fastsim", "sample", "--model", str(folder), "--n",
                        "5", "--energy", "fixed:10", "--out", str(tmp_path / "g.h5")], capture_output=True, text=True,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1
    assert "preprocessing.energy_range" in r.stderr and not (tmp_path / "g.h5").exists()
