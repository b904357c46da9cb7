"""``showerml anomaly run|scan``: resonant anomaly detection on dijet feature files."""

from __future__ import annotations

from pathlib import Path

import typer

from showerml.errors import InputError

__all__ = ["anomaly_app", "register"]

anomaly_app = typer.Typer(help="Resonant anomaly detection on dijets (LHCO-style features).", no_args_is_help=True)

DATA = typer.Option(..., "--data", "-d", help="Feature file(s): showerml dijet .h5, LHCO features .h5, CATHODE .npy.")
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


def _config(method: str, sr: str, sb: str, classifier: str, ensemble: int, epochs: int, inject: int, seed: int,
            quiet: bool):  # type: ignore[no-untyped-def]
    from showerml.anomaly import METHODS, MethodConfig, Regions
    from showerml.pipelines.anomaly import RunConfig

    lo, hi = _pair(sr, "--sr")
    sb_lo, sb_hi = _pair(sb, "--sb") if sb else (None, None)
    methods = list(METHODS) if method == "all" else [m.strip() for m in method.split(",") if m.strip()]
    cfg = MethodConfig(classifier=classifier, n_models=ensemble, epochs=epochs, flow_epochs=epochs, progress=not quiet)
    return RunConfig(methods, Regions(lo, hi, sb_lo, sb_hi), inject, seed, cfg)


@anomaly_app.command("run")
def run(
    data: list[Path] = DATA,
    method: str = METHOD,
    sr: str = SR,
    sb: str = SB,
    inject: int = typer.Option(1000, "--inject", help="Signal events injected into the data."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and of the training."),
    classifier: str = CLASSIFIER,
    ensemble: int = ENSEMBLE,
    epochs: int = EPOCHS,
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Train the chosen methods once and write config.json, metrics.json, figures/ and report.html."""
    from showerml.io.lhco import read_dijet_files
    from showerml.pipelines.anomaly import run_anomaly

    config = _config(method, sr, sb, classifier, ensemble, epochs, inject, seed, quiet)
    pool = read_dijet_files(data)
    summary = run_anomaly(pool, out, config, overwrite, source=",".join(map(str, data)))
    typer.echo(f"S/B = {100 * summary['s_over_b_sr']:.2f} % in the SR ({summary['n_signal_sr']} signal, "
               f"{summary['n_background_sr']} background)")
    for name, m in summary["methods"].items():
        typer.echo(f"{name:12s} max SIC {m['max_sic']:6.2f}  1/eps_B(0.5) {m['rejection_05']:8.1f}  "
                   f"AUC {m['auc']:.3f}  ({m['train_seconds']:.0f} s)")
    typer.echo(f"report: {Path(out) / 'report.html'}")


@anomaly_app.command("scan")
def scan(
    data: list[Path] = DATA,
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
) -> None:
    """Signal-injection scan: methods × injections × seeds; medians and 16–84 % bands of max SIC."""
    from showerml.io.lhco import read_dijet_files
    from showerml.pipelines.anomaly import scan_anomaly

    injections, seed_list = _ints(inject, "--inject"), _ints(seeds, "--seeds")
    config = _config(method, sr, sb, classifier, ensemble, epochs, 0, 0, quiet)
    pool = read_dijet_files(data)
    summary = scan_anomaly(pool, out, config, injections, seed_list, overwrite, source=",".join(map(str, data)))
    for row in summary["bands"]:
        typer.echo(f"{row['method']:12s} S/B {100 * row['s_over_b']:6.2f} %  max SIC {row['max_sic_median']:6.2f} "
                   f"[{row['max_sic_p16']:.2f}, {row['max_sic_p84']:.2f}]")
    typer.echo(f"report: {Path(out) / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.add_typer(anomaly_app, name="anomaly")
