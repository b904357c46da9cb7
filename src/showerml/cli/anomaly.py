"""``showerml anomaly run|scan``: resonant anomaly detection on dijet feature files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from showerml.cli.device import DEVICE, on_device
from showerml.cli.options import CONFIG, resolve_options, saved_options
from showerml.errors import InputError

if TYPE_CHECKING:
    from showerml.anomaly.results import AnomalyRunResult
    from showerml.io.lhco import DijetSample
    from showerml.pipelines.anomaly import RunConfig
    from showerml.pipelines.anomaly_inputs import Roles

__all__ = ["anomaly_app", "register"]

anomaly_app = typer.Typer(help="Resonant anomaly detection on dijets (LHCO-style features).", no_args_is_help=True)

DATA = typer.Option(None, "--data", "-d", help="Labelled feature file(s) pooled and split per seed: showerml dijet "
                    ".h5, LHCO features .h5, CATHODE .npy.")
TRAIN = typer.Option(None, "--train", help="The observed data as given, e.g. innerdata_train.npy and "
                     "outerdata_train.npy (repeat the option); needs --test.")
VAL = typer.Option(None, "--val", help="Observed data kept for early stopping, e.g. innerdata_val.npy, "
                   "outerdata_test.npy (with --train).")
TEST = typer.Option(None, "--test", help="Labelled test events, e.g. innerdata_test.npy (with --train).")
REFERENCE = typer.Option(None, "--reference", help="Background-only SR events for the idealized detector, e.g. "
                         "innerdata_extrabkg_train.npy (with --train or --data).")
SIGNAL = typer.Option(None, "--signal", help="Labelled SR signal for the supervised classifier, e.g. "
                      "innerdata_extrasig_train.npy (with --train).")
METHOD = typer.Option("all", "--method", "-m", help="supervised, idealized, cwola, anode, cathode, autoencoder, "
                      "a comma list, or all.")
SR = typer.Option("3.3,3.7", "--sr", help="Signal region in m_jj, TeV: LOW,HIGH.")
SB = typer.Option("", "--sb", help="Sideband outer edges in TeV: LOW,HIGH (default: all data outside the SR).")
CLASSIFIER = typer.Option("mlp", "--classifier", help="mlp (ensemble) or bdt (HistGradientBoosting).")
ENSEMBLE = typer.Option(5, "--ensemble", help="Classifiers per ensemble.")
EPOCHS = typer.Option(100, "--epochs", help="Maximum epochs (early stopping on validation loss).")
OUT = typer.Option(..., "--out", "-o", help="Run folder.")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing run folder.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars.")


def _pair(text: str, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) * 1000.0 for v in text.split(","))
    except ValueError:
        raise InputError(f"{name} takes two numbers in TeV as LOW,HIGH, got '{text}'") from None
    if not 0 < lo < hi:
        raise InputError(f"{name} needs 0 < LOW < HIGH, got '{text}'")
    return lo, hi


def _ints(text: str, name: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"{name} takes comma-separated integers, got '{text}'") from None


def _read(paths: list[Path] | None) -> tuple[DijetSample | None, list[str]]:
    """One sample from the files (duplicates across them removed, with a note), or None."""
    from showerml.io.lhco import DijetSample, read_dijet
    from showerml.pipelines.anomaly_inputs import drop_duplicates

    if not paths:
        return None, []
    samples, notes = drop_duplicates([(str(p), read_dijet(p)) for p in paths])
    return DijetSample.concatenate([s for s in samples if s is not None]), notes


def _inputs(
    data: list[Path] | None, train: list[Path] | None, val: list[Path] | None, test: list[Path] | None,
    reference: list[Path] | None, signal: list[Path] | None, inject: int | None,
) -> tuple[DijetSample | Roles, DijetSample | None, list[str], str]:
    """(pool or Roles, reference, notes, source) from the options, checked for a consistent combination."""
    from showerml.pipelines.anomaly_inputs import Roles

    if bool(data) == bool(train):
        raise InputError("give either --data FILE (a labelled pool, split per seed) or --train FILE with --test FILE "
                         "(the official roles)")
    if data and (val or test or signal):
        raise InputError("--val, --test and --signal go with --train; with --data the pool is split per seed")
    if train and not test:
        raise InputError("--train needs --test FILE (labelled test events, e.g. innerdata_test.npy)")
    if train and inject is not None:
        raise InputError("--inject applies to --data; with --train the data already hold their signal")
    ref, notes = _read(reference)
    source = {"data": data, "train": train, "val": val, "test": test, "reference": reference, "signal": signal}
    source_text = "; ".join(f"{k}: {','.join(map(str, v))}" for k, v in source.items() if v)
    if data:
        pool, more = _read(data)
        assert pool is not None
        return pool, ref, notes + more, source_text
    parts: dict[str, DijetSample | None] = {}
    for name, paths in (("train", train), ("val", val), ("test", test), ("signal", signal)):
        parts[name], more = _read(paths)
        notes += more
    train_sample, test_sample = parts["train"], parts["test"]
    assert train_sample is not None and test_sample is not None
    roles = Roles(train_sample, test_sample, val=parts["val"], reference=ref, signal=parts["signal"])
    return roles, None, notes, source_text


def _echo_run(summary: AnomalyRunResult, notes: list[str]) -> None:
    from showerml.metrics.anomaly import format_rejection

    for note in [*notes, *summary.notes]:
        typer.echo(f"note: {note}")
    typer.echo(f"S/B = {100 * summary.s_over_b_sr:.2f} % in the SR ({summary.n_signal_sr} signal, "
               f"{summary.n_background_sr} background)")
    for name, m in summary.methods.items():
        rej = format_rejection(m.rejection_05, m.rejection_05_lower_bound)
        typer.echo(f"{name:12s} max SIC {m.max_sic:6.2f}  1/eps_B(0.5) {rej:>8s}  "
                   f"AUC {m.auc:.3f}  ({m.train_seconds:.0f} s)")


def _config(method: str, sr: str, sb: str, classifier: str, ensemble: int, epochs: int, inject: int, seed: int,
            quiet: bool) -> RunConfig:
    from showerml.anomaly import METHODS, MethodConfig, Regions
    from showerml.pipelines.anomaly import RunConfig

    lo, hi = _pair(sr, "--sr")
    sb_lo, sb_hi = _pair(sb, "--sb") if sb else (None, None)
    methods = list(METHODS) if method == "all" else [m.strip() for m in method.split(",") if m.strip()]
    cfg = MethodConfig(classifier=classifier, n_models=ensemble, epochs=epochs, flow_epochs=epochs, progress=not quiet)
    return RunConfig(methods, Regions(lo, hi, sb_lo, sb_hi), inject, seed, cfg, skip_inapplicable=method == "all")


@anomaly_app.command("run")
def run(
    ctx: typer.Context,
    data: list[Path] = DATA,
    train: list[Path] = TRAIN,
    val: list[Path] = VAL,
    test: list[Path] = TEST,
    reference: list[Path] = REFERENCE,
    signal: list[Path] = SIGNAL,
    method: str = METHOD,
    sr: str = SR,
    sb: str = SB,
    inject: int = typer.Option(None, "--inject", help="Signal events injected into the data (with --data; "
                               "default 1000)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and of the training."),
    classifier: str = CLASSIFIER,
    ensemble: int = ENSEMBLE,
    epochs: int = EPOCHS,
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
    config: Path = CONFIG,
    device: str = DEVICE,
) -> None:
    """Train the chosen methods once and write config.yaml (the options), config.json (the resolved run settings),
    metrics.json, figures/ and report.html."""
    from showerml.io.runfolder import RunFolder
    from showerml.pipelines.anomaly import run_anomaly

    o, _ = resolve_options(ctx, config, run)
    outputs = ctx.with_resource(on_device(o["device"]))  # checked first; under torchrun, rank 0 alone writes
    out = outputs(out)
    inject = o["inject"]
    run_config = _config(o["method"], o["sr"], o["sb"], o["classifier"], o["ensemble"], o["epochs"],
                         1000 if inject is None else inject, o["seed"], quiet)
    RunFolder(out, overwrite=overwrite)  # check --out before reading any data
    pool, ref, notes, source = _inputs(o["data"], o["train"], o["val"], o["test"], o["reference"], o["signal"], inject)
    summary = run_anomaly(pool, out, run_config, overwrite, source=source, reference=ref, settings=saved_options(o))
    _echo_run(summary, notes)
    typer.echo(f"report: {Path(out) / 'report.html'}")


@anomaly_app.command("scan")
def scan(
    ctx: typer.Context,
    data: list[Path] = DATA,
    reference: list[Path] = REFERENCE,
    method: str = METHOD,
    sr: str = SR,
    sb: str = SB,
    inject: str = typer.Option("300,1000,3000", "--inject", help="Comma list of injected signal events."),
    seeds: str = typer.Option("0,1,2,3,4", "--seeds", help="Comma list of seeds."),
    classifier: str = CLASSIFIER,
    ensemble: int = ENSEMBLE,
    epochs: int = EPOCHS,
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
    config: Path = CONFIG,
    device: str = DEVICE,
) -> None:
    """Signal-injection scan: methods × injections × seeds; medians and 16–84 % bands of max SIC."""
    from showerml.io.runfolder import RunFolder
    from showerml.pipelines.anomaly import scan_anomaly
    from showerml.pipelines.anomaly_inputs import Roles

    o, _ = resolve_options(ctx, config, scan)
    outputs = ctx.with_resource(on_device(o["device"]))  # checked first; under torchrun, rank 0 alone writes
    out = outputs(out)
    data, reference = o["data"], o["reference"]
    injections, seed_list = _ints(o["inject"], "--inject"), _ints(o["seeds"], "--seeds")
    run_config = _config(o["method"], o["sr"], o["sb"], o["classifier"], o["ensemble"], o["epochs"], 0, 0, quiet)
    if not data:
        raise InputError("anomaly scan injects signal into a labelled pool: give --data FILE (for the official files "
                         "as given, use anomaly run --train … --test …)")
    RunFolder(out, overwrite=overwrite)
    pool, ref, notes, source = _inputs(data, None, None, None, reference, None, None)
    assert not isinstance(pool, Roles)
    summary = scan_anomaly(pool, out, run_config, injections, seed_list, overwrite, source=source, reference=ref,
                           settings=saved_options(o))
    for note in [*notes, *summary.notes]:
        typer.echo(f"note: {note}")
    for row in summary.bands:
        typer.echo(f"{row.method:12s} S/B {100 * row.s_over_b:6.2f} %  max SIC {row.max_sic_median:6.2f} "
                   f"[{row.max_sic_p16:.2f}, {row.max_sic_p84:.2f}]")
    typer.echo(f"report: {Path(out) / 'report.html'}")


@anomaly_app.command("toy")
def toy(
    n_background: int = typer.Option(..., "--n-background", help="Background events."),
    n_signal: int = typer.Option(0, "--n-signal", help="Signal events (W' → XY-like shapes)."),
    seed: int = typer.Option(0, "--seed", help="Seed."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .npy file (CATHODE layout, TeV, with labels)."),
    overwrite: bool = OVERWRITE,
) -> None:
    """A toy dijet sample (numpy only, not physics: the right shapes for tests and quick studies) as a CATHODE .npy."""
    import io

    import numpy as np

    from showerml.anomaly.toy import toy_dijets
    from showerml.io.atomic import atomic_write_bytes
    from showerml.io.hdf5 import check_output_path
    from showerml.pipelines.anomaly_prepare import cathode_array

    if n_background < 0 or n_signal < 0 or n_background + n_signal == 0:
        raise InputError(f"--n-background and --n-signal must be ≥ 0 and not both 0, got {n_background}, {n_signal}")
    if n_background + n_signal > 50_000_000:
        raise InputError("at most 50,000,000 toy events per file (2.4 GB); write several files")
    if out.suffix != ".npy":
        raise InputError(f"--out must name a .npy file, got '{out}'")
    target = check_output_path(out, overwrite)
    buffer = io.BytesIO()
    np.save(buffer, cathode_array(toy_dijets(n_background, n_signal, seed=seed)), allow_pickle=False)
    atomic_write_bytes(target, buffer.getvalue())
    typer.echo(f"wrote {n_background} background and {n_signal} signal events to {target}")


@anomaly_app.command("prepare")
def prepare(
    data: list[Path] = typer.Option(..., "--data", "-d", help="Labelled background + signal file(s)."),
    extra_background: list[Path] = typer.Option(..., "--extra-background", help="An independent background "
                                                "sample (its SR events become the reference and test background)."),
    inject: int = typer.Option(..., "--inject", help="Signal events injected into the data."),
    sr: str = SR,
    seed: int = typer.Option(1, "--seed", help="Seed of the shuffles."),
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Write the LHCO R&D signal-region files (innerdata_*.npy, outerdata_*.npy, CATHODE layout) into a folder."""
    from showerml.anomaly import Regions
    from showerml.io.runfolder import RunFolder
    from showerml.pipelines.anomaly_prepare import prepare_official

    lo, hi = _pair(sr, "--sr")
    RunFolder(out, overwrite=overwrite)
    pool, notes = _read(data)
    extra, more = _read(extra_background)
    assert pool is not None and extra is not None
    counts = prepare_official(pool, extra, out, inject, Regions(lo, hi), seed, overwrite)
    for note in notes + more:
        typer.echo(f"note: {note}")
    for name, n in counts.items():
        typer.echo(f"{name:30s} {n:9d} events")
    typer.echo(f"folder: {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(anomaly_app, name="anomaly")
