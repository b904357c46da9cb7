"""Resource limits of `simulate`: energies outside a simulator's range of validity, runs above the free disk or the
memory budget are refused before any work (one line, exit 2, nothing written); the memory plan bounds what a chunk
really allocates; and no input the CLI accepts plans an allocation above the budget (hypothesis)."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from showerml.cli.simulate import CALOCHALLENGE2_RANGE, CALOGAN_RANGE, check_inputs, plan_simulation
from showerml.detectors.limits import (
    BYTES_PER_SPOT,
    DAMPE_EM_RANGE,
    DAMPE_NUCLEI_RANGE,
    SPOT_BATCH,
    spot_batches,
)
from showerml.errors import InputError
from showerml.pipelines.simulate_plan import BASE_PROCESS_BYTES, parse_size, probe_event_bytes
from showerml.spectra import parse_spectrum


def showerml(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "showerml.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "MPLBACKEND": "Agg"})


def one_line_error(r) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["calogan", "--energy", "fixed:1e6", "--n", "2"], "1–100 GeV"),  # took 16 GB and 88 s
        (["calogan", "--energy", "uniform:1,1e6", "--n", "10"], "1–100 GeV"),  # killed at 22.8 GB
        (["calogan", "--energy", "uniform:1,1e9", "--n", "10"], "1–100 GeV"),  # a 2 TiB ArrayMemoryError
        (["calogan", "--energy", "fixed:0.5"], "1–100 GeV"),
        (["calochallenge2", "--energy", "loguniform:1,5000"], "1–1000 GeV"),
        (["dampe", "--particle", "e-", "--energy", "fixed:20000"], "5–10000 GeV"),
        (["dampe", "--particle", "Fe", "--energy", "powerlaw:2.7,100,1e7"], "40–316000 GeV"),
        (["dampe", "--max-clusters", "1000000000"], "--max-clusters must be between 1 and 37680"),  # 16 GB/event
        (["calogan", "--n", "1000000000"], "would write up to 1.9 TiB"),
        (["calogan", "--n", "100", "--max-memory", "10M"], "above the budget of 10.0 MiB"),
        (["calogan", "--n", "100", "--max-memory", "lots"], "--max-memory must be a size"),
        (["calogan", "--n", "1000000", "--workers", "100000", "--yes"], "more than 4 per CPU core"),  # 1000 processes
    ],
)
def test_oversized_runs_are_refused_before_any_work(tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "x.h5"
    msg = one_line_error(showerml("simulate", *args, "--out", out, "-q"))
    if "would write" in needle and "free" not in msg:
        pytest.skip("this file system has more than 1.9 TiB free")
    assert needle in msg
    assert list(tmp_path.iterdir()) == []


def test_the_plan_is_printed_and_yes_accepts_a_run_above_the_budget(tmp_path: Path) -> None:
    r = showerml("simulate", "calogan", "--n", 20, "--max-memory", "10M", "--yes", "--out", tmp_path / "x.h5")
    assert r.returncode == 0, r.stderr
    assert "plan: 20 events" in r.stdout and "peak memory" in r.stdout and (tmp_path / "x.h5").exists()


def test_spot_batches_cover_every_event_once_within_the_budget() -> None:
    cost = np.random.default_rng(1).uniform(1, 400, 1000)
    batches = spot_batches(cost, 2000.0)
    assert batches[0].start == 0 and batches[-1].stop == 1000
    assert all(a.stop == b.start for a, b in zip(batches, batches[1:], strict=False))
    assert all(cost[b].sum() <= 2000.0 or b.stop - b.start == 1 for b in batches)
    assert spot_batches(np.array([5e6, 1.0]), 1e6) == [slice(0, 1), slice(1, 2)]  # one huge event: alone
    assert spot_batches(cost, 1e9) == [slice(0, 1000)]


def _sims():
    from showerml.detectors.calochallenge import CaloChallenge2Simulator
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.detectors.dampe.simulator import DampeSimulator

    return [
        (CaloGANSimulator("e+", chunk_size=400), CALOGAN_RANGE.emax_gev),
        (CaloGANSimulator("pi+", chunk_size=400), CALOGAN_RANGE.emax_gev),
        (CaloChallenge2Simulator("e-", chunk_size=150), CALOCHALLENGE2_RANGE.emax_gev),
        (DampeSimulator("e-", chunk_size=40, incidence="vertical"), DAMPE_EM_RANGE.emax_gev),
        (DampeSimulator("Fe", chunk_size=6), DAMPE_NUCLEI_RANGE.emax_gev),
    ]


@pytest.mark.parametrize("index", range(5))
def test_the_memory_plan_bounds_what_a_chunk_allocates_at_the_top_of_the_range(index: int, tmp_path: Path) -> None:
    """tracemalloc's peak while one chunk at the highest valid energy is simulated stays under the planned worker
    memory (the plan minus the process base), and the plan is not loose by more than a factor 8."""
    from showerml.pipelines.simulate_plan import estimate_run

    sim, emax = _sims()[index]
    spectrum = parse_spectrum(f"fixed:{emax:g}")
    event_bytes = probe_event_bytes(sim, emax)
    plan = estimate_run(sim, sim.chunk_size, 1, emax, event_bytes, tmp_path / "x.h5", memory_budget=2**40)
    tracemalloc.start()
    try:
        out = sim.simulate(sim.chunk_size, spectrum, np.random.SeedSequence(3))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(next(iter(out.values()))) == sim.chunk_size
    planned = plan.peak_memory_bytes - BASE_PROCESS_BYTES
    assert peak <= planned, (peak, planned)
    assert planned <= 10 * peak + 8 * sim.chunk_size * event_bytes


def test_the_batch_keeps_a_chunk_bounded_whatever_its_energy() -> None:
    """Spots are simulated in batches: the planned spot memory of a chunk saturates at one batch."""
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.pipelines.simulate_plan import estimate_run

    sim = CaloGANSimulator("e+")
    low = estimate_run(sim, 10**6, 1, 10.0, 2036, ".", 2**40).peak_memory_bytes
    high = estimate_run(sim, 10**6, 1, 100.0, 2036, ".", 2**40).peak_memory_bytes
    more = estimate_run(sim, 10**9, 1, 100.0, 2036, ".", 2**40).peak_memory_bytes
    per_event = float(sim.spots_per_event(np.array([1e5]))[0])
    bound = BASE_PROCESS_BYTES + 5 * sim.chunk_size * 2036 + (SPOT_BATCH + per_event) * BYTES_PER_SPOT
    assert low < high == more <= bound


_SIMS: dict = {}


def _make(detector: str, particle: str):
    key = (detector, particle)
    if key not in _SIMS:
        from showerml.detectors.calochallenge import CaloChallenge2Simulator
        from showerml.detectors.calogan import CaloGANSimulator
        from showerml.detectors.dampe.simulator import DampeSimulator

        make = {"calogan": CaloGANSimulator, "calochallenge2": CaloChallenge2Simulator, "dampe": DampeSimulator}
        _SIMS[key] = make[detector](particle)
    return _SIMS[key]


accepted: list = []
_RANGES = {"calogan": CALOGAN_RANGE, "calochallenge2": CALOCHALLENGE2_RANGE}
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(1e-3, 1e12),
                    st.sampled_from([1.0, 5.0, 40.0, 100.0, 1000.0, 1e4, 3.16e5, 1e6, 1e9]))


@st.composite
def cli_inputs(draw):
    detector, particle = draw(st.sampled_from([("calogan", "e+"), ("calogan", "pi+"), ("calochallenge2", "e-"),
                                               ("dampe", "e-"), ("dampe", "p"), ("dampe", "Fe")]))
    kind = draw(st.sampled_from(["fixed", "uniform", "loguniform", "powerlaw", "junk"]))
    a, b, g = draw(numbers), draw(numbers), draw(st.floats(-5, 5))
    energy = {"fixed": f"fixed:{a}", "uniform": f"uniform:{a},{b}", "loguniform": f"loguniform:{a},{b}",
              "powerlaw": f"powerlaw:{g},{a},{b}", "junk": f"{a}"}[kind]
    n = draw(st.one_of(st.integers(-10, 10**4), st.integers(10**4, 10**18)))
    workers = draw(st.one_of(st.integers(-2, 8), st.integers(8, 10**5)))
    budget = draw(st.sampled_from([None, "64M", "1G", "4G", "100G"]))
    return detector, particle, energy, n, workers, budget


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inputs=cli_inputs())
@example(inputs=("calogan", "e+", "uniform:1,100", 10_000, 2, None))
@example(inputs=("calochallenge2", "e-", "loguniform:1,1000", 10**6, 2, "4G"))
@example(inputs=("dampe", "Fe", "powerlaw:2.7,100,316000", 1000, 64, "4G"))
@example(inputs=("dampe", "e-", "fixed:10000", 10**15, 1, None))
def test_no_accepted_input_plans_an_allocation_above_the_budget(inputs, tmp_path: Path) -> None:
    """Every CLI input either gives a one-line InputError or a plan whose peak memory is under the budget, whose
    output fits the disk, and whose energies lie inside the simulator's range (so the spots per event are bounded)."""
    from showerml.detectors.limits import DAMPE_EM_RANGE, DAMPE_NUCLEI_RANGE

    detector, particle, energy, n, workers, budget = inputs
    em = particle in ("e-", "e+", "gamma")
    energy_range = _RANGES.get(detector) or (DAMPE_EM_RANGE if em else DAMPE_NUCLEI_RANGE)
    out = tmp_path / "x.h5"
    try:
        spectrum = check_inputs(energy, n, workers, 0, out, False, energy_range, detector)
        plan = plan_simulation(_make(detector, particle), spectrum, n, workers, out, budget, False)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    accepted.append(inputs)
    assert energy_range.emin_gev <= spectrum.emin_gev <= spectrum.emax_gev <= energy_range.emax_gev
    assert plan.peak_memory_bytes <= plan.memory_budget_bytes
    assert plan.output_bytes <= plan.free_disk_bytes
    if budget is not None:
        assert plan.memory_budget_bytes == parse_size(budget)
    assert not out.exists()


def test_the_property_saw_accepted_runs() -> None:
    """Guard: the explicit examples above are accepted (the property is not vacuous)."""
    assert any(a[0] == "calogan" for a in accepted) and any(a[0] == "calochallenge2" for a in accepted)


def test_the_library_refuses_a_single_shower_larger_than_memory() -> None:
    """Outside the CLI (no range check) a shower whose spots alone exceed the memory is still refused up front
    (uniform:1,1e9 used to die in a 2 TiB ArrayMemoryError)."""
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.pipelines.simulate import simulate_showers

    with pytest.raises(InputError, match="one shower at 1e\\+09 GeV"):
        simulate_showers(CaloGANSimulator("e+"), 2, parse_spectrum("uniform:1,1e9"), seed=0)
