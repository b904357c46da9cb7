"""TA standard SD reconstruction (reco/ta_*): fits against synthetic events with known truth, pulls, quality cuts,
energy table, composition observables, bad input; and, slow, on the TA simulator's output.

Synthetic events are drawn from the very model the fits assume (TA LDF, modified Linsley front, the uncertainty
models of :mod:`showerml.reco.ta_shower`) with Gaussian fluctuations, on a 16 × 16 grid of 1.2 km.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.reco.ta_energy import EnergyTable, build_energy_table
from showerml.reco.ta_geometry_fit import fit_geometry
from showerml.reco.ta_ldf_fit import fit_joint, fit_ldf
from showerml.reco.ta_observables import OBSERVABLES, count_peaks, observables
from showerml.reco.ta_quality import CUTS, apply_cuts, border_distance
from showerml.reco.ta_reconstruct import reconstruct
from showerml.reco.ta_shower import C_M_PER_NS, axis, ldf, sigma_density, sigma_time
from showerml.reco.ta_stations import StationArrays

SPACING = 1200.0


def grid(n_side: int = 16) -> np.ndarray:
    g = (np.arange(n_side) - (n_side - 1) / 2) * SPACING
    xx, yy = np.meshgrid(g, g)
    return np.column_stack([xx.ravel(), yy.ravel()])


def synth(n: int, seed: int = 0, m_max: int = 64, s800_range: tuple[float, float] = (3.0, 60.0),
          sat_rho: float | None = None) -> tuple[StationArrays, dict[str, np.ndarray]]:
    """Events from the fitted model: stations with expected density > 1/3 VEM/m² trigger (a deterministic
    selection, so the Gaussian fluctuations stay unbiased); saturated stations are clipped at ``sat_rho``."""
    rng = np.random.default_rng(seed)
    g = grid()
    theta = np.arccos(np.sqrt(rng.uniform(np.cos(np.radians(45)) ** 2, 1.0, n)))
    phi = rng.uniform(0, 2 * np.pi, n)
    s800 = np.exp(rng.uniform(*np.log(s800_range), n))
    core = rng.uniform(-3 * SPACING, 3 * SPACING, (n, 2))
    a = rng.uniform(0.1, 0.5, n)
    xy, state = np.zeros((n, m_max, 2)), np.zeros((n, m_max), np.int64)
    sig, tim = np.zeros((n, m_max, 2)), np.zeros((n, m_max))
    for i in range(n):
        nv = axis(theta[i], phi[i])
        d = g - core[i]
        along = d @ nv[:2]
        r = np.sqrt(np.maximum((d**2).sum(1) - along**2, 0))
        rho = s800[i] * ldf(r, theta[i])
        meas = np.maximum(rho + rng.normal(size=len(r)) * sigma_density(rho), 0.01)
        idx = np.flatnonzero(rho > 1.0 / 3.0)
        idx = idx[np.argsort(-meas[idx])][:m_max]
        k = len(idx)
        t = -along[idx] / C_M_PER_NS + a[i] * (1 + r[idx] / 30) ** 1.5 / np.sqrt(ldf(r[idx], theta[i]))
        t = t + rng.normal(size=k) * sigma_time(r[idx], rho[idx])
        xy[i, :k], state[i, :k] = g[idx], 1
        m = meas[idx] * 3.0
        if sat_rho is not None:
            s = meas[idx] > sat_rho
            state[i, :k][s] = 2
            m = np.where(s, sat_rho * 3.0, m)
        sig[i, :k] = m[:, None]
        tim[i, :k] = t - t.min()
    return StationArrays(xy, state, sig, tim), {"theta": theta, "phi": phi, "s800": s800, "core": core, "a": a}


def pull_ok(est: np.ndarray, err: np.ndarray, true: np.ndarray, tol_mean: float = 0.2,
            width: tuple[float, float] = (0.8, 1.25)) -> tuple[bool, float, float]:
    """Pulls (est − true)/err: |mean| < tol_mean and robust width (1.4826 MAD) within ``width``."""
    p = (est - true) / err
    p = p[np.isfinite(p)]
    mean, w = float(np.mean(p)), float(1.4826 * np.median(np.abs(p - np.median(p))))
    return abs(mean) < tol_mean and width[0] < w < width[1], mean, w


@pytest.fixture(scope="module")
def fitted() -> tuple[StationArrays, dict[str, np.ndarray], object, object, object, float]:
    st, truth = synth(240, seed=11)
    t0 = time.perf_counter()
    geo = fit_geometry(st)
    lf = fit_ldf(st, geo)
    jf = fit_joint(st, geo, lf)
    return st, truth, geo, lf, jf, len(truth["theta"]) / (time.perf_counter() - t0)


@pytest.mark.slow
def test_pulls_of_the_joint_fit_are_standard_normal(fitted: tuple) -> None:
    """≥ 200 events: core, θ, φ (θ > 10°), S800 recovered within their quoted errors."""
    st, truth, geo, lf, jf, speed = fitted
    print(f"joint reconstruction: {speed:.1f} events/s")
    sel = truth["theta"] > np.radians(10)
    dphi = (jf.phi - truth["phi"] + np.pi) % (2 * np.pi) - np.pi
    checks = {
        "x": pull_ok(jf.core[:, 0], jf.core_err[:, 0], truth["core"][:, 0]),
        "y": pull_ok(jf.core[:, 1], jf.core_err[:, 1], truth["core"][:, 1]),
        "theta": pull_ok(jf.theta, jf.theta_err, truth["theta"]),
        "phi": pull_ok(dphi[sel], jf.phi_err[sel], 0.0 * dphi[sel]),
        "s800": pull_ok(jf.s800, jf.s800_err, truth["s800"]),
        "geometry theta": pull_ok(geo.theta, geo.theta_err, truth["theta"]),
        "ldf s800": pull_ok(lf.s800, lf.s800_err, truth["s800"]),
    }
    assert all(c[0] for c in checks.values()), checks
    assert jf.ok.mean() > 0.95 and len(truth["theta"]) >= 200


@pytest.mark.slow
def test_pull_check_catches_a_biased_or_overconfident_fit(fitted: tuple) -> None:
    _, truth, _, _, jf, _ = fitted
    assert pull_ok(jf.s800, jf.s800_err, truth["s800"])[0]
    assert not pull_ok(jf.s800 + 1.0 * jf.s800_err, jf.s800_err, truth["s800"])[0]   # biased by 1 σ
    assert not pull_ok(jf.theta, jf.theta_err / 2, truth["theta"])[0]               # errors too small
    assert not pull_ok(jf.core[:, 0], 2 * jf.core_err[:, 0], truth["core"][:, 0])[0]  # errors too large


def test_fits_recover_truth_on_a_few_events_and_speed() -> None:
    st, truth = synth(20, seed=3, s800_range=(20.0, 60.0))
    t0 = time.perf_counter()
    rec = reconstruct(st, grid())
    speed = 20 / (time.perf_counter() - t0)
    print(f"standard reconstruction: {speed:.1f} events/s")
    j = rec.joint
    cosang = (axis(j.theta, j.phi) * axis(truth["theta"], truth["phi"])).sum(-1)
    assert np.degrees(np.arccos(np.clip(cosang, -1, 1))).max() < 3.0
    assert np.abs(np.log(j.s800 / truth["s800"])).max() < 0.3
    assert np.hypot(*(j.core - truth["core"]).T).max() < 200.0
    assert speed > 1.0


def test_saturated_stations_excluded_or_lower_limits_keep_s800_unbiased() -> None:
    st, truth = synth(40, seed=5, s800_range=(30.0, 60.0), sat_rho=100.0)
    assert (st.state == 2).any()
    geo = fit_geometry(st)
    for mode in ("exclude", "lower_limit"):
        lf = fit_ldf(st, geo, mode)
        assert abs(np.median(np.log(lf.s800 / truth["s800"]))) < 0.05, mode
    # counting the clipped signals as measured biases S800 low: the handling matters
    naive = StationArrays(st.xy, np.where(st.state == 2, 1, st.state), st.signal, st.time)
    lf_naive = fit_ldf(naive, fit_geometry(naive))
    assert np.median(np.log(lf_naive.s800 / truth["s800"])) < -0.05


def _cut_inputs(n: int = 8) -> dict[str, np.ndarray]:
    return {"n_stations": np.full(n, 7), "theta": np.full(n, np.radians(30)), "core": np.zeros((n, 2)),
            "grid_xy": grid(), "chi2_ndf_geom": np.ones(n), "chi2_ndf_ldf": np.ones(n),
            "pointing_err": np.full(n, np.radians(1)), "s800": np.full(n, 20.0), "s800_err": np.full(n, 2.0)}


def test_quality_cuts_on_crafted_events() -> None:
    kw = _cut_inputs()
    kw["n_stations"][1] = 4
    kw["theta"][2] = np.radians(46)
    kw["core"][3] = (8000.0, 0.0)   # 9000 m half-width − 8000 m = 1000 m from the border
    kw["chi2_ndf_geom"][4] = 4.5
    kw["chi2_ndf_ldf"][5] = 5.0
    kw["pointing_err"][6] = np.radians(6)
    kw["s800_err"][7] = 6.0
    q = apply_cuts(**kw)
    assert q.passed.tolist() == [True] + [False] * 7
    for i, name in enumerate(CUTS, start=1):
        assert q.reasons(i) == [name]
    kw["theta"][0] = np.nan
    assert not apply_cuts(**kw).passed[0]


def test_border_distance_of_a_square_grid() -> None:
    half = 7.5 * SPACING
    d = border_distance(np.array([[0.0, 0.0], [half - 1200.0, 0.0], [half + 10.0, 0.0]]), grid())
    assert d == pytest.approx([half, 1200.0, -10.0])


def test_energy_table_inverts_synthetic_s800() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    e = 10 ** rng.uniform(0, 2.5, n)
    th = np.arccos(np.sqrt(rng.uniform(0.5, 1, n)))
    sec = 1 / np.cos(th)
    truth_s800 = 3.0 * e**0.95 * np.exp(-1.1 * (sec - 1))
    s800 = truth_s800 * np.exp(0.05 * rng.normal(size=n))
    tab = build_energy_table(e, s800, th)
    e_true_s = tab.energy(truth_s800, th)
    # the binned, linear-in-sec θ table reproduces the exponential attenuation to < 3 %
    assert np.abs(e_true_s / e - 1).max() < 0.03
    assert abs(np.median(tab.energy(s800, th) / e) - 1) < 0.01
    assert np.std(np.log(tab.energy(s800, th) / e)) == pytest.approx(0.05 / 0.95, rel=0.15)
    # a table built with the wrong slope is caught by the same check
    wrong = EnergyTable(tab.sec_centres, tab.c0, tab.c1 * 1.1, tab.n_events)
    assert np.abs(wrong.energy(truth_s800, th) / e - 1).max() > 0.1
    assert np.allclose(EnergyTable.from_json(json.loads(json.dumps(tab.to_json()))).energy(s800, th),
                       tab.energy(s800, th))


def test_energy_table_save_load_and_bad_files(tmp_path) -> None:
    rng = np.random.default_rng(0)
    e = 10 ** rng.uniform(0, 2, 500)
    th = np.arccos(np.sqrt(rng.uniform(0.5, 1, 500)))
    tab = build_energy_table(e, 3 * e, th)
    p = tmp_path / "table.json"
    tab.save(p)
    assert np.allclose(EnergyTable.load(p).c1, tab.c1)
    with pytest.raises(InputError, match="format"):
        EnergyTable.from_json({"format": "other"})
    with pytest.raises(InputError):
        EnergyTable.from_json({**tab.to_json(), "c1": [-1.0] * len(tab.c1)})
    with pytest.raises(InputError, match="usable events"):
        build_energy_table(e[:10], e[:10], th[:10])


def test_observables_on_crafted_events() -> None:
    st, truth = synth(6, seed=9, s800_range=(20.0, 40.0))
    geo = fit_geometry(st)
    jf = fit_joint(st, geo, fit_ldf(st, geo))
    obs = observables(st, geo, jf)
    assert obs.shape == (6, len(OBSERVABLES))
    col = {k: i for i, k in enumerate(OBSERVABLES)}
    assert np.isnan(obs[:, col["n_peaks"]]).all()          # no traces, no peak counts
    assert (obs[:, col["asymmetry"]] == 0).all()           # synthetic layers are equal
    assert (obs[:, col["n_hit"]] == st.hit.sum(1)).all()
    # with traces: one peak per layer at the same bin in every station → no one-layer peaks
    traces = np.zeros(st.signal.shape + (128,))
    traces[..., 40] = st.signal
    with_tr = StationArrays(st.xy, st.state, st.signal, st.time, traces)
    o2 = observables(with_tr, geo, jf)
    big = st.signal.mean(2) > 0.2
    assert (o2[:, col["n_peaks"]] == (big & st.hit).sum(1)).all()
    assert (o2[:, col["n_peaks_upper_only"]] == 0).all()
    assert np.allclose(o2[:, col["aop_1200"]], 20.0)       # one-bin pulses: area/peak = one 20 ns bin


def test_peak_count() -> None:
    tr = np.zeros(128)
    tr[[10, 30, 31, 60]] = [1.0, 0.5, 0.6, 0.1]
    assert int(count_peaks(tr)) == 2


@pytest.mark.parametrize("bad", ["xy_shape", "state_shape", "nan_signal", "nan_time", "state_code", "traces"])
def test_bad_station_arrays_raise_one_line_input_errors(bad: str) -> None:
    st, _ = synth(2, seed=1)
    xy, state, sig, tim = st.xy.copy(), st.state.copy(), st.signal.copy(), st.time.copy()
    traces = None
    if bad == "xy_shape":
        xy = xy[..., :1]
    elif bad == "state_shape":
        state = state[:, :-1]
    elif bad == "nan_signal":
        sig[0, 0, 0] = np.nan
    elif bad == "nan_time":
        tim[0, 0] = np.nan
    elif bad == "state_code":
        state[0, 0] = 7
    else:
        traces = np.zeros((2, 3, 2, 128))
    with pytest.raises(InputError) as e:
        StationArrays(xy, state, sig, tim, traces)
    assert "\n" not in str(e.value)


def test_bad_options_raise_input_errors() -> None:
    st, _ = synth(2, seed=1)
    geo = fit_geometry(st)
    with pytest.raises(InputError, match="saturated"):
        fit_ldf(st, geo, "ignore")
    with pytest.raises(InputError, match="station arrays lack"):
        StationArrays.from_mapping({"station_xy": st.xy})
    kw = _cut_inputs()
    kw["theta"] = kw["theta"][:3]
    with pytest.raises(InputError, match="same length"):
        apply_cuts(**kw)
    with pytest.raises(InputError, match="grid_xy"):
        border_distance(np.zeros((1, 2)), np.zeros((2, 3)))


@pytest.mark.slow
def test_standard_reconstruction_on_the_simulator_output(tmp_path) -> None:
    """On the TA simulator's events: sane resolution after the standard cuts and θ pulls of width ≈ 1."""
    from showerml.cli.simulate_ta import parse_eev_spectrum
    from showerml.detectors.ta import TaSimulator
    from showerml.io.ta import read_ta
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.reco.ta_evaluate import evaluate_file

    path = simulate_to_file(TaSimulator(chunk_size=50), 400, parse_eev_spectrum("powerlaw:1,3,316"), 3,
                            tmp_path / "ta.h5", progress=False)
    perf, rec = evaluate_file(path)
    print({k: v for k, v in perf.to_json().items() if k != "table"})
    assert perf.psf68_deg < 2.5 and abs(perf.energy_bias) < 0.1 and perf.energy_resolution < 0.35
    ev = read_ta(path, datasets=["theta"])
    ok = rec.quality.passed
    good, mean, width = pull_ok(rec.joint.theta[ok], rec.joint.theta_err[ok], ev["theta"][ok], 0.3, (0.7, 1.4))
    assert good, (mean, width)


