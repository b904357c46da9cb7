"""Entry point of the ``showerml`` command; turns :class:`ShowermlError` into ``error: …`` and exit code 2."""

from __future__ import annotations

import importlib
import sys

import typer

from showerml import __version__, interrupts
from showerml.errors import ShowermlError

app = typer.Typer(
    name="showerml",
    help="Machine learning on particle and astroparticle detector data: simulate → train → evaluate → report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: command modules; each exposes ``register(app)``
COMMAND_MODULES = (
    "showerml.cli.simulate",
    "showerml.cli.simulate_dijet",
    "showerml.cli.simulate_dampe",
    "showerml.cli.simulate_ta",
    "showerml.cli.simulate_herd",
    "showerml.cli.inspect",
    "showerml.cli.clean",
    "showerml.cli.display",
    "showerml.cli.demo",
    "showerml.cli.anomaly",
    "showerml.cli.evaluate",
    "showerml.cli.reco",
    "showerml.cli.fastsim",
    "showerml.cli.validate",
    "showerml.cli.infer",
    "showerml.cli.unfold",
    "showerml.cli.reweight",
    "showerml.cli.integrate",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"showerml {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """showerml command line."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def _usage_error(exc: BaseException) -> bool:
    """Typer's (vendored click) usage errors: an exception with ``format_message`` and ``exit_code``."""
    return hasattr(exc, "format_message") and hasattr(exc, "exit_code")


def run() -> None:
    """Console-script entry point: every user mistake becomes one ``error:`` line and a non-zero exit."""
    # SIGINT and SIGTERM (a batch system's kill, ``kill PID``) unwind as KeyboardInterrupt, so temporary files are
    # removed; the first one is remembered so that it cannot be swallowed (see showerml.interrupts)
    interrupts.install()
    note = "interrupted; nothing was written under the output name"
    try:
        code = app(standalone_mode=False)
    except ShowermlError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except interrupts.Interrupted as exc:
        code, note = 130, str(exc) or note
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())
            sys.exit(int(getattr(exc, "exit_code", 2)))
        if type(exc).__name__ == "Abort":  # click turns KeyboardInterrupt into Abort (raised from it)
            code = 130
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, interrupts.Interrupted) and str(cause):
                note = str(cause)
        elif _usage_error(exc):
            command = ctx.command_path if ctx is not None else "showerml"
            typer.echo(f"error: {exc.format_message()} (see '{command} --help')", err=True)  # type: ignore[attr-defined]
            sys.exit(int(exc.exit_code))  # type: ignore[attr-defined]
        else:
            raise
    if code == 130:
        typer.echo(f"error: {interrupts.note() or note}", err=True)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
