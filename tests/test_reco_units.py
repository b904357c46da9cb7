"""Building blocks of showerml.reco: ζ and shower shapes, the line fit, the pickle-free BDT, Hough images, the χ²
finder, charge, saturation masks and interaction classes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from showerml.detectors.dampe import geometry as geo
from showerml.errors import DataFileError
from showerml.reco import charge as C
from showerml.reco import interaction as IA
from showerml.reco import saturation as S
from showerml.reco import tracking as T
from showerml.reco.bdt import BDT
from showerml.reco.features import layer_stats, line_fit, zeta


def _image_of_line(x0: float, y0: float, kx: float, ky: float, energy: float = 100.0) -> np.ndarray:
    img = np.zeros((1, 14, 22))
    for layer, z in enumerate(geo.BGO_LAYER_Z):
        coord = (x0 + kx * z) if layer % 2 == 0 else (y0 + ky * z)
        img[0, layer, geo.bgo_bar(np.array([coord]))[0]] = energy
    return img


def test_zeta_follows_its_definition_on_a_constructed_shower() -> None:
    img = np.zeros((1, 14, 22))
    img[0, :, 10] = 100.0  # a one-bar-wide shower: RMS = 0 in every layer
    assert zeta(img)[0] == 0.0
    img[0, :, 11] = 100.0  # two equal bars 27.5 mm apart: RMS_i = 13.75 mm
    _, _, rms = layer_stats(img)
    assert np.allclose(rms, 13.75)
    f_last = 1.0 / 14.0
    assert zeta(img)[0] == pytest.approx(f_last * (14 * 13.75) ** 4 / 8e6)
    img[0, -1] = 0.0  # nothing in the last layer: ζ = 0 (electron-like)
    assert zeta(img)[0] == 0.0


def test_line_fit_recovers_a_straight_track_to_a_fraction_of_a_bar() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        x0, y0 = rng.uniform(-100, 100, 2)
        kx, ky = rng.uniform(-0.3, 0.3, 2)
        b, k = line_fit(_image_of_line(x0, y0, kx, ky))
        assert np.abs(k[0] - [kx, ky]).max() < 0.1
        z_mid = 250.0  # the fit is constrained inside the BGO
        assert abs(b[0, 0] + k[0, 0] * z_mid - (x0 + kx * z_mid)) < 27.5


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_bdt_trees_reproduce_sklearn_and_survive_a_save_load_round_trip(kind: str, tmp_path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 6))
    x[::9, 3] = np.nan
    if kind == "regression":
        y = x[:, 0] + np.nan_to_num(x[:, 3]) ** 2
        ref = HistGradientBoostingRegressor(max_iter=15, early_stopping=True, validation_fraction=0.15,
                                            n_iter_no_change=15, random_state=3).fit(x, y)
        bdt = BDT("regressor", max_iter=15, seed=3).fit(x, y)
        expected = ref.predict(x)
        got = bdt.decision_function(x)[:, 0]
    else:
        y = np.digitize(x[:, 0] + 0.5 * x[:, 1], [0.0] if kind == "binary" else [-0.7, 0.0, 0.7])
        ref = HistGradientBoostingClassifier(max_iter=15, early_stopping=True, validation_fraction=0.15,
                                             n_iter_no_change=15, random_state=3).fit(x, y)
        bdt = BDT(max_iter=15, seed=3).fit(x, y)
        expected = ref.decision_function(x)
        got = bdt.decision_function(x)
        got = got[:, 0] if kind == "binary" else got
        assert np.array_equal(bdt.predict(x), ref.predict(x))
        assert np.allclose(bdt.predict_proba(x), ref.predict_proba(x))
    assert np.allclose(got, expected, atol=1e-10)
    bdt.save(tmp_path / "m")
    loaded, config = BDT.load(tmp_path / "m")
    assert config["model"] == "bdt" and np.array_equal(loaded.decision_function(x), bdt.decision_function(x))
    assert not any(p.suffix in (".pkl", ".joblib") for p in (tmp_path / "m").iterdir())


def test_bdt_load_refuses_a_folder_of_another_model(tmp_path) -> None:
    from showerml.nn.serialization import save_state

    save_state(tmp_path / "other", {"model": "torch"}, {})
    with pytest.raises(DataFileError, match="not a BDT"):
        BDT.load(tmp_path / "other")


def _event_with_track(b: np.ndarray, k: np.ndarray, noise: list[tuple[int, int, float]]) -> dict[str, np.ndarray]:
    rows = []
    for plane in range(6):
        for proj in (0, 1):
            z = geo.STK_LAYER_Z[2 * plane + proj]
            rows.append([plane, proj, b[proj] + k[proj] * z, 0.09])
    rows += [[p, q, u, 0.09] for p, q, u in noise]
    clusters = np.array(rows, np.float32)[None]
    return {"stk_clusters": clusters, "stk_n_clusters": np.array([len(rows)]),
            "intercept": b[None].astype(np.float32), "slope": k[None].astype(np.float32)}


def test_hough_image_peaks_at_the_true_cell_and_the_finders_recover_the_track() -> None:
    b, k = np.array([12.0, -30.0]), np.array([0.05, -0.1])
    noise = [(p, q, u) for p in range(6) for q in (0, 1) for u in (-20.0, 35.0)]  # off-track clusters
    ev = _event_with_track(b, k, noise)
    axis_b, axis_k = b[None] + np.array([[6.0, -4.0]]), k[None] + np.array([[0.03, 0.02]])
    grid = T.HoughGrid(n_k=32, n_b=80, half_k=0.2, half_b=40.0)
    img = T.hough_images(ev, axis_b, axis_k, grid).astype(int)
    cells = T.true_cells(ev, axis_b, axis_k, grid)
    votes = img[0, :, 0].reshape(2, -1)
    for proj in (0, 1):
        assert votes[proj, cells[0, proj]] >= 0.8 * votes[proj].max() and votes[proj].max() >= 5
    lb, lk = T.cell_lines(cells, axis_b, axis_k, grid)
    rb, rk, found = T.refine(ev, lb, lk)
    assert found[0] and T.track_distance(ev, rb, rk, -306.0)[0] < 0.01
    cb, ck, found = T.classical_tracks(ev, axis_b, axis_k, window=150.0, max_dk=0.5)
    assert found[0] and T.track_distance(ev, cb, ck, -306.0)[0] < 0.01
    # a wrong seed far from the truth: the χ² finder restricted to a narrow window finds nothing
    _, _, found = T.classical_tracks(ev, axis_b + 100.0, axis_k, window=10.0)
    assert not found[0]


def test_charge_scales_as_z_squared_along_the_track() -> None:
    b, k = np.array([5.0, 7.0]), np.array([0.0, 0.0])
    ev = _event_with_track(b, k, [])
    psd = np.zeros((1, 2, 41), np.float32)
    for sub in range(4):
        coord = b[1 - sub // 2]
        bar = geo.psd_bar(np.array([coord]), sub % 2)[0]
        if bar >= 0:
            psd[0, sub // 2, bar] = 2.0
    ev["psd"] = psd
    z1 = C.estimate_charge(*C.charge_signals(ev, b[None], k[None]), 2.0, 0.09)
    ev4 = dict(ev, psd=psd * 4, stk_clusters=ev["stk_clusters"] * np.array([1, 1, 1, 4], np.float32))
    z2 = C.estimate_charge(*C.charge_signals(ev4, b[None], k[None]), 2.0, 0.09)
    assert z1[0] == pytest.approx(1.0) and z2[0] == pytest.approx(2.0)
    off = C.estimate_charge(*C.charge_signals(ev4, b[None] + 300.0, k[None]), 2.0, 0.09)
    assert off[0] == 0.0  # a wrong track sees no signal


def test_saturation_mask_inputs_and_recovery() -> None:
    reading = np.zeros((2, 14, 22), np.float32)
    reading[0, 5, 10] = reading[0, 6, 10] = 500.0
    reading[0, 5, 11] = 100.0
    reading[1, 5, 10] = 500.0  # not flagged as saturated
    mask = S.saturated_mask(reading, np.array([2, 0]))
    assert mask[0].sum() == 2 and mask[1].sum() == 0
    img, cap = S.saturation_inputs(reading, mask)
    assert img.shape == (2, 3, 14, 22) and cap[0] == 500.0
    truth = reading.copy()
    truth[0, 5, 10] = 1500.0
    target = S.saturation_targets(truth, cap, mask)
    assert target[0, 0, 5, 10] == pytest.approx(np.log(3.0)) and target[0, 0, 5, 11] == 0.0
    # a perfect output (inverse softplus of the target) recovers the truth exactly
    out = np.log(np.expm1(np.maximum(target, 1e-12)))
    rec = S.recover(reading, mask, cap, out)
    assert rec[0, 5, 10] == pytest.approx(1500.0, rel=1e-6) and rec[0, 5, 11] == 100.0


def test_saturation_response_calibration_removes_a_share_dependent_bias() -> None:
    """Events whose recovery falls short by 10 % × the recovered share: the fitted response undoes it, the
    identity response does not, and unsaturated bars are never touched."""
    rng = np.random.default_rng(3)
    n = 2000
    reading = np.zeros((n, 14, 22))
    reading[:, 4, 9] = 100.0  # an unsaturated bar
    reading[:, 5, 10] = 500.0  # the saturated bar, read at the cap
    mask = np.zeros((n, 14, 22), bool)
    mask[:, 5, 10] = True
    true_sat = 500.0 * np.exp(rng.uniform(0.0, 2.0, n))
    true_total = 100.0 + true_sat
    share_true = 1.0 - 600.0 / true_total
    rec = reading.copy()
    rec[:, 5, 10] = 500.0 + (true_sat - 500.0) * (1.0 - 0.1 * share_true) * rng.normal(1.0, 0.01, n)
    before = np.median(rec.sum(axis=(1, 2)) / true_total - 1.0)
    response = S.fit_response(S.recovered_share(reading, rec), true_total / rec.sum(axis=(1, 2)))
    fixed = S.apply_response(reading, rec, mask, response)
    big = share_true > 0.6
    bias_after = np.median(fixed.sum(axis=(1, 2))[big] / true_total[big] - 1.0)
    bias_before = np.median(rec.sum(axis=(1, 2))[big] / true_total[big] - 1.0)
    assert bias_before < -0.05 and before < -0.02
    assert abs(bias_after) < 0.01
    assert np.all(fixed[:, 4, 9] == 100.0)
    identity = S.fit_response(np.zeros(10), np.ones(10))  # too few events: no correction
    assert np.allclose(S.apply_response(reading, rec, mask, identity), rec)


def test_axis_fit_cnn_starts_as_the_classical_fit_and_can_move_it() -> None:
    """Untrained (zero heads), the direction net returns the classical centroid fit (output 0); a change of one
    layer's position head moves the line, so training can correct the fit."""
    import torch

    from showerml.reco import direction as D
    from showerml.reco.nets import AxisFitCNN

    rng = np.random.default_rng(1)
    bgo = np.zeros((64, 14, 22))
    centre = rng.uniform(-40, 40, (64, 1)) + np.arange(14)[None, :] * rng.uniform(-3, 3, (64, 1))
    for layer in range(14):  # a Gaussian shower core around a straight axis
        bgo[:, layer] = np.exp(-0.5 * ((geo.BGO_BAR_CENTRES[None, :] - centre[:, layer:layer + 1]) / 15.0) ** 2)
    img, sc, fit = D.direction_inputs({"bgo": bgo})
    configs = ({"context": 0}, {"context": 2}, {"context": 2, "line_channel": True, "iterations": 2})
    for config in configs:  # with and without cross-layer convolutions, line channel and a second pass
        net = AxisFitCNN(4, 5, geo.BGO_LAYER_Z.tolist(), geo.BGO_BAR_CENTRES.tolist(), [1.0, 1.0, 0.01, 0.01],
                         **config)
        with torch.no_grad():
            out = net(torch.from_numpy(img), torch.from_numpy(sc)).numpy()
            assert np.abs(out).max() < 0.05  # = fit within float32 rounding (0.01 mm, 1e-4 in slope)
            net.bar_head.bias[1] = 0.5  # every bar reports a +13 mm offset: the intercepts move, the slopes do not
            moved = net(torch.from_numpy(img), torch.from_numpy(sc)).numpy()
        assert np.allclose(moved[:, :2], 27.5 * np.tanh(0.5), atol=0.05)
        assert np.abs(moved[:, 2:]).max() < 0.05