def test_opening_angle() -> None:
    from showerml.reco.ta_evaluate import opening_angle_deg

    assert opening_angle_deg(np.radians(10.0), 0.0, np.radians(10.0), np.pi)[()] == pytest.approx(20.0)


@pytest.mark.slow
def test_observables_see_iron_flatter_than_protons_on_the_simulator(tmp_path) -> None:
    """At fixed energy, iron's flatter lateral distribution (PRD 99 (2019) 022002) gives a larger S_4.5/S800."""
    from showerml.cli.simulate_ta import parse_eev_spectrum
    from showerml.detectors.ta import TaSimulator
    from showerml.io.ta import read_ta
    from showerml.pipelines.simulate import simulate_to_file

    ratio = {}
    for species in ("p", "Fe"):
        sim = TaSimulator(chunk_size=50, composition=species)
        path = simulate_to_file(sim, 150, parse_eev_spectrum("fixed:30"), 4, tmp_path / f"{species}.h5",
                                progress=False)
        ev = read_ta(path, datasets=["station_xy", "station_state", "station_signal", "station_time"])
        st = StationArrays.from_mapping(ev.arrays)
        geo = fit_geometry(st)
        jf = fit_joint(st, geo, fit_ldf(st, geo))
        obs = observables(st, geo, jf)
        col = OBSERVABLES.index("s_b45")
        r = obs[:, col] / obs[:, OBSERVABLES.index("s800")]
        ratio[species] = r[np.isfinite(r)]
    diff = np.median(ratio["Fe"]) - np.median(ratio["p"])
    err = np.hypot(*(1.2533 * np.std(v) / np.sqrt(len(v)) for v in ratio.values()))
    print(f"median S_4.5/S800: p {np.median(ratio['p']):.2f}, Fe {np.median(ratio['Fe']):.2f} (± {err:.2f})")
    assert diff > 2.5 * err
