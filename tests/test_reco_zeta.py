"""ζ as DAMPE computes it, against hand-computed numbers on small images."""

from __future__ import annotations

import numpy as np
import pytest

from showerml.detectors.dampe import geometry as geo
from showerml.reco.features import ZETA_CUT, core_centroid, layer_stats, zeta, zeta_terms

PITCH = 27.5


def _x(bar: int) -> float:
    return (bar - 10.5) * PITCH


def test_rms_is_about_the_core_of_the_hottest_bar_and_its_neighbours() -> None:
    img = np.zeros((1, 14, 22))
    img[0, 0, [9, 10, 11, 20]] = [2.0, 4.0, 2.0, 2.0]  # a far bar outside the core pulls no centre
    assert core_centroid(img)[0, 0] == pytest.approx(_x(10))
    # by hand: Σ E (x − x10)² = 2·27.5² + 2·27.5² + 2·(10·27.5)² = 3025 + 151250, over ΣE = 10
    _, centroid, rms = layer_stats(img)
    assert rms[0, 0] == pytest.approx(np.sqrt(15427.5))
    assert centroid[0, 0] == pytest.approx(_x(10) + 2.0 * 10 * PITCH / 10.0)  # the axis fit still uses all bars
    assert rms[0, 1:].tolist() == [0.0] * 13  # empty layers: RMS 0


def test_an_edge_bar_is_its_own_centre() -> None:
    img = np.zeros((1, 14, 22))
    img[0, 3, 0], img[0, 3, 1] = 6.0, 2.0  # hottest bar 0 (an edge): c = x0, not the (0, 1) centroid
    assert core_centroid(img)[0, 3] == pytest.approx(_x(0))
    assert layer_stats(img)[2][0, 3] == pytest.approx(np.sqrt(2.0 * PITCH**2 / 8.0))
    img[0, 5, 21], img[0, 5, 19] = 5.0, 5.0  # a tie between bars 19 and 21: the lower index (19) is hottest
    assert core_centroid(img)[0, 5] == pytest.approx((5 * _x(19)) / 5.0)


def test_zeta_on_a_hand_computed_image() -> None:
    img = np.zeros((2, 14, 22))
    # event 0: every layer (9, 10, 11, 20) = (2, 4, 2, 2) MeV except the last, which holds (0, 1, 0, 0)
    img[0, :13, 9:12] = [2.0, 4.0, 2.0]
    img[0, :13, 20] = 2.0
    img[0, 13, 10] = 1.0
    rms_layer = np.sqrt(15427.5)
    f_last = 1.0 / (13 * 10.0 + 1.0)
    sum_rms = 13 * rms_layer  # the last layer is one bar: RMS 0
    f, s = zeta_terms(img)
    assert f[0] == pytest.approx(f_last) and s[0] == pytest.approx(sum_rms)
    assert zeta(img)[0] == pytest.approx(f_last * sum_rms**4 / 8.0e6)
    assert zeta(img)[0] == pytest.approx(6486.39, rel=1e-5)  # (13 · 124.2075 = 1614.70 mm)⁴ / 131 / 8·10⁶
    # event 1: a one-bar-wide shower that stops before the last layer: ζ = 0 < 8.5 (electron-like)
    img[1, :10, 10] = 50.0
    assert zeta(img)[1] == 0.0 < ZETA_CUT


def test_a_narrow_contained_electron_like_image_passes_and_a_wide_leaking_one_fails() -> None:
    narrow = np.zeros((1, 14, 22))
    wide = np.zeros((1, 14, 22))
    for layer in range(14):
        narrow[0, layer, 9:12] = [1.0, 8.0, 1.0] if layer < 12 else [0.1, 0.5, 0.1]
        wide[0, layer, 4:17] = 5.0  # 13 bars: RMS ≈ 103 mm per layer, F_last = 1/14
    assert zeta(narrow)[0] < ZETA_CUT < zeta(wide)[0]
    assert geo.BGO_BAR_CENTRES[1] - geo.BGO_BAR_CENTRES[0] == PITCH
