"""Reproducibility guard: a fixed seed and size give the same simulated bytes, pinned by SHA-256.

A refactor that changes a single bit of a simulator's output (order of random draws, dtype, binning) fails here. The
digests were computed with the code of commit 1bb03b2 (before the layering refactor) and are unchanged since. A
deliberate change of a simulator's physics updates its digest in the same commit, saying why. The DAMPE-like
simulator's digests are those of its homogeneous-BGO EM and refined hadron models (issue 20, commit 2a78ecb); the
Telescope-Array-like simulator's those of its first version.
"""

from __future__ import annotations

import hashlib
import importlib.util

import numpy as np
import pytest

from showerml.detectors.calochallenge import CaloChallenge2Simulator
from showerml.detectors.calogan import CaloGANSimulator
from showerml.detectors.simulator import Simulator
from showerml.execution import ExecutorSpec, executor_spec
from showerml.pipelines.simulate import simulate_chunks
from showerml.spectra import Spectrum, parse_spectrum
from tests.test_execution import dask_address  # noqa: F401  (the session's Dask LocalCluster of 2 workers)

SEED = 7


def arrays_sha256(sim: Simulator, n: int, spectrum: Spectrum, seed: int, executor: ExecutorSpec | None = None) -> str:
    """SHA-256 over every chunk's arrays in order (name, dtype, shape and bytes of each, names sorted)."""
    h = hashlib.sha256()
    for chunk in simulate_chunks(sim, n, spectrum, seed, executor=executor):
        for name in sorted(chunk):
            a = np.ascontiguousarray(chunk[name])
            for part in (name, str(a.dtype), str(a.shape)):
                h.update(part.encode())
            h.update(a.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize(
    ("sim", "n", "spectrum", "digest"),
    [
        (CaloGANSimulator("e+", chunk_size=20), 50, "uniform:1,100",
         "5f099e4d90c4c94a257fa75c456b9cb8eec8ee5442719389e7416f5873cc5f9b"),
        (CaloGANSimulator("gamma", chunk_size=20), 30, "uniform:1,100",
         "4b1d0b28032dce15fd9b7ce016c374150c0f4157f32ff8698d472ff4d4823900"),
        (CaloGANSimulator("pi+", chunk_size=20), 50, "uniform:1,100",
         "9f36d52a5d61c2e4f8c93eefa6b0f1bb8aa5f3f99eda6682568f0691c95dff21"),
        (CaloChallenge2Simulator("e-", chunk_size=20), 50, "loguniform:1,1000",
         "5c8d96de67438a7bb82716177f5c2a9c72286bcc2db95fb70767c27625027ca8"),
    ],
    ids=["calogan-e+", "calogan-gamma", "calogan-pi+", "calochallenge2-e-"],
)
def test_calorimeter_simulators_are_bit_identical(sim: Simulator, n: int, spectrum: str, digest: str) -> None:
    assert arrays_sha256(sim, n, parse_spectrum(spectrum), SEED) == digest


CALOGAN_EPLUS = "5f099e4d90c4c94a257fa75c456b9cb8eec8ee5442719389e7416f5873cc5f9b"


@pytest.mark.slow  # a process pool starts (test_execution compares local ×1, ×2 and Dask ×2 in the fast suite)
def test_pinned_digest_on_two_local_processes() -> None:
    """The executor never changes a result: the pinned CaloGAN e+ digest from a pool of 2 processes."""
    sim, spec = CaloGANSimulator("e+", chunk_size=20), parse_spectrum("uniform:1,100")
    assert arrays_sha256(sim, 50, spec, SEED, ExecutorSpec("local", 2)) == CALOGAN_EPLUS


def test_pinned_digest_on_a_dask_cluster(dask_address: str) -> None:  # noqa: F811
    """… and from a Dask LocalCluster of 2 workers (tasks pickled to other processes and back)."""
    sim, spec = CaloGANSimulator("e+", chunk_size=20), parse_spectrum("uniform:1,100")
    assert arrays_sha256(sim, 50, spec, SEED, executor_spec("dask", 2, dask_address)) == CALOGAN_EPLUS


@pytest.mark.parametrize(
    ("particle", "n", "spectrum", "digest"),
    [
        ("e-", 40, "loguniform:100,10000", "ce5d4f085495cabce52f0863dd51cad0b977dba9efb47e6ec6dafd524eefa8af"),
        ("p", 40, "loguniform:100,100000", "fb17d5422f9c2d92daeb1e82beba12fda49c83086ee6ad30866eb4ff11970295"),
        ("He", 20, "loguniform:100,100000", "ec4bcf3516d1d55edad4a9bf8cc78a282f17ed697c1eb1d92ac56cee950932a9"),
    ],
)
def test_dampe_simulator_is_bit_identical(particle: str, n: int, spectrum: str, digest: str) -> None:
    from showerml.detectors.dampe.simulator import DampeSimulator

    sim = DampeSimulator(particle, chunk_size=20)
    assert arrays_sha256(sim, n, parse_spectrum(spectrum), SEED) == digest


def test_ta_simulator_is_bit_identical() -> None:
    from showerml.detectors.ta.simulator import TaSimulator

    spectrum = parse_spectrum("loguniform:3e9,1e11")  # GeV inside the simulator: 3–100 EeV
    assert arrays_sha256(TaSimulator(chunk_size=10), 20, spectrum, SEED) == (
        "122e6f1b23755d2d15db71709fcc8f9e9c6f47e450dda12a0b41de6d384063af")


def test_the_digest_can_fail() -> None:
    """Another seed, or the halo energy fraction changed by one part in 10⁵, gives another digest."""
    from dataclasses import replace

    sim, spec = CaloGANSimulator("e+", chunk_size=20), parse_spectrum("uniform:1,100")
    pinned = arrays_sha256(sim, 20, spec, SEED)
    assert pinned != arrays_sha256(sim, 20, spec, SEED + 1)
    nudged = replace(sim, em=replace(sim.em, halo_fraction=sim.em.halo_fraction * (1 + 1e-5)))
    assert pinned != arrays_sha256(nudged, 20, spec, SEED)


HAVE_PYTHIA = importlib.util.find_spec("pythia8mc") is not None and importlib.util.find_spec("fastjet") is not None


@pytest.mark.slow  # Pythia 8 initialisation: ≈ 30 s for both processes
@pytest.mark.skipif(not HAVE_PYTHIA, reason="pythia8mc/fastjet not installed (showerml[collider])")
@pytest.mark.parametrize(
    ("process", "digest"),
    [
        ("qcd", "cad215d0fe7e5660b7ec5bf40156d2d224fe7abae06058ce05f151d533f52a88"),
        ("signal", "8bd20ba35f96cb91bbc38bb5bc5d5f10e1886d828385f4009c58a55a7727091c"),
    ],
)
def test_dijet_generator_is_bit_identical(process: str, digest: str) -> None:
    from showerml.detectors.dijet import DijetConfig, DijetGenerator

    sim = DijetGenerator(DijetConfig(process=process), chunk_size=10)
    assert arrays_sha256(sim, 20, Spectrum("fixed", 13000.0, 13000.0), 5) == digest
