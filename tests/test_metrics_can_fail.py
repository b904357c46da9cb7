"""Proof that the metrics can fail, on showers of the CaloGAN simulator.

Reference vs an independent reference: classifier AUC 0.50 ± 0.02, separation powers at the statistical floor,
FPD and KPD consistent with 0. A distorted copy (layer-0 energy × 1.05, lateral widths smeared by 10 %) is caught
clearly by the classifier, by FPD/KPD, and by the feature histograms it touches — and not by those it leaves alone.
The voxel classifier sees what the high-level one sees: a 5 % scale of one layer's energy, which the high-level
classifier separates at AUC > 0.9, is caught at voxel level too, in the CaloGAN geometry and in dataset 2.
"""

from __future__ import annotations

import pytest
from scipy.stats import chi2

from showerml.detectors.calochallenge import CaloChallenge2Simulator
from showerml.detectors.calogan import CaloGANSimulator
from showerml.features import high_level_inputs, informative_features, shower_features
from showerml.io.showers import ShowerData
from showerml.metrics import (
    ClassifierConfig,
    classifier_test,
    distort_showers,
    fpd,
    kpd,
    separation_power,
    showerml_voxel_config,
    voxel_classifier_test,
)
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
    # without a difference, 2 N S follows χ²(BINS − 1) for two samples of N (each bin adds (c1 − c2)²/(c1 + c2));
    # a touched feature must lie beyond its 99.9 % quantile and well above its own independent-pair value
    null_999 = chi2.ppf(0.999, BINS - 1) / (2 * N)
    for name in TOUCHED:
        s_same, s_dist = separation_power(ref[name], same[name], BINS), separation_power(ref[name], dist[name], BINS)
        assert s_dist > max(2 * s_same, null_999), (name, s_same, s_dist, null_999)
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


def test_voxel_classifier_sees_what_high_level_sees(samples: dict) -> None:
    """Layer-0 energy × 1.05 alone: the high-level classifier separates it (AUC > 0.9), so must the voxel one."""
    n = 3_000
    ref, scaled = samples["ref"].subset(slice(0, n)), distort_showers(samples["same"].subset(slice(0, n)), {0: 1.05})
    tables = {"ref": shower_features(ref), "scaled": shower_features(scaled)}
    used = informative_features(tables["ref"])
    high = classifier_test(
        high_level_inputs(ref, tables["ref"], used), high_level_inputs(scaled, tables["scaled"], used), FAST, seed=0
    )
    assert high.auc > 0.9
    voxel = voxel_classifier_test(ref, scaled, "showerml", showerml_voxel_config(epochs=8), seed=0)
    assert voxel.auc >= 0.7, (high.auc, voxel.auc)


@pytest.fixture(scope="module")
def calogan_20k() -> tuple[ShowerData, ShowerData]:
    sim, spectrum = CaloGANSimulator("e+"), parse_spectrum("uniform:1,100")
    return simulate_showers(sim, 20_000, spectrum, seed=1), simulate_showers(sim, 20_000, spectrum, seed=2)


@pytest.mark.slow
def test_calogan_layer0_scale_is_caught_at_voxel_level(calogan_20k: tuple[ShowerData, ShowerData]) -> None:
    """20k vs 20k e⁺, layer-0 energies of one sample × 1.05: voxel AUC ≥ 0.85 (the high-level classifier: 0.94)."""
    ref, other = calogan_20k
    res = voxel_classifier_test(ref, distort_showers(other, {0: 1.05}), "showerml", seed=0)
    assert res.auc >= 0.85


@pytest.mark.slow
def test_calogan_independent_samples_give_one_half(calogan_20k: tuple[ShowerData, ShowerData]) -> None:
    res = voxel_classifier_test(*calogan_20k, "showerml", seed=0)
    assert res.auc == pytest.approx(0.5, abs=0.02)
    assert abs(res.jsd_bits) < 0.02


@pytest.mark.slow
def test_dataset2_layers_0_to_9_scale_is_caught_at_voxel_level() -> None:
    """Dataset 2, 20k vs 20k e⁻ (1 GeV – 1 TeV), layers 0–9 of one sample × 1.05: voxel AUC ≥ 0.55."""
    sim, spectrum = CaloChallenge2Simulator("e-"), parse_spectrum("loguniform:1,1000")
    ref, other = simulate_showers(sim, 20_000, spectrum, seed=1), simulate_showers(sim, 20_000, spectrum, seed=2)
    res = voxel_classifier_test(ref, distort_showers(other, dict.fromkeys(range(10), 1.05)), "showerml", seed=0)
    assert res.auc >= 0.55
