"""TA network, its streamed traces and the issue-21 metrics: each metric passes on a good estimate and fails on a
realistic distortion; a network input of the wrong (N, T) is refused with one line."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from showerml.errors import InputError
from showerml.io.ta import check_network_input
from showerml.reco import ta_metrics as TM
from showerml.reco.data import RecoSample
from showerml.reco.ta_data import TraceStore
from showerml.reco.ta_net import N_OUT, TaNet

RNG = np.random.default_rng(7)


def test_explained_variance_fails_on_a_shuffled_estimate() -> None:
    e = RNG.normal(0, 1, 5000)
    good = e + RNG.normal(0, 0.6, e.size)
    assert TM.explained_variance(e, good) > 0.5
    assert TM.explained_variance(e, RNG.permutation(good)) < 0.3  # the error estimate no longer follows the event


def _directions(n: int, sigma_deg: float) -> tuple[np.ndarray, ...]:
    th = np.arccos(RNG.uniform(np.cos(np.radians(45)), 1, n))
    ph = RNG.uniform(0, 2 * np.pi, n)
    d = np.radians(sigma_deg)
    return th, ph, th + RNG.normal(0, d, n), ph + RNG.normal(0, d, n) / np.maximum(np.sin(th), 0.05)


def test_psf68_sees_a_degree_of_extra_smearing() -> None:
    th, ph, th_r, ph_r = _directions(4000, 0.8)
    good = TM.psf68_deg(TM.opening_angle_deg(th_r, ph_r, th, ph))
    assert 1.0 < good < 1.5  # 2-D Gaussian of σ = 0.8° per axis: 68 % radius 1.2°
    worse = TM.psf68_deg(TM.opening_angle_deg(th_r + np.radians(RNG.normal(0, 1.0, th.size)), ph_r, th, ph))
    assert worse > 1.2 * good


def test_energy_bias_and_resolution_detect_a_miscalibration() -> None:
    e = 10 ** RNG.uniform(0, 2, 5000)
    rec = e * np.exp(RNG.normal(0, 0.15, e.size))
    bias, res = TM.energy_bias_resolution(rec, e)
    assert abs(bias) < 0.01 and 0.13 < res < 0.17
    bias, _ = TM.energy_bias_resolution(1.05 * rec, e)  # a 5 % energy-scale shift
    assert bias > 0.04
    assert TM.dcos_theta_68(np.full(100, 0.3), np.full(100, 0.3)) == 0.0


def _classifier(labels: np.ndarray, sharp: float, shift: float = 0.0) -> np.ndarray:
    """Softmax probabilities of a noisy classifier on ordered classes (neighbours confused); ``shift`` moves every
    event's score towards lighter classes (a heavier-than-modelled composition seen through the wrong model)."""
    centre = labels + RNG.normal(0, 1.0 / sharp, len(labels)) - shift
    logits = -((np.arange(4)[None, :] - centre[:, None]) ** 2)
    p = np.exp(logits - logits.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


def test_composition_fractions_pass_and_fail() -> None:
    y = np.repeat(np.arange(4), 1500)
    response = TM.response_matrix(_classifier(y, 1.5), y, 4)
    mean, rms = TM.mixture_fraction_errors(_classifier(y, 1.5), y, response, 250, 20)
    assert np.abs(mean - 0.25).max() < 0.07 and rms.max() < 0.07
    # the data's showers look 0.7 class lighter than the simulation the response was measured on
    mean, rms = TM.mixture_fraction_errors(_classifier(y, 1.5, shift=0.7), y, response, 250, 20)
    assert rms.max() > 0.07


def test_ln_a_resolution_and_photon_rejection_can_fail() -> None:
    ln_a = np.log(np.repeat([1, 4, 14, 56], 500)).astype(float)
    good = ln_a + RNG.normal(0, 0.8, ln_a.size)
    assert TM.ln_a_resolution(good, ln_a) == pytest.approx(0.8, rel=0.1)
    assert TM.ln_a_resolution(good + RNG.normal(0, 0.8, ln_a.size), ln_a) > 1.2 * TM.ln_a_resolution(good, ln_a)
    is_photon = np.repeat([True, False], [500, 2000])
    score = np.where(is_photon, 2.0, 0.0) + RNG.normal(0, 1, is_photon.size)
    assert TM.photon_rejection(score, is_photon, 0.5).rejection > 10
    assert TM.photon_rejection(RNG.permutation(score), is_photon, 0.5).rejection < 3


def test_network_output_shape_and_wrong_window_refused(tmp_path: Path) -> None:
    net = TaNet(6, 128, 12)
    out = net(torch.zeros(3, 6, 6, 128, 2), torch.zeros(3, 6, 6, 9), torch.zeros(3, 12))
    assert out.shape == (3, N_OUT)
    with pytest.raises(InputError, match=r"expected \(events, 6, 6, 128, 2\)"):
        check_network_input((4, 5, 5, 128, 2), 6, 128)
    path = tmp_path / "w5.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("net_traces", data=np.zeros((4, 5, 5, 64, 2), np.float16))
    s = RecoSample({"energy": np.ones(4), "file_index": np.zeros(4, int), "event_index": np.arange(4)}, [str(path)],
                   "ta")
    with pytest.raises(InputError) as err:
        TraceStore(s, window=(6, 128))
    assert "\n" not in str(err.value)


def test_trace_store_reads_shuffled_rows_and_scratch_copy(tmp_path: Path) -> None:
    paths = []
    for k in range(2):
        path = tmp_path / f"f{k}.h5"
        data = np.zeros((30, 6, 6, 8, 2), np.float16)
        data[:, 0, 0, 0, 0] = np.arange(30) + 100 * k
        with h5py.File(path, "w") as f:
            f.create_dataset("net_traces", data=data, chunks=(7, 6, 6, 8, 2), compression="gzip")
        paths.append(str(path))
    fi = np.repeat([0, 1], 30)
    ei = np.tile(np.arange(30), 2)
    s = RecoSample({"energy": np.ones(60), "file_index": fi, "event_index": ei}, paths, "ta").take(
        RNG.permutation(60)[:40])
    want = s["event_index"] + 100 * s["file_index"]
    idx = torch.tensor(RNG.permutation(40)[:17])
    for scratch in (None, tmp_path / "ck" / "scratch.h5", tmp_path / "ck" / "scratch.h5"):  # copy, then reuse
        store = TraceStore(s, scratch=scratch)
        got = store[idx]
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float32
        np.testing.assert_array_equal(got[:, 0, 0, 0, 0].numpy(), want[idx.numpy()])
        assert len(store) == 40
        store.close()
