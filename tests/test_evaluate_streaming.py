"""Streaming evaluation (``EvaluateConfig.memory_gb``, ``showerml evaluate --memory``): the same metrics as the
in-memory path from chunks sized to the budget and scratch files, and the scratch folder removed afterwards."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from showerml.cli.main import run
from showerml.errors import InputError
from showerml.io.showers import ShowerFile, write_showers
from showerml.metrics import ClassifierConfig, distort_showers
from showerml.metrics.classifier import classifier_test
from showerml.metrics.distances import challenge_fpd, challenge_kpd, fpd, kpd
from showerml.metrics.evaluation import EvaluationMetrics
from showerml.metrics.scratch import MatrixFile
from showerml.pipelines.evaluate import EvaluateConfig, evaluate_files, evaluate_sources
from tests.evaluate_toy import toy_showers

N = 600
TINY = ClassifierConfig(hidden=(16,), epochs=2, patience=3, batch_size=128)


def _same(a: EvaluationMetrics, b: EvaluationMetrics) -> None:
    """Every number equal (wall times aside); showerml's FPD/KPD to rounding (streamed moments)."""
    for label, x in a.generated.items():
        y = b.generated[label]
        assert x.separation_power == y.separation_power
        assert x.separation_power_extra == y.separation_power_extra
        assert x.separation_power_showerml == y.separation_power_showerml
        for level in ("low_level", "high_level"):
            cx, cy = getattr(x.classifier, level), getattr(y.classifier, level)
            assert (cx is None) == (cy is None)
            if cx is not None:
                assert (cx.auc, cx.jsd_bits, cx.best_epoch) == (cy.auc, cy.jsd_bits, cy.best_epoch)
        # the challenge's FPD/KPD (reference max) identical; showerml's (reference mean and std, accumulated in
        # chunks) to the rounding that the ill-conditioned covariance square root amplifies
        tol = 0.0 if a.protocol == "calochallenge" else 1e-5
        for d in ("fpd", "kpd"):
            vx, vy = getattr(x, d), getattr(y, d)
            assert vx.value == pytest.approx(vy.value, rel=tol, abs=1e-15)
            assert vx.error == pytest.approx(vy.error, rel=max(tol, 1e-9), abs=1e-15)
    if a.multiclass is not None:
        assert b.multiclass is not None and a.multiclass.reference_share == b.multiclass.reference_share


def test_streamed_distances_and_classifier_equal_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(1000, 5)), 1.1 * rng.normal(size=(1000, 5)) + 0.05
    fa, fb = MatrixFile(tmp_path / "a.h5"), MatrixFile(tmp_path / "b.h5")
    for i in range(0, 1000, 300):  # several chunks
        fa.append(a[i : i + 300])
        fb.append(b[i : i + 300])
    fa.close(), fb.close()
    assert np.array_equal(fa.take(np.array([5, 3, 5, 999])), a[[5, 3, 5, 999]])
    assert fa.mean == pytest.approx(a.mean(axis=0)) and fa.std == pytest.approx(a.std(axis=0))
    assert challenge_fpd(a, b, 200, 800, 4, 5) == challenge_fpd(fa, fb, 200, 800, 4, 5, max_bytes=50_000)
    assert challenge_kpd(a, b, 4, 300) == challenge_kpd(fa, fb, 4, 300, max_bytes=20_000)
    assert fpd(a, b, 200, 800, 4, 5).value == pytest.approx(fpd(fa, fb, 200, 800, 4, 5, max_bytes=50_000).value,
                                                            rel=1e-9)
    assert kpd(a, b, 4, 300).value == pytest.approx(kpd(fa, fb, 4, 300, max_bytes=20_000).value, rel=1e-9)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    mem, streamed = classifier_test(a, b, TINY, 3), classifier_test(fa, fb, TINY, 3, scratch=scratch)
    assert (mem.auc, mem.jsd_bits, mem.best_epoch) == (streamed.auc, streamed.jsd_bits, streamed.best_epoch)
    assert list(scratch.iterdir()) == []  # the stored inputs' file is removed after the test


