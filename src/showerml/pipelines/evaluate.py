"""Evaluate generated showers against a reference sample, by the CaloChallenge 2022 protocol or showerml's own.

Two protocols (``EvaluateConfig.protocol``; ``"auto"`` picks ``calochallenge`` for the challenge's datasets 2 and 3
and ``showerml`` elsewhere):

- ``calochallenge``: the official evaluation's definitions (:mod:`showerml.features.calochallenge`,
  :mod:`showerml.metrics.calochallenge`): its high-level features after the 15.15 keV voxel threshold, its histogram
  ranges and binnings (log bins for layer and voxel energies) and separation powers, its low-level classifier
  (``voxel_classifier_test(mode="calochallenge")``), its high-level classifier inputs and its FPD/KPD settings.
  showerml's feature separation powers are reported beside them (``separation_power_showerml``).
- ``showerml``: showerml's features (:func:`~showerml.features.shower_features`) binned in 50 bins over the
  reference's range with out-of-range values in the edge bins, showerml's voxel classifier, high-level classifier on
  its informative features, FPD/KPD on standardised features.

Every sample is read in chunks (``ShowerFile`` or in-memory ``ShowerData``): only one chunk of voxels, the
per-shower features and the classifier's stored inputs are held. With a memory budget (``EvaluateConfig.memory_gb``,
``showerml evaluate --memory GB``) nothing that grows with the number of showers is held either: the chunks are
sized to the budget; the feature tables, the FPD/KPD and high-level classifier inputs and the classifiers' stored
inputs go to scratch HDF5 files (:mod:`showerml.metrics.scratch`) that the histograms read one column at a time,
the distances a few batches at a time and the training loop one batch at a time. The numbers are those of the
in-memory path: histograms, separation powers and the challenge's FPD/KPD identical, the classifiers trained on the
same stored values with the same batches (showerml's FPD/KPD standardise by streamed moments: equal to rounding).
:func:`evaluate_sources` returns the metrics;
:func:`evaluate_files` reads and checks the files and writes ``metrics.json``, ``config.json`` and ``report.html``
into one output folder (nothing is written when an input is bad).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np

from showerml import __version__
from showerml.errors import InputError
from showerml.features import FeatureTable, high_level_inputs, informative_features, shower_features
from showerml.features.calochallenge import (
    challenge_dataset,
    challenge_features,
    challenge_fpd_inputs,
    challenge_threshold,
    voxel_histogram,
)
from showerml.io.runfolder import RunFolder
from showerml.io.showers import ShowerData, ShowerFile
from showerml.metrics.calochallenge import ChallengeHistograms, challenge_histograms, voxel_edges
from showerml.metrics.classifier import (
    ClassifierConfig,
    calochallenge_voxel_config,
    classifier_test,
    multiclass_test,
    voxel_classifier_test,
)
from showerml.metrics.distances import DistanceResult, challenge_fpd, challenge_kpd, fpd, kpd
from showerml.metrics.evaluation import (
    Classifiers,
    Distance,
    EvaluationMetrics,
    EvaluationResult,
    ReferenceInfo,
    SampleMetrics,
)
from showerml.metrics.histograms import histogram_pair
from showerml.metrics.scratch import ColumnWriter, LazyColumns, MatrixFile, lazy_table

__all__ = [
    "PROTOCOLS",
    "EvaluateConfig",
    "EvaluationMetrics",
    "EvaluationResult",
    "check_compatible",
    "default_protocol",
    "evaluate_files",
    "evaluate_showers",
    "evaluate_sources",
]

METRICS = "metrics.json"
REPORT = "report.html"
CONFIG = "config.json"
PROTOCOLS = ("calochallenge", "showerml")
Source = ShowerData | ShowerFile


@dataclass
class EvaluateConfig:
    """What to compute and how; ``min_showers`` is the smallest sample accepted per file.

    ``classifier``: settings of the high-level and multiclass classifiers (None: the protocol's recipe — the
    challenge's DNN for ``calochallenge``, :class:`ClassifierConfig` defaults for ``showerml``);
    ``voxel_classifier``: the voxel classifier's (None: those of its mode).
    """

    protocol: str = "auto"
    n_bins: int = 50
    min_showers: int = 500
    voxel_level: bool = True
    high_level: bool = True
    multiclass: bool = True
    distances: bool = True
    fpd_min_samples: int = 20_000
    fpd_max_samples: int = 50_000
    fpd_points: int = 10
    fpd_batches: int = 20
    kpd_batches: int = 10
    kpd_batch_size: int = 5_000
    #: the challenge's FPD/KPD sample sizes (evaluate.py: fpd min_samples=10000, kpd batch_size=10000)
    challenge_fpd_min_samples: int = 10_000
    challenge_fpd_max_samples: int = 50_000
    challenge_kpd_batch_size: int = 10_000
    chunk_size: int = 5_000
    progress: bool = False
    classifier: ClassifierConfig | None = None
    voxel_classifier: ClassifierConfig | None = None
    #: what the classifier settings are, for the record (``showerml evaluate --classifier-recipe``); None: the
    #: protocol's own recipe when ``classifier`` and ``voxel_classifier`` are None, else "custom"
    classifier_recipe: str | None = None
    #: memory budget in GB (10⁹ bytes) of a streaming evaluation (module docstring); None: in memory
    memory_gb: float | None = None
    #: where a streaming evaluation's scratch folder is made (None: the system's temporary directory)
    scratch_dir: str | None = None

    def __post_init__(self) -> None:
        if self.protocol not in ("auto", *PROTOCOLS):
            raise InputError(f"unknown protocol '{self.protocol}': use calochallenge, showerml or auto")
        if self.chunk_size < 1:
            raise InputError(f"chunk_size must be positive, got {self.chunk_size}")
        if self.memory_gb is not None and not (0 < self.memory_gb <= 1e5):
            raise InputError(f"--memory must be a budget in GB above 0, got {self.memory_gb}")

    def streaming_chunk(self, n_voxels: int) -> int:
        """Showers per chunk: ``chunk_size``, or under a budget the showers whose voxels, held about
        :data:`COPIES_PER_CHUNK` times while features and inputs are computed, fill :data:`CHUNK_SHARE` of it."""
        if self.memory_gb is None:
            return self.chunk_size
        fit = int(CHUNK_SHARE * self.memory_gb * 1e9 / (COPIES_PER_CHUNK * 4 * max(n_voxels, 1)))
        return max(1, min(self.chunk_size, fit))

    def gather_bytes(self) -> int:
        """Bytes of FPD/KPD batches gathered at once under a budget (a quarter of it)."""
        return int(0.25 * self.memory_gb * 1e9) if self.memory_gb is not None else 1 << 30


#: a chunk's voxels are held about this many times over (float32 voxels, thresholded copy, transforms, features)
COPIES_PER_CHUNK = 12
#: the share of a memory budget the chunks of voxels may take
CHUNK_SHARE = 0.15


def default_protocol(geometry: Any) -> str:
    """``calochallenge`` for the challenge's datasets 2 and 3, ``showerml`` elsewhere."""
    return "calochallenge" if challenge_dataset(geometry) is not None else "showerml"


def check_compatible(reference: Source, generated: Source, ref_name: str, gen_name: str) -> None:
    """Same voxel count and layer structure, else a one-line :class:`InputError`."""
    g_ref, g_gen = reference.geometry, generated.geometry
    if g_ref.n_voxels != g_gen.n_voxels or g_ref.layer_sizes != g_gen.layer_sizes:
        raise InputError(
            f"{gen_name} has geometry '{g_gen.name}' ({g_gen.n_layers} layers, {g_gen.n_voxels} voxels) but the "
            f"reference {ref_name} has '{g_ref.name}' ({g_ref.n_layers} layers, {g_ref.n_voxels} voxels); "
            "compare showers of the same detector binning"
        )


def _length(src: Source) -> int:
    return src.n_events if isinstance(src, ShowerFile) else len(src)


def _chunks(src: Source, size: int) -> Iterator[ShowerData]:
    if isinstance(src, ShowerFile):
        yield from src.iter_chunks(size)
    else:
        for start in range(0, len(src), size):
            yield src.subset(slice(start, start + size))


def _check_size(n: int, name: str, needed: int) -> None:
    if n < needed:
        raise InputError(
            f"{name} holds {n} showers; the evaluation needs at least {needed} per file "
            "(classifier splits and FPD/KPD batches; 10k or more give stable figures)"
        )


def _seed_int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1)[0])


