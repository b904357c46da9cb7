"""DAMPE files: acceptance, reproducibility for any --workers, layout validation, CLI bad input, event display."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from showerml.detectors.dampe import DampeSimulator, parse_particle
from showerml.detectors.dampe import geometry as geo
from showerml.errors import DataFileError, InputError
from showerml.io.dampe import read_dampe
from showerml.pipelines.simulate import simulate_to_file
from showerml.spectra import parse_spectrum


def test_analytic_geometry_factor_has_the_thin_limit_and_matches_monte_carlo() -> None:
    # far apart, G → A₁A₂/l²
    assert geo.geometric_factor_analytic(100.0, 100.0, 1e5) * 1e6 == pytest.approx(0.16, rel=1e-3)
    g = geo.geometric_factor_analytic()
    g_mc, err = geo.geometric_factor_mc(1_000_000, seed=1)
    assert abs(g_mc - g) < 4 * err
    assert 0.2 < g < 0.35  # m² sr: the PSD-top × BGO-bottom selection of a DAMPE-sized instrument


def test_file_acceptance_from_its_own_trials_matches_the_analytic_factor(tmp_path: Path) -> None:
    path = simulate_to_file(DampeSimulator("e-", chunk_size=1000), 3000, parse_spectrum("fixed:5"), 4,
                            tmp_path / "acc.h5", progress=False)
    events = read_dampe(path)
    g, err = events.acceptance_from_trials()
    analytic = events.attrs["acceptance_analytic_m2sr"]
    assert abs(g - analytic) < 4 * err
    assert abs(events.attrs["acceptance_m2sr"] - analytic) < 4 * events.attrs["acceptance_err_m2sr"]
    # isotropic flux through a plane: cos θ is distributed as 2 cos θ, cut by the BGO: θ < atan(1.31 m / 0.78 m)
    assert events["theta"].max() < np.arctan((geo.PSD_HALF + geo.BGO_HALF) * np.sqrt(2) / 779.7)
    # every accepted track crosses the BGO bottom
    x, y = (events["intercept"] + events["slope"] * geo.BGO_BOTTOM_Z).T
    assert (np.abs(x) < geo.BGO_HALF).all() and (np.abs(y) < geo.BGO_HALF).all()


def test_same_seed_gives_identical_files_for_one_and_two_workers(tmp_path: Path) -> None:
    sim = DampeSimulator("He", chunk_size=25)
    spectrum = parse_spectrum("powerlaw:2.7,100,1e4")
    a = simulate_to_file(sim, 75, spectrum, 11, tmp_path / "w1.h5", workers=1, progress=False)
    b = simulate_to_file(sim, 75, spectrum, 11, tmp_path / "w2.h5", workers=2, progress=False)
    with h5py.File(a) as fa, h5py.File(b) as fb:
        assert set(fa) == set(fb)
        for key in fa:
            np.testing.assert_array_equal(fa[key][()], fb[key][()], err_msg=key)
        assert dict(fa.attrs) .keys() == dict(fb.attrs).keys()
        assert fa.attrs["acceptance_m2sr"] == fb.attrs["acceptance_m2sr"]
    c = simulate_to_file(sim, 75, spectrum, 12, tmp_path / "s12.h5", progress=False)
    with h5py.File(a) as fa, h5py.File(c) as fc:
        assert not np.array_equal(fa["bgo"][()], fc["bgo"][()])


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dampe") / "p.h5"
    return simulate_to_file(DampeSimulator("p", chunk_size=20), 20, parse_spectrum("fixed:500"), 1, path,
                            progress=False)


def _corrupt(src: Path, dst: Path, edit) -> Path:
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "a") as f:
        edit(f)
    return dst


def test_read_dampe_validates_keys_shapes_and_values(small_file: Path, tmp_path: Path) -> None:
    events = read_dampe(small_file)
    assert len(events) == 20 and events["bgo"].shape == (20, 14, 22) and events["psd"].shape == (20, 2, 41)
    assert events.clusters(0).shape[1] == 4
    cases = {
        "missing dataset 'psd'": lambda f: f.__delitem__("psd"),
        "has shape": lambda f: (f.__delitem__("bgo"), f.create_dataset("bgo", data=np.zeros((20, 22, 14)))),
        "NaN or inf": lambda f: f["energy"].__setitem__(3, np.nan),
        "negative values": lambda f: f["psd"].__setitem__((2, 0, 0), -1.0),
    }
    for i, (message, edit) in enumerate(cases.items()):
        bad = _corrupt(small_file, tmp_path / f"bad{i}.h5", edit)
        with pytest.raises(DataFileError, match=message) as info:
            read_dampe(bad)
        assert "\n" not in str(info.value)
    with pytest.raises(DataFileError, match="no such file"):
        read_dampe(tmp_path / "absent.h5")


def test_particles_parse_by_name_symbol_and_charge() -> None:
    assert (parse_particle("Fe").z, parse_particle("Fe").a) == (26, 56)
    assert parse_particle("Z=8").name == "O" and parse_particle("z=1").name == "p"
    assert parse_particle("gamma").z == 0 and parse_particle("e+").electromagnetic
    for bad in ("Z=0", "Z=29", "Z=x", "muon"):
        with pytest.raises(InputError):
            parse_particle(bad)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", "simulate", "dampe", *args, "-q"],
                          capture_output=True, text=True, cwd=cwd, check=False, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--particle", "muon"], "unknown particle"),
        (["--particle", "Z=0"], "outside 1..28"),
        (["--particle", "Z=29"], "outside 1..28"),
        (["--energy", "fixed:0"], "positive"),
        (["--energy", "powerlaw:2.7,-10,100"], "positive"),
        (["--energy", "uniform:100,10"], "inverted"),
        (["--saturation", "0"], "saturation"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out.h5"
    result = _cli("--n", "5", "--out", str(out), *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_a_file_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    out = tmp_path / "he.h5"
    ok = _cli("--particle", "He", "--n", "10", "--energy", "fixed:200", "--out", str(out), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "acceptance" in ok.stdout and len(read_dampe(out)) == 10
    before = out.read_bytes()
    again = _cli("--particle", "p", "--n", "5", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.startswith("error:") and "--overwrite" in again.stderr
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["he.h5"]


def test_event_display_draws_both_views(small_file: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from showerml.report.dampe_display import draw_dampe_event

    fig = draw_dampe_event(small_file, 3)
    views = [ax for ax in fig.axes if ax.get_xlabel() in ("x [mm]", "y [mm]")]
    assert len(views) == 2 and len(views[0].collections) > 0  # BGO bars drawn
    plt.close(fig)
    fig = draw_dampe_event(read_dampe(small_file), 0)
    plt.close(fig)
    with pytest.raises(InputError, match="out of range"):
        draw_dampe_event(read_dampe(small_file), 20)
