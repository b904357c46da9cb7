"""``--config FILE.yaml`` for the commands that train or simulate: the file sets options, the command line wins.

A command's config file holds its options by name (``n: 5000``, ``energy: uniform:1,100``, ``max_events: 2000``,
dashes as underscores), plus, for a simulator, one section per shower model it is built with (``em:``,
``hadron:``; :func:`showerml.io.config.update_dataclass`). The schema is made from the command's own signature
(:func:`options_schema`), so a new option is configurable with no second list; run controls (``--out``,
``--overwrite``, ``--quiet``, …) and required options stay on the command line. An unknown key, a wrong type or a
value out of range is a one-line error (exit 2) before anything is read or written. Precedence: an option given on
the command line, then the file, then the option's default.

The execution options shared by every parallel command (``--executor``, ``--scheduler``, ``--cluster``,
``--cluster-config``, ``--workers``; :func:`execution_spec`) may come from the file too (a site's cluster settings),
but are never saved with the output: they change where a run is computed, never what it computes.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ConfigDict, Field, create_model

from showerml.errors import DataFileError
from showerml.io.config import dataclass_sections, read_yaml, update_dataclass, validate

__all__ = ["CLUSTER", "CLUSTER_CONFIG", "CONFIG", "EXECUTION_OPTIONS", "EXECUTOR", "RUN_CONTROLS", "SCHEDULER",
           "SHARDS", "execution_spec", "options_schema", "resolve_options", "saved_options", "shower_models"]

CONFIG = typer.Option(None, "--config", "-c", help="YAML file of option values (options given on the command line "
                      "override it); the resolved settings are saved with the output.")
EXECUTOR = typer.Option("local", "--executor", help="local (processes on this machine) or dask (--scheduler or "
                        "--cluster); the output is the same for any executor.")
SCHEDULER = typer.Option(None, "--scheduler", help="With --executor dask: a running scheduler's address "
                         "(tcp://host:8786), or 'local' for a LocalCluster of --workers processes.")
CLUSTER = typer.Option(None, "--cluster", help="slurm, htcondor or pbs: submit Dask worker jobs through dask-jobqueue "
                       "(implies --executor dask; needs --cluster-config).")
CLUSTER_CONFIG = typer.Option(None, "--cluster-config", help="YAML of the worker jobs for --cluster: cores, memory, "
                              "jobs, queue, walltime … (docs/scaling.md).")
SHARDS = typer.Option(None, "--shards", help="Folder for one HDF5 shard per task; --out becomes the virtual-dataset "
                      "file joining them (a re-run resumes from complete shards).")

#: options that steer a run rather than configure it: never read from a config file
RUN_CONTROLS = frozenset({"config", "out", "overwrite", "resume", "quiet", "yes", "max_memory", "reuse_models",
                          "shards"})
#: options that say where a run is computed, not what: settable from a config file, but never saved with the output
#: (the output is the same for any of their values, so two runs differing only here write the same bytes)
EXECUTION_OPTIONS = frozenset({"workers", "executor", "scheduler", "cluster", "cluster_config", "device"})

#: ranges of options common to several commands (a file's value out of range → one line naming the key)
_BOUNDS: dict[str, dict[str, Any]] = {
    "n": {"gt": 0}, "seed": {"ge": 0}, "workers": {"ge": 1}, "epochs": {"ge": 1}, "max_events": {"gt": 0},
    "ensemble": {"ge": 1}, "max_clusters": {"ge": 1}, "chunk_size": {"ge": 1}, "saturation": {"gt": 0},
}


@functools.cache
def options_schema(command: Callable[..., Any], sections: tuple[str, ...] = ()) -> type[BaseModel]:
    """A pydantic schema of ``command``'s configurable options (all optional, unknown keys refused) plus a mapping
    per name in ``sections`` (checked later against the dataclass it configures)."""
    hints = typing.get_type_hints(command)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(command).parameters.items():
        info = param.default
        required = getattr(info, "default", None) is ... or param.default is inspect.Parameter.empty
        if name in RUN_CONTROLS or required or name == "ctx":
            continue
        fields[name] = (hints.get(name, Any) | None, Field(None, **_BOUNDS.get(name, {})))
    for name in sections:
        fields[name] = (dict[str, Any] | None, None)
    return create_model(
        f"{command.__name__}Options", __config__=ConfigDict(extra="forbid"), **fields
    )


def resolve_options(ctx: typer.Context, config: Path | None, command: Callable[..., Any],
                    sections: tuple[str, ...] | None = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    """(options, sections): every parameter of the command as it applies to this run — given on the command line,
    else from ``config``, else its default — and the file's sections (empty when absent).

    ``sections=None`` sets aside every mapping whose key is not an option, unchecked, for a caller that knows the
    valid sections only later (a simulator's shower models, :func:`shower_models`, after its import)."""
    values = dict(ctx.params)
    if config is None:
        return values, {}
    raw = read_yaml(config)
    if not isinstance(raw, Mapping):
        raise DataFileError(config, "a config file must be a mapping of option names to values")
    controls = [k for k in raw if k in RUN_CONTROLS]
    if controls:
        flag = "--" + controls[0].replace("_", "-")
        raise DataFileError(config, f"'{controls[0]}' is not set from a config file: give {flag} on the command line")
    chosen: dict[str, Any] = {}
    if sections is None:
        names = options_schema(command).model_fields
        chosen = {k: v for k, v in raw.items() if k not in names and isinstance(v, Mapping)}
        raw = {k: v for k, v in raw.items() if k not in chosen}
    checked = validate(options_schema(command, sections or ()), raw, config).model_dump(exclude_unset=True)
    for name, value in checked.items():
        if sections is not None and name in sections:
            chosen[name] = value
        elif not _given(ctx, name):
            values[name] = value
    return values, chosen


def shower_models(simulator: type, sections: Mapping[str, Any], config: Path | None) -> dict[str, Any]:
    """The shower models of ``simulator`` (its dataclass fields holding a dataclass, e.g. ``em``, ``hadron``) updated by
    the config file's sections of those names, each built and range-checked by its own constructor."""
    defaults = dataclass_sections(simulator)
    for name in sections:
        if name not in defaults:
            raise DataFileError(config, f"'{name}' is not a setting here (unknown key); the shower models of "
                                f"{simulator.__name__} are: {', '.join(defaults) or 'none'}")
    return {name: update_dataclass(base, sections[name], config or "--config", name)
            for name, base in defaults.items() if name in sections}


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the option was given on the command line (or by its environment variable), not left at its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def execution_spec(values: Mapping[str, Any]) -> Any:
    """The checked :class:`~showerml.execution.ExecutorSpec` of a command's resolved options (``executor``,
    ``scheduler``, ``cluster``, ``cluster_config``, ``workers``); a wrong combination → one line."""
    from showerml.execution import executor_spec

    return executor_spec(values.get("executor") or "local", int(values.get("workers") or 1), values.get("scheduler"),
                         values.get("cluster"), values.get("cluster_config"))


def saved_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """The options worth saving beside the output (run controls and execution options left out), paths as
    strings."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in RUN_CONTROLS or name in EXECUTION_OPTIONS:
            continue
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, (list, tuple)):
            value = [str(v) if isinstance(v, Path) else v for v in value]
        out[name] = value
    return out
