"""The architecture holds: imports point down the layers (import-linter contracts in pyproject.toml) and no module
imports another module's private names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "showerml"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports() -> list[str]:
    """``from showerml.x import _name`` where ``showerml.x`` is not the importing module's own package."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        importer = _module_name(path)
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom) or node.level or not (node.module or "").startswith("showerml"):
                continue
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and node.module != package:
                    found.append(f"{importer} imports {node.module}.{alias.name}")
            if any(p.startswith("_") and not p.startswith("__") for p in (node.module or "").split(".")):
                found.append(f"{importer} imports the private module {node.module}")
    return found


def test_no_module_imports_a_private_name_of_another():
    assert private_imports() == []


def test_the_checker_sees_a_private_import(tmp_path, monkeypatch):
    fake = tmp_path / "showerml"
    (fake / "a").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "a" / "__init__.py").write_text("")
    (fake / "a" / "b.py").write_text("from showerml.c import _helper\nfrom showerml.a import _own\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    assert private_imports() == ["showerml.a.b imports showerml.c._helper"]


def test_import_layers_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), str(SRC.parents[1] / "pyproject.toml")], capture_output=True,
                       text=True, cwd=SRC.parents[1])
    assert r.returncode == 0, r.stdout[-3000:]