@pytest.mark.slow
def test_streaming_evaluation_equals_in_memory_showerml_protocol(tmp_path: Path) -> None:
    """CaloGAN toy showers, a budget that makes chunks of ≈ 60 showers (10 per file)."""
    ref, gen = tmp_path / "ref.h5", tmp_path / "gen.h5"
    write_showers(ref, toy_showers(N, 1))
    write_showers(gen, distort_showers(toy_showers(N, 2), {0: 1.05}))
    streamed_cfg = EvaluateConfig(classifier=TINY, voxel_classifier=TINY, memory_gb=0.01, fpd_batches=4,
                                  kpd_batches=4, kpd_batch_size=200, multiclass=False)
    chunk = streamed_cfg.streaming_chunk(504)
    assert 20 <= chunk <= 100
    in_memory = EvaluateConfig(classifier=TINY, voxel_classifier=TINY, chunk_size=chunk, fpd_batches=4,
                               kpd_batches=4, kpd_batch_size=200, multiclass=False)
    a = evaluate_sources(ShowerFile(ref), {"gen": ShowerFile(gen)}, in_memory, seed=1).metrics
    b = evaluate_files(ref, [gen], tmp_path / "out", seed=1, config=streamed_cfg, report=True)
    _same(a, b)
    assert (tmp_path / "out" / "report.html").exists()


@pytest.mark.slow
def test_streaming_evaluation_equals_in_memory_calochallenge_protocol(tmp_path: Path) -> None:
    """Dataset-2 showers at the challenge's protocol, chunks of ≈ 100 showers: histograms (incl. voxel energies),
    separation powers, FPD/KPD, both classifiers and the multiclass ranking equal the in-memory path."""
    from showerml.detectors.calochallenge import CaloChallenge2Simulator
    from showerml.pipelines.simulate import simulate_showers
    from showerml.spectra import parse_spectrum

    spec = parse_spectrum("loguniform:1,1000")
    ref, gen = (simulate_showers(CaloChallenge2Simulator(), N, spec, s) for s in (21, 22))
    paths = {k: tmp_path / f"{k}.h5" for k in ("ref", "gen", "dist")}
    write_showers(paths["ref"], ref)
    write_showers(paths["gen"], gen)
    write_showers(paths["dist"], distort_showers(gen, {k: 1.05 for k in range(10)}))
    common = {"classifier": TINY, "voxel_classifier": TINY, "challenge_fpd_min_samples": 300,
              "challenge_fpd_max_samples": 600, "fpd_batches": 4, "kpd_batches": 4, "challenge_kpd_batch_size": 300}
    streamed_cfg = EvaluateConfig(memory_gb=0.2, **common)  # type: ignore[arg-type]
    chunk = streamed_cfg.streaming_chunk(6480)
    assert 50 <= chunk <= 150
    srcs = {k: ShowerFile(paths[k]) for k in ("gen", "dist")}
    a = evaluate_sources(ShowerFile(paths["ref"]), srcs, EvaluateConfig(chunk_size=chunk, **common), seed=2)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    cfg = EvaluateConfig(memory_gb=0.2, scratch_dir=str(scratch), **common)  # type: ignore[arg-type]
    b = evaluate_files(paths["ref"], [paths["gen"], paths["dist"]], tmp_path / "out", seed=2, config=cfg)
    assert a.metrics.protocol == b.protocol == "calochallenge" and "voxel" in b.generated["dist"].separation_power
    _same(a.metrics, b)
    assert list(scratch.iterdir()) == []  # removed after the report


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["showerml", "evaluate", *args])
    with pytest.raises(SystemExit) as exc:
        run()
    return int(exc.value.code or 0)


def test_bad_memory_budgets_are_one_line_errors(tmp_path: Path, monkeypatch, capsys) -> None:
    ref = tmp_path / "ref.h5"
    write_showers(ref, toy_showers(50, 1))
    out = tmp_path / "never"
    base = ["-r", str(ref), "-g", str(ref), "--out", str(out), "-q"]
    for bad, match in ((["--memory", "0"], "--memory"), (["--memory", "-2"], "--memory"),
                       (["--memory", "nan"], "--memory"), (["--scratch", str(tmp_path)], "give --memory"),
                       (["--memory", "1", "--scratch", str(tmp_path / "no")], "no such folder")):
        assert _cli([*base, *bad], monkeypatch) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and match in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()
    with pytest.raises(InputError):
        EvaluateConfig(memory_gb=math.inf)
