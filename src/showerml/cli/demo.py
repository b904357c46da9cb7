"""``showerml demo``: simulate, compare with Geant4, evaluate and report on a small embedded default."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Run folder."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing run folder."),
) -> None:
    """Run the main job on an embedded default and write <out>/report.html."""
    from showerml.pipelines.demo import run_demo

    report = run_demo(out, seed=seed, overwrite=overwrite, log=lambda line: typer.echo(line))
    typer.echo(f"wrote {report}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
