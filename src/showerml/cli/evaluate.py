"""``showerml evaluate``: compare generated shower files with a reference file; metrics.json and report.html."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from showerml.metrics.evaluation import ClassifierResult, Distance
    from showerml.pipelines.evaluate import EvaluateConfig

__all__ = ["evaluate", "register"]


def evaluate(
    reference: Path = typer.Option(..., "--reference", "-r", help="Reference shower file (CaloGAN or CaloChallenge)."),
    generated: list[Path] = typer.Option(..., "--generated", "-g", help="Generated shower file(s); repeat the option."),
    labels: list[str] = typer.Option(
        None, "--labels", "-l", help="One label per generated file, repeated or comma-separated (default: file stem)."
    ),
    binning: Path = typer.Option(None, "--binning", help="CaloChallenge binning XML for files of unknown geometry."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder for metrics.json and report.html."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the metrics of a non-empty output folder."),
    max_events: int = typer.Option(None, "--max-events", help="Use at most this many showers per file."),
    seed: int = typer.Option(0, "--seed", help="Random seed (splits, network initialisation, batches)."),
    protocol: str = typer.Option(
        "auto",
        "--protocol",
        help="calochallenge (the official CaloChallenge 2022 evaluation's features, histograms, classifier and "
        "FPD/KPD; the default for datasets 2 and 3) or showerml (the default elsewhere).",
    ),
    classifier_recipe: str = typer.Option(
        None,
        "--classifier-recipe",
        help="The CaloChallenge classifiers' size (--protocol calochallenge): official (the default: 3 hidden layers "
        "of 2048 units, 50 epochs, as the official evaluate.py) or reduced (3 × 256, 20 epochs: its --cls_n_hidden "
        "256 --cls_n_layer 2 --cls_n_epochs 20).",
    ),
    classifier_hidden: int = typer.Option(
        None, "--classifier-hidden", help="Hidden units per layer of the CaloChallenge classifiers (--cls_n_hidden)."
    ),
    classifier_layers: int = typer.Option(
        None,
        "--classifier-layers",
        help="As the official --cls_n_layer: the network has this many + 1 hidden layers (official: 2).",
    ),
    classifier_epochs: int = typer.Option(
        None, "--classifier-epochs", help="Epochs of the CaloChallenge classifiers, all run (its --cls_n_epochs)."
    ),
    memory: float = typer.Option(
        None,
        "--memory",
        help="Memory budget in GB: stream the evaluation (chunks sized to the budget; features and classifier "
        "inputs in scratch HDF5 files, trained from batch by batch) for files larger than memory; same metrics.",
    ),
    scratch: Path = typer.Option(
        None, "--scratch", help="Folder for --memory's scratch files (default: the system's temporary directory)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Separation powers, classifier test (AUC, JSD), multiclass ranking, FPD and KPD of generated vs reference."""
    from rich.console import Console
    from rich.table import Table

    from showerml.errors import InputError
    from showerml.io.showers import ShowerFile

    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed}")
    for path in (reference, *generated):  # the input files first: a typo is reported before torch is imported
        ShowerFile(path, binning)
    from showerml.pipelines.evaluate import EvaluateConfig, evaluate_files

    names = [part.strip() for label in labels or [] for part in label.split(",")] or None
    if scratch is not None and memory is None:
        raise InputError("--scratch is the folder of a streaming evaluation: give --memory GB with it")
    if scratch is not None and not scratch.is_dir():
        raise InputError(f"--scratch {scratch}: no such folder")
    cfg = EvaluateConfig(protocol=protocol, progress=not quiet, memory_gb=memory,
                         scratch_dir=None if scratch is None else str(scratch))
    recipe = (classifier_recipe, classifier_hidden, classifier_layers, classifier_epochs)
    if any(v is not None for v in recipe):
        cfg = _with_recipe(cfg, reference, binning, *recipe)
    metrics = evaluate_files(reference, generated, out, names, binning, overwrite, max_events, seed, cfg)
    table = Table(
        title=f"evaluation vs {reference.name} ({metrics.reference.n_showers} showers, {metrics.protocol} protocol)"
    )
    for col in ("sample", "AUC vox", "JSD vox [bits]", "AUC HL", "JSD HL [bits]", "FPD×1e3", "KPD×1e3", "worst (S)"):
        table.add_column(col)
    for label, e in metrics.generated.items():
        low, high = e.classifier.low_level, e.classifier.high_level
        worst = e.separation_power_max
        table.add_row(
            label,
            _f(None if low is None else low.auc),
            _jsd(low),
            _f(None if high is None else high.auc),
            _jsd(high),
            _distance(e.fpd),
            _distance(e.kpd),
            "—" if worst.feature is None or worst.value is None else f"{worst.feature} ({worst.value:.3g})",
        )
    console = Console()
    console.print(table)
    if metrics.multiclass is not None:
        console.print("multiclass ranking (best first): " + ", ".join(metrics.multiclass.ranking))
    console.print(f"wrote {out / 'metrics.json'} and {out / 'report.html'}")


def _with_recipe(
    cfg: EvaluateConfig,
    reference: Path,
    binning: Path | None,
    name: str | None,
    hidden: int | None,
    layers: int | None,
    epochs: int | None,
) -> EvaluateConfig:
    """``cfg`` with both classifiers at the CaloChallenge recipe asked for; a one-line error if the protocol is
    showerml's (whose classifiers have recipes of their own) or a value is out of range."""
    from dataclasses import replace

    from showerml.errors import InputError
    from showerml.io.showers import ShowerFile
    from showerml.metrics.classifier import calochallenge_recipe
    from showerml.pipelines.evaluate import default_protocol

    protocol = cfg.protocol
    if protocol == "auto":
        protocol = default_protocol(ShowerFile(reference, binning).geometry)
    if protocol != "calochallenge":
        raise InputError(
            "--classifier-recipe/-hidden/-layers/-epochs set the CaloChallenge classifiers and apply with "
            f"--protocol calochallenge (datasets 2 and 3); this evaluation uses the {protocol} protocol"
        )
    clf = calochallenge_recipe(name or "official", hidden, layers, epochs)
    changed = any(v is not None for v in (hidden, layers, epochs))
    base = (name or "official") + (" (modified)" if changed else "")
    label = f"{base}: {len(clf.hidden)} × {clf.hidden[0]}, {clf.epochs} epochs"
    return replace(cfg, classifier=clf, voxel_classifier=clf, classifier_recipe=label)


def _f(v: float | None) -> str:
    return "—" if v is None or math.isnan(v) else f"{v:.3f}"


def _jsd(result: ClassifierResult | None) -> str:
    """JSD in bits; a negative estimate (JSD ≥ 0 by definition) is shown as consistent with 0."""
    if result is None or math.isnan(result.jsd_bits):
        return "—"
    v = result.jsd_bits
    return f"{v:.3f} (≈ 0)" if v < 0 else f"{v:.3f}"


def _distance(d: Distance) -> str:
    """FPD/KPD ×10³ with its error; a value within 2σ of 0 (negative ones included) says so."""
    if d.value is None or math.isnan(d.value):
        return "—"
    text = f"{1e3 * d.value:.3g}±{1e3 * (d.error or 0.0):.2g}"
    return text + " (consistent with 0)" if d.consistent_with_zero else text


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