def test_axis_fit_cnn_line_channel_is_each_bars_distance_from_the_current_line() -> None:
    """The line channel of the first pass is (x_j − x̂_fit(z_l)) / pitch in every layer's own projection; the
    second pass sees the line the first one fitted."""
    import torch

    from showerml.reco import direction as D
    from showerml.reco.nets import AxisFitCNN

    bgo = np.random.default_rng(2).gamma(1.0, 1.0, (8, 14, 22))
    img, sc, fit = D.direction_inputs({"bgo": bgo})
    net = AxisFitCNN(4, 5, geo.BGO_LAYER_Z.tolist(), geo.BGO_BAR_CENTRES.tolist(), [1.0, 1.0, 0.01, 0.01],
                     line_channel=True, iterations=2)
    seen: list[torch.Tensor] = []
    net.body[0].register_forward_pre_hook(lambda _module, args: seen.append(args[0][:, -1].clone()))
    with torch.no_grad():
        net.bar_head.bias[1] = 0.5  # the first pass moves the line by 27.5 tanh(0.5) mm in both projections
        net(torch.from_numpy(img), torch.from_numpy(sc))
    proj = np.arange(14) % 2
    crossing = fit[:, proj] + fit[:, 2 + proj] * geo.BGO_LAYER_Z  # (8, 14)
    expected = (geo.BGO_BAR_CENTRES[None, None, :] - crossing[..., None]) / 27.5
    assert len(seen) == 2
    assert np.allclose(seen[0].numpy(), expected, atol=1e-3)
    assert np.allclose(seen[1].numpy(), expected - np.tanh(0.5), atol=1e-3)
    with pytest.raises(ValueError, match="iterations"):
        AxisFitCNN(4, 5, geo.BGO_LAYER_Z.tolist(), geo.BGO_BAR_CENTRES.tolist(), [1.0] * 4, iterations=0)


