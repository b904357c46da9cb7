"""TA files: reproducibility for any --workers, reading back with validation, the network window, the display, and
bad input (overlapping grid, unknown nucleus, zero composition, energies outside 10^17–10^21 eV, wrong (N, T))."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.cli.simulate_ta import parse_eev_spectrum
from showerml.detectors.ta import TaSimulator, default_layout, load_layout, parse_composition
from showerml.errors import DataFileError, InputError
from showerml.io.ta import check_network_input, read_ta
from showerml.pipelines.simulate import simulate_to_file


@pytest.fixture(scope="module")
def ta_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ta") / "mix.h5"
    sim = TaSimulator(chunk_size=20)
    return simulate_to_file(sim, 60, parse_eev_spectrum("powerlaw:1,3,100"), 5, path, progress=False)


def test_same_seed_gives_identical_files_for_one_and_two_workers(ta_file: Path, tmp_path: Path) -> None:
    b = simulate_to_file(TaSimulator(chunk_size=20), 60, parse_eev_spectrum("powerlaw:1,3,100"), 5,
                         tmp_path / "w2.h5", workers=2, progress=False)
    with h5py.File(ta_file) as fa, h5py.File(b) as fb:
        assert set(fa) == set(fb)
        for key in fa:
            np.testing.assert_array_equal(fa[key][()], fb[key][()])


def test_file_reads_back_with_the_station_contract_and_the_network_window(ta_file: Path) -> None:
    ev = read_ta(ta_file)
    assert len(ev) == 60 and ev.grid_xy.shape == (507, 2) and ev.attrs["grid_spacing_m"] == 1200.0
    n = ev["n_stations"]
    state = ev["station_state"]
    assert (n >= 3).all() and ((state > 0).sum(axis=1) == n).all()
    assert set(np.unique(state)) <= {0, 1, 2, 3}
    assert ev["station_traces"].dtype == np.float16 and ev["net_traces"].shape[1:] == (6, 6, 128, 2)
    assert np.isin(ev["mass_number"], [1, 4, 14, 56]).all()
    assert (ev["energy_eev"] >= 3).all() and (ev["energy_eev"] <= 100).all()
    for i in range(len(ev)):
        k = int(n[i])
        sig = ev["station_signal"][i, :k].sum(axis=1)
        # the traces integrate to the station signal (float16 storage: 3 significant digits)
        integral = ev["station_traces"][i, :k].astype(float).sum(axis=2)
        np.testing.assert_allclose(integral, ev["station_signal"][i, :k], atol=0.05 + 2e-3 * np.abs(integral).max())
        # the window holds the largest-signal station at its centre, with its exact position at (0, 0)
        feat = ev["net_features"][i]
        centre = np.argwhere((feat[..., 0] == 0) & (feat[..., 1] == 0) & np.isin(feat[..., 2], (1, 2)))
        assert len(centre) == 1 and tuple(centre[0]) in {(2, 2), (2, 3), (3, 2), (3, 3)}
        a, b = centre[0]
        assert feat[a, b, 3] == pytest.approx(sig.max(), rel=1e-4)
        assert ev["station_time"][i, :k][state[i, :k] < 3].min() == 0.0


def test_reader_refuses_wrong_shapes_and_other_detectors(ta_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.h5"
    with h5py.File(ta_file) as src, h5py.File(bad, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for key in src:
            data = src[key][()]
            dst[key] = data[:, :, :5] if key == "net_traces" else data
    with pytest.raises(DataFileError, match="net_traces.*needs"):
        read_ta(bad)
    with h5py.File(bad, "a") as f:
        f.attrs["detector"] = "dampe"
    with pytest.raises(DataFileError, match="not a TA one"):
        read_ta(bad)
    with pytest.raises(InputError, match=r"expected \(events, 6, 6, 128, 2\)"):
        check_network_input((10, 6, 6, 256, 2), 6, 128)
    with pytest.raises(InputError, match="N = 6"):
        check_network_input((10, 4, 4, 128, 2), 6, 128)


def test_display_draws_a_file_event(ta_file: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from showerml.report.ta_display import draw_ta_event

    fig = draw_ta_event(ta_file, 2)
    assert len(fig.axes) >= 2
    with pytest.raises(InputError, match="out of range"):
        draw_ta_event(ta_file, 600)


def test_layouts_compositions_and_energies_are_checked(tmp_path: Path) -> None:
    assert len(default_layout()) == 507
    grid = tmp_path / "grid.txt"
    grid.write_text("# x y\n0 0\n1200 0\n0 1200\n1200,1200\n")
    assert len(load_layout(grid)) == 4 and load_layout(grid).spacing == 1200.0
    grid.write_text("0 0\n1200 0\n1203 4\n0 1200\n")
    with pytest.raises(InputError, match="overlap"):
        load_layout(grid)
    grid.write_text("0 0\n1200 0\n0 1200\n1200 1200\n1500 1300\n")  # 1500,1300 rounds onto 1200,1200
    with pytest.raises(InputError, match="same cell"):
        load_layout(grid)
    assert parse_composition("p:1,Fe:3").fractions == (0.25, 0.75)
    assert parse_composition("Fe").species[0].mass_number == 56
    for bad, msg in (("p:1,Xe:1", "unknown primary"), ("p:0,Fe:0", "add up to zero"), ("p:-1", "non-negative"),
                     ("p:x", "not a number")):
        with pytest.raises(InputError, match=msg):
            parse_composition(bad)
    for bad in ("fixed:0.05", "powerlaw:1,1,2000", "loguniform:0.01,10"):
        with pytest.raises(InputError, match="10\\^17–10\\^21 eV"):
            parse_eev_spectrum(bad)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", "simulate", "ta", *args, "-q"],
                          capture_output=True, text=True, cwd=cwd, check=False, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--composition", "p:1,Kr:1"], "unknown primary"),
        (["--composition", "p:0,He:0"], "add up to zero"),
        (["--energy", "fixed:5000"], "10^17–10^21 eV"),
        (["--energy", "powerlaw:1,0.01,10"], "10^17–10^21 eV"),
        (["--energy", "fixed:0"], "positive"),
        (["--grid", "overlap.txt"], "overlap"),
        (["--grid", "missing.txt"], "no such file"),
        (["--off-fraction", "1.5"], "off-fraction"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "overlap.txt").write_text("0 0\n1200 0\n0 0.5\n0 1200\n")
    out = tmp_path / "out.h5"
    result = _cli("--n", "5", "--out", str(out), *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error:") and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob("*.h5*"))


def test_cli_writes_a_readable_file(tmp_path: Path) -> None:
    out = tmp_path / "ok.h5"
    result = _cli("--n", "8", "--out", str(out), "--energy", "fixed:20", "--composition", "photon", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ev = read_ta(out)
    assert len(ev) == 8 and (ev["mass_number"] == 0).all() and (ev["xmax"] > 900).all()


def test_config_file_sets_options_the_command_line_overrides_and_bad_keys_are_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "ta.yaml"
    cfg.write_text("composition: Fe\nn: 30\nenergy: fixed:30\n")
    out = tmp_path / "ta.h5"
    cmd = [sys.executable, "-m", "showerml.cli.main", "simulate", "ta", "--config", str(cfg), "--n", "5", "-q"]
    r = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    f = read_ta(out)
    assert len(f["energy_eev"]) == 5 and np.all(f["mass_number"] == 56)
    bad = tmp_path / "bad.yaml"
    bad.write_text("bogus: 1\n")
    r = subprocess.run([*cmd[:6], str(bad), "--out", str(tmp_path / "no.h5")], capture_output=True, text=True)
    assert r.returncode == 2 and "bogus" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no.h5").exists()
