"""Pythia 8 + FastJet dijets: the signal resonance, jet masses and two-prong substructure; seeding; CLI errors."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.detectors.dijet import DijetConfig, DijetGenerator, nsubjettiness
from showerml.errors import InputError

HAVE_PYTHIA = importlib.util.find_spec("pythia8mc") is not None and importlib.util.find_spec("fastjet") is not None
needs_pythia = pytest.mark.skipif(not HAVE_PYTHIA, reason="pythia8mc/fastjet not installed (showerml[collider])")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", *args], capture_output=True, text=True,
                          check=False)


def test_nsubjettiness_two_prong() -> None:
    pt = np.array([500.0, 500.0])
    rap, phi = np.array([0.0, 0.0]), np.array([0.0, 0.4])
    one = nsubjettiness(pt, rap, phi, np.array([[0.0, 0.2]]), 1.0)
    two = nsubjettiness(pt, rap, phi, np.array([[0.0, 0.0], [0.0, 0.4]]), 1.0)
    assert one == pytest.approx(0.2) and two == pytest.approx(0.0)
    # φ wraps around: axis at +π − 0.05 and particle at −π + 0.05 are 0.1 apart
    assert nsubjettiness(np.array([1.0]), np.zeros(1), np.array([-np.pi + 0.05]), np.array([[0.0, np.pi - 0.05]]),
                         1.0) == pytest.approx(0.1)


def test_config_errors() -> None:
    with pytest.raises(InputError, match="below m_W'"):
        DijetConfig(process="signal", m_x=3000, m_y=600)
    with pytest.raises(InputError, match="unknown dijet process"):
        DijetConfig(process="ttbar")
    with pytest.raises(InputError, match="mhat_min"):
        DijetConfig(mhat_min=14000.0)


@needs_pythia
def test_mhat_window_moves_mjj_up_and_trigger_holds() -> None:
    """PhaseSpace:mHatMin = 3 TeV: m_jj ≈ m̂ (radiation only lowers it) and the SlowJet pre-trigger keeps the
    FastJet trigger exact (every kept leading jet above 1.2 TeV)."""
    gen = DijetGenerator(DijetConfig(mhat_min=3000.0))
    out = gen.simulate(40, None, np.random.SeedSequence(8))  # type: ignore[arg-type]
    assert np.percentile(out["features"][:, 0], 10) > 2700.0
    assert np.all(out["jets"][:, 0, 0] >= 1200.0)


@needs_pythia
def test_signal_and_qcd_physics(tmp_path: Path) -> None:
    sig, qcd = tmp_path / "sig.h5", tmp_path / "qcd.h5"
    assert _cli("simulate", "dijet", "--process", "signal", "--n", "60", "--chunk-size", "30", "--seed", "3",
                "-q", "--out", str(sig)).returncode == 0
    assert _cli("simulate", "dijet", "--process", "qcd", "--n", "60", "--chunk-size", "30", "--seed", "3",
                "-q", "--out", str(qcd)).returncode == 0
    with h5py.File(sig) as f:
        s, attrs = f["features"][:], dict(f.attrs)
        assert set(f["label"][:]) == {1}
        assert np.all(f["jets"][:, 0, 0] > 1200.0)  # trigger on the leading jet
    with h5py.File(qcd) as f:
        q = f["features"][:]
    assert attrs["gen_m_wprime"] == 3500.0 and attrs["units"] == "GeV" and attrs["seed"] == 3
    assert 3200 < np.median(s[:, 0]) < 3700  # m_jj peaks near m_W'
    assert 420 < np.median(s[:, 1] + s[:, 2]) < 560  # heavier jet ≈ X (500 GeV)
    assert 70 < np.median(s[:, 1]) < 200  # lighter jet ≈ Y (100 GeV) plus UE
    assert np.median(s[:, 3]) < np.median(q[:, 3]) - 0.15  # two-prong jets: lower τ21
    assert np.median(s[:, 4]) < np.median(q[:, 4]) - 0.1
    assert np.median(q[:, 0]) < 3300 and np.percentile(q[:, 0], 90) > 3300  # falling spectrum through the SR


@needs_pythia
def test_same_file_for_any_number_of_workers(tmp_path: Path) -> None:
    from showerml.detectors.dijet import DijetGenerator
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.spectra import Spectrum

    gen = DijetGenerator(DijetConfig(process="signal", smear_pt=0.05, smear_m=0.1), chunk_size=8)
    beam = Spectrum("fixed", 13000.0, 13000.0)
    a = simulate_to_file(gen, 24, beam, 7, tmp_path / "a.h5", workers=1, progress=False)
    b = simulate_to_file(gen, 24, beam, 7, tmp_path / "b.h5", workers=2, progress=False)
    with h5py.File(a) as fa, h5py.File(b) as fb:
        assert np.array_equal(fa["features"][:], fb["features"][:])
        assert np.array_equal(fa["tau"][:], fb["tau"][:])


def test_cli_errors_exit_2_without_file(tmp_path: Path) -> None:
    out = tmp_path / "x.h5"
    proc = _cli("simulate", "dijet", "--process", "signal", "--m-x", "3400", "--out", str(out))
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "m_W'" in proc.stderr
    assert not out.exists()
    proc = _cli("simulate", "dijet", "--n", "0", "--out", str(out))
    assert proc.returncode == 2 and not out.exists()


def test_missing_collider_extra_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Without pythia8mc (sys.modules entry None: the import fails) the command names the extra to install."""
    from showerml.cli.main import run

    monkeypatch.setitem(sys.modules, "pythia8mc", None)
    out = tmp_path / "qcd.h5"
    monkeypatch.setattr(sys, "argv", ["showerml", "simulate", "dijet", "--n", "5", "--out", str(out), "-q"])
    with pytest.raises(SystemExit) as exc:
        run()
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.startswith("error: ") and "pip install 'showerml[collider]'" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
