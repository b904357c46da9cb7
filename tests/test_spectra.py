import numpy as np
import pytest

from showerml.errors import InputError
from showerml.spectra import parse_spectrum


@pytest.mark.parametrize(
    "text, lo, hi",
    [
        ("fixed:50", 50, 50),
        ("uniform:1,100", 1, 100),
        ("loguniform:1,1000", 1, 1000),
        ("powerlaw:2.7,100,1e5", 100, 1e5),
    ],
)
def test_samples_stay_in_range_and_are_mev(text, lo, hi):
    e = parse_spectrum(text).sample(np.random.default_rng(0), 10_000)
    assert e.min() >= lo * 1000 * (1 - 1e-12) and e.max() <= hi * 1000 * (1 + 1e-12)


def test_power_law_index_is_recovered():
    """The maximum-likelihood index of a Pareto sample, γ̂ = 1 + n / Σ ln(E/E_min), for E_max ≫ E_min."""
    e = parse_spectrum("powerlaw:2.7,10,1e7").sample(np.random.default_rng(1), 200_000) / 1000
    gamma_hat = 1 + len(e) / np.log(e / 10).sum()
    assert gamma_hat == pytest.approx(2.7, abs=0.02)


def test_loguniform_is_flat_in_log():
    e = parse_spectrum("loguniform:1,1000").sample(np.random.default_rng(2), 100_000)
    counts, _ = np.histogram(np.log10(e / 1000), bins=3, range=(0, 3))
    assert np.allclose(counts / counts.mean(), 1, atol=0.03)


@pytest.mark.parametrize(
    "text, words",
    [
        ("uniform:100,1", "inverted"),
        ("uniform:0,10", "positive"),
        ("fixed:-5", "positive"),
        ("powerlaw:2.7,100", "takes 3"),
        ("gauss:1,2", "unknown"),
        ("uniform:a,b", "cannot read"),
        ("uniform:5,5", "inverted or empty"),
    ],
)
def test_bad_spectra_raise_one_line_errors(text, words):
    with pytest.raises(InputError, match=words) as info:
        parse_spectrum(text)
    assert "\n" not in str(info.value)