@dataclass
class _Scan:
    table: FeatureTable
    challenge: FeatureTable | None
    voxel_max: float
    mean: np.ndarray
    incident: np.ndarray
    n: int = 0


def _concat(tables: list[FeatureTable], dtype: type[np.floating] = np.float64) -> FeatureTable:
    names = tables[0].names
    return FeatureTable({n: np.concatenate([t[n] for t in tables]).astype(dtype, copy=False) for n in names},
                        dict(tables[0].units))


def _scan(src: Source, size: int, protocol: str) -> _Scan:
    """One pass: showerml's features, the challenge's (``calochallenge``), the mean shower."""
    geometry = src.geometry
    tables: list[FeatureTable] = []
    total = np.zeros(geometry.n_voxels, dtype=np.float64)
    incident: list[np.ndarray] = []

    def tee() -> Iterator[ShowerData]:
        for chunk in _chunks(src, size):
            tables.append(shower_features(chunk))
            incident.append(np.asarray(chunk.incident, dtype=np.float64))
            total[:] += chunk.voxels.sum(axis=0, dtype=np.float64)
            yield chunk

    if protocol == "calochallenge":
        cc = challenge_features(tee(), geometry)
        challenge, vmax = cc.table, cc.voxel_max
    else:
        for _ in tee():
            pass
        challenge, vmax = None, 0.0
    if not tables:
        raise InputError("no showers to compute features of")
    # showerml's ≈ 500 features per shower are kept in float32 (0.4 GB less per 100k dataset-2 showers; their
    # histograms, FPD/KPD and classifier see 7 significant digits); the challenge's stay float64, as the official
    # script computes them, for exact parity of its separation powers
    return _Scan(_concat(tables, np.float32), challenge, vmax, total / sum(len(t) for t in tables),
                 np.concatenate(incident))


