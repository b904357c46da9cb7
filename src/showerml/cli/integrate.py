"""``showerml integrate``: neural importance sampling against VEGAS+ and MadNIS on one integrand and budget."""

from __future__ import annotations

from pathlib import Path

import typer

from showerml.errors import InputError

__all__ = ["integrate", "register"]


def _calls(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"--calls takes a number such as 1e6, got '{text}'") from None
    if not value.is_integer() or value < 1 or value > 1e10:
        raise InputError(f"--calls must be a whole number of integrand calls in [1, 1e10], got '{text}'")
    return int(value)


def integrate(
    integrand: str = typer.Option("camel4", "--integrand", "-i", help="Suite name (gaussD, camelD[_aα], circles, "
                                  "annulus, corrD_rhoρ, shellD, zpole, zpole_bw) or your module:function / "
                                  "file.py:function (imported and run: your code), vectorised over an (n, d) array."),
    method: str = typer.Option("all", "--method", "-m", help="nis, vegas, madnis, a comma list, or all."),
    calls: str = typer.Option("1e6", "--calls", "-n", help="Integrand calls per method, training included."),
    seed: int = typer.Option(0, "--seed", help="Seed of sampling and training."),
    dim: int = typer.Option(None, "--dim", help="Dimension of a user integrand."),
    exact: float = typer.Option(None, "--exact", help="Known value of a user integrand (for the pull)."),
    loss: str = typer.Option("variance", "--loss", help="NIS training divergence: variance (Pearson χ²) or kl."),
    batch: int = typer.Option(10_000, "--batch", help="Points per training step (NIS and MadNIS)."),
    train_fraction: float = typer.Option(0.5, "--train-fraction", help="Share of the calls spent on training "
                                         "(VEGAS: on the warm-up)."),
    buffered_steps: int = typer.Option(2, "--buffered-steps", help="Extra gradient steps on buffered points per "
                                       "fresh batch (no new calls)."),
    events: bool = typer.Option(True, "--events/--no-events", help="Write unweighted events per method (HDF5)."),
    threads: int = typer.Option(1, "--threads", help="Torch CPU threads."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (results.json, summary.txt, events_*.h5)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing run folder."),
) -> None:
    """Integrate with each method at the same budget and seed; print Î ± σ, pull, ESS/N, unweighting efficiencies."""
    from showerml.integration.methods import parse_methods
    from showerml.integration.nis import NISConfig
    from showerml.integration.registry import get_integrand
    from showerml.pipelines.integrate import format_table, run_integrate, summary_rows

    n = _calls(calls)
    methods = parse_methods(method)
    if threads < 1:
        raise InputError(f"--threads must be ≥ 1, got {threads}")
    if buffered_steps < 0:
        raise InputError(f"--buffered-steps must be ≥ 0, got {buffered_steps}")
    cfg = NISConfig(loss=loss, batch=batch, train_fraction=train_fraction, buffered_steps=buffered_steps,
                    eval_batch=max(batch, 100_000))
    cfg.check()
    g = get_integrand(integrand, dim, exact)
    if "madnis" in methods:
        import importlib.util

        if importlib.util.find_spec("madnis") is None:
            if method.strip() != "all":
                raise InputError("--method madnis needs the madnis package: pip install 'showerml[integration]'")
            methods.remove("madnis")
            typer.echo("note: madnis is not installed; running nis and vegas")
    import torch

    torch.set_num_threads(threads)
    results, folder = run_integrate(g, methods, n, seed, out, cfg, overwrite=overwrite,
                                    log=lambda m: typer.echo(m, err=True))
    exact_text = "unknown" if g.exact is None else f"{g.exact:.10g}"
    typer.echo(f"{g.name} ({g.dim}-d), exact {exact_text}: {g.description}")
    typer.echo(format_table(summary_rows(results)))
    for r in results:
        for note in r.notes:
            typer.echo(f"note: {r.method}: {note}")
    typer.echo(f"run folder: {folder}")


def register(app: typer.Typer) -> None:
    app.command("integrate")(integrate)