def test_interaction_classes_map_depths_to_layers() -> None:
    z = np.array([-150.0, 50.0, geo.BGO_LAYER_Z[13], 1e4])
    assert IA.interaction_class(z).tolist() == [0, 1, 14, 15]
    mip = np.zeros((1, 14, 22), np.float32)
    mip[0, :, 10] = IA.MIP_BGO_MEV
    mip[0, 6:, 9:12] = 500.0  # the shower starts in layer 6
    arrays = {"bgo": mip, "psd": np.full((1, 2, 41), 2.0, np.float32)}
    assert IA.classical_layer(arrays).tolist() == [7]


def test_two_pass_hough_covers_the_classical_window_and_the_fine_grid_the_coarse_cell() -> None:
    from showerml.reco import track_finder as TT

    b, k = np.array([3.0, -7.0]), np.array([0.05, -0.12])
    ev = _event_with_track(b, k, [(p, q, u) for p in range(6) for q in (0, 1) for u in (-60.0, 90.0)])
    # an axis 120 mm and 0.4 off: outside the old ±40 mm / ±0.2 grid, inside the coarse one
    axis_b, axis_k = b[None] + np.array([[120.0, -110.0]]), k[None] + np.array([[0.4, -0.35]])
    old = T.HoughGrid(n_k=32, n_b=80, half_k=0.2, half_b=40.0)
    assert (T.true_cells(ev, axis_b, axis_k, old) < 0).all()
    coarse = T.true_cells(ev, axis_b, axis_k, TT.GRID)
    assert (coarse >= 0).all()
    # the fine grid around the true coarse cell (any position of the track in it) holds the track …
    cb, ck = T.cell_lines(coarse, axis_b, axis_k, TT.GRID)
    fine = T.true_cells(ev, cb, ck, TT.FINE_GRID)
    assert (fine >= 0).all()
    fb, fk = T.cell_lines(fine, cb, ck, TT.FINE_GRID)
    assert T.track_distance(ev, fb, fk, geo.STK_PLANE_Z[0])[0] < 1.0
    rb, rk, found = T.refine(ev, fb, fk)
    assert found[0] and T.track_distance(ev, rb, rk, -306.0)[0] < 0.01
    # … and a pick two coarse cells off does not
    off = coarse + 2
    ob, ok = T.cell_lines(off, axis_b, axis_k, TT.GRID)
    assert (T.true_cells(ev, ob, ok, TT.FINE_GRID) < 0).all()


