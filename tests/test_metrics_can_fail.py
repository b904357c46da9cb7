"""Proof that the metrics can fail, on showers of the CaloGAN simulator.

Reference vs an independent reference: classifier AUC 0.50 ± 0.02, separation powers at the statistical floor,
FPD and KPD consistent with 0. A distorted copy (layer-0 energy × 1.05, lateral widths smeared by 10 %) is caught
clearly by the classifier, by FPD/KPD, and by the feature histograms it touches — and not by those it leaves alone.
"""

from __future__ import annotations

import pytest

from showerml.detectors.calogan import CaloGANSimulator
from showerml.features import high_level_inputs, informative_features, shower_features, voxel_inputs
from showerml.io.showers import ShowerData
from showerml.metrics import ClassifierConfig, classifier_test, distort_showers, fpd, kpd, separation_power
from showerml.pipelines.simulate import simulate_showers
from showerml.spectra import parse_spectrum

N = 15_000
FAST = ClassifierConfig(hidden=(64, 64), dropout=0.0, epochs=25, patience=3, batch_size=512, lr=1e-3)
BINS = 25
#: what a 5 % layer-0 scale and a 10 % width smear must show up in
TOUCHED = ("E_0", "frac_0", "E_tot/E_inc", "x_width_0", "y_width_0", "x_width_1", "y_width_1", "brightest_frac_1")
#: what they leave exactly as it was
UNTOUCHED = ("E_1", "E_2", "frac_2", "sparsity_0", "sparsity_1", "sparsity_2")


@pytest.fixture(scope="module")
def samples() -> dict[str, ShowerData]:
    sim, spectrum = CaloGANSimulator("e+"), parse_spectrum("uniform:10,100")
    ref = simulate_showers(sim, N, spectrum, seed=101)
    other = simulate_showers(sim, N, spectrum, seed=202)
    return {"ref": ref, "same": other, "distorted": distort_showers(other, {0: 1.05}, width_smear=0.10, seed=3)}


@pytest.fixture(scope="module")
def tables(samples: dict[str, ShowerData]) -> dict:
    return {k: shower_features(v) for k, v in samples.items()}


def test_separation_power_flags_the_touched_features_only(tables: dict) -> None:
    ref, same, dist = tables["ref"], tables["same"], tables["distorted"]
    floor = max(separation_power(ref[n], same[n], BINS) for n in ref.names)
    assert floor < 0.003  # two independent samples: statistical floor only
    for name in TOUCHED:
        s_same, s_dist = separation_power(ref[name], same[name], BINS), separation_power(ref[name], dist[name], BINS)
        assert s_dist > max(3 * s_same, 2 * floor), (name, s_same, s_dist)
    for name in ("E_tot/E_inc", "x_width_0", "x_width_1", "y_width_1"):
        assert separation_power(ref[name], dist[name], BINS) > 0.1, name
    for name in UNTOUCHED:
        assert separation_power(ref[name], dist[name], BINS) <= floor, name


def test_fpd_and_kpd_see_the_distortion(tables: dict) -> None:
    used = informative_features(tables["ref"])
    ref, same, dist = (tables[k].matrix(used) for k in ("ref", "same", "distorted"))
    f_same, f_dist = fpd(ref, same, 5_000, N, seed=0), fpd(ref, dist, 5_000, N, seed=0)
    assert abs(f_same.value) < 3 * f_same.error + 0.02
    assert f_dist.value > 20 * abs(f_same.value) + 10 * f_dist.error
    k_same, k_dist = kpd(ref, same, seed=0), kpd(ref, dist, seed=0)
    assert abs(k_same.value) < 3 * k_same.error + 1e-3
    assert k_dist.value > 10 * k_dist.error + 10 * abs(k_same.value)


def test_high_level_classifier_same_is_half_distorted_is_caught(samples: dict, tables: dict) -> None:
    used = informative_features(tables["ref"])
    x = {k: high_level_inputs(samples[k], tables[k], used) for k in samples}
    same = classifier_test(x["ref"], x["same"], FAST, seed=0)
    assert same.auc == pytest.approx(0.5, abs=0.02)
    assert abs(same.jsd_bits) < 0.02
    dist = classifier_test(x["ref"], x["distorted"], FAST, seed=0)
    assert dist.auc > 0.75 and dist.jsd_bits > 0.15


def test_voxel_classifier_catches_the_distortion(samples: dict) -> None:
    n = 6_000
    ref, dist = voxel_inputs(samples["ref"])[:n], voxel_inputs(samples["distorted"])[:n]
    res = classifier_test(ref, dist, FAST, seed=0)
    assert res.auc > 0.7


@pytest.mark.slow
def test_voxel_classifier_same_is_half(samples: dict) -> None:
    res = classifier_test(voxel_inputs(samples["ref"]), voxel_inputs(samples["same"]), FAST, seed=0)
    assert res.auc == pytest.approx(0.5, abs=0.02)