def _scan_to_disk(src: Source, size: int, protocol: str, folder: Path, tag: str) -> _Scan:
    """:func:`_scan` with the feature tables written to ``folder`` chunk by chunk and read back lazily."""
    geometry = src.geometry
    sml = ColumnWriter(folder / f"{tag}_showerml.h5")
    cc = ColumnWriter(folder / f"{tag}_challenge.h5") if protocol == "calochallenge" else None
    total = np.zeros(geometry.n_voxels, dtype=np.float64)
    incident: list[np.ndarray] = []
    vmax = 0.0
    try:
        for chunk in _chunks(src, size):
            sml.append(shower_features(chunk), np.float32)
            incident.append(np.asarray(chunk.incident, dtype=np.float64))
            total += chunk.voxels.sum(axis=0, dtype=np.float64)
            if cc is not None:
                part = challenge_features([chunk], geometry)
                cc.append(part.table, np.float64)
                vmax = max(vmax, part.voxel_max)
    finally:
        sml.close()
        if cc is not None:
            cc.close()
    if sml.rows == 0:
        raise InputError("no showers to compute features of")
    return _Scan(lazy_table(sml), None if cc is None else lazy_table(cc), vmax, total / sml.rows,
                 np.concatenate(incident), sml.rows)


def _matrix_file(path: Path, table: FeatureTable, n: int, size: int, rows_of: Any) -> MatrixFile:
    """An input matrix written by row chunks: ``rows_of(table_rows, start, stop)`` for each chunk of a lazy table."""
    out = MatrixFile(path)
    columns = cast(LazyColumns, table.columns)
    for start in range(0, n, size):
        stop = min(start + size, n)
        out.append(rows_of(columns.rows(start, stop), start, stop))
    return out.close()


def _distance(result: DistanceResult) -> Distance:
    return Distance.of(result.value, result.error)