def test_saturation_loss_is_zero_for_the_truth_and_penalises_an_under_recovered_event() -> None:
    import torch

    reading = np.zeros((1, 14, 22), np.float32)
    reading[0, 5, 10] = reading[0, 6, 10] = 500.0
    reading[0, 5, 11] = 1000.0 / 3
    mask = S.saturated_mask(reading, np.array([2]))
    img, cap = S.saturation_inputs(reading, mask)
    truth = reading.copy()
    truth[0, 5, 10], truth[0, 6, 10] = 1500.0, 600.0
    target = S.saturation_targets(truth, cap, mask)
    exact = np.log(np.expm1(np.maximum(target, 1e-12)))

    class Fixed(torch.nn.Module):
        def __init__(self, out: np.ndarray) -> None:
            super().__init__()
            self.out = torch.from_numpy(out.astype(np.float32))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.out

    batch = (torch.from_numpy(img), torch.from_numpy(target))
    assert float(S.make_saturation_loss(10.0)(Fixed(exact), batch)) == pytest.approx(0.0, abs=1e-5)
    low = exact.copy()
    low[0, 0, 5, 10] = np.log(np.expm1(np.log(2.0)))  # 1000 MeV recovered instead of 1500
    bar_only = float(S.make_saturation_loss(0.0)(Fixed(low), batch))
    # the event lost 500 of 1000/3 + 1500 + 600 = 7300/3 MeV: relative error 15/73
    assert float(S.make_saturation_loss(10.0)(Fixed(low), batch)) == pytest.approx(
        bar_only + 10.0 * (15 / 73) ** 2, rel=1e-4)


