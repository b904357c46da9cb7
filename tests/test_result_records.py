"""Evaluation and anomaly results are frozen records: JSON round trips, and their readers use attributes, not keys."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pytest

from showerml.anomaly.results import AnomalyRunResult, BumpHuntSummary, MethodResult, ScanBand, ScanResult, ScanRun
from showerml.io.runfolder import json_safe
from showerml.metrics.evaluation import (
    Classifiers,
    ClassifierScores,
    Distance,
    EvaluationMetrics,
    MulticlassScores,
    ReferenceInfo,
    SampleMetrics,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "showerml"


def _through_json(record: object) -> object:
    return json.loads(json.dumps(json_safe(record), allow_nan=False))


def _evaluation() -> EvaluationMetrics:
    scores = ClassifierScores(auc=0.61, bce=0.66, jsd_nats=0.03, jsd_bits=0.04, n_train=800, n_test=400, epochs=6,
                              seconds=1.5, auc_raw=0.6, auc_calibrated=0.61, best_epoch=4, input_mb=0.2)
    mean, worst = SampleMetrics.summary({"E_0": 0.01, "E_1": 0.03, "width": math.nan})
    sample = SampleMetrics(n_showers=600, protocol="showerml", separation_power={"E_0": 0.01, "E_1": 0.03},
                           separation_power_mean=mean, separation_power_max=worst,
                           classifier=Classifiers(high_level=scores), fpd=Distance.of(0.002, 0.0015),
                           kpd=Distance(), path="gen.h5")
    multi = MulticlassScores(labels=["gen"], reference_share={"gen": 0.48}, accuracy={"gen": 0.52}, ranking=["gen"],
                             log_loss=0.69, seconds=2.0)
    return EvaluationMetrics(showerml_version="x", seed=3, protocol="showerml", threshold_mev=0.0,
                             reference=ReferenceInfo(n_showers=600, geometry="calogan", n_voxels=504),
                             units={"bce": "nats"}, features={"E_0": "MeV"}, features_showerml={"E_0": "MeV"},
                             features_used=["E_0"], generated={"gen": sample}, multiclass=multi)


def test_evaluation_metrics_round_trip_through_json() -> None:
    metrics = _evaluation()
    back = EvaluationMetrics.from_json(_through_json(metrics))  # type: ignore[arg-type]
    assert back == metrics
    gen = back.generated["gen"]
    assert isinstance(gen, SampleMetrics) and isinstance(gen.classifier.high_level, ClassifierScores)
    assert gen.classifier.low_level is None and gen.kpd.value is None and gen.fpd.consistent_with_zero is True
    assert gen.separation_power_max.feature == "E_1" and gen.separation_power_mean == pytest.approx(0.02)
    assert back.multiclass is not None and back.multiclass.ranking == ["gen"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.seed = 4  # type: ignore[misc]


def test_anomaly_results_round_trip_through_json() -> None:
    method = MethodResult(auc=0.8, max_sic=3.2, rejection_02=50.0, rejection_05=math.inf, n_signal=120,
                          n_background=9000, rejection_05_lower_bound=True, train_seconds=4.0,
                          bump_hunt_before=BumpHuntSummary(n_observed=1200, n_expected=1150.5, significance=1.4))
    run = AnomalyRunResult(s_over_b_sr=0.006, n_signal_sr=60, n_background_sr=10_000, s_over_sqrt_b_sr=0.6,
                           n_test_signal=120, n_test_background=9000, notes=("a note",), methods={"cwola": method})
    back = AnomalyRunResult.from_json(_through_json(run))  # type: ignore[arg-type]
    got = back.methods["cwola"]
    assert math.isnan(got.rejection_05) and got.rejection_05_lower_bound  # inf is written as null
    assert dataclasses.replace(got, rejection_05=math.inf) == method and back.n_inject is None
    assert back.notes == ("a note",) and got.bump_hunt_after is None
    fields = {f.name: getattr(method, f.name) for f in dataclasses.fields(MethodResult)}
    scan = ScanResult(runs=(ScanRun(**{**fields, "rejection_05": 20.0}, method="cwola", n_inject=300, seed=1,
                                    s_over_b=0.006),),
                      bands=(ScanBand(method="cwola", n_inject=300, s_over_b=0.006, max_sic_median=3.0,
                                      max_sic_p16=2.0, max_sic_p84=4.0, rejection_02_median=50.0,
                                      rejection_02_p16=40.0, rejection_02_p84=60.0, rejection_05_median=20.0,
                                      rejection_05_p16=10.0, rejection_05_p84=30.0, auc_median=0.8, auc_p16=0.7,
                                      auc_p84=0.9, rejection_02_lower_bound=False, rejection_05_lower_bound=True),))
    assert ScanResult.from_json(_through_json(scan)) == scan  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path",
    ["pipelines/demo.py", "pipelines/fastsim_bench.py", "pipelines/fastsim_demo.py", "report/evaluation.py",
     "cli/evaluate.py", "cli/anomaly.py", "pipelines/anomaly.py", "pipelines/anomaly_report.py"],
)
def test_readers_use_attributes_not_string_keys(path: str) -> None:
    """No reader indexes an evaluation or anomaly result by a string key (``m["generated"]``, ``e["fpd"]``, …)."""
    keys = ("generated", "classifier", "low_level", "high_level", "fpd", "kpd", "separation_power", "multiclass",
            "methods", "bands", "runs", "max_sic", "auc", "rejection_05", "s_over_b_sr", "notes")
    text = (SRC / path).read_text()
    # ``o["…"]`` is a command's mapping of resolved options, not a result
    found = re.findall(r"""(?<!\bo)\[["']({})["']\]""".format("|".join(keys)), text)
    assert not found, f"{path} reads results by key: {found}"
