"""``showerml reweight``: DCTR classifier weights w = D/(1 − D) for a generated shower sample."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register", "reweight"]


def reweight(
    generated: Path = typer.Option(..., "--generated", "-g", help="Generated showers (CaloGAN/CaloChallenge file)."),
    reference: Path = typer.Option(..., "--reference", "-r", help="Reference showers of the same geometry."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (weights.h5, metrics.json, figures/)."),
    max_events: int = typer.Option(None, "--max-events", help="Use only the first N showers of each file."),
    seed: int = typer.Option(0, "--seed"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing run folder."),
) -> None:
    """Weights that carry the generated sample onto the reference, with AUC, separation powers and ESS."""
    from showerml.pipelines.reweight import run_reweight

    res, _ = run_reweight(out, generated, reference, max_events, seed, overwrite)
    typer.echo(f"classifier AUC {res.auc_before:.4f} → {res.auc_after:.4f} after weighting; mean separation power "
               f"{res.mean_separation_before:.4g} → {res.mean_separation_after:.4g}; ESS {res.ess:.0f} "
               f"({100 * res.ess_fraction:.1f} % of {len(res.weights)})")
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command("reweight")(reweight)