def evaluate_sources(
    reference: Source,
    generated: Mapping[str, Source],
    config: EvaluateConfig | None = None,
    seed: int = 0,
    scratch: str | os.PathLike[str] | None = None,
) -> EvaluationResult:
    """All metrics of every generated sample against ``reference``; same seed → same numbers.

    With ``config.memory_gb`` the evaluation streams through the folder ``scratch`` (default: a temporary folder
    removed when the result is); the result's feature tables read from it."""
    cfg = config or EvaluateConfig()
    if not generated:
        raise InputError("give at least one generated sample to evaluate")
    geometry = reference.geometry
    protocol = default_protocol(geometry) if cfg.protocol == "auto" else cfg.protocol
    threshold = challenge_threshold(geometry) if protocol == "calochallenge" else 0.0
    for label, src in generated.items():
        check_compatible(reference, src, "sample", f"'{label}'")
    if cfg.memory_gb is None:
        return _evaluate(reference, generated, cfg, seed, protocol, threshold, None)
    if scratch is not None:
        return _evaluate(reference, generated, cfg, seed, protocol, threshold, Path(scratch))
    folder = Path(tempfile.mkdtemp(prefix="showerml-evaluate-", dir=cfg.scratch_dir))
    try:
        result = _evaluate(reference, generated, cfg, seed, protocol, threshold, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(result, shutil.rmtree, folder, True)
    return result


def _evaluate(
    reference: Source,
    generated: Mapping[str, Source],
    cfg: EvaluateConfig,
    seed: int,
    protocol: str,
    threshold: float,
    scratch: Path | None,
) -> EvaluationResult:
    """:func:`evaluate_sources` after its checks; ``scratch``: the streaming folder (None: in memory)."""
    geometry = reference.geometry
    labels = list(generated)
    chunk = cfg.streaming_chunk(geometry.n_voxels)
    gather = cfg.gather_bytes()

    def scan_of(src: Source, tag: str) -> _Scan:
        if scratch is None:
            return _scan(src, chunk, protocol)
        return _scan_to_disk(src, chunk, protocol, scratch, tag)

    ref = scan_of(reference, "reference")
    # showerml's FPD draws batches without replacement and needs ≥ 2 showers per feature; the challenge's draws with
    # replacement and the classifier splits set the floor
    needed = cfg.min_showers if protocol == "calochallenge" else max(cfg.min_showers, 4 * max(len(ref.table.names), 10))
    _check_size(_length(reference), "the reference", needed)
    for label, src in generated.items():
        _check_size(_length(src), f"'{label}'", needed)
    scans = {label: scan_of(src, f"generated_{k}") for k, (label, src) in enumerate(generated.items())}
    used = informative_features(ref.table)
    v_edges = voxel_edges(threshold, ref.voxel_max) if protocol == "calochallenge" else None
    ref_vox_counts = (
        voxel_histogram(_chunks(reference, chunk), v_edges, threshold) if v_edges is not None else None
    )

    def hl_inputs_of(s: _Scan, tag: str) -> np.ndarray | MatrixFile:
        """The high-level classifier's and (calochallenge) FPD/KPD inputs; a scratch file when streaming."""
        if protocol == "calochallenge":
            assert s.challenge is not None
            if scratch is None:
                return challenge_fpd_inputs(s.challenge, geometry)
            return _matrix_file(scratch / f"{tag}_hl.h5", s.challenge, s.n, chunk,
                                lambda t, a, b: challenge_fpd_inputs(t, geometry))
        if scratch is None:
            return high_level_inputs(cast(ShowerData, _Incident(s.incident)), s.table, used)
        return _matrix_file(scratch / f"{tag}_hl.h5", s.table, s.n, chunk,
                            lambda t, a, b: high_level_inputs(cast(ShowerData, _Incident(s.incident[a:b])), t, used))

    def features_of(s: _Scan, tag: str) -> np.ndarray | MatrixFile:
        """showerml's informative features (its FPD/KPD inputs)."""
        if scratch is None:
            return s.table.matrix(used)
        return _matrix_file(scratch / f"{tag}_features.h5", s.table, s.n, chunk, lambda t, a, b: t.matrix(used))

    ref_hl = hl_inputs_of(ref, "reference")
    if protocol == "calochallenge":
        hl_clf = cfg.classifier or calochallenge_voxel_config()
    else:
        hl_clf = cfg.classifier or ClassifierConfig()
    if cfg.progress:
        hl_clf = replace(hl_clf, progress=True)
    seeds = np.random.SeedSequence(seed).spawn(len(labels) + 1)
    per_gen: dict[str, SampleMetrics] = {}
    hl_inputs: dict[str, np.ndarray | MatrixFile] = {}
    ref_feat: np.ndarray | MatrixFile | None = None
    challenge_hists: dict[str, ChallengeHistograms] = {}
    for k, label in enumerate(labels):
        src, scan = generated[label], scans[label]
        s_clf, s_fpd, s_kpd = (_seed_int(s) for s in seeds[k].spawn(3))
        sep_sml = {
            n: histogram_pair(ref.table[n], scan.table[n], cfg.n_bins).separation_power for n in ref.table.names
        }
        extra: dict[str, float] = {}
        if protocol == "calochallenge":
            assert ref.challenge is not None and scan.challenge is not None
            counts = None
            if v_edges is not None and ref_vox_counts is not None:
                counts = (ref_vox_counts, voxel_histogram(_chunks(src, chunk), v_edges, threshold))
            hists = challenge_histograms(ref.challenge, scan.challenge, threshold, counts, v_edges)
            challenge_hists[label] = hists
            separation = hists.separation_powers(official_only=True)
            extra = {n: v for n, v in hists.separation_powers().items() if n not in separation}
        else:
            separation, sep_sml = sep_sml, {}
        hl_inputs[label] = hl_inputs_of(scan, f"generated_{k}")
        low = high = None
        if cfg.voxel_level:
            low = voxel_classifier_test(
                reference, src, protocol, cfg.voxel_classifier, s_clf, f"{label}: voxel classifier", cfg.progress,
                scratch, chunk,
            )
        if cfg.high_level:
            high = classifier_test(
                ref_hl, hl_inputs[label], hl_clf, s_clf + 1, f"{label}: high-level classifier", scratch
            )
        fpd_d = kpd_d = Distance()  # not computed
        if cfg.distances and protocol == "calochallenge":
            f = challenge_fpd(
                ref_hl,
                hl_inputs[label],
                cfg.challenge_fpd_min_samples,
                cfg.challenge_fpd_max_samples,
                cfg.fpd_points,
                cfg.fpd_batches,
                max_bytes=gather,
            )
            fpd_d = _distance(f)
            kpd_d = _distance(challenge_kpd(ref_hl, hl_inputs[label], cfg.kpd_batches, cfg.challenge_kpd_batch_size,
                                            max_bytes=gather))
        elif cfg.distances:
            ref_feat = features_of(ref, "reference") if ref_feat is None else ref_feat
            gen_feat = features_of(scan, f"generated_{k}")
            f = fpd(
                ref_feat, gen_feat, cfg.fpd_min_samples, cfg.fpd_max_samples, cfg.fpd_points, cfg.fpd_batches, s_fpd,
                max_bytes=gather,
            )
            fpd_d = _distance(f)
            kpd_d = _distance(kpd(ref_feat, gen_feat, cfg.kpd_batches, cfg.kpd_batch_size, s_kpd, max_bytes=gather))
        mean, worst = SampleMetrics.summary(separation)
        per_gen[label] = SampleMetrics(
            n_showers=_length(src),
            protocol=protocol,
            separation_power=separation,
            separation_power_extra=extra,
            separation_power_mean=mean,
            separation_power_max=worst,
            separation_power_showerml=sep_sml,
            classifier=Classifiers(low_level=low, high_level=high),
            fpd=fpd_d,
            kpd=kpd_d,
        )
    feature_table = ref.challenge if protocol == "calochallenge" and ref.challenge is not None else ref.table
    multiclass = None
    if cfg.multiclass and len(labels) >= 2:
        mc = multiclass_test(
            ref_hl, [hl_inputs[lab] for lab in labels], labels, hl_clf, _seed_int(seeds[-1]),
            "multiclass (high level)", scratch,
        )
        multiclass = mc
    recipe = cfg.classifier_recipe
    if recipe is None:
        recipe = "custom" if cfg.classifier or cfg.voxel_classifier else ("official" if protocol == "calochallenge"
                                                                          else "showerml")
    metrics = EvaluationMetrics(
        showerml_version=__version__,
        seed=seed,
        protocol=protocol,
        classifier_recipe=recipe,
        threshold_mev=threshold,
        reference=ReferenceInfo(n_showers=_length(reference), geometry=geometry.name, n_voxels=geometry.n_voxels),
        units={"jsd_bits": "bits (JSD / ln 2, in [0, 1])", "jsd_nats": "nats", "bce": "nats"},
        features={n: feature_table.units.get(n, "") for n in per_gen[labels[0]].separation_power},
        features_showerml={n: ref.table.units.get(n, "") for n in ref.table.names},
        features_used=list(used),
        generated=per_gen,
        multiclass=multiclass,
    )
    tables = {"reference": ref.table} | {label: s.table for label, s in scans.items()}
    means = {"reference": ref.mean} | {label: s.mean for label, s in scans.items()}
    return EvaluationResult(metrics, tables, means, challenge=challenge_hists)


@dataclass
class _Incident:
    """What :func:`high_level_inputs` reads of a sample when given its feature table: the incident energies."""

    incident: np.ndarray


def evaluate_showers(
    reference: ShowerData,
    generated: Mapping[str, ShowerData],
    config: EvaluateConfig | None = None,
    seed: int = 0,
) -> EvaluationResult:
    """:func:`evaluate_sources` on showers in memory."""
    return evaluate_sources(reference, generated, config, seed)


def _labels(generated: Sequence[Path], labels: Sequence[str] | None) -> list[str]:
    if labels:
        if len(labels) != len(generated):
            raise InputError(f"{len(labels)} --labels for {len(generated)} --generated files; give one label per file")
        out = list(labels)
    else:
        out = [p.stem for p in generated]
        if len(set(out)) != len(out):
            out = [f"{i}:{p.stem}" for i, p in enumerate(generated)]
    if len(set(out)) != len(out) or any(lab in ("reference", "") for lab in out):
        raise InputError(f"labels must be distinct, non-empty and not 'reference', got {out}")
    return out


def evaluate_files(
    reference: str | os.PathLike[str],
    generated: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    labels: Sequence[str] | None = None,
    binning: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    max_events: int | None = None,
    seed: int = 0,
    config: EvaluateConfig | None = None,
    report: bool = True,
) -> EvaluationMetrics:
    """Evaluate files; write ``out/metrics.json``, ``out/config.json`` and ``out/report.html``; return the metrics."""
    cfg = config or EvaluateConfig()
    gen_paths = [Path(p) for p in generated]
    if not gen_paths:
        raise InputError("give at least one --generated file")
    if max_events is not None and max_events <= 0:
        raise InputError(f"--max-events must be positive, got {max_events}")
    names = _labels(gen_paths, labels)
    run = RunFolder(out, overwrite=overwrite)
    ref = ShowerFile(reference, binning, max_events=max_events)
    gens: dict[str, Source] = {}
    for name, path in zip(names, gen_paths, strict=True):
        data = ShowerFile(path, binning, max_events=max_events)
        check_compatible(ref, data, str(reference), str(path))
        gens[name] = data
    if cfg.protocol == "calochallenge":
        challenge_threshold(ref.geometry)  # a one-line error for geometries the protocol does not cover
    with contextlib.ExitStack() as stack:
        scratch = None
        if cfg.memory_gb is not None:  # the scratch folder lives until the report has read the features
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="showerml-evaluate-", dir=cfg.scratch_dir))
        return _evaluate_and_write(ref, gens, names, gen_paths, reference, binning, max_events, seed, cfg, run,
                                   report, scratch)