def test_mirrored_events_are_the_inputs_and_targets_of_the_mirrored_showers() -> None:
    """x → −x on the image (even layers' bars reversed) gives exactly the classical fit, scalars and residual
    targets of the mirrored shower, so the training augmentation only adds physically possible events."""
    import torch

    from showerml.reco import direction as D

    rng = np.random.default_rng(3)
    n = 40
    x0, y0 = rng.uniform(-120, 120, n), rng.uniform(-120, 120, n)
    kx, ky = rng.uniform(-0.4, 0.4, n), rng.uniform(-0.4, 0.4, n)
    bgo = np.zeros((n, 14, 22))
    for layer, z in enumerate(geo.BGO_LAYER_Z):  # an asymmetric core (a side lobe) around each axis
        c = (x0 + kx * z if layer % 2 == 0 else y0 + ky * z)[:, None]
        bars = geo.BGO_BAR_CENTRES[None, :]
        bgo[:, layer] = np.exp(-0.5 * ((bars - c) / 12.0) ** 2) + 0.3 * np.exp(-0.5 * ((bars - c - 30.0) / 20.0) ** 2)
    truth = {"intercept": np.column_stack([x0 + 3.0, y0 - 2.0]), "slope": np.column_stack([kx + 0.01, ky])}
    img, sc, fit = D.direction_inputs({"bgo": bgo})
    tgt = D.direction_targets(truth, fit)
    flip_x = torch.as_tensor(rng.uniform(size=n) < 0.5)
    flip_y = torch.as_tensor(rng.uniform(size=n) < 0.5)
    m_img, m_sc, m_tgt = D.mirror(torch.from_numpy(img), torch.from_numpy(sc), torch.from_numpy(tgt), flip_x, flip_y)
    # the mirrored showers, built directly
    bgo_m = bgo.copy()
    bgo_m[flip_x.numpy(), 0::2] = bgo[flip_x.numpy(), 0::2, ::-1]
    bgo_m[flip_y.numpy(), 1::2] = bgo[flip_y.numpy(), 1::2, ::-1]
    sign = np.column_stack([np.where(flip_x, -1.0, 1.0), np.where(flip_y, -1.0, 1.0)])
    truth_m = {"intercept": truth["intercept"] * sign, "slope": truth["slope"] * sign}
    img2, sc2, fit2 = D.direction_inputs({"bgo": bgo_m})
    np.testing.assert_allclose(m_img.numpy(), img2, atol=1e-6)
    np.testing.assert_allclose(m_sc.numpy(), sc2, atol=1e-5)
    np.testing.assert_allclose(m_tgt.numpy(), D.direction_targets(truth_m, fit2), atol=1e-6)
    assert 0 < int(flip_x.sum()) < n and not np.allclose(m_img.numpy(), img)  # the test mirrors some, not all
    # random_mirror: fresh tensors, about half of the events flipped in each view, the batch left untouched
    before = torch.from_numpy(sc).clone()
    _, r_sc, _ = D.random_mirror(torch.from_numpy(img), torch.from_numpy(sc), torch.from_numpy(tgt),
                                 torch.Generator().manual_seed(0))
    assert torch.equal(torch.from_numpy(sc), before)
    flipped = (torch.sign(r_sc[:, 2]) != torch.sign(before[:, 2])).float().mean()
    assert 0.25 < float(flipped) < 0.75


