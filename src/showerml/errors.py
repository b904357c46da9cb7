"""The one exception family of showerml.

Every error a user can cause (bad option, bad file, missing extra) is a :class:`ShowermlError` whose message says
what is wrong and how to fix it, in one line. The CLI prints it as ``error: <message>`` and exits with code 2.
"""

from __future__ import annotations

__all__ = ["ShowermlError", "InputError", "DataFileError", "MissingExtraError"]


class ShowermlError(Exception):
    """Base class: a user-facing problem with a one-line explanation."""


class InputError(ShowermlError, ValueError):
    """An option or argument is out of range or malformed."""


class DataFileError(ShowermlError):
    """A data file is missing, truncated, or not what it claims to be."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class MissingExtraError(ShowermlError, ImportError):
    """An optional dependency is not installed."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(f"{feature} needs the '{module}' package: pip install 'showerml[{extra}]'")