def _evaluate_and_write(
    ref: ShowerFile,
    gens: dict[str, Source],
    names: list[str],
    gen_paths: list[Path],
    reference: str | os.PathLike[str],
    binning: str | os.PathLike[str] | None,
    max_events: int | None,
    seed: int,
    cfg: EvaluateConfig,
    run: RunFolder,
    report: bool,
    scratch: str | None,
) -> EvaluationMetrics:
    """The evaluation of :func:`evaluate_files` and its outputs."""
    result = evaluate_sources(ref, gens, cfg, seed, scratch)
    metrics = replace(
        result.metrics,
        reference=replace(result.metrics.reference, path=str(reference)),
        generated={
            name: replace(result.metrics.generated[name], path=str(path))
            for name, path in zip(names, gen_paths, strict=True)
        },
    )
    result = replace(result, metrics=metrics)
    run_config = {
        "reference": str(reference),
        "generated": [str(p) for p in gen_paths],
        "labels": names,
        "binning": None if binning is None else str(binning),
        "max_events": max_events,
        "seed": seed,
        "evaluate": asdict(cfg),
    }
    with run:
        run.write_json(CONFIG, run_config)
        run.write_json(METRICS, metrics)
        if report:
            from showerml.report.evaluation import build_report

            run.write_text(REPORT, build_report(result, ref.geometry).render())
    return metrics
