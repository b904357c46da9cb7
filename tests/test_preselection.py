"""DAMPE's preselection: each cut on crafted images (a good electron-like shower, then one defect at a time)."""

from __future__ import annotations

import numpy as np
import pytest

from showerml.reco.preselection import CUTS, preselect

#: longitudinal profile (fractions per layer, max 20 %): a contained EM-like shower
PROFILE = np.array([0.02, 0.06, 0.12, 0.17, 0.2, 0.15, 0.1, 0.07, 0.045, 0.03, 0.015, 0.007, 0.002, 0.001])


def good(total_mev: float = 5.0e5) -> np.ndarray:
    """A centred narrow shower: per layer (bars 9, 10, 11) = (15, 70, 15) % of the layer."""
    img = np.zeros((1, 14, 22))
    img[0, :, 9:12] = (PROFILE / PROFILE.sum() * total_mev)[:, None] * np.array([0.15, 0.7, 0.15])
    return img


def failed(img: np.ndarray) -> set[str]:
    pre = preselect(img)
    assert pre.mask[0] == all(pre.passed[c][0] for c in CUTS)
    return {c for c in CUTS if not pre.passed[c][0]}


def test_a_contained_narrow_shower_passes_every_cut() -> None:
    pre = preselect(good())
    assert pre.mask.tolist() == [True] and failed(good()) == set()
    assert pre.reasons() == dict.fromkeys(CUTS, 0) and pre.first_failure().tolist() == [""]


def test_a_layer_with_more_than_35_percent_fails_only_that_cut() -> None:
    img = good()
    img[0, 4] *= 3.0  # layer 4: 0.6 / 1.4 ≈ 43 % of the deposit
    assert failed(img) == {"max_layer_fraction"}
    img = good()
    img[0, 4] *= 2.1  # 0.42 / 1.22 ≈ 34 %: passes
    assert failed(img) == set()


def test_an_axis_outside_280_mm_at_the_top_or_bottom_fails_containment() -> None:
    img = np.zeros((1, 14, 22))
    total = PROFILE / PROFILE.sum() * 5e5
    for layer in range(14):
        bar = 10 if layer % 2 else 21  # x view at the edge bar 21 (x = 288.75 mm > 280), y view centred
        img[0, layer, bar] = total[layer]
    assert failed(img) == {"containment"}
    img = np.zeros((1, 14, 22))  # a shower in one view only: no axis in the other
    img[0, ::2, 10] = 1e4
    assert "containment" in failed(img)


def test_a_wide_layer_above_one_percent_fails_max_rms_and_one_below_does_not() -> None:
    img = good()
    layer_e = img[0, 9].sum()  # 3 % of the deposit
    img[0, 9] = 0.0
    img[0, 9, [0, 21]] = layer_e / 2  # two edge bars 577.5 mm apart: RMS about the edge bar 0 ≈ 408 mm
    assert failed(img) == {"max_rms"}
    img = good()
    layer_e = img[0, 12].sum()  # 0.2 % of the deposit: not counted
    img[0, 12] = 0.0
    img[0, 12, [0, 21]] = layer_e / 2
    assert failed(img) == set()


@pytest.mark.parametrize(("total_gev", "limit"), [(90.0, 11), (900.0, 19)])  # 8 log10 E − 5 = 10.6, 18.6
def test_the_last_layer_bar_count_follows_8_log10_e_minus_5(total_gev: float, limit: int) -> None:
    img = good(total_gev * 1000.0)
    img[0, 13] = 0.0
    img[0, 13, :limit - 1] = 11.0  # limit − 1 bars above 10 MeV: fewer than 8 log10 E − 5
    assert "last_layer_bars" not in failed(img)
    img[0, 13, limit - 1] = 11.0  # limit bars: fails
    assert "last_layer_bars" in failed(img)
    img[0, 13, limit - 1] = 9.0  # a bar below 10 MeV does not count
    assert "last_layer_bars" not in failed(img)


def test_empty_events_fail_and_reasons_count_every_failed_cut() -> None:
    imgs = np.concatenate([good(), np.zeros((1, 14, 22))])
    pre = preselect(imgs)
    assert pre.mask.tolist() == [True, False]
    assert pre.reasons() == dict.fromkeys(CUTS, 1)
    assert pre.first_failure().tolist() == ["", CUTS[0]]
    with pytest.raises(ValueError):
        preselect(np.zeros((2, 14, 21)))


def test_the_ep_task_keeps_only_preselected_events_for_every_method() -> None:
    from showerml.reco.data import RecoSample
    from showerml.reco.registry import TASKS

    bad = good()
    bad[0, 4] *= 3.0  # fails the 35 % cut
    bgo = np.concatenate([good()] * 12 + [bad] * 12, axis=0)
    pdg = np.array([11, 2212] * 6 + [11, 2212] * 6)
    sample = RecoSample({"bgo": bgo, "pdg": pdg, "energy": bgo.sum(axis=(1, 2))}, ["crafted"])
    kept = TASKS["ep"].select(sample)
    assert len(kept) == 12 and preselect(kept["bgo"]).mask.all()
    photons = RecoSample({"bgo": bgo, "pdg": np.array([22, 2212] * 12), "energy": bgo.sum(axis=(1, 2))}, ["crafted"])
    assert len(TASKS["gp"].select(photons)) == 24  # γ/p: no preselection
