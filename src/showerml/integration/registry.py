"""Integrands by name (``camel4``, ``gauss8_a0.1``, ``corr4_rho0.99``, ``zpole_bw`` …) or a user's ``module:function``.

A user integrand is imported and called: that runs the user's own code, which is their explicit choice when they
pass ``--integrand mypkg.mod:f`` or ``--integrand path/to/file.py:f`` (nothing else is ever imported from a name).
It must take an (n, d) float64 array in [0, 1]^d and return n values ≥ 0; the dimension comes from ``--dim``.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np

from showerml.errors import InputError
from showerml.integration.integrands import (
    Integrand,
    annulus,
    camel,
    circles,
    correlated_gauss,
    gauss,
    gauss_shell,
)
from showerml.integration.zpole import zpole_integrand

__all__ = ["SUITE", "get_integrand", "user_integrand"]

#: the named integrands of the benchmark suite (any dimension/α/ρ of the same families also parses)
SUITE = (
    [f"gauss{d}" for d in (2, 4, 8, 16)] + [f"gauss{d}_a0.1" for d in (2, 4, 8, 16)]
    + [f"camel{d}" for d in (2, 4, 8, 16)] + [f"camel{d}_a0.1" for d in (2, 4, 8, 16)]
    + ["circles", "annulus", "corr2_rho0.9", "corr2_rho0.99", "corr4_rho0.9", "corr4_rho0.99", "shell2", "shell4",
       "zpole", "zpole_bw"]
)

_FAMILY = re.compile(r"^(gauss|camel)(\d+)(?:_a([0-9.]+))?$")
_CORR = re.compile(r"^corr(\d+)_rho([0-9.]+)$")
_SHELL = re.compile(r"^shell(\d+)$")


def _dim(text: str, name: str) -> int:
    d = int(text)
    if not 1 <= d <= 64:
        raise InputError(f"integrand {name}: dimension must be 1–64, got {d}")
    return d


def get_integrand(name: str, dim: int | None = None, exact: float | None = None) -> Integrand:
    """A suite integrand by name, or ``module:function`` / ``file.py:function`` (then ``dim`` is required)."""
    if ":" in name:
        if dim is None:
            raise InputError(f"a user integrand ({name}) needs --dim, the number of variables it takes")
        return user_integrand(name, dim, exact)
    if dim is not None:
        raise InputError(f"--dim applies to a user integrand (module:function); {name} has its dimension in its name")
    if m := _FAMILY.match(name):
        alpha = float(m.group(3)) if m.group(3) else 0.2
        if not 0 < alpha <= 1:
            raise InputError(f"integrand {name}: α must be in (0, 1], got {alpha}")
        d = _dim(m.group(2), name)
        return gauss(d, alpha) if m.group(1) == "gauss" else camel(d, alpha)
    if m := _CORR.match(name):
        rho = float(m.group(2))
        if not 0 <= rho < 1:
            raise InputError(f"integrand {name}: ρ must be in [0, 1), got {rho}")
        return correlated_gauss(_dim(m.group(1), name), rho)
    if m := _SHELL.match(name):
        d = _dim(m.group(1), name)
        if d < 2:
            raise InputError(f"integrand {name}: a shell needs at least 2 dimensions")
        return gauss_shell(d)
    fixed = {"circles": circles, "annulus": annulus,
             "zpole": lambda: zpole_integrand(False), "zpole_bw": lambda: zpole_integrand(True)}
    if name in fixed:
        return fixed[name]()
    raise InputError(f"unknown integrand '{name}'; choose one of {', '.join(SUITE)} (or gaussD/camelD[_aα], "
                     "corrD_rhoρ, shellD) or give module:function with --dim")


def user_integrand(spec: str, dim: int, exact: float | None = None) -> Integrand:
    """Import ``module:function`` (or ``file.py:function``) and check it on a few points."""
    if not 1 <= dim <= 64:
        raise InputError(f"--dim must be 1–64, got {dim}")
    module_name, _, func_name = spec.rpartition(":")
    if not module_name or not func_name.isidentifier():
        raise InputError(f"--integrand {spec}: expected module:function or path/file.py:function")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise InputError(f"--integrand {spec}: no such file {path}")
            mod_spec = importlib.util.spec_from_file_location(f"showerml_user_{path.stem}", path)
            assert mod_spec is not None and mod_spec.loader is not None
            module = importlib.util.module_from_spec(mod_spec)
            sys.modules[mod_spec.name] = module
            mod_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except InputError:
        raise
    except Exception as exc:  # the user's module failed to import: say why in one line
        raise InputError(f"--integrand {spec}: cannot import {module_name} ({type(exc).__name__}: {exc})") from None
    fn = getattr(module, func_name, None)
    if not callable(fn):
        raise InputError(f"--integrand {spec}: {module_name} has no function {func_name}")

    def call(x: np.ndarray) -> np.ndarray:
        try:
            return fn(x)
        except Exception as exc:
            raise InputError(f"integrand {spec} raised {type(exc).__name__}: {exc} on an ({len(x)}, {dim}) "
                             "array; it must be vectorised over points") from None

    return Integrand(spec, dim, call, exact, f"user integrand {spec}")