def test_mirror_averaged_prediction_is_symmetric_and_keeps_an_equivariant_prediction() -> None:
    """Averaging over the four reflections leaves a prediction that already mirrors with the event unchanged,
    removes the part that does not (a constant offset in x and y), and makes any prediction exactly equivariant."""
    import torch

    from showerml.reco import direction as D

    rng = np.random.default_rng(5)
    n = 30
    bgo = rng.gamma(0.5, 100.0, size=(n, 14, 22))
    img, sc, _ = D.direction_inputs({"bgo": bgo})
    equivariant = lambda i, s: 2.0 * s[:, :4]  # noqa: E731 - the fit parameters flip sign with the event
    np.testing.assert_allclose(D.mirror_averaged(equivariant, img, sc), 2.0 * sc[:, :4], rtol=1e-6, atol=1e-7)
    offset = np.array([1.0, -2.0, 0.5, 0.25])
    biased = lambda i, s: 2.0 * s[:, :4] + offset  # noqa: E731
    np.testing.assert_allclose(D.mirror_averaged(biased, img, sc), 2.0 * sc[:, :4], rtol=1e-6, atol=1e-6)
    # an arbitrary (non-equivariant) function of the image becomes equivariant: predicting the mirrored event gives
    # the mirrored prediction
    weights = rng.normal(size=(img[0].size, 4))
    arbitrary = lambda i, s: i.reshape(len(i), -1) @ weights  # noqa: E731
    flip = torch.ones(n, dtype=torch.bool)
    m_img, m_sc, _ = D.mirror(torch.from_numpy(img), torch.from_numpy(sc), torch.zeros(n, 4), flip, ~flip)
    sym = D.mirror_averaged(arbitrary, img, sc)
    sym_m = D.mirror_averaged(arbitrary, m_img.numpy(), m_sc.numpy())
    np.testing.assert_allclose(sym_m, sym * np.array([-1.0, 1.0, -1.0, 1.0]), rtol=1e-5, atol=1e-4)
    assert not np.allclose(arbitrary(img, sc), sym, atol=1e-3)  # the average did change it
